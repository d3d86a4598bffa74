import { DescribeStreamCommand, GetDataEndpointCommand, ListStreamsCommand, type KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import { LRUCache } from 'lru-cache';
import { DomainError } from '../../core/domain-error.js';
import { withDeadline } from '../../core/deadline.js';
import type { CallOptions } from '../object-store/object-store.js';
import { translateKinesisError } from './kinesis.errors.js';
import { toVideoStream } from './kinesis.mapper.js';
import type { StreamRef, VideoStream } from './kinesis.types.js';

/** Data-plane APIs whose endpoint GetDataEndpoint resolves. */
export type DataEndpointApi = 'GET_MEDIA' | 'LIST_FRAGMENTS';

/** Options of {@link KinesisVideoDataSource}. */
export interface KinesisVideoDataSourceOptions {
  /** Deadline per call (retries included), in ms. */
  readonly timeoutMs: number;
  /** How long a resolved data endpoint is reused before asking again, in ms. */
  readonly endpointTtlMs: number;
  /**
   * Most data endpoints remembered (one per stream and API); the least recently used is forgotten first.
   * Default {@link DEFAULT_MAX_CACHED_ENDPOINTS}.
   */
  readonly maxCachedEndpoints?: number;
  /** Clock in epoch ms, for tests; default `Date.now`. */
  readonly now?: () => number;
}

/** Default {@link KinesisVideoDataSourceOptions.maxCachedEndpoints}: a GET_MEDIA and a LIST_FRAGMENTS entry for 5,000 streams. */
export const DEFAULT_MAX_CACHED_ENDPOINTS = 10_000;

/** Largest ListStreams page the service accepts. */
export const LIST_STREAMS_MAX_RESULTS = 10_000;

/**
 * The Kinesis Video control plane (DescribeStream, ListStreams, GetDataEndpoint) over an injected SDK client.
 * Data endpoints are cached per stream and API for `endpointTtlMs` (they rarely change; `InvalidEndpointException`
 * from a data-plane call invalidates the entry), at most `maxCachedEndpoints` of them, least recently used out
 * first; concurrent lookups share one call. Lifetime: the process.
 */
export class KinesisVideoDataSource {
  private readonly endpoints: LRUCache<string, Promise<string>>;

  constructor(
    private readonly client: KinesisVideoClient,
    private readonly options: KinesisVideoDataSourceOptions,
  ) {
    const now = options.now ?? Date.now;
    this.endpoints = new LRUCache<string, Promise<string>>({
      max: options.maxCachedEndpoints ?? DEFAULT_MAX_CACHED_ENDPOINTS,
      ttl: options.endpointTtlMs,
      // Expired entries are dropped when next read; the size bound holds either way, so no timers are needed.
      ttlAutopurge: false,
      // Every read consults the clock (lru-cache would otherwise reuse a reading for up to 1 ms).
      ttlResolution: 0,
      perf: { now },
    });
  }

  /** @throws DomainError NOT_FOUND for an unknown stream, or an UPSTREAM_* code. */
  async describeStream(ref: StreamRef, options: CallOptions = {}): Promise<VideoStream> {
    const output = await this.call(options, (abortSignal) =>
      this.client.send(new DescribeStreamCommand({ StreamName: ref.name, StreamARN: ref.arn }), { abortSignal }),
    );
    const stream = output.StreamInfo === undefined ? undefined : toVideoStream(output.StreamInfo);
    if (stream === undefined) throw new DomainError('NOT_FOUND', 'The video stream does not exist.');
    return stream;
  }

  /**
   * One page of streams in service order; with `namePrefix`, only streams whose names begin with it (the
   * provider's `StreamNameCondition`, to which a `NextToken` stays bound: pass the same prefix with its tokens).
   */
  async listStreams(
    page: { readonly pageSize: number; readonly token: string | undefined; readonly namePrefix?: string | undefined },
    options: CallOptions = {},
  ): Promise<{ readonly streams: readonly VideoStream[]; readonly nextToken: string | undefined }> {
    const condition =
      page.namePrefix === undefined || page.namePrefix === '' ? undefined : { ComparisonOperator: 'BEGINS_WITH' as const, ComparisonValue: page.namePrefix };
    const output = await this.call(options, (abortSignal) =>
      this.client.send(new ListStreamsCommand({ MaxResults: page.pageSize, NextToken: page.token, StreamNameCondition: condition }), { abortSignal }),
    );
    const streams: VideoStream[] = [];
    for (const info of output.StreamInfoList ?? []) {
      const stream = toVideoStream(info);
      if (stream !== undefined) streams.push(stream);
    }
    return { streams, nextToken: output.NextToken === '' ? undefined : output.NextToken };
  }

  /** The data endpoint for `api` on the stream, cached for `endpointTtlMs`. */
  dataEndpoint(ref: StreamRef, api: DataEndpointApi, options: CallOptions = {}): Promise<string> {
    const key = endpointKey(ref, api);
    const cached = this.endpoints.get(key);
    if (cached !== undefined) return cached;
    const value = this.call(options, (abortSignal) =>
      this.client.send(new GetDataEndpointCommand({ StreamName: ref.name, StreamARN: ref.arn, APIName: api }), { abortSignal }),
    ).then((output) => {
      if (output.DataEndpoint === undefined) throw new DomainError('UPSTREAM_UNAVAILABLE', 'Kinesis Video returned no data endpoint.');
      return output.DataEndpoint;
    });
    this.endpoints.set(key, value);
    // A failed lookup must not be cached: the next caller asks again. `peek` leaves the recency order alone.
    value.catch(() => {
      if (this.endpoints.peek(key) === value) this.endpoints.delete(key);
    });
    return value;
  }

  /** Forgets the cached endpoint (after `InvalidEndpointException`), so the next call resolves it again. */
  invalidateEndpoint(ref: StreamRef, api: DataEndpointApi): void {
    this.endpoints.delete(endpointKey(ref, api));
  }

  private async call<T>(options: CallOptions, send: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await withDeadline(this.options.timeoutMs, options.signal, send);
    } catch (error) {
      throw translateKinesisError(error);
    }
  }
}

function endpointKey(ref: StreamRef, api: DataEndpointApi): string {
  return `${api}\0${ref.arn ?? ''}\0${ref.name ?? ''}`;
}
