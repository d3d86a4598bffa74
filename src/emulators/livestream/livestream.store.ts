import { randomBytes } from 'node:crypto';
import type { LongRunningVerbOperation } from './livestream.faults.js';
import { locationOf, parseOperationName } from './livestream.names.js';
import type { RpcStatus } from './livestream.status.js';
import { LiveStreamRpcError } from './livestream.status.js';

/**
 * The emulator's in-memory state, transport-neutral: channels, assets, DVR sessions, long-running operations and
 * the `request_id` index. Times are epoch milliseconds of the emulator clock. The gRPC and REST layers render
 * these records into their wire shapes.
 */

/** Asset.State names. */
export type AssetState = 'CREATING' | 'ACTIVE' | 'DELETING' | 'ERROR';

/** An asset as stored. */
export interface StoredAsset {
  readonly name: string;
  readonly parent: string;
  readonly id: string;
  readonly createTime: number;
  updateTime: number;
  readonly labels: Readonly<Record<string, string>>;
  /** The `oneof resource`: a video or an image in Cloud Storage. */
  readonly resource: { readonly kind: 'video' | 'image'; readonly uri: string };
  readonly crc32c: string;
  state: AssetState;
  /** Only when `state` is ERROR. */
  error: RpcStatus | undefined;
}

/** A channel manifest (the parts DVR sessions refer to). */
export interface ChannelManifest {
  readonly key: string;
  readonly fileName: string;
  readonly type: 'HLS' | 'DASH';
}

/** A channel as stored; channels are seeded, read-only over the wire. */
export interface StoredChannel {
  readonly name: string;
  readonly parent: string;
  readonly id: string;
  readonly createTime: number;
  readonly updateTime: number;
  readonly labels: Readonly<Record<string, string>>;
  /** `output.uri`, e.g. `gs://bucket/outputs/`. */
  readonly outputUri: string;
  readonly manifests: readonly ChannelManifest[];
  /** `retention_config.retention_window_duration` in seconds; `undefined` = no retention config. */
  readonly retentionWindowSeconds: number | undefined;
  /** Channel.StreamingState name. */
  readonly streamingState: string;
}

/** What a DVR session is doing besides following its windows. */
export type DvrSessionPhase = 'PENDING' | 'UPDATING' | 'DELETING' | 'FAILED' | 'READY';

/** A DVR window as a time interval. */
export interface StoredDvrWindow {
  readonly startTime: number;
  readonly endTime: number;
}

/** A DVR session as stored. */
export interface StoredDvrSession {
  readonly name: string;
  /** The channel name. */
  readonly parent: string;
  readonly id: string;
  readonly createTime: number;
  updateTime: number;
  readonly labels: Readonly<Record<string, string>>;
  phase: DvrSessionPhase;
  /** Only when `phase` is FAILED. */
  error: RpcStatus | undefined;
  readonly manifests: ReadonlyArray<{ readonly manifestKey: string; readonly outputUri: string }>;
  windows: readonly StoredDvrWindow[];
}

/** DvrSession.State names the emulator produces (POST_PROCESSING, COOLDOWN and STOPPING never occur). */
export type DvrSessionState = 'PENDING' | 'UPDATING' | 'SCHEDULED' | 'LIVE' | 'FINISHED' | 'FAILED' | 'DELETING';

/**
 * The public state of a session at `now`: its phase while an operation runs or after a failure; otherwise
 * SCHEDULED before the first window starts, LIVE until the last one ends, FINISHED after.
 */
export function dvrSessionState(session: StoredDvrSession, now: number): DvrSessionState {
  if (session.phase !== 'READY') return session.phase;
  const start = Math.min(...session.windows.map((window) => window.startTime));
  const end = Math.max(...session.windows.map((window) => window.endTime));
  if (now < start) return 'SCHEDULED';
  return now < end ? 'LIVE' : 'FINISHED';
}

/** The result an operation carries once done. Snapshots, so later changes to the resource do not show. */
export type OperationResult =
  | { readonly type: 'Asset'; readonly asset: StoredAsset }
  | { readonly type: 'DvrSession'; readonly session: StoredDvrSession }
  | { readonly type: 'Empty' };

/** A long-running operation as stored. */
export interface StoredOperation {
  readonly name: string;
  /** `projects/{p}/locations/{l}` the operation lives in. */
  readonly location: string;
  readonly kind: LongRunningVerbOperation;
  readonly createTime: number;
  endTime: number | undefined;
  readonly target: string;
  readonly verb: 'create' | 'update' | 'delete';
  requestedCancellation: boolean;
  done: boolean;
  error: RpcStatus | undefined;
  result: OperationResult | undefined;
  /** When the operation completes by itself (emulator clock). */
  readonly dueAt: number;
  /** Removed by DeleteOperation: no longer readable, still completes. */
  deleted: boolean;
}

/** The resource-specific effects of an operation, supplied by whoever starts it. */
export interface OperationEffects {
  /** Applies success and returns the result to store. */
  readonly complete: () => OperationResult;
  /** Applies failure (the resource's failed state). */
  readonly fail: (status: RpcStatus) => void;
  /** Undoes the operation's effect after CancelOperation. */
  readonly cancel: () => void;
}

interface PendingOperation {
  readonly operation: StoredOperation;
  readonly effects: OperationEffects;
  readonly failure: RpcStatus | undefined;
}

/** Options of {@link LiveStreamStore}. */
export interface LiveStreamStoreOptions {
  readonly now: () => number;
  /** How long an operation runs before it completes, in ms of the emulator clock. */
  readonly operationDurationMs: number;
  /** How long a `request_id` is remembered, in ms (documented: at least 60 minutes). */
  readonly requestIdWindowMs: number;
  /** Called for every newly started operation (the emulator arms a real timer for it in real-timer mode). */
  readonly onOperationStarted: (operation: StoredOperation) => void;
  /** Called whenever an operation finished (completed, failed or cancelled). */
  readonly onOperationDone: (operation: StoredOperation) => void;
}

/** Channels, assets, DVR sessions, operations and the request-id index of one emulator. */
export class LiveStreamStore {
  readonly channels = new Map<string, StoredChannel>();
  readonly assets = new Map<string, StoredAsset>();
  readonly dvrSessions = new Map<string, StoredDvrSession>();
  private readonly operations = new Map<string, StoredOperation>();
  private readonly pending = new Map<string, PendingOperation>();
  private readonly requestIds = new Map<string, { readonly operation: string; readonly at: number }>();

  constructor(private readonly options: LiveStreamStoreOptions) {}

  /** The emulator clock, epoch ms. */
  now(): number {
    return this.options.now();
  }

  /**
   * The operation an earlier request with the same `requestId` started for `method`, if remembered; requests
   * without an id never match.
   */
  findByRequestId(method: LongRunningVerbOperation, requestId: string | undefined): StoredOperation | undefined {
    if (requestId === undefined) return undefined;
    const entry = this.requestIds.get(`${method}\0${requestId}`);
    if (entry === undefined || this.now() - entry.at > this.options.requestIdWindowMs) return undefined;
    return this.operations.get(entry.operation);
  }

  /**
   * Starts a long-running operation on `target`. It completes `operationDurationMs` later (via {@link settleDue}
   * or a timer the emulator arms), or fails with `failure` when one is planned.
   */
  startOperation(
    kind: LongRunningVerbOperation,
    target: string,
    verb: StoredOperation['verb'],
    requestId: string | undefined,
    failure: RpcStatus | undefined,
    effects: OperationEffects,
  ): StoredOperation {
    const location = locationOf(target);
    if (location === undefined) throw new Error(`operation target ${target} has no location`);
    const createTime = this.now();
    const operation: StoredOperation = {
      name: `${location}/operations/operation-${createTime}-${randomBytes(7).toString('hex')}`,
      location,
      kind,
      createTime,
      endTime: undefined,
      target,
      verb,
      requestedCancellation: false,
      done: false,
      error: undefined,
      result: undefined,
      dueAt: createTime + this.options.operationDurationMs,
      deleted: false,
    };
    this.operations.set(operation.name, operation);
    this.pending.set(operation.name, { operation, effects, failure });
    if (requestId !== undefined) {
      this.forgetExpiredRequestIds();
      this.requestIds.set(`${kind}\0${requestId}`, { operation: operation.name, at: createTime });
    }
    this.options.onOperationStarted(operation);
    return operation;
  }

  /**
   * The operation named `name`.
   *
   * @throws LiveStreamRpcError INVALID_ARGUMENT for a malformed name, NOT_FOUND when unknown or deleted.
   */
  getOperation(name: string): StoredOperation {
    parseOperationName(name);
    const operation = this.operations.get(name);
    if (operation === undefined || operation.deleted) throw new LiveStreamRpcError('NOT_FOUND', `Operation ${name} not found.`);
    return operation;
  }

  /** Readable operations of one location, in creation order. */
  listOperations(location: string): StoredOperation[] {
    return [...this.operations.values()].filter((operation) => operation.location === location && !operation.deleted);
  }

  /**
   * DeleteOperation: forgets the operation for readers; a running one still completes (AIP-151).
   *
   * @throws LiveStreamRpcError NOT_FOUND when unknown.
   */
  deleteOperation(name: string): void {
    this.getOperation(name).deleted = true;
  }

  /**
   * CancelOperation: a running operation ends at once with CANCELLED and its effect is undone; a finished one
   * is left as it is.
   *
   * @throws LiveStreamRpcError NOT_FOUND when unknown.
   */
  cancelOperation(name: string): void {
    const operation = this.getOperation(name);
    const pending = this.pending.get(name);
    if (pending === undefined) return;
    this.pending.delete(name);
    operation.requestedCancellation = true;
    pending.effects.cancel();
    this.finish(operation, { status: 'CANCELLED', message: 'Operation was cancelled.' }, undefined);
  }

  /** Number of operations still running. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** The operations still running, in start order (a snapshot). */
  runningOperations(): StoredOperation[] {
    return [...this.pending.values()].map((pending) => pending.operation);
  }

  /** Completes (or fails) one running operation now, whatever its due time; `false` if it is not running. */
  settle(name: string): boolean {
    const pending = this.pending.get(name);
    if (pending === undefined) return false;
    this.pending.delete(name);
    if (pending.failure !== undefined) {
      pending.effects.fail(pending.failure);
      this.finish(pending.operation, pending.failure, undefined);
    } else {
      this.finish(pending.operation, undefined, pending.effects.complete());
    }
    return true;
  }

  /** Settles, in due order, every running operation due at or before `now()`; returns how many. */
  settleDue(): number {
    const due = [...this.pending.values()]
      .filter((pending) => pending.operation.dueAt <= this.now())
      .sort((left, right) => left.operation.dueAt - right.operation.dueAt);
    for (const pending of due) this.settle(pending.operation.name);
    return due.length;
  }

  /** Settles every running operation now, in due order; returns how many. */
  settleAll(): number {
    const all = [...this.pending.values()].sort((left, right) => left.operation.dueAt - right.operation.dueAt);
    for (const pending of all) this.settle(pending.operation.name);
    return all.length;
  }

  /** Drops request ids past the window once the index grows, so a long-running emulator stays bounded. */
  private forgetExpiredRequestIds(): void {
    if (this.requestIds.size < 10_000) return;
    const oldest = this.now() - this.options.requestIdWindowMs;
    for (const [key, entry] of this.requestIds) if (entry.at < oldest) this.requestIds.delete(key);
  }

  private finish(operation: StoredOperation, error: RpcStatus | undefined, result: OperationResult | undefined): void {
    operation.done = true;
    operation.endTime = this.now();
    operation.error = error;
    operation.result = result;
    this.options.onOperationDone(operation);
  }
}
