import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { parseCapture } from './kinesis.capture.js';
import { ChangeSignal, EventLog } from '../common/event-log.js';
import type { KinesisFault, KinesisOperation } from './kinesis.faults.js';
import { KinesisFaultSchedule } from './kinesis.faults.js';
import type { GetMediaContext, OpenGetMediaSession } from './kinesis.get-media.js';
import type { GetMediaSessionRecord } from './kinesis.get-media-session.js';
import {
  KVS_DEFAULT_MAX_FRAGMENTS_PER_STREAM,
  KVS_GET_MEDIA_BYTES_PER_SECOND,
  KVS_GET_MEDIA_CALLS_PER_SECOND,
  KVS_GET_MEDIA_IDLE_END_MS,
  KVS_FRAGMENT_NUMBER_PATTERN,
  KVS_MAX_GET_MEDIA_CONNECTIONS_PER_STREAM,
} from './kinesis.limits.js';
import type { AddFragmentOptions, CaptureFeedOptions, ProducerOptions } from './kinesis.producer.js';
import { appendCaptureFragment, appendFragment, repeatEvery } from './kinesis.producer.js';
import type { ListFragmentsOrder } from './kinesis.list-fragments.js';
import type { RecordedRequest } from './kinesis.request-handler.js';
import { KinesisRequestHandler } from './kinesis.request-handler.js';
import type { ExpiredStartPolicy } from './kinesis.start-selector.js';
import type { CreateStreamOptions, EmulatedFragment, StoredFragment, StreamInfo, StreamState } from './kinesis.store.js';
import { KinesisStreamStore, publicFragment } from './kinesis.store.js';
import type { EmulatorStats, FragmentListing, InspectionContext, OpenSessionListing } from './kinesis.inspection.js';
import { emulatorStats, fragmentListing, openSessionListing } from './kinesis.inspection.js';
import type { GetMediaLimits } from './kinesis.stream-limits.js';
import { StreamLimits } from './kinesis.stream-limits.js';

import { closeHttpServer, listenHttp, trackSockets } from '../common/http-lifecycle.js';
import { EmulatorTimers } from '../common/emulator-timers.js';
export type { RecordedRequest } from './kinesis.request-handler.js';
export type { GetMediaErrorId, KinesisFault, KinesisOperation } from './kinesis.faults.js';
export type { GetMediaEndReason, GetMediaSessionRecord } from './kinesis.get-media-session.js';
export type { AddFragmentOptions, CaptureFeedOptions, ProducerOptions } from './kinesis.producer.js';
export type { ExpiredStartPolicy } from './kinesis.start-selector.js';
export type { ListFragmentsOrder } from './kinesis.list-fragments.js';
export type { CreateStreamOptions, EmulatedFragment, StreamInfo } from './kinesis.store.js';
export type { GetMediaLimits, GetMediaStreamStats } from './kinesis.stream-limits.js';
export type { OpenGetMediaSession } from './kinesis.get-media.js';
export type { EmulatorStats, FragmentListing, ListedFragment, OpenSessionListing } from './kinesis.inspection.js';

/** Options of {@link KinesisVideoEmulator.start}. */
export interface KinesisVideoEmulatorOptions {
  /** Interface to bind; default `127.0.0.1`. */
  host?: string;
  /** TCP port; default 0 (ephemeral: read `endpoint`). */
  port?: number;
  /** Clock (epoch ms) for server timestamps, retention, the call-rate window and logs; default `Date.now`. */
  now?: () => number;
  /** Real milliseconds a caught-up GetMedia payload waits for a new fragment before ending; default 3000. */
  idleEndMs?: number;
  /** GetMedia limits; defaults are the documented 5 calls/s, 3 connections, 25 MB/s. */
  limits?: Partial<GetMediaLimits>;
  /** Region and account in ARNs; default `us-east-1`, `123456789012`. */
  region?: string;
  accountId?: string;
  /** Fragments kept per stream beyond which the oldest are evicted; default 5000. */
  maxFragmentsPerStream?: number;
  /** GetMedia start beyond retention: 4000 document then earliest (`continue`, default) or then end (`end`). */
  expiredStart?: ExpiredStartPolicy;
  /**
   * The order ListFragments answers in: `ascending` fragment numbers (default) or `unordered`, a fixed permutation
   * mixed across pages, which the reference allows ("no specific order, even across pages").
   */
  listFragmentsOrder?: ListFragmentsOrder;
  /** Require a SigV4-shaped `Authorization` header; default true (signatures are never verified). */
  requireAuthorization?: boolean;
  /** Receives unexpected internal errors (answered as 500 InternalFailure); default `console.error`. */
  onInternalError?: (error: unknown) => void;
}

function positive(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be a positive number, got ${String(value)}`);
}

/**
 * A wire-level emulator of Amazon Kinesis Video Streams for the real SDK clients: the control plane
 * (`@aws-sdk/client-kinesis-video`), GetMedia (`-media`) and ListFragments (`-archived-media`) on one base URL,
 * which GetDataEndpoint returns. Streams and fragments live in memory; synthetic producers or capture feeds
 * fill them. See PROTOCOL.md beside this file.
 */
export class KinesisVideoEmulator {
  private readonly store: KinesisStreamStore;
  private readonly limits: StreamLimits;
  private readonly faults = new KinesisFaultSchedule();
  private readonly sockets: Set<Socket>;
  private readonly timers = new EmulatorTimers();
  private readonly producers = new Set<() => void>();
  private readonly requestLog = new EventLog<RecordedRequest>(10_000, 'Kinesis Video emulator is closed');
  private readonly sessionLog = new EventLog<GetMediaSessionRecord>(10_000, 'Kinesis Video emulator is closed');
  private readonly fragmentLog = new EventLog<EmulatedFragment>(10_000, 'Kinesis Video emulator is closed');
  private readonly changes = new ChangeSignal('Kinesis Video emulator is closed');
  private readonly openSessions = new Map<number, OpenGetMediaSession>();
  private readonly inspection: InspectionContext;
  private readonly now: () => number;
  private readonly onInternalError: (error: unknown) => void;
  private sessionIds = 0;
  private closing: Promise<void> | undefined;
  private endpointUrl = '';

  private constructor(
    private readonly server: Server,
    options: KinesisVideoEmulatorOptions,
  ) {
    this.now = options.now ?? Date.now;
    const region = options.region ?? 'us-east-1';
    const account = options.accountId ?? '123456789012';
    this.store = new KinesisStreamStore(
      this.now,
      `arn:aws:kinesisvideo:${region}:${account}`,
      `arn:aws:kms:${region}:${account}:alias/aws/kinesisvideo`,
      options.maxFragmentsPerStream ?? KVS_DEFAULT_MAX_FRAGMENTS_PER_STREAM,
    );
    const limits: GetMediaLimits = {
      getMediaCallsPerSecond: options.limits?.getMediaCallsPerSecond ?? KVS_GET_MEDIA_CALLS_PER_SECOND,
      maxConnectionsPerStream: options.limits?.maxConnectionsPerStream ?? KVS_MAX_GET_MEDIA_CONNECTIONS_PER_STREAM,
      bytesPerSecond: options.limits?.bytesPerSecond ?? KVS_GET_MEDIA_BYTES_PER_SECOND,
    };
    this.limits = new StreamLimits(limits, this.now, () => this.changes.notify());
    this.onInternalError = options.onInternalError ?? ((error: unknown) => console.error('Kinesis Video emulator internal error', error));
    const mediaContext: GetMediaContext = {
      store: this.store,
      limits: this.limits,
      faults: this.faults,
      idleEndMs: options.idleEndMs ?? KVS_GET_MEDIA_IDLE_END_MS,
      bytesPerSecond: limits.bytesPerSecond,
      expiredStartPolicy: options.expiredStart ?? 'continue',
      now: this.now,
      isClosing: () => this.closing !== undefined,
      nextSessionId: () => ++this.sessionIds,
      onSessionEnd: (record) => this.sessionLog.push(record),
      openSessions: this.openSessions,
    };
    this.inspection = { store: this.store, limits: this.limits, openSessions: this.openSessions };
    const handler = new KinesisRequestHandler({
      store: this.store,
      limits: this.limits,
      faults: this.faults,
      requestLog: this.requestLog,
      mediaContext,
      now: this.now,
      requireAuthorization: options.requireAuthorization ?? true,
      onInternalError: this.onInternalError,
      timers: this.timers,
      endpoint: () => this.endpointUrl,
      inspection: this.inspection,
      listFragmentsOrder: options.listFragmentsOrder ?? 'ascending',
    });
    // Tracked from the first connection so close() can end idle keep-alive and stalled sockets at once.
    this.sockets = trackSockets(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => handler.handle(req, res));
  }

  /**
   * Starts an emulator listening on `options.host:options.port`.
   *
   * @returns the running emulator; the caller owns it and must `close()` it.
   * @throws the listen error (e.g. `EADDRINUSE`), or RangeError for a non-positive idleEndMs, limit or bound.
   */
  static async start(options: KinesisVideoEmulatorOptions = {}): Promise<KinesisVideoEmulator> {
    positive('idleEndMs', options.idleEndMs);
    positive('limits.getMediaCallsPerSecond', options.limits?.getMediaCallsPerSecond);
    positive('limits.maxConnectionsPerStream', options.limits?.maxConnectionsPerStream);
    positive('limits.bytesPerSecond', options.limits?.bytesPerSecond);
    positive('maxFragmentsPerStream', options.maxFragmentsPerStream);
    const server = createServer();
    const emulator = new KinesisVideoEmulator(server, options);
    emulator.endpointUrl = await listenHttp(server, options.host ?? '127.0.0.1', options.port ?? 0);
    return emulator;
  }

  /** Base URL for every SDK client's `endpoint` (also what GetDataEndpoint returns), e.g. `http://127.0.0.1:43210`. */
  get endpoint(): string {
    return this.endpointUrl;
  }

  /**
   * Creates a stream without HTTP (not recorded in the request log). Unlike the CreateStream operation, whose
   * default retention is the service's 0, this defaults to 24 hours so fragments stay listable.
   *
   * @throws KinesisWireError (`name` = `ResourceInUseException` / `InvalidArgumentException`) for a taken or bad name.
   */
  createStream(name: string, options: CreateStreamOptions = {}): StreamInfo {
    return this.store.create(name, { retentionHours: 24, ...options }).info;
  }

  /** The stream's info, or `undefined` when there is no such stream. */
  streamInfo(name: string): StreamInfo | undefined {
    return this.store.get(name)?.info;
  }

  /**
   * Appends one fragment to `stream` now (deterministic, synchronous: tailing GetMedia sessions receive it and
   * ListFragments lists it before this returns).
   *
   * @throws Error for an unknown stream; RangeError for invalid options or frames.
   */
  addFragment(stream: string, options: AddFragmentOptions = {}): EmulatedFragment {
    const state = this.streamOrThrow(stream);
    return this.logged(appendFragment(this.store, state, this.now(), options));
  }

  /** Retained fragments of `stream`, oldest first (after evicting expired ones). @throws Error for an unknown stream. */
  fragments(stream: string): readonly EmulatedFragment[] {
    const state = this.streamOrThrow(stream);
    this.store.evict(state);
    return state.retained().map(publicFragment);
  }

  /**
   * Starts a live producer: a synthetic fragment of `fragmentIntervalMs` length every `fragmentIntervalMs`
   * real milliseconds, until the returned function is called or the emulator closes.
   *
   * @throws Error for an unknown stream; RangeError for a non-positive interval, fps or size.
   */
  startProducer(stream: string, options: ProducerOptions): () => void {
    const state = this.streamOrThrow(stream);
    const fragmentOptions: AddFragmentOptions = {
      fps: options.fps,
      frameBytes: options.frameBytes,
      durationMs: Math.max(1, Math.round(options.fragmentIntervalMs)),
    };
    // The first fragment is added at once; it also validates the options here rather than inside a timer.
    this.logged(appendFragment(this.store, state, this.now(), fragmentOptions));
    return this.track(
      repeatEvery(
        options.fragmentIntervalMs,
        () => {
          this.logged(appendFragment(this.store, state, this.now(), fragmentOptions));
          return true;
        },
        this.onInternalError,
      ),
    );
  }

  /**
   * Feeds `stream` from a recorded capture (a file path or its bytes), one fragment every `fragmentIntervalMs`
   * real milliseconds, re-stamped with new fragment numbers and timestamps; see `kinesis.capture.ts`. Without
   * `loop` the feed stops after the last fragment. The first fragment is added before this returns.
   *
   * @throws Error for an unknown stream, an unreadable file or a capture without frames; MalformedMediaError
   *   for bytes that are not Matroska.
   */
  feedCapture(stream: string, file: string | Buffer, options: CaptureFeedOptions): () => void {
    const state = this.streamOrThrow(stream);
    const bytes = typeof file === 'string' ? readFileSync(file) : file;
    const { fragments } = parseCapture(bytes);
    let index = 0;
    const next = (): boolean => {
      const fragment = fragments[index];
      if (fragment === undefined) return false;
      this.logged(appendCaptureFragment(this.store, state, this.now(), fragment));
      index += 1;
      if (index >= fragments.length && options.loop) index = 0;
      return index < fragments.length;
    };
    if (!next()) return () => undefined;
    return this.track(repeatEvery(options.fragmentIntervalMs, next, this.onInternalError));
  }

  /**
   * Injects a fault (see {@link KinesisFault} and PROTOCOL.md); `times` omitted = until `clearFaults()`.
   *
   * @throws RangeError for an out-of-range count, delay, status or error id.
   */
  injectFault(fault: KinesisFault): void {
    this.faults.inject(fault);
  }

  /** Removes every injected fault (sessions already stalled stay stalled). */
  clearFaults(): void {
    this.faults.clear();
  }

  /** Open GetMedia connections on `stream` right now. */
  activeGetMedia(stream: string): number {
    return this.limits.active(stream);
  }

  /** Emulator-clock timestamps of every GetMedia attempt naming `stream` (refused ones included), oldest first. */
  getMediaCalls(stream: string): readonly number[] {
    return this.limits.calls(stream);
  }

  /**
   * Lifetime GetMedia counters of every stream (open now, most open at once, calls): what `GET /_emulator/stats`
   * answers. Not affected by `resetRequests()`.
   */
  stats(): EmulatorStats {
    return emulatorStats(this.inspection);
  }

  /**
   * Retained fragments of `stream` in order (numbers and timestamps), only those numbered above `after` when
   * given: what `GET /_emulator/fragments?stream=NAME` answers.
   * @throws Error for an unknown stream; RangeError when `after` is not a fragment number.
   */
  fragmentListing(stream: string, after?: string): FragmentListing {
    if (after !== undefined && !KVS_FRAGMENT_NUMBER_PATTERN.test(after)) throw new RangeError(`after must be a fragment number, got ${JSON.stringify(after)}`);
    return fragmentListing(this.inspection, stream, after === undefined ? undefined : BigInt(after)) ?? this.missing(stream);
  }

  /** GetMedia sessions whose response is open now, with the caller's address and port: `GET /_emulator/sessions`. */
  openGetMediaSessions(): OpenSessionListing {
    return openSessionListing(this.inspection);
  }

  /** Every request since start or the last `resetRequests()`, in arrival order (a snapshot). */
  get requests(): readonly RecordedRequest[] {
    return this.requestLog.entries;
  }

  /** Number of recorded requests, of one operation when given. */
  count(operation?: KinesisOperation): number {
    const entries = this.requestLog.entries;
    return operation === undefined ? entries.length : entries.filter((request) => request.operation === operation).length;
  }

  /** Empties the request log and the GetMedia call log (pending waits keep waiting). */
  resetRequests(): void {
    this.requestLog.reset();
    this.limits.resetCalls();
  }

  /**
   * Resolves with the first recorded request matching `predicate`, already logged or arriving later (it is
   * recorded before it is processed).
   *
   * @throws (rejects) Error when the emulator closes first.
   */
  waitForRequest(predicate: (request: RecordedRequest) => boolean = () => true): Promise<RecordedRequest> {
    return this.requestLog.waitFor(predicate);
  }

  /** Finished GetMedia sessions, oldest first (a snapshot). */
  get getMediaSessions(): readonly GetMediaSessionRecord[] {
    return this.sessionLog.entries;
  }

  /**
   * Resolves when a GetMedia session matching `predicate` has ended (already or later).
   *
   * @throws (rejects) Error when the emulator closes first.
   */
  waitForGetMediaEnd(predicate: (record: GetMediaSessionRecord) => boolean = () => true): Promise<GetMediaSessionRecord> {
    return this.sessionLog.waitFor(predicate);
  }

  /**
   * Resolves once `stream` has exactly `count` open GetMedia connections.
   *
   * @throws (rejects) Error when the emulator closes first.
   */
  waitForActiveGetMedia(stream: string, count: number): Promise<void> {
    return this.changes.waitUntil(() => this.limits.active(stream) === count);
  }

  /**
   * Resolves with the first fragment added (by any producer) matching `predicate`, already or later. The log
   * keeps the last 10 000 fragments.
   *
   * @throws (rejects) Error when the emulator closes first.
   */
  waitForFragment(predicate: (fragment: EmulatedFragment) => boolean = () => true): Promise<EmulatedFragment> {
    return this.fragmentLog.waitFor(predicate);
  }

  /**
   * Stops producers and feeds, ends every GetMedia payload and socket (stalled ones included), clears timers,
   * rejects pending waits, stops listening. Idempotent.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    for (const stop of this.producers) stop();
    this.producers.clear();
    this.timers.clear();
    this.requestLog.close();
    this.sessionLog.close();
    this.fragmentLog.close();
    this.changes.close();
    await closeHttpServer(this.server, this.sockets);
  }

  private streamOrThrow(name: string): StreamState {
    return this.store.get(name) ?? this.missing(name);
  }

  private missing(name: string): never {
    throw new Error(`no Kinesis video stream named ${JSON.stringify(name)}`);
  }

  private logged(fragment: StoredFragment): EmulatedFragment {
    const view = publicFragment(fragment);
    this.fragmentLog.push(view);
    return view;
  }

  private track(stop: () => void): () => void {
    const wrapped = (): void => {
      stop();
      this.producers.delete(wrapped);
    };
    this.producers.add(wrapped);
    return wrapped;
  }
}
