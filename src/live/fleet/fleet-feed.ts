import type { MediaStart } from '../../datasources/kinesis/kinesis.types.js';
import { DomainError } from '../../core/domain-error.js';
import { liveFragmentsDelivered, liveFragmentsReceived, liveGaps, liveSubscribers, streamLabel } from '../../core/metrics.js';
import type { Fragment } from '../../mkv/fragment.type.js';
import { compareFragmentNumbers } from '../../mkv/kinesis-tags.js';
import { fanOutLive, placeInWindow, replayWindow, stampOf } from '../feed-window.js';
import type { FeedStatus, GapReason } from '../live.types.js';
import { MediaReader, type MediaOpener, type MediaReaderOptions, type StreamLimits } from '../media-reader.js';
import { Subscriber, type OverflowPolicy } from '../subscriber.js';
import type { LogEntry } from './log-entry.js';
import type { HolderStatus } from './log-tail.js';

/** Tunables of a {@link FleetFeed}. */
export interface FleetFeedOptions {
  /** For catch-up readers (their retention fallback is always EARLIEST). */
  readonly reader: Omit<MediaReaderOptions, 'retentionFallback'>;
  /** Fragments of the log kept here for subscribers starting slightly in the past; at least 1. */
  readonly windowSize: number;
  readonly subscriberBuffer: number;
  readonly overflow: OverflowPolicy;
  /** How long the end of a stream (KMS, deleted) is remembered so new subscribers fail at once, in ms. */
  readonly fatalCooldownMs: number;
  readonly now: () => number;
}

/** The status subscribers hear while this instance cannot reach Redis. */
export const OUTAGE_DETAIL = 'coordination store unreachable';

/**
 * One instance's fan-out of one stream in fleet mode: the local side of the fleet log. It mirrors the newest
 * `windowSize` fragments of the log, delivers each log entry to every local subscriber (bounded buffers, gaps on
 * overflow: the {@link Subscriber}s of the in-process hub), and serves starts in the past from that window, or,
 * before it, from a private catch-up reader that draws on the fleet-wide budgets and hands over to the log at the
 * seam (dedupe by fragment number makes the seam exact), as the in-process `StreamFeed` does with its own live
 * reader. Subscribers that arrive before the window is read wait for it.
 *
 * Fragments are delivered once and in order: anything at or before the newest fragment held is dropped. Each logged
 * fragment names the one logged before it; when that is not the newest one held (this instance was cut off while
 * the log moved past, or Redis lost the log), the hole reaches live subscribers as a RETENTION gap, never silently.
 */
export class FleetFeed {
  private readonly subscribers = new Set<Subscriber>();
  private readonly waiting = new Map<Subscriber, MediaStart>();
  private readonly catchUps = new Map<Subscriber, MediaReader>();
  private window: Fragment[] = [];
  private primed = false;
  private holderStatus: HolderStatus;
  private outage = false;
  /** Back from an outage without knowing the holder's status (Redis lost it): RECONNECTING until an entry says more. */
  private awaitingEntry = false;
  private fatal: { error: DomainError; at: number } | undefined;
  /** This stream's metric children, resolved once: the fan-out records per fragment, never per subscriber. */
  private readonly metrics;

  constructor(
    readonly stream: string,
    private readonly open: MediaOpener,
    private readonly limits: StreamLimits,
    private readonly options: FleetFeedOptions,
    /** Called when the last subscriber leaves. */
    private readonly onEmpty: () => void,
  ) {
    if (!Number.isSafeInteger(options.windowSize) || options.windowSize < 1) {
      throw new RangeError(`The replay window must hold at least 1 fragment, got ${String(options.windowSize)}.`);
    }
    const label = streamLabel(stream);
    this.metrics = { received: liveFragmentsReceived.labels(label), delivered: liveFragmentsDelivered.labels(label), subscribers: liveSubscribers.labels(label) };
  }

  /** Subscribers attached or waiting for the window. */
  get subscriberCount(): number {
    return this.subscribers.size + this.waiting.size;
  }

  /** The newest fragment number held, or null. */
  get newest(): string | null {
    return this.window[this.window.length - 1]?.fragmentNumber ?? null;
  }

  /** Fragments in the window. */
  get windowSize(): number {
    return this.window.length;
  }

  /** Catch-up readers running. */
  get catchUpCount(): number {
    return this.catchUps.size;
  }

  /** Adds a subscriber starting at `start` and returns its iterator. */
  subscribe(start: MediaStart, signal: AbortSignal): Subscriber {
    const subscriber = new Subscriber(this.stream, this.options.subscriberBuffer, this.options.overflow, (s) => this.remove(s));
    if (this.fatal !== undefined && this.options.now() - this.fatal.at < this.options.fatalCooldownMs) {
      subscriber.offerStatus('ENDED', this.fatal.error.code);
      subscriber.failAfterQueued(this.fatal.error);
      return subscriber;
    }
    this.fatal = undefined;
    if (signal.aborted) {
      void subscriber.return();
      return subscriber;
    }
    signal.addEventListener('abort', () => void subscriber.return(), { once: true });
    this.metrics.subscribers.inc();
    if (!this.primed) {
      this.waiting.set(subscriber, start);
      if (this.outage) subscriber.offerStatus('RECONNECTING', OUTAGE_DETAIL);
      return subscriber;
    }
    this.attach(subscriber, start);
    return subscriber;
  }

  /**
   * The log as the tail first read it: fills the window and positions the subscribers that waited for it. `ended`:
   * the stream ended less than a cooldown ago; they fail with its code, as later subscribers will until it is over.
   */
  prime(entries: readonly LogEntry[], status: HolderStatus, ended?: Extract<LogEntry, { kind: 'end' }>): void {
    this.holderStatus = status;
    this.outage = false;
    for (const entry of entries) {
      if (entry.kind === 'fragment') this.keep(entry.fragment);
      else if (entry.kind === 'gap' && entry.reason === 'UPSTREAM_RESET') this.window = [];
      else if (entry.kind === 'status') this.holderStatus = { status: entry.status, detail: entry.detail };
    }
    this.primed = true;
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const [subscriber, start] of waiting) this.attach(subscriber, start);
    if (ended !== undefined) this.end(ended);
  }

  /** Entries appended to the log, in order. */
  apply(entries: readonly LogEntry[]): void {
    for (const entry of entries) {
      switch (entry.kind) {
        case 'fragment':
          this.onFragment(entry.fragment, entry.prev);
          break;
        case 'gap':
          // Before the gap reaches anyone: the fragment after a reset is the first of a new numbering.
          if (entry.reason === 'UPSTREAM_RESET') this.window = [];
          this.offerGap(entry.reason, entry.after, entry.before);
          break;
        case 'status':
          this.awaitingEntry = false;
          this.holderStatus = { status: entry.status, detail: entry.detail };
          if (!this.outage) for (const subscriber of this.subscribers) subscriber.offerStatus(entry.status, entry.detail);
          break;
        case 'end':
          this.end(entry);
          break;
        case 'handover':
          break;
      }
    }
  }

  /** Redis became unreachable, or reachable again (with the holder's current status). */
  setOutage(down: boolean, status: HolderStatus): void {
    this.outage = down;
    if (down) {
      for (const subscriber of [...this.subscribers, ...this.waiting.keys()]) subscriber.offerStatus('RECONNECTING', OUTAGE_DETAIL);
      return;
    }
    if (status === undefined) {
      // The status key is gone (Redis lost its data): what was true before the outage may not be any more.
      this.awaitingEntry = true;
      return;
    }
    this.holderStatus = status;
    for (const subscriber of this.subscribers) subscriber.offerStatus(status.status, status.detail);
  }

  /** Ends every subscriber and stops the catch-up readers. */
  async close(): Promise<void> {
    for (const subscriber of [...this.subscribers, ...this.waiting.keys()]) void subscriber.return();
    const readers = [...this.catchUps.values()];
    this.catchUps.clear();
    await Promise.all(readers.map((reader) => reader.stop()));
  }

  private onFragment(fragment: Fragment, prev: string | null): void {
    const number = fragment.fragmentNumber;
    if (number === null) return;
    if (this.awaitingEntry) {
      // Fragments flow again: the reader is connected, whoever it is.
      this.awaitingEntry = false;
      this.holderStatus = { status: 'CONNECTED', detail: null };
      for (const subscriber of this.subscribers) subscriber.offerStatus('CONNECTED', null);
    }
    const newest = this.newest;
    if (newest !== null) {
      if (compareFragmentNumbers(number, newest) <= 0) return;
      // `prev` older than what is held: the log was rebuilt around fragments this instance already has; no loss.
      if (prev === null || compareFragmentNumbers(prev, newest) > 0) this.offerGap('RETENTION', newest, number);
    }
    this.keep(fragment);
    // Delivery latency counts from Kinesis through the holder and Redis to this instance's subscribers.
    fanOutLive(this.subscribers, fragment, this.metrics);
  }

  private keep(fragment: Fragment): void {
    const newest = this.newest;
    if (fragment.fragmentNumber === null || (newest !== null && compareFragmentNumbers(fragment.fragmentNumber, newest) <= 0)) return;
    this.window.push(fragment);
    if (this.window.length > this.options.windowSize) this.window = this.window.slice(-this.options.windowSize);
  }

  private offerGap(reason: GapReason, after: string | null, before: string | null): void {
    liveGaps.labels(reason).inc();
    for (const subscriber of this.subscribers) if (subscriber.mode === 'live') subscriber.offerGap(reason, after, before);
  }

  private end(entry: Extract<LogEntry, { kind: 'end' }>): void {
    const error = new DomainError(entry.code, entry.message, { retryable: false });
    this.fatal = { error, at: this.options.now() };
    for (const subscriber of [...this.subscribers]) {
      subscriber.offerStatus('ENDED', entry.code);
      subscriber.failAfterQueued(error);
    }
  }

  private attach(subscriber: Subscriber, start: MediaStart): void {
    this.subscribers.add(subscriber);
    const status: { status: FeedStatus; detail: string | null } | undefined =
      this.outage || this.awaitingEntry ? { status: 'RECONNECTING', detail: OUTAGE_DETAIL } : this.holderStatus;
    if (status !== undefined) subscriber.offerStatus(status.status, status.detail);
    if (!placeInWindow(subscriber, this.window, start)) this.startCatchUp(subscriber, start);
  }

  private startCatchUp(subscriber: Subscriber, start: MediaStart): void {
    subscriber.mode = 'catchup';
    // GetMedia starts a timestamp selector with the fragment containing the time; the API promises the first one
    // stamped at or after it (as the window replay does).
    const notBefore =
      start.type === 'SERVER_TIMESTAMP' || start.type === 'PRODUCER_TIMESTAMP' ? { at: start.timestamp.getTime(), stamp: stampOf(start.type) } : undefined;
    const current = (): boolean => this.catchUps.get(subscriber) === reader;
    const reader: MediaReader = new MediaReader(
      this.open,
      this.stream,
      start,
      this.limits,
      {
        onFragment: (fragment) => {
          if (!current()) return;
          if (notBefore === undefined || (notBefore.stamp(fragment) ?? Infinity) >= notBefore.at) subscriber.offerFragment(fragment);
          const first = this.window[0];
          if (first?.fragmentNumber != null && fragment.fragmentNumber !== null && compareFragmentNumbers(fragment.fragmentNumber, first.fragmentNumber) >= 0) {
            // Reached the log's window: follow the log from here and give the GetMedia session back.
            replayWindow(subscriber, this.window);
            this.stopCatchUp(subscriber);
          }
        },
        onGap: (gap) => {
          if (current()) subscriber.offerGap(gap.reason, gap.afterFragmentNumber, gap.beforeFragmentNumber);
        },
        onStatus: (status, detail) => {
          if (current()) subscriber.offerStatus(status, detail);
        },
        onFatal: (error) => {
          if (!current()) return;
          this.catchUps.delete(subscriber);
          subscriber.failAfterQueued(error);
        },
      },
      { ...this.options.reader, retentionFallback: 'EARLIEST' },
    );
    this.catchUps.set(subscriber, reader);
    void reader.start();
  }

  private stopCatchUp(subscriber: Subscriber): void {
    const reader = this.catchUps.get(subscriber);
    if (reader === undefined) return;
    this.catchUps.delete(subscriber);
    void reader.stop();
  }

  private remove(subscriber: Subscriber): void {
    const attached = this.subscribers.delete(subscriber);
    if (!attached && !this.waiting.delete(subscriber)) return;
    this.metrics.subscribers.dec();
    this.stopCatchUp(subscriber);
    if (this.subscriberCount === 0) this.onEmpty();
  }
}
