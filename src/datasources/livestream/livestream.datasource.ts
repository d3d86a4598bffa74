import { randomUUID } from 'node:crypto';
import type { LivestreamServiceClient } from '@google-cloud/livestream';
import { protos } from '@google-cloud/livestream';
import { badInput } from '../../core/domain-error.js';
import type { CallOptions } from '../object-store/object-store.js';
import {
  ASSET_NAME,
  CHANNEL_NAME,
  LOCATION_NAME,
  OPERATION_NAME,
  pageToken,
  requestIdFor,
  requireName,
  requirePageQuery,
  requireResourceId,
  runCall,
  untilAborted,
} from './livestream.call.js';
import { toAsset, toChannel, toOperation } from './livestream.mapper.js';
import type { BackoffPolicy } from '../../core/backoff.js';
import type { RetryPolicy } from './livestream.retry.js';
import { DEFAULT_OPERATION_POLL, DEFAULT_READ_RETRY, pollUntil, retryRead } from './livestream.retry.js';
import type { Asset, Channel, CreateAssetInput, ListQuery, LiveStreamPage, LongRunningOperation } from './livestream.types.js';

/** Options of {@link LiveStreamDataSource}. */
export interface LiveStreamDataSourceOptions {
  /** Deadline of one call, retries included, in ms. */
  readonly timeoutMs: number;
  /** Retry of idempotent reads (UNAVAILABLE, RESOURCE_EXHAUSTED); default {@link DEFAULT_READ_RETRY}. */
  readonly retry?: RetryPolicy;
  /** Backoff between operation polls; default {@link DEFAULT_OPERATION_POLL}. */
  readonly poll?: BackoffPolicy;
  /** Request id generator for mutations; default `crypto.randomUUID`. */
  readonly newRequestId?: () => string;
}

/** Options of a mutation. */
export interface MutationOptions extends CallOptions {
  /**
   * Idempotency key sent as `request_id` (a UUID). A client retrying its own call passes the id of its first
   * attempt, and the service returns the first attempt's operation instead of acting twice (within 60 minutes).
   * Omitted = a new UUID per call.
   */
  readonly requestId?: string | undefined;
}

/** Options of {@link LiveStreamDataSource.waitForOperation}. */
export interface WaitOptions extends CallOptions {
  /** How long to keep polling, in ms. */
  readonly timeoutMs: number;
}

/**
 * Live Stream assets, channels and operations over the injected gRPC SDK client (built by
 * `createLiveStreamClients`, whose gax settings retry nothing).
 *
 * Every call has one deadline (`timeoutMs`, retries included) and honours the caller's AbortSignal; reads retry
 * UNAVAILABLE and RESOURCE_EXHAUSTED with jittered backoff; creates and deletes are sent once, each with a
 * `request_id`. Errors are translated by `livestream.errors.ts`. Stateless apart from the client.
 */
export class LiveStreamDataSource {
  private readonly retry: RetryPolicy;
  private readonly poll: BackoffPolicy;
  private readonly newRequestId: () => string;

  constructor(
    private readonly client: LivestreamServiceClient,
    private readonly options: LiveStreamDataSourceOptions,
  ) {
    this.retry = options.retry ?? DEFAULT_READ_RETRY;
    this.poll = options.poll ?? DEFAULT_OPERATION_POLL;
    this.newRequestId = options.newRequestId ?? randomUUID;
  }

  /**
   * Starts creating an asset; the returned operation completes with the ACTIVE asset (or an error, e.g. when
   * the file cannot be read). The asset exists in CREATING state from now on.
   *
   * @throws DomainError BAD_USER_INPUT (invalid input, before any call), CONFLICT (the id exists), UPSTREAM_*.
   */
  async createAsset(input: CreateAssetInput, options: MutationOptions = {}): Promise<LongRunningOperation> {
    requireName(input.parent, LOCATION_NAME, 'location');
    requireResourceId(input.assetId, 'assetId');
    if (!/^gs:\/\/[^/]+\/.+/.test(input.uri)) throw badInput('The asset URI must look like gs://bucket/object.');
    const requestId = requestIdFor(options.requestId, this.newRequestId);
    const asset = {
      labels: { ...input.labels },
      [input.kind]: { uri: input.uri },
      ...(input.crc32c === undefined ? {} : { crc32c: input.crc32c }),
    };
    return this.mutate(options, async (signal, timeout) => {
      const [operation, raw] = await untilAborted(
        this.client.createAsset({ parent: input.parent, assetId: input.assetId, asset, requestId }, { timeout }),
        signal,
      );
      return toOperation(raw ?? operation.latestResponse);
    });
  }

  /**
   * Starts deleting an asset; the operation completes with an `Empty` result.
   *
   * @throws DomainError BAD_USER_INPUT (bad name, or the asset is busy), NOT_FOUND, UPSTREAM_*.
   */
  async deleteAsset(name: string, options: MutationOptions = {}): Promise<LongRunningOperation> {
    requireName(name, ASSET_NAME, 'asset');
    const requestId = requestIdFor(options.requestId, this.newRequestId);
    return this.mutate(options, async (signal, timeout) => {
      const [operation, raw] = await untilAborted(this.client.deleteAsset({ name, requestId }, { timeout }), signal);
      return toOperation(raw ?? operation.latestResponse);
    });
  }

  /** @throws DomainError BAD_USER_INPUT (bad name), NOT_FOUND, UPSTREAM_*. */
  async getAsset(name: string, options: CallOptions = {}): Promise<Asset> {
    requireName(name, ASSET_NAME, 'asset');
    const [asset] = await this.read(options, (signal, timeout) => untilAborted(this.client.getAsset({ name }, { timeout }), signal));
    return toAsset(asset);
  }

  /**
   * One page of the location's assets.
   *
   * @throws DomainError BAD_USER_INPUT (page size, filter, ordering or a token from another query), UPSTREAM_*.
   */
  async listAssets(parent: string, query: ListQuery, options: CallOptions = {}): Promise<LiveStreamPage<Asset>> {
    requireName(parent, LOCATION_NAME, 'location');
    const request = { parent, ...listFields(requirePageQuery(query)) };
    const [assets, , response] = await this.read(options, (signal, timeout) =>
      untilAborted(this.client.listAssets(request, { autoPaginate: false, timeout }), signal),
    );
    return { items: assets.map(toAsset), nextPageToken: pageToken(response?.nextPageToken) };
  }

  /** @throws DomainError BAD_USER_INPUT (bad name), NOT_FOUND, UPSTREAM_*. */
  async getChannel(name: string, options: CallOptions = {}): Promise<Channel> {
    requireName(name, CHANNEL_NAME, 'channel');
    const [channel] = await this.read(options, (signal, timeout) => untilAborted(this.client.getChannel({ name }, { timeout }), signal));
    return toChannel(channel);
  }

  /**
   * One page of the location's channels.
   *
   * @throws DomainError BAD_USER_INPUT (page size, filter, ordering, token), UPSTREAM_*.
   */
  async listChannels(parent: string, query: ListQuery, options: CallOptions = {}): Promise<LiveStreamPage<Channel>> {
    requireName(parent, LOCATION_NAME, 'location');
    const request = { parent, ...listFields(requirePageQuery(query)) };
    const [channels, , response] = await this.read(options, (signal, timeout) =>
      untilAborted(this.client.listChannels(request, { autoPaginate: false, timeout }), signal),
    );
    return { items: channels.map(toChannel), nextPageToken: pageToken(response?.nextPageToken) };
  }

  /** The operation's current state. @throws DomainError BAD_USER_INPUT (bad name), NOT_FOUND, UPSTREAM_*. */
  async getOperation(name: string, options: CallOptions = {}): Promise<LongRunningOperation> {
    requireName(name, OPERATION_NAME, 'operation');
    const request = protos.google.longrunning.GetOperationRequest.create({ name });
    const [operation] = await this.read(options, (signal, timeout) => untilAborted(this.client.getOperation(request, { timeout }), signal));
    return toOperation(operation);
  }

  /**
   * Polls the operation with backoff until it is done or `timeoutMs` has passed.
   *
   * @returns the last state seen: `done` false when the wait timed out (the operation keeps running; ask again
   *   later). The wait may overrun `timeoutMs` by at most one poll's call deadline.
   * @throws DomainError from a poll (see {@link getOperation}); AbortError when `signal` aborts.
   */
  async waitForOperation(name: string, options: WaitOptions): Promise<LongRunningOperation> {
    requireName(name, OPERATION_NAME, 'operation');
    return pollUntil(
      this.poll,
      Date.now() + options.timeoutMs,
      options.signal,
      () => this.getOperation(name, { signal: options.signal }),
      (operation) => operation.done,
    );
  }

  private read<T>(options: CallOptions, send: (signal: AbortSignal, timeoutMs: number) => Promise<T>): Promise<T> {
    return runCall(this.options.timeoutMs, options.signal, (signal, deadlineAt) =>
      retryRead(this.retry, deadlineAt, signal, (remainingMs) => send(signal, remainingMs)),
    );
  }

  private mutate<T>(options: CallOptions, send: (signal: AbortSignal, timeoutMs: number) => Promise<T>): Promise<T> {
    // One attempt: a create or delete that failed in transit may have been applied, and retrying it blindly could
    // act twice. The caller retries with the same request id instead.
    return runCall(this.options.timeoutMs, options.signal, (signal, deadlineAt) => send(signal, Math.max(1, deadlineAt - Date.now())));
  }
}

function listFields(query: ListQuery): { pageSize: number; pageToken?: string; filter?: string; orderBy?: string } {
  return {
    pageSize: query.pageSize,
    ...(query.pageToken === undefined ? {} : { pageToken: query.pageToken }),
    ...(query.filter === undefined ? {} : { filter: query.filter }),
    ...(query.orderBy === undefined ? {} : { orderBy: query.orderBy }),
  };
}
