import { createServer } from 'node:http';
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Server as GrpcServer, ServerCredentials } from '@grpc/grpc-js';
import type { ResourceContext } from './livestream.assets.js';
import type { LiveStreamFault, LiveStreamOperation, LiveStreamTransport } from './livestream.faults.js';
import type { PageSizePolicy } from './livestream.list-query.js';
import { LiveStreamFaultSchedule } from './livestream.faults.js';
import type { GrpcContext } from './livestream.grpc.js';
import { liveStreamServiceImplementation, operationsServiceImplementation } from './livestream.grpc.js';
import { parseAssetName, parseChannelName, parseDvrSessionName } from './livestream.names.js';
import { loadLiveStreamServices } from './livestream.protos.js';
import type { RecordedRequest } from './livestream.request-log.js';
import { RequestLog } from './livestream.request-log.js';
import { handleRestRequest } from './livestream.rest.js';
import type { RpcStatus } from './livestream.status.js';
import type { AssetState, ChannelManifest, StoredAsset, StoredDvrSession, StoredDvrWindow, StoredOperation } from './livestream.store.js';
import { LiveStreamStore } from './livestream.store.js';

import { closeHttpServer, listenHttp, trackSockets } from '../common/http-lifecycle.js';
import { EmulatorTimers } from '../common/emulator-timers.js';
export type { LiveStreamFault, LiveStreamOperation, LiveStreamTransport, LongRunningVerbOperation } from './livestream.faults.js';
export type { RecordedRequest } from './livestream.request-log.js';
export type { RpcStatus, RpcStatusName } from './livestream.status.js';
export type { AssetState, ChannelManifest, DvrSessionState } from './livestream.store.js';
export type { PageSizePolicy } from './livestream.list-query.js';

/** Options of {@link LiveStreamEmulator.start}. */
export interface LiveStreamEmulatorOptions {
  /** Interface both servers bind; default `127.0.0.1`. */
  host?: string;
  /** gRPC port; default 0 (ephemeral: read `grpcPort`). */
  grpcPort?: number;
  /** REST port; default 0 (ephemeral: read `restEndpoint`). */
  restPort?: number;
  /**
   * `real` (default): the clock is `now` and operations complete on real timers. `manual`: the clock starts at
   * `now()` and only moves with {@link LiveStreamEmulator.advance}; nothing happens by itself (tests).
   */
  timers?: 'real' | 'manual';
  /** Clock in epoch ms; default `Date.now`. In `manual` mode only its value at start is used. */
  now?: () => number;
  /** How long a long-running operation runs before it completes, in ms; default 2000. */
  operationDurationMs?: number;
  /** How long a `request_id` is remembered, in ms; default 60 minutes (the documented guarantee). */
  requestIdWindowMs?: number;
  /** REST: require `Authorization: Bearer ...`; default true. */
  requireRestAuthorization?: boolean;
  /** gRPC: require an `authorization` metadata entry; default false (PROTOCOL.md explains why). */
  requireGrpcAuthorization?: boolean;
  /** Receives unexpected internal errors (answered as INTERNAL); default `console.error`. */
  onInternalError?: (error: unknown) => void;
  /**
   * How many items every list page holds for the `page_size` asked (0 = left to the server). Default: that page
   * size, 50 for 0, at most 1000. The reference lets the server pick, so clients must cope with fewer or more.
   */
  pageSizes?: PageSizePolicy;
}

/** A channel to seed (channels are read-only over the wire). */
export interface SeedChannel {
  /** `projects/{p}/locations/{l}/channels/{id}`. */
  readonly name: string;
  readonly outputUri: string;
  readonly manifests?: readonly ChannelManifest[];
  /** Retention window in seconds; omitted = no retention config (then no DVR sessions can be created). */
  readonly retentionWindowSeconds?: number;
  readonly streamingState?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Epoch ms; default the emulator clock. */
  readonly createTime?: number;
}

/** An asset to seed. */
export interface SeedAsset {
  /** `projects/{p}/locations/{l}/assets/{id}`. */
  readonly name: string;
  readonly resource: { readonly kind: 'video' | 'image'; readonly uri: string };
  readonly state?: AssetState;
  readonly error?: RpcStatus;
  readonly labels?: Readonly<Record<string, string>>;
  readonly crc32c?: string;
  readonly createTime?: number;
}

/** A DVR session to seed (its channel must exist; the output URI is derived like the API does). */
export interface SeedDvrSession {
  /** `projects/{p}/locations/{l}/channels/{c}/dvrSessions/{id}`. */
  readonly name: string;
  readonly manifestKey: string;
  readonly windows: readonly StoredDvrWindow[];
  readonly labels?: Readonly<Record<string, string>>;
  /** Seeds a FAILED session with this error. */
  readonly failed?: RpcStatus;
  readonly createTime?: number;
}

function positive(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0)) throw new RangeError(`${name} must be a number >= 0, got ${String(value)}`);
}

/**
 * A wire-level emulator of the Google Cloud Live Stream API v1: a gRPC server with LivestreamService (assets,
 * channels) and google.longrunning.Operations for the real `@google-cloud/livestream` client, and an HTTP server
 * with the REST DVR session and operation routes for google-auth-library clients. One in-memory state backs both.
 * See PROTOCOL.md beside this file.
 */
export class LiveStreamEmulator {
  private readonly store: LiveStreamStore;
  private readonly faults = new LiveStreamFaultSchedule();
  private readonly log = new RequestLog(10_000);
  private readonly sockets: Set<Socket>;
  private readonly timers = new EmulatorTimers();
  private readonly operationTimers = new Map<string, NodeJS.Timeout>();
  private readonly manual: boolean;
  /** Real timers only: operations are not completed by timers while true (see pauseOperations). */
  private operationsPaused = false;
  private readonly clock: () => number;
  private manualNow: number;
  private closing: Promise<void> | undefined;
  private grpcBoundPort = 0;
  private restUrl = '';
  private boundHost = '';

  private constructor(
    private readonly grpcServer: GrpcServer,
    private readonly httpServer: HttpServer,
    options: LiveStreamEmulatorOptions,
  ) {
    this.manual = options.timers === 'manual';
    this.clock = options.now ?? Date.now;
    this.manualNow = this.clock();
    const onInternalError = options.onInternalError ?? ((error: unknown) => console.error('Live Stream emulator internal error', error));
    this.store = new LiveStreamStore({
      now: () => this.now(),
      operationDurationMs: options.operationDurationMs ?? 2000,
      requestIdWindowMs: options.requestIdWindowMs ?? 60 * 60 * 1000,
      onOperationStarted: (operation) => {
        if (!this.manual && !this.operationsPaused) this.armOperationTimer(operation);
      },
      onOperationDone: (operation) => {
        const timer = this.operationTimers.get(operation.name);
        if (timer !== undefined) clearTimeout(timer);
        this.operationTimers.delete(operation.name);
      },
    });
    const delay = (ms: number, run: () => void): void => this.timers.delay(ms, run);
    const resources: ResourceContext = { store: this.store, faults: this.faults, pageSizes: options.pageSizes };
    const common = { ...resources, now: () => this.now(), record: (request: RecordedRequest) => this.log.push(request), delay, onInternalError };
    const grpcContext: GrpcContext = { ...common, requireAuthorization: options.requireGrpcAuthorization ?? false };
    const services = loadLiveStreamServices();
    grpcServer.addService(services.liveStream, liveStreamServiceImplementation(grpcContext));
    grpcServer.addService(services.operations, operationsServiceImplementation(grpcContext));
    const restContext = { ...common, requireAuthorization: options.requireRestAuthorization ?? true };
    this.sockets = trackSockets(httpServer);
    httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => handleRestRequest(restContext, req, res));
  }

  /**
   * Starts the gRPC and REST servers.
   *
   * @returns the running emulator; the caller owns it and must `close()` it.
   * @throws the bind error of either server (e.g. `EADDRINUSE`), or RangeError for a negative duration/window.
   */
  static async start(options: LiveStreamEmulatorOptions = {}): Promise<LiveStreamEmulator> {
    positive('operationDurationMs', options.operationDurationMs);
    positive('requestIdWindowMs', options.requestIdWindowMs);
    const host = options.host ?? '127.0.0.1';
    const emulator = new LiveStreamEmulator(new GrpcServer(), createServer(), options);
    const bindHost = host.includes(':') ? `[${host}]` : host;
    try {
      emulator.grpcBoundPort = await new Promise<number>((resolve, reject) => {
        emulator.grpcServer.bindAsync(`${bindHost}:${options.grpcPort ?? 0}`, ServerCredentials.createInsecure(), (error, port) =>
          error ? reject(error) : resolve(port),
        );
      });
      emulator.restUrl = await listenHttp(emulator.httpServer, host, options.restPort ?? 0);
    } catch (error) {
      emulator.grpcServer.forceShutdown();
      throw error;
    }
    emulator.boundHost = host;
    return emulator;
  }

  /** The host both servers listen on, for the SDK's `apiEndpoint`. */
  get host(): string {
    return this.boundHost;
  }

  /** The gRPC port, for the SDK's `port`. */
  get grpcPort(): number {
    return this.grpcBoundPort;
  }

  /** Base URL of the REST API (no `/v1`), e.g. `http://127.0.0.1:43210`. */
  get restEndpoint(): string {
    return this.restUrl;
  }

  /** The emulator clock, epoch ms. */
  now(): number {
    return this.manual ? this.manualNow : this.clock();
  }

  /**
   * `manual` timers only: moves the clock forward by `ms` and completes every operation due by then, in due
   * order. DVR session states follow the new time.
   *
   * @returns the number of operations completed.
   * @throws Error in `real` timer mode; RangeError for a negative `ms`.
   */
  advance(ms: number): number {
    if (!this.manual) throw new Error('advance() needs timers: "manual"');
    if (!(Number.isFinite(ms) && ms >= 0)) throw new RangeError(`advance ms must be >= 0, got ${String(ms)}`);
    this.manualNow += ms;
    return this.store.settleDue();
  }

  /**
   * `real` timers: stops completing operations by timer until {@link resumeOperations}. Running and newly started
   * operations stay running (their resources CREATING, PENDING, ...) however long past their due time, and end
   * only with {@link completePendingOperations}, so a test sees a running operation for as long as it needs
   * without racing `operationDurationMs`. The clock keeps running. In `manual` mode nothing completes by itself
   * anyway and this changes nothing. Idempotent.
   */
  pauseOperations(): void {
    this.operationsPaused = true;
    for (const timer of this.operationTimers.values()) clearTimeout(timer);
    this.operationTimers.clear();
  }

  /**
   * Ends {@link pauseOperations}: every operation still running completes at its due time again (at once when
   * that has passed). Does nothing when not paused or once the emulator is closing.
   */
  resumeOperations(): void {
    if (!this.operationsPaused) return;
    this.operationsPaused = false;
    if (this.manual || this.closing !== undefined) return;
    for (const operation of this.store.runningOperations()) this.armOperationTimer(operation);
  }

  /** Completes every running operation now (either timer mode), each as planned (success or injected failure). */
  completePendingOperations(): number {
    return this.store.settleAll();
  }

  /** Number of operations still running. */
  get pendingOperations(): number {
    return this.store.pendingCount;
  }

  /** Every request kept in the log, in arrival order (a snapshot). */
  get requests(): readonly RecordedRequest[] {
    return this.log.entries;
  }

  /** Requests received since start or the last reset, of one operation (and transport) when given. */
  count(operation?: LiveStreamOperation, transport?: LiveStreamTransport): number {
    return this.log.count(operation, transport);
  }

  /** Empties the request log and counters (pending `waitForRequest` calls keep waiting). */
  resetRequests(): void {
    this.log.reset();
  }

  /**
   * Resolves with the first recorded request matching `predicate`, already in the log or arriving later. It
   * settles when the request is recorded, before it is processed.
   *
   * @throws (rejects) Error when the emulator closes first.
   */
  waitForRequest(predicate: (request: RecordedRequest) => boolean = () => true): Promise<RecordedRequest> {
    return this.log.waitFor(predicate);
  }

  /**
   * Injects a fault (see {@link LiveStreamFault}); `times` omitted = until `clearFaults()`.
   *
   * @throws RangeError for a non-positive `times` or a negative `ms`.
   */
  injectFault(fault: LiveStreamFault): void {
    this.faults.inject(fault);
  }

  /** Removes every injected fault. Requests already stalled stay stalled. */
  clearFaults(): void {
    this.faults.clear();
  }

  /**
   * Stores a channel without a request (seeding; not logged). Replaces one of the same name.
   *
   * @throws LiveStreamRpcError INVALID_ARGUMENT for a malformed name.
   */
  putChannelDirect(seed: SeedChannel): void {
    const { parent, id } = parseChannelName(seed.name);
    const createTime = seed.createTime ?? this.now();
    this.store.channels.set(seed.name, {
      name: seed.name,
      parent,
      id,
      createTime,
      updateTime: createTime,
      labels: { ...seed.labels },
      outputUri: seed.outputUri,
      manifests: [...(seed.manifests ?? [])],
      retentionWindowSeconds: seed.retentionWindowSeconds,
      streamingState: seed.streamingState ?? 'STOPPED',
    });
  }

  /**
   * Stores an asset without a request (seeding; not logged), ACTIVE unless `state` says otherwise.
   *
   * @throws LiveStreamRpcError INVALID_ARGUMENT for a malformed name.
   */
  putAssetDirect(seed: SeedAsset): void {
    const { parent, id } = parseAssetName(seed.name);
    const createTime = seed.createTime ?? this.now();
    const asset: StoredAsset = {
      name: seed.name,
      parent,
      id,
      createTime,
      updateTime: createTime,
      labels: { ...seed.labels },
      resource: { ...seed.resource },
      crc32c: seed.crc32c ?? '',
      state: seed.state ?? 'ACTIVE',
      error: seed.error,
    };
    this.store.assets.set(seed.name, asset);
  }

  /**
   * Stores a DVR session without a request (seeding; not logged).
   *
   * @throws LiveStreamRpcError INVALID_ARGUMENT for a malformed name; Error when the channel or manifest is unknown.
   */
  putDvrSessionDirect(seed: SeedDvrSession): void {
    const { parent, id } = parseDvrSessionName(seed.name);
    const channel = this.store.channels.get(parent);
    const manifest = channel?.manifests.find((candidate) => candidate.key === seed.manifestKey);
    if (channel === undefined || manifest === undefined) throw new Error(`seed DVR session ${seed.name}: unknown channel or manifest key`);
    const createTime = seed.createTime ?? this.now();
    const session: StoredDvrSession = {
      name: seed.name,
      parent,
      id,
      createTime,
      updateTime: createTime,
      labels: { ...seed.labels },
      phase: seed.failed === undefined ? 'READY' : 'FAILED',
      error: seed.failed,
      manifests: [{ manifestKey: seed.manifestKey, outputUri: `${channel.outputUri.replace(/\/+$/, '')}/dvr/${id}/${manifest.fileName}` }],
      windows: seed.windows.map((window) => ({ ...window })),
    };
    this.store.dvrSessions.set(seed.name, session);
  }

  /** Number of stored assets (assertions; not logged). */
  get assetCount(): number {
    return this.store.assets.size;
  }

  /** Number of stored DVR sessions (assertions; not logged). */
  get dvrSessionCount(): number {
    return this.store.dvrSessions.size;
  }

  /**
   * Stops both servers: running gRPC calls are cancelled, REST sockets destroyed (stalled ones included), timers
   * cleared, pending `waitForRequest` calls rejected. Running operations stay unfinished. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Completes `operation` on a real timer at its due time. */
  private armOperationTimer(operation: StoredOperation): void {
    const timer = setTimeout(() => {
      this.operationTimers.delete(operation.name);
      this.store.settle(operation.name);
    }, Math.max(0, operation.dueAt - this.now()));
    this.operationTimers.set(operation.name, timer);
  }

  private async shutdown(): Promise<void> {
    for (const timer of this.operationTimers.values()) clearTimeout(timer);
    this.timers.clear();
    this.operationTimers.clear();
    this.log.close();
    this.grpcServer.forceShutdown();
    await closeHttpServer(this.httpServer, this.sockets);
  }
}
