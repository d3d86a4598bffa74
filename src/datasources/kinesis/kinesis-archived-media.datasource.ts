import { ListFragmentsCommand, type KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import { withDeadline } from '../../core/deadline.js';
import type { CallOptions } from '../object-store/object-store.js';
import { kinesisErrorName, translateKinesisError } from './kinesis.errors.js';
import { toArchivedFragment } from './kinesis.mapper.js';
import type { ArchivedFragment, FragmentRange, StreamRef } from './kinesis.types.js';
import type { KinesisVideoDataSource } from './kinesis-video.datasource.js';

/** Largest ListFragments page the service accepts. */
export const LIST_FRAGMENTS_MAX_RESULTS = 1000;

/**
 * Kinesis Video archived media (ListFragments). The SDK client is per data endpoint, so a factory is injected
 * (it should cache clients by endpoint). Lifetime: the process.
 */
export class KinesisArchivedMediaDataSource {
  constructor(
    private readonly control: KinesisVideoDataSource,
    private readonly clientFor: (endpoint: string) => KinesisVideoArchivedMediaClient,
    private readonly options: { readonly timeoutMs: number },
  ) {}

  /**
   * One page of the stream's fragments (the service does not promise any order).
   * @throws DomainError NOT_FOUND for an unknown stream, BAD_USER_INPUT for an invalid range, UPSTREAM_* otherwise.
   */
  async listFragments(
    ref: StreamRef,
    page: { readonly pageSize: number; readonly token: string | undefined; readonly range: FragmentRange | undefined },
    options: CallOptions = {},
  ): Promise<{ readonly fragments: readonly ArchivedFragment[]; readonly nextToken: string | undefined }> {
    const endpoint = await this.control.dataEndpoint(ref, 'LIST_FRAGMENTS', options);
    const client = this.clientFor(endpoint);
    try {
      const output = await withDeadline(this.options.timeoutMs, options.signal, (abortSignal) =>
        client.send(
          new ListFragmentsCommand({
            StreamName: ref.name,
            StreamARN: ref.arn,
            MaxResults: page.pageSize,
            NextToken: page.token,
            FragmentSelector:
              page.range === undefined
                ? undefined
                : {
                    FragmentSelectorType: page.range.type,
                    TimestampRange: { StartTimestamp: page.range.from, EndTimestamp: page.range.to },
                  },
          }),
          { abortSignal },
        ),
      );
      const fragments: ArchivedFragment[] = [];
      for (const fragment of output.Fragments ?? []) {
        const mapped = toArchivedFragment(fragment);
        if (mapped !== undefined) fragments.push(mapped);
      }
      return { fragments, nextToken: output.NextToken === '' ? undefined : output.NextToken };
    } catch (error) {
      if (kinesisErrorName(error) === 'InvalidEndpointException') this.control.invalidateEndpoint(ref, 'LIST_FRAGMENTS');
      throw translateKinesisError(error);
    }
  }
}
