import type { Fragment as SdkFragment } from '@aws-sdk/client-kinesis-video-archived-media';
import type { StreamInfo } from '@aws-sdk/client-kinesis-video';
import type { ArchivedFragment, FragmentRange, VideoStream } from './kinesis.types.js';

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

const HOUR_MS = 3_600_000;

/**
 * The ListFragments range that holds every retained fragment of `stream` at `nowMs`: server timestamps from the
 * earlier of its creation time and the start of its retention window, to now. Either bound alone holds every
 * fragment the service can have; the earlier one also holds fragments whose server clock disagrees with the
 * stream's creation time (replayed archives, emulators). Pure.
 */
export function wholeRetentionRange(stream: Pick<VideoStream, 'creationTime' | 'retentionHours'>, nowMs: number): FragmentRange {
  const retentionStart = nowMs - stream.retentionHours * HOUR_MS;
  const created = stream.creationTime?.getTime() ?? retentionStart;
  return { type: 'SERVER_TIMESTAMP', from: new Date(Math.max(0, Math.min(created, retentionStart))), to: new Date(nowMs) };
}

/**
 * Whether a KmsKeyId names the AWS-managed key (`alias/aws/kinesisvideo`). DescribeStream returns it as a full
 * alias ARN (`arn:aws:kms:REGION:ACCOUNT:alias/aws/kinesisvideo`), not as the bare alias, so both forms count.
 */
function isAwsManagedKey(kmsKeyId: string): boolean {
  return /^(?:arn:[^:]+:kms:[^:]*:[^:]*:)?alias\/aws\//.test(kmsKeyId);
}
