import type { Fragment as SdkFragment } from '@aws-sdk/client-kinesis-video-archived-media';
import type { StreamInfo } from '@aws-sdk/client-kinesis-video';
import type { ArchivedFragment, VideoStream } from './kinesis.types.js';

/** Maps DescribeStream/ListStreams `StreamInfo`; undefined when the service omitted the name or ARN. Pure. */
export function toVideoStream(info: StreamInfo): VideoStream | undefined {
  if (info.StreamName === undefined || info.StreamARN === undefined) return undefined;
  return {
    name: info.StreamName,
    arn: info.StreamARN,
    status: info.Status ?? 'ACTIVE',
    mediaType: info.MediaType,
    retentionHours: info.DataRetentionInHours ?? 0,
    creationTime: info.CreationTime,
    deviceName: info.DeviceName,
    version: info.Version,
    kmsEncrypted: info.KmsKeyId !== undefined && !isAwsManagedKey(info.KmsKeyId),
  };
}

/** Maps a ListFragments entry; undefined without a fragment number. Pure. */
export function toArchivedFragment(fragment: SdkFragment): ArchivedFragment | undefined {
  if (fragment.FragmentNumber === undefined) return undefined;
  return {
    fragmentNumber: fragment.FragmentNumber,
    sizeBytes: fragment.FragmentSizeInBytes,
    producerTimestamp: fragment.ProducerTimestamp,
    serverTimestamp: fragment.ServerTimestamp,
    durationMs: fragment.FragmentLengthInMilliseconds,
  };
}

/**
 * Whether a KmsKeyId names the AWS-managed key (`alias/aws/kinesisvideo`). DescribeStream returns it as a full
 * alias ARN (`arn:aws:kms:REGION:ACCOUNT:alias/aws/kinesisvideo`), not as the bare alias, so both forms count.
 */
function isAwsManagedKey(kmsKeyId: string): boolean {
  return /^(?:arn:[^:]+:kms:[^:]*:[^:]*:)?alias\/aws\//.test(kmsKeyId);
}
