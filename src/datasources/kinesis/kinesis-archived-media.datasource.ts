import { ListFragmentsCommand, type KinesisVideoArchivedMediaClient } from '@aws-sdk/client-kinesis-video-archived-media';
import { withDeadline } from '../../core/deadline.js';
import type { CallOptions } from '../object-store/object-store.js';
import { kinesisErrorName, translateKinesisError } from './kinesis.errors.js';
import { toArchivedFragment, wholeRetentionRange } from './kinesis.mapper.js';
import type { ArchivedFragment, FragmentRange, StreamRef, VideoStream } from './kinesis.types.js';
import type { KinesisVideoDataSource } from './kinesis-video.datasource.js';

/** Largest ListFragments page the service accepts. */
export const LIST_FRAGMENTS_MAX_RESULTS = 1000;

/** Options of {@link KinesisArchivedMediaDataSource}. */
export interface KinesisArchivedMediaDataSourceOptions {
  /** Deadline per call (retries included), in ms. */
  readonly timeoutMs: number;
  /** Clock in epoch ms: the end of a listing without a range; default `Date.now`. */
  readonly now?: () => number;
}

/** One ListFragments page request. */
export interface FragmentPageRequest {
  readonly pageSize: number;
  /** The previous page's token; `undefined` for the first page. */
  readonly token: string | undefined;
  /** The fragments wanted; `undefined` means every retained fragment. Ignored with a token (its own range applies). */
  readonly range: FragmentRange | undefined;
  /**
   * The stream as DescribeStream returned it, when the caller has it: a first page without `range` is bounded by
   * its creation time and retention, so knowing it saves a DescribeStream call.
   */
  readonly stream?: Pick<VideoStream, 'creationTime' | 'retentionHours'> | undefined;
}

/**
 * Kinesis Video archived media (ListFragments). The SDK client is per data endpoint, so a factory is injected
 * (it should cache clients by endpoint). Lifetime: the process.
 */
export class KinesisArchivedMediaDataSource {
  private readonly now: () => number;

  constructor(
    private readonly control: KinesisVideoDataSource,
    private readonly clientFor: (endpoint: string) => KinesisVideoArchivedMediaClient,
    private readonly options: KinesisArchivedMediaDataSourceOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /**
   * One page of the stream's fragments, in the order the service lists them: it promises none, not even across
   * pages, so a caller must neither sort within a page nor assume later pages hold later fragments.
   *
   * The service requires a `FragmentSelector` on every request without a token, so a first page without `range`
   * asks for server timestamps from the earlier of the stream's creation and the start of its retention window,
   * up to now (the stream is described first unless `page.stream` is given).
   * @throws DomainError NOT_FOUND for an unknown stream, BAD_USER_INPUT for an invalid range, UPSTREAM_* otherwise.
   */
  async listFragments(
    ref: StreamRef,
    page: FragmentPageRequest,
    options: CallOptions = {},
  ): Promise<{ readonly fragments: readonly ArchivedFragment[]; readonly nextToken: string | undefined }> {
    let range = page.range;
    if (page.token === undefined && range === undefined) {
      const stream = page.stream ?? (await this.control.describeStream(ref, options));
      range = wholeRetentionRange(stream, this.now());
    }
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
            // With a token the service applies the first page's selector; sending none keeps the request minimal.
            FragmentSelector:
              page.token !== undefined || range === undefined
                ? undefined
                : {
                    FragmentSelectorType: range.type,
                    TimestampRange: { StartTimestamp: range.from, EndTimestamp: range.to },
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
