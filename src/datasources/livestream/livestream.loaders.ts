import DataLoader from 'dataloader';
import { DomainError, isDomainError } from '../../core/domain-error.js';
import type { CallOptions } from '../object-store/object-store.js';
import type { DvrSessionsDataSource } from './dvr-sessions.datasource.js';
import { DVR_SESSION_NAME } from './livestream.call.js';
import type { LiveStreamDataSource } from './livestream.datasource.js';
import type { Asset, Channel, DvrSession, LongRunningOperation } from './livestream.types.js';
import type { Api } from '../datasource-api.js';

/** The two Live Stream datasources (the shape of `Services['livestream']`). */
export interface LiveStreamSources {
  readonly api: Api<LiveStreamDataSource>;
  readonly dvr: Api<DvrSessionsDataSource>;
}

/** Per-request Live Stream loaders, keyed by full resource name. */
export interface LiveStreamLoaders {
  /** GetAsset; `null` for an unknown asset. Deduplicated per request. */
  readonly liveStreamAsset: DataLoader<string, Asset | null>;
  /**
   * GetChannel; `null` for an unknown channel. Deduplicated per request. The one way a request reads a channel:
   * `channel`, `DvrSession.channel` and the DVR sessions' derived retention fields all share it, so a request
   * reads each channel at most once (a failed read is kept for the request too, not retried per field).
   */
  readonly liveStreamChannel: DataLoader<string, Channel | null>;
  /** GetDvrSession (REST, without the channel's retention view); `null` for an unknown session. Deduplicated per request. */
  readonly dvrSession: DataLoader<string, DvrSession | null>;
  /** The operation's current state through {@link readLiveStreamOperation}; `null` for an unknown operation. */
  readonly liveStreamOperation: DataLoader<string, LongRunningOperation | null>;
}

/** Which transport an operation is read over. */
export type OperationTransport = 'grpc' | 'rest';

/** An operation as read, and the transport that reads it faithfully (for later polls). */
export interface ReadOperation {
  readonly operation: LongRunningOperation;
  readonly via: OperationTransport;
}

/**
 * The error every Live Stream field fails with when the gateway has no Live Stream API (neither configured nor
 * emulated).
 */
export function liveStreamUnavailable(): DomainError {
  return new DomainError(
    'UPSTREAM_UNAVAILABLE',
    'Google Cloud Live Stream is not configured on this gateway: set LIVESTREAM_PROJECT or allow the embedded emulator.',
    { retryable: false },
  );
}

/** Whether an operation (as read over gRPC) acts on a DVR session, whose result only REST can decode. */
function isDvrOperation(operation: LongRunningOperation): boolean {
  const target = operation.metadata?.target;
  if (target !== undefined && DVR_SESSION_NAME.test(target)) return true;
  return operation.result?.type === 'Unknown' && operation.result.typeUrl.endsWith('.DvrSession');
}

/**
 * Reads an operation over the transport that can decode it. Operation names do not say what they act on, so the
 * operation is read over gRPC first; when its `metadata.target` is a DVR session (whose result the SDK's protos
 * cannot decode) it is read again over REST, and later polls should use `via`.
 *
 * @throws DomainError BAD_USER_INPUT (malformed name), NOT_FOUND, UPSTREAM_*.
 */
export async function readLiveStreamOperation(sources: LiveStreamSources, name: string, options: CallOptions): Promise<ReadOperation> {
  const operation = await sources.api.getOperation(name, options);
  if (!isDvrOperation(operation)) return { operation, via: 'grpc' };
  return { operation: await sources.dvr.getOperation(name, options), via: 'rest' };
}

/** Reads the operation again over `via` (see {@link readLiveStreamOperation}). */
export function rereadLiveStreamOperation(
  sources: LiveStreamSources,
  via: OperationTransport,
  name: string,
  options: CallOptions,
): Promise<LongRunningOperation> {
  return via === 'rest' ? sources.dvr.getOperation(name, options) : sources.api.getOperation(name, options);
}

/** A batch function that gets each distinct key on its own (Live Stream has no batch get); NOT_FOUND -> null. */
function eachKey<T>(get: (name: string) => Promise<T>): DataLoader.BatchLoadFn<string, T | null> {
  return (names) =>
    Promise.all(
      names.map(async (name) => {
        try {
          return await get(name);
        } catch (error) {
          if (isDomainError(error) && error.code === 'NOT_FOUND') return null;
          return error instanceof Error ? error : new Error(String(error));
        }
      }),
    );
}

/**
 * Creates the loaders for one request. A batch becomes one Get per distinct name; DataLoader's cache makes a
 * repeated name cost nothing within the request. Without Live Stream (`sources` undefined) every load fails with
 * {@link liveStreamUnavailable} and nothing is called. Lifetime: one GraphQL operation (a subscription clears
 * the names it re-reads per event).
 */
export function createLiveStreamLoaders(sources: LiveStreamSources | undefined, signal: AbortSignal | undefined): LiveStreamLoaders {
  if (sources === undefined) {
    const unavailable = <T>(): DataLoader.BatchLoadFn<string, T | null> => (names) => Promise.resolve(names.map(() => liveStreamUnavailable()));
    return {
      liveStreamAsset: new DataLoader<string, Asset | null>(unavailable<Asset>()),
      liveStreamChannel: new DataLoader<string, Channel | null>(unavailable<Channel>()),
      dvrSession: new DataLoader<string, DvrSession | null>(unavailable<DvrSession>()),
      liveStreamOperation: new DataLoader<string, LongRunningOperation | null>(unavailable<LongRunningOperation>()),
    };
  }
  return {
    liveStreamAsset: new DataLoader<string, Asset | null>(eachKey((name) => sources.api.getAsset(name, { signal }))),
    liveStreamChannel: new DataLoader<string, Channel | null>(eachKey((name) => sources.api.getChannel(name, { signal }))),
    dvrSession: new DataLoader<string, DvrSession | null>(eachKey((name) => sources.dvr.getDvrSession(name, { signal }))),
    liveStreamOperation: new DataLoader<string, LongRunningOperation | null>(
      eachKey(async (name) => (await readLiveStreamOperation(sources, name, { signal })).operation),
    ),
  };
}
