import DataLoader from 'dataloader';
import { isDomainError } from '../../core/domain-error.js';
import type { VideoStream } from './kinesis.types.js';
import type { KinesisVideoDataSource } from './kinesis-video.datasource.js';
import type { Api } from '../datasource-api.js';

/** Per-request stream loaders. */
export interface StreamLoaders {
  /** DescribeStream by name or ARN (an ARN starts with `arn:`); `null` for an unknown stream. Deduplicated per request. */
  readonly stream: DataLoader<string, VideoStream | null>;
}

/**
 * Creates the loaders for one request. Kinesis has no batch describe, so a batch becomes one DescribeStream per
 * distinct key; the control-plane client's own retry and rate limiting bound the fan-out.
 */
export function createStreamLoaders(control: Api<KinesisVideoDataSource>, signal: AbortSignal | undefined): StreamLoaders {
  return {
    stream: new DataLoader<string, VideoStream | null>((keys) =>
      Promise.all(
        keys.map(async (key) => {
          try {
            return await control.describeStream(key.startsWith('arn:') ? { arn: key } : { name: key }, { signal });
          } catch (error) {
            if (isDomainError(error) && error.code === 'NOT_FOUND') return null;
            return error instanceof Error ? error : new Error(String(error));
          }
        }),
      ),
    ),
  };
}
