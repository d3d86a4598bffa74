import { DomainError } from '../core/domain-error.js';
import { liveGaps, liveSlowConsumerDrops } from '../core/metrics.js';
import type { Fragment } from '../mkv/fragment.type.js';
import { compareFragmentNumbers } from '../mkv/kinesis-tags.js';
import type { FeedStatus, GapReason, LiveEvent } from './live.types.js';

/** What happens when a subscriber's buffer is full (RELIABILITY.md R1). */
export type OverflowPolicy = 'gap' | 'close';

/**
 * The error that ends a subscriber the `close` policy drops: `RATE_LIMITED`, retryable, with `reason: SLOW_CONSUMER`
 * and the buffer size (`buffer`, in events) in its details, and a message saying why and how to go on.
 */
export function slowConsumerError(buffer: number): DomainError {
  return new DomainError(
    'RATE_LIMITED',
    `Closed because this subscriber fell ${buffer} events behind the stream (its buffer, LIVE_SUBSCRIBER_BUFFER) without reading them. Subscribe again after the last fragment received.`,
    { details: { reason: 'SLOW_CONSUMER', buffer } },
  );
}

/**
 * One subscriber's bounded event queue and async iterator. The producer side (the feed) offers events
 * synchronously and never waits: a full buffer drops fragments and records them as one gap event (policy `gap`)
 * or ends the subscription with `RATE_LIMITED` (policy `close`), so a slow consumer never slows the others.
 * Fragments at or before the last one queued are ignored, which makes joins between readers duplicate-free.
 */
export class Subscriber implements AsyncIterableIterator<LiveEvent> {
  /** `catchup` while a private reader serves history; `live` once it follows the shared feed. */
  mode: 'live' | 'catchup' = 'live';
  /** Set by {@link skipUntil}: fragments stamped before `at` are skipped until one is not. */
  private notBefore: { readonly at: number; readonly stamp: (fragment: Fragment) => number | null } | undefined;
  private readonly buffer: LiveEvent[] = [];
  private head = 0;
  private last: string | null = null;
  private dropped: { after: string | null; count: number } | undefined;
  private waiting: ((result: IteratorResult<LiveEvent>) => void) | undefined;
  private failWaiting: ((error: unknown) => void) | undefined;
  private finished = false;
  private failure: unknown;
  private lastStatus: FeedStatus | undefined;
  private lastStatusDetail: string | null = null;

  constructor(
    readonly stream: string,
    private readonly capacity: number,
    private readonly overflow: OverflowPolicy,
    private readonly onClose: (subscriber: Subscriber) => void,
  ) {}

  /** Last fragment number queued (delivered or pending), or null. */
  get lastFragmentNumber(): string | null {
    return this.last;
  }

  /** Events waiting to be pulled. */
  get queued(): number {
    return this.buffer.length - this.head;
  }

  /** The last status offered to this subscriber (the state of the reader serving it), undefined before any. */
  get lastOfferedStatus(): { readonly status: FeedStatus; readonly detail: string | null } | undefined {
    return this.lastStatus === undefined ? undefined : { status: this.lastStatus, detail: this.lastStatusDetail };
  }

  /** Whether the subscription has ended (returned, failed, or failing once its queue is pulled): nothing more is queued. */
  get ended(): boolean {
    return this.finished;
  }

  /** Sets the position without delivering (a NOW subscriber starts after what the feed already has). */
  startAfter(fragmentNumber: string | null): void {
    this.last = fragmentNumber;
  }

  /**
   * Skips, without a gap, the fragments offered next whose `stamp` is before `at` (epoch ms), up to the first one at
   * or after it: a timestamp start later than anything the feed holds begins with the first fragment stamped at or
   * after the time, as GetMedia would, not with whatever the live feed produces next. A fragment without the stamp
   * ends the skipping (it cannot be placed).
   */
  skipUntil(at: number, stamp: (fragment: Fragment) => number | null): void {
    this.notBefore = { at, stamp };
  }

  /** Offers a fragment; ignored when not strictly after the last one queued. */
  offerFragment(fragment: Fragment): void {
    if (this.finished || fragment.fragmentNumber === null) return;
    if (this.last !== null && compareFragmentNumbers(fragment.fragmentNumber, this.last) <= 0) return;
    if (this.notBefore !== undefined) {
      const stamp = this.notBefore.stamp(fragment);
      if (stamp !== null && stamp < this.notBefore.at) {
        // Before the requested start: not delivered and not a loss, so the position moves on without a gap.
        this.last = fragment.fragmentNumber;
        return;
      }
      this.notBefore = undefined;
    }
    if (this.queued >= this.capacity) {
      liveSlowConsumerDrops.labels(this.overflow).inc();
      if (this.overflow === 'close') {
        this.fail(slowConsumerError(this.capacity));
        return;
      }
      this.dropped ??= { after: this.last, count: 0 };
      this.dropped.count += 1;
      this.last = fragment.fragmentNumber;
      return;
    }
    if (this.dropped !== undefined) {
      const { after, count } = this.dropped;
      this.dropped = undefined;
      liveGaps.labels('SLOW_CONSUMER').inc();
      this.enqueue({
        kind: 'gap',
        stream: this.stream,
        reason: 'SLOW_CONSUMER',
        afterFragmentNumber: after,
        beforeFragmentNumber: fragment.fragmentNumber,
        missedFragments: count,
      });
    }
    this.last = fragment.fragmentNumber;
    this.enqueue({ kind: 'fragment', stream: this.stream, fragment });
  }

  /**
   * Queues a gap the upstream reader reported. After an `UPSTREAM_RESET` gap the stream's numbering has started over,
   * so the next fragment is accepted whatever its number (the position before the gap says nothing about it); a
   * slow-consumer loss still pending from before the reset is reported first, since it happened before.
   */
  offerGap(reason: GapReason, afterFragmentNumber: string | null, beforeFragmentNumber: string | null): void {
    if (this.finished) return;
    if (reason === 'UPSTREAM_RESET') {
      if (this.dropped !== undefined) {
        const { after, count } = this.dropped;
        this.dropped = undefined;
        this.enqueue({ kind: 'gap', stream: this.stream, reason: 'SLOW_CONSUMER', afterFragmentNumber: after, beforeFragmentNumber: null, missedFragments: count });
      }
      this.last = null;
    }
    this.enqueue({ kind: 'gap', stream: this.stream, reason, afterFragmentNumber, beforeFragmentNumber, missedFragments: null });
  }

  /** Queues a status change. Status events are rare and always kept, even over capacity. */
  offerStatus(status: FeedStatus, detail: string | null): void {
    // Live and catch-up readers both report their state; a subscriber only needs to hear about changes.
    if (this.finished || (status === this.lastStatus && detail === this.lastStatusDetail)) return;
    this.lastStatus = status;
    this.lastStatusDetail = detail;
    this.enqueue({ kind: 'status', stream: this.stream, status, detail });
  }

  /**
   * Ends the iterator with `error` once the events already queued have been pulled (the upstream failed for good:
   * what it delivered before still reaches the subscriber, typically ending with an ENDED status). Nothing offered
   * after this call is queued.
   */
  failAfterQueued(error: unknown): void {
    if (this.finished) return;
    if (this.queued === 0) {
      this.fail(error);
      return;
    }
    // Events are queued, so nobody is waiting: `next()` hands them out, then rejects with `failure`.
    this.finished = true;
    this.failure = error;
    this.onClose(this);
  }

  /** Ends the iterator with `error` after nothing else (queued events are discarded). */
  fail(error: unknown): void {
    if (this.finished) return;
    this.close();
    const reject = this.failWaiting;
    this.clearWaiter();
    if (reject === undefined) this.failure = error;
    else reject(error);
  }

  next(): Promise<IteratorResult<LiveEvent>> {
    if (this.head < this.buffer.length) {
      const event = this.buffer[this.head] as LiveEvent;
      this.head += 1;
      if (this.head > 1024 && this.head * 2 > this.buffer.length) {
        this.buffer.splice(0, this.head);
        this.head = 0;
      }
      return Promise.resolve({ value: event, done: false });
    }
    if (this.failure !== undefined) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure instanceof Error ? failure : new Error(String(failure)));
    }
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failWaiting = reject;
    });
  }

  return(): Promise<IteratorResult<LiveEvent>> {
    this.close();
    // Also after `failAfterQueued`: a consumer that leaves wants nothing more, neither the rest nor the error.
    this.buffer.length = 0;
    this.head = 0;
    this.failure = undefined;
    const resolve = this.waiting;
    this.clearWaiter();
    resolve?.({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<LiveEvent> {
    return this;
  }

  private enqueue(event: LiveEvent): void {
    const resolve = this.waiting;
    if (resolve !== undefined) {
      this.clearWaiter();
      resolve({ value: event, done: false });
      return;
    }
    this.buffer.push(event);
  }

  private close(): void {
    if (this.finished) return;
    this.finished = true;
    this.buffer.length = 0;
    this.head = 0;
    this.onClose(this);
  }

  private clearWaiter(): void {
    this.waiting = undefined;
    this.failWaiting = undefined;
  }
}
