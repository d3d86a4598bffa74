import type { MediaStart } from '../datasources/kinesis/kinesis.types.js';
import type { DomainError } from '../core/domain-error.js';
import type { Logger } from '../core/logger.js';
import { liveFragmentsDelivered, liveFragmentsReceived, liveGaps, liveStreamsWatched, liveSubscribers, streamLabel } from '../core/metrics.js';
import type { Fragment } from '../mkv/fragment.type.js';
import { compareFragmentNumbers } from '../mkv/kinesis-tags.js';
import { fanOutLive, placeInWindow, replayWindow, stampOf } from './feed-window.js';
import type { FeedStatus, GapReason } from './live.types.js';
import { MediaReader, type MediaOpener, type MediaReaderOptions, type StreamLimits } from './media-reader.js';
import { Subscriber, type OverflowPolicy } from './subscriber.js';

/** Tunables of a {@link StreamFeed}. */
export interface StreamFeedOptions {
  readonly reader: MediaReaderOptions;
  /**
   * Recent fragments kept in memory for subscribers that start slightly in the past; at least 1. A catch-up reader
   * hands over to the live feed when it reaches the oldest of them, which needs at least one.
   */
  readonly windowSize: number;
  /** How long the live reader outlives its last subscriber, in ms (absorbs reconnect churn). */
  readonly lingerMs: number;
  /** Events buffered per subscriber before the overflow policy applies. */
  readonly subscriberBuffer: number;
  readonly overflow: OverflowPolicy;
  /** How long a fatal upstream failure (KMS) is remembered so new subscribers fail without a call, in ms. */
  readonly fatalCooldownMs: number;
  readonly now: () => number;
  /**
   * Where a stream that needs an operator's eye is logged at warn level: a reader reporting `STALLED`, and an
   * `UPSTREAM_RESET` gap. Without one, subscribers still get the events.
   */
  readonly logger?: Logger;
}

/**
 * Everything one instance does for one stream: a single live reader started at NOW and shared by every
 * subscriber that starts at NOW or has caught up; a bounded window of recent fragments replayed to subscribers
 * starting inside it; one private catch-up reader per subscriber starting before the window, which hands over to
 * the live feed as soon as it reaches the window (dedupe by fragment number makes the seam exact). All readers
 * share the stream's call and connection budgets. The live reader stops `lingerMs` after the last subscriber.
 *
 * A fragment number or token newer than the newest fragment in the window is resolved by GetMedia, like a start
 * before the window: a fragment the live reader has not reached yet continues seamlessly, and one the stream never
 * had gets the service's error 4000, which reaches the subscriber as a RETENTION gap from the requested number
 * followed by the earliest retained fragments (K7). Waiting in the window for it would be silent forever.
 *
 * When the live reader reports an `UPSTREAM_RESET` gap (the stream's numbering started over), the window is emptied
 * with it: its fragments belong to the old numbering, and a NOW subscriber positioned after the newest of them would
 * drop every fragment of the new one.
 *
 * Statuses: subscribers hear CONNECTED, RECONNECTING, THROTTLED and STALLED from the readers serving them; ENDED only when
 * the upstream failed for good (stream deleted, KMS, refused start), right before the coded error. Readers the feed
 * stopped itself (linger, hand-over, close) or replaced are never heard from again.
 */
export class StreamFeed {
  private readonly subscribers = new Set<Subscriber>();
  private readonly catchUps = new Map<Subscriber, MediaReader>();
  private window: Fragment[] = [];
  private live: MediaReader | undefined;
  private liveStatus: { status: FeedStatus; detail: string | null } | undefined;
  private linger: NodeJS.Timeout | undefined;
  private fatal: { error: DomainError; at: number } | undefined;
  /** This stream's metric children, resolved once: the fan-out path records without a label lookup. */
  private readonly metrics;

  constructor(
    readonly stream: string,
    private readonly open: MediaOpener,
    private readonly limits: StreamLimits,
    private readonly options: StreamFeedOptions,
  ) {
    if (!Number.isSafeInteger(options.windowSize) || options.windowSize < 1) {
      throw new RangeError(`The replay window must hold at least 1 fragment, got ${String(options.windowSize)}.`);
    }
    const label = streamLabel(stream);
    this.metrics = { received: liveFragmentsReceived.labels(label), delivered: liveFragmentsDelivered.labels(label), subscribers: liveSubscribers.labels(label) };
  }

  /** Subscribers attached now. */
  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Whether the shared live reader is running. */
  get liveRunning(): boolean {
    return this.live !== undefined;
  }

  /** Fragments in the replay window. */
  get windowSize(): number {
    return this.window.length;
  }

  /** Adds a subscriber starting at `start` and returns its iterator. */
  subscribe(start: MediaStart, signal: AbortSignal): Subscriber {
    const subscriber = new Subscriber(this.stream, this.options.subscriberBuffer, this.options.overflow, (s) => this.remove(s));
    if (this.fatal !== undefined && this.options.now() - this.fatal.at < this.options.fatalCooldownMs) {
      // The same end as the subscribers that were there when it failed, without asking the service again.
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
    this.subscribers.add(subscriber);
    this.metrics.subscribers.inc();
    if (this.linger !== undefined) {
      clearTimeout(this.linger);
      this.linger = undefined;
    }
    this.ensureLive();
    if (this.liveStatus !== undefined) subscriber.offerStatus(this.liveStatus.status, this.liveStatus.detail);
    if (!placeInWindow(subscriber, this.window, start)) this.startCatchUp(subscriber, start);
    return subscriber;
  }

  /** Stops every reader and ends every subscriber. */
  async close(): Promise<void> {
    for (const subscriber of [...this.subscribers]) void subscriber.return();
    // After the subscribers: the last one leaving has just armed the linger timer.
    if (this.linger !== undefined) clearTimeout(this.linger);
    this.linger = undefined;
    const readers = [...this.catchUps.values(), ...(this.live === undefined ? [] : [this.live])];
    this.catchUps.clear();
    if (this.live !== undefined) liveStreamsWatched.dec();
    this.live = undefined;
    await Promise.all(readers.map((reader) => reader.stop()));
  }

  private startCatchUp(subscriber: Subscriber, start: MediaStart): void {
    subscriber.mode = 'catchup';
    // GetMedia starts a timestamp selector with the fragment CONTAINING the time; the API (like the window replay
    // above) promises the first fragment stamped AT OR AFTER it. Without this, the same start gives one more
    // fragment when it is older than the window than when it is inside it.
    const notBefore =
      start.type === 'SERVER_TIMESTAMP' || start.type === 'PRODUCER_TIMESTAMP'
        ? { at: start.timestamp.getTime(), stamp: stampOf(start.type) }
        : undefined;
    // A reader the feed stopped (hand-over, subscriber gone) may still report while it winds down: ignore it.
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
            // Reached the window: hand over to the shared feed and release the private connection.
            replayWindow(subscriber, this.window);
            this.stopCatchUp(subscriber);
          }
        },
        onGap: (gap) => {
          if (!current()) return;
          this.warnOfGap('catch-up', gap.reason, gap.afterFragmentNumber, gap.beforeFragmentNumber);
          subscriber.offerGap(gap.reason, gap.afterFragmentNumber, gap.beforeFragmentNumber);
        },
        onStatus: (status, detail) => {
          if (!current()) return;
          this.warnOfStatus('catch-up', status, detail);
          subscriber.offerStatus(status, detail);
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

  private ensureLive(): void {
    if (this.live !== undefined) return;
    // After the linger (or a fatal failure) the feed drops its reader and may start another at once; the old one
    // stops asynchronously and must not write into the new one's window or status.
    const current = (): boolean => this.live === reader;
    const reader: MediaReader = new MediaReader(
      this.open,
      this.stream,
      { type: 'NOW' },
      this.limits,
      {
        onFragment: (fragment) => {
          if (!current()) return;
          this.window.push(fragment);
          if (this.window.length > this.options.windowSize) this.window = this.window.slice(-this.options.windowSize);
          fanOutLive(this.subscribers, fragment, this.metrics);
        },
        onGap: (gap) => {
          if (!current()) return;
          this.warnOfGap('live', gap.reason, gap.afterFragmentNumber, gap.beforeFragmentNumber);
          liveGaps.labels(gap.reason).inc();
          // Before the gap reaches anyone: the fragment that follows it is the first of the new numbering.
          if (gap.reason === 'UPSTREAM_RESET') this.window = [];
          for (const subscriber of this.subscribers) {
            if (subscriber.mode === 'live') subscriber.offerGap(gap.reason, gap.afterFragmentNumber, gap.beforeFragmentNumber);
          }
        },
        onStatus: (status, detail) => {
          if (!current()) return;
          this.warnOfStatus('live', status, detail);
          this.liveStatus = { status, detail };
          for (const subscriber of this.subscribers) subscriber.offerStatus(status, detail);
        },
        onFatal: (error) => {
          if (!current()) return;
          this.fatal = { error, at: this.options.now() };
          // The reader has stopped itself; the next subscriber after the cooldown starts a fresh one.
          this.live = undefined;
          liveStreamsWatched.dec();
          this.liveStatus = undefined;
          // After what they have queued, which ends with the ENDED status the reader reported just before.
          for (const subscriber of [...this.subscribers]) subscriber.failAfterQueued(error);
        },
      },
      { ...this.options.reader, retentionFallback: 'NOW' },
    );
    this.live = reader;
    liveStreamsWatched.inc();
    void reader.start();
  }

  private warnOfStatus(reader: 'live' | 'catch-up', status: FeedStatus, detail: string | null): void {
    if (status !== 'STALLED') return;
    this.options.logger?.warn(
      { stream: this.stream, reader, status, detail },
      'live reader connected but delivering nothing: every fragment received is at or before the last one delivered',
    );
  }

  private warnOfGap(reader: 'live' | 'catch-up', reason: GapReason, afterFragmentNumber: string | null, beforeFragmentNumber: string | null): void {
    if (reason !== 'UPSTREAM_RESET') return;
    this.options.logger?.warn(
      { stream: this.stream, reader, reason, afterFragmentNumber, beforeFragmentNumber },
      'stream fragment numbers started over (stream recreated or upstream restarted); delivery continues from the new numbering',
    );
  }

  private remove(subscriber: Subscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    this.metrics.subscribers.dec();
    this.stopCatchUp(subscriber);
    if (this.subscribers.size > 0) return;
    this.linger = setTimeout(() => {
      this.linger = undefined;
      if (this.subscribers.size > 0) return;
      const live = this.live;
      this.live = undefined;
      if (live !== undefined) liveStreamsWatched.dec();
      this.liveStatus = undefined;
      this.window = [];
      void live?.stop();
    }, this.options.lingerMs);
    this.linger.unref();
  }
}
