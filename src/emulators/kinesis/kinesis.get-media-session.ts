import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { GET_MEDIA_ERRORS, writeFragment } from '../../mkv/index.js';
import type { GetMediaErrorId, SessionFault } from './kinesis.faults.js';
import type { StartPlan, StartSelectorType } from './kinesis.start-selector.js';
import type { KinesisStreamStore, StoredFragment, StreamState } from './kinesis.store.js';

/**
 * One GetMedia payload: a long-lived chunked `video/webm` response carrying one EBML document per fragment,
 * as the service sends it.
 *
 * Each fragment document is written by the project's MKV writer with, before its Cluster, the tags
 * `AWS_KINESISVIDEO_FRAGMENT_NUMBER`, `_SERVER_TIMESTAMP`, `_PRODUCER_TIMESTAMP` and, after it,
 * `_MILLIS_BEHIND_NOW` (emulator clock minus the fragment's server timestamp) and `_CONTINUATION_TOKEN`
 * (the fragment number: resuming with it starts right after this fragment). Error documents are EBML
 * documents without tracks, cluster or fragment number, holding only `AWS_KINESISVIDEO_ERROR_CODE` (the
 * documented description) and `AWS_KINESISVIDEO_ERROR_ID`.
 *
 * Life cycle: headers are flushed at once (the SDK's `send()` resolves on them, before any fragment exists);
 * retained fragments from the start position are sent back to back; once caught up, the session tails the
 * stream and sends each fragment the producer adds; after `idleEndMs` without a new fragment it ends the
 * payload normally. Bytes leave at most at `bytesPerSecond` (token bucket, small burst) and only as fast as
 * the socket drains (backpressure). Session faults drop the connection, stall it, or inject an error
 * document at an exact byte or fragment boundary.
 */

/** Why a GetMedia payload ended. */
export type GetMediaEndReason = 'idle' | 'error-tag' | 'dropped' | 'client-closed' | 'emulator-closed';

/** A finished GetMedia session, as the emulator reports it to tests. */
export interface GetMediaSessionRecord {
  /** Emulator-wide session number, from 1. */
  readonly id: number;
  readonly stream: string;
  readonly selector: StartSelectorType;
  /** Emulator clock when the headers were sent, and when the session ended. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly reason: GetMediaEndReason;
  /** Complete fragment documents written. */
  readonly fragmentsSent: number;
  /** Payload bytes written (error documents included). */
  readonly bytesSent: number;
  /** Numbers of the first and last fragment written, `undefined` when none. */
  readonly firstFragmentNumber: string | undefined;
  readonly lastFragmentNumber: string | undefined;
  /** Error ids of the error documents written, in order. */
  readonly errorIds: readonly number[];
}

/** What a session needs from the emulator. */
export interface GetMediaSessionContext {
  readonly id: number;
  readonly res: ServerResponse;
  readonly store: KinesisStreamStore;
  readonly stream: StreamState;
  readonly selector: StartSelectorType;
  readonly plan: StartPlan;
  readonly fault: SessionFault | undefined;
  readonly idleEndMs: number;
  readonly bytesPerSecond: number;
  readonly now: () => number;
  readonly isClosing: () => boolean;
  /** Called once, when the response has closed, with the final record. */
  readonly onEnd: (record: GetMediaSessionRecord) => void;
}

/** A queued EBML document: its parts and, for a fragment, the fragment. */
interface Unit {
  readonly parts: readonly Buffer[];
  readonly fragment: StoredFragment | undefined;
  readonly errorId: number | undefined;
}

/** Largest single `write()`: keeps throttling smooth and backpressure responsive. */
const SLICE_BYTES = 64 * 1024;

/** A streaming GetMedia response. Create it with {@link GetMediaSession.start}. */
export class GetMediaSession {
  private cursor: number;
  private readonly startedAt: number;
  private leadingErrorPending: boolean;
  private errorTagDone = false;
  private readonly queue: Unit[] = [];
  private partIndex = 0;
  private partOffset = 0;
  private fragmentsSent = 0;
  private bytesSent = 0;
  private firstFragmentNumber: string | undefined;
  private lastFragmentNumber: string | undefined;
  private readonly errorIds: number[] = [];
  /** After the queue drains: end the payload (error document sent) instead of continuing. */
  private endWhenDrained = false;
  private waiting = false;
  private stopped = false;
  private dropRequested = false;
  private outstandingWrites = 0;
  private reason: GetMediaEndReason | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private throttleTimer: NodeJS.Timeout | undefined;
  private tokens: number;
  private lastRefill = performance.now();
  private readonly burst: number;
  private readonly listener = (): void => this.pump();
  private closed = false;

  private constructor(private readonly ctx: GetMediaSessionContext) {
    this.cursor = ctx.plan.startSeq;
    this.leadingErrorPending = ctx.plan.leadingError4000;
    this.startedAt = ctx.now();
    this.burst = Math.max(16 * 1024, Math.floor(ctx.bytesPerSecond / 20));
    this.tokens = this.burst;
  }

  /** Sends the headers and starts streaming; the session then runs until its response closes. */
  static start(ctx: GetMediaSessionContext): GetMediaSession {
    const session = new GetMediaSession(ctx);
    session.begin();
    return session;
  }

  /** Ends the payload normally (terminating chunk) after the bytes already written. */
  private endPayload(reason: GetMediaEndReason): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reason = reason;
    this.clearTimers();
    this.ctx.res.end();
  }

  private begin(): void {
    const { res, stream } = this.ctx;
    res.writeHead(200, { 'Content-Type': 'video/webm' });
    // Without this the headers would wait for the first body byte, and a client waiting for a live
    // fragment (or a stalled session) would never see the response start.
    res.flushHeaders();
    res.once('close', () => this.onClose());
    stream.listeners.add(this.listener);
    this.pump();
  }

  /** Advances the session as far as it can without waiting. Re-entered on drain, timers and new fragments. */
  private pump(): void {
    if (this.stopped || this.waiting || this.ctx.res.destroyed) return;
    for (;;) {
      if (this.queue.length > 0) {
        if (!this.flush()) return;
        continue;
      }
      // Queue empty: we are at a document boundary.
      if (this.endWhenDrained) {
        this.endPayload('error-tag');
        return;
      }
      if (this.leadingErrorPending) {
        this.leadingErrorPending = false;
        this.enqueueError(4000);
        this.endWhenDrained = this.ctx.plan.endAfterLeadingError;
        continue;
      }
      if (this.applyBoundaryFault()) {
        if (this.stopped || this.queue.length === 0) return;
        continue;
      }
      const next = this.nextFragment();
      if (next === undefined) {
        if (this.queue.length > 0) continue;
        this.armIdle();
        return;
      }
      this.clearIdle();
      this.enqueueFragment(next);
    }
  }

  /** Applies a fault due at this fragment boundary; true when it acted. */
  private applyBoundaryFault(): boolean {
    const { fault } = this.ctx;
    if (fault === undefined) return false;
    switch (fault.kind) {
      case 'drop':
        if (fault.afterBytes !== undefined ? this.bytesSent < fault.afterBytes : fault.afterFragments !== this.fragmentsSent) return false;
        this.drop();
        return true;
      case 'stall':
        if (fault.afterBytes !== undefined ? this.bytesSent < fault.afterBytes : (fault.afterFragments ?? 0) !== this.fragmentsSent) return false;
        this.stall();
        return true;
      case 'errorTag':
        if (this.errorTagDone || (fault.afterFragments ?? 0) !== this.fragmentsSent) return false;
        this.errorTagDone = true;
        this.enqueueError(fault.errorId);
        this.endWhenDrained = fault.end ?? true;
        return true;
    }
  }

  /** The next fragment to send, skipping those before a timestamp selector; a 4000 document if eviction overtook us. */
  private nextFragment(): StoredFragment | undefined {
    const { store, stream, plan } = this.ctx;
    store.evict(stream);
    const first = stream.first();
    if (first !== undefined && this.cursor < first.seq) {
      // Retention evicted fragments this session had not sent yet: say so, then continue from the earliest.
      this.cursor = first.seq;
      this.enqueueError(4000);
      return undefined;
    }
    for (let fragment = stream.at(this.cursor); fragment !== undefined; fragment = stream.at(this.cursor)) {
      const notBefore = plan.notBefore;
      if (notBefore !== undefined) {
        const start = notBefore.type === 'SERVER_TIMESTAMP' ? fragment.serverTimestamp : fragment.producerTimestamp;
        if (start + fragment.durationMs <= notBefore.timestamp) {
          this.cursor += 1;
          continue;
        }
      }
      this.cursor = fragment.seq + 1;
      return fragment;
    }
    return undefined;
  }

  private enqueueFragment(fragment: StoredFragment): void {
    const { content } = fragment;
    const parts = writeFragment({
      tracks: content.tracks,
      tags: content.tags,
      timecodeScale: content.timecodeScale,
      fragmentNumber: fragment.fragmentNumber,
      serverTimestamp: fragment.serverTimestamp,
      producerTimestamp: fragment.producerTimestamp,
      clusterTimecode: fragment.clusterTimecode,
      frames: content.frames,
      millisBehindNow: Math.max(0, Math.round(this.ctx.now() - fragment.serverTimestamp)),
      continuationToken: fragment.fragmentNumber,
    });
    this.queue.push({ parts, fragment, errorId: undefined });
  }

  private enqueueError(errorId: GetMediaErrorId): void {
    const parts = writeFragment({ tracks: [], frames: [], errorCode: GET_MEDIA_ERRORS.get(errorId) ?? 'Error', errorId });
    this.queue.push({ parts, fragment: undefined, errorId });
  }

  /**
   * Writes queued bytes, honouring the byte cap of a drop/stall fault, the send rate and backpressure.
   * Returns true when the head unit was written completely; false when it must wait (or stopped).
   */
  private flush(): boolean {
    const { res, fault } = this.ctx;
    const byteCap = fault !== undefined && fault.kind !== 'errorTag' ? fault.afterBytes : undefined;
    const unit = this.queue[0];
    if (unit === undefined) return true;
    while (this.partIndex < unit.parts.length) {
      if (this.stopped || res.destroyed) return false;
      const part = unit.parts[this.partIndex];
      if (part === undefined) break;
      if (this.partOffset >= part.length) {
        this.partIndex += 1;
        this.partOffset = 0;
        continue;
      }
      if (byteCap !== undefined && this.bytesSent >= byteCap) {
        if (fault?.kind === 'drop') this.drop();
        else this.stall();
        return false;
      }
      this.refill();
      const want = Math.min(part.length - this.partOffset, SLICE_BYTES, byteCap === undefined ? Infinity : byteCap - this.bytesSent);
      if (this.tokens < Math.min(want, this.burst)) {
        this.waitForTokens(Math.min(want, this.burst));
        return false;
      }
      const size = Math.min(want, Math.floor(this.tokens));
      const slice = part.subarray(this.partOffset, this.partOffset + size);
      this.partOffset += size;
      this.tokens -= size;
      this.bytesSent += size;
      this.outstandingWrites += 1;
      const flushed = res.write(slice, () => this.onWritten());
      if (!flushed) {
        this.waiting = true;
        res.once('drain', () => {
          this.waiting = false;
          this.pump();
        });
        return false;
      }
    }
    // The unit is complete.
    this.queue.shift();
    this.partIndex = 0;
    this.partOffset = 0;
    if (unit.fragment !== undefined) {
      this.fragmentsSent += 1;
      this.firstFragmentNumber ??= unit.fragment.fragmentNumber;
      this.lastFragmentNumber = unit.fragment.fragmentNumber;
    }
    if (unit.errorId !== undefined) this.errorIds.push(unit.errorId);
    return true;
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.lastRefill) * this.ctx.bytesPerSecond) / 1000);
    this.lastRefill = now;
  }

  private waitForTokens(needed: number): void {
    const delayMs = Math.max(1, Math.ceil(((needed - this.tokens) * 1000) / this.ctx.bytesPerSecond));
    this.waiting = true;
    this.throttleTimer = setTimeout(() => {
      this.throttleTimer = undefined;
      this.waiting = false;
      this.pump();
    }, delayMs);
  }

  private onWritten(): void {
    this.outstandingWrites -= 1;
    if (this.dropRequested && this.outstandingWrites === 0) this.ctx.res.destroy();
  }

  /** Destroys the connection once every byte already written has reached the socket. */
  private drop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reason = 'dropped';
    this.clearTimers();
    this.dropRequested = true;
    if (this.outstandingWrites === 0) this.ctx.res.destroy();
  }

  /** Stops writing for good without ending the response; the connection stays open until someone closes it. */
  private stall(): void {
    this.stopped = true;
    this.clearTimers();
  }

  private armIdle(): void {
    if (this.idleTimer !== undefined) return;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      this.endPayload('idle');
    }, this.ctx.idleEndMs);
  }

  private clearIdle(): void {
    if (this.idleTimer === undefined) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  private clearTimers(): void {
    this.clearIdle();
    if (this.throttleTimer !== undefined) clearTimeout(this.throttleTimer);
    this.throttleTimer = undefined;
  }

  private onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopped = true;
    this.clearTimers();
    this.ctx.stream.listeners.delete(this.listener);
    const reason = this.reason ?? (this.ctx.isClosing() ? 'emulator-closed' : 'client-closed');
    this.ctx.onEnd({
      id: this.ctx.id,
      stream: this.ctx.stream.info.name,
      selector: this.ctx.selector,
      startedAt: this.startedAt,
      endedAt: this.ctx.now(),
      reason,
      fragmentsSent: this.fragmentsSent,
      bytesSent: this.bytesSent,
      firstFragmentNumber: this.firstFragmentNumber,
      lastFragmentNumber: this.lastFragmentNumber,
      errorIds: [...this.errorIds],
    });
  }
}
