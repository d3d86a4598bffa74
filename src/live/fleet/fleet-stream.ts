import type { MediaStart } from '../../datasources/kinesis/kinesis.types.js';
import { DomainError } from '../../core/domain-error.js';
import { fleetFailovers, fleetLeaseAcquisitions, fleetRedisErrors, liveStreamsWatched } from '../../core/metrics.js';
import type { Logger } from '../../core/logger.js';
import type { Fragment } from '../../mkv/fragment.type.js';
import { MediaReader, type MediaOpener, type MediaReaderOptions } from '../media-reader.js';
import type { Subscriber } from '../subscriber.js';
import type { FleetBudgets } from './budgets.js';
import type { FailoverLog } from './failover-log.js';
import { FleetFeed, type FleetFeedOptions } from './fleet-feed.js';
import type { FleetKeys } from './fleet-keys.js';
import { parseLease } from './fleet-overview.js';
import { QUARANTINE } from './fleet-scripts.js';
import { leaseDeadline, type StreamLeases, type TickResult } from './lease.js';
import { LogAppender, type StreamLog } from './log-appender.js';
import { LogTail, type LogTailOptions } from './log-tail.js';
import type { FleetMembership } from './membership.js';
import type { RedisConnector } from './redis-connection.js';

/** Tunables of one stream in fleet mode (all durations in ms). */
export interface FleetStreamOptions {
  readonly feed: Omit<FleetFeedOptions, 'now'>;
  readonly reader: Omit<MediaReaderOptions, 'retentionFallback'>;
  readonly tail: LogTailOptions;
  /** How long the reader outlives the last interest anywhere, and a feed its last local subscriber. */
  readonly lingerMs: number;
  readonly leaseTtlMs: number;
  /** Approximate length of the log (`MAXLEN ~`). */
  readonly maxLogLength: number;
  /** How long a free lease may wait for an instance under its share before anyone takes it. */
  readonly deferMs: number;
  /** How long a hand-over waits for the log writes queued before it. */
  readonly handoverFlushMs: number;
}

/** What a {@link FleetStream} shares with the hub and every other stream of the instance. */
export interface FleetStreamContext {
  readonly instance: string;
  readonly keys: FleetKeys;
  readonly connect: RedisConnector;
  readonly leases: StreamLeases;
  readonly log: StreamLog;
  readonly budgets: FleetBudgets;
  readonly membership: FleetMembership;
  /** Where a takeover from another instance is recorded, for operators. */
  readonly failovers: FailoverLog;
  readonly open: MediaOpener;
  readonly options: FleetStreamOptions;
  readonly logger: Logger;
  /** Monotonic clock in ms (lease validity). */
  readonly monotonic: () => number;
  /** Wall clock in ms (fatal cooldown). */
  readonly now: () => number;
  /** Leases this instance holds, all streams, counting acquisitions in flight. */
  heldCount(): number;
  /**
   * Counts an acquisition in flight in {@link heldCount} until the returned function is called, so ticks of several
   * streams running at once cannot all take a lease on the strength of the same count.
   */
  reserve(): () => void;
  /** The set of watched or held streams changed: announce soon. */
  changed(): void;
}

/** One holder term: from acquiring the lease to losing or releasing it. */
interface Term {
  readonly value: string;
  /** Monotonic time until which the lease is confirmed (see `leaseDeadline`). */
  validUntil: number;
  readonly appender: LogAppender;
  reader: MediaReader | undefined;
  /** Wall time the upstream failed for good; the lease is kept without a reader through the cooldown. */
  endedAt: number | undefined;
  expiry: NodeJS.Timeout | undefined;
}

/**
 * Everything one instance does for one stream in fleet mode, as a small state machine:
 * - while it has local subscribers: a {@link FleetFeed} fed by a {@link LogTail}, and its interest announced;
 * - a tick every third of the lease (and at once on a hand-over entry or a first subscriber): renew the lease when
 *   holding it, else take it when free, interested and allowed by the spread policy ({@link FleetMembership});
 * - while holding: one live `MediaReader` whose output goes to the log through a fenced {@link LogAppender}. The
 *   reader resumes after the log's head, so a new holder continues the log with no gap and no duplicate.
 *
 * Safety: the reader runs only while the lease is confirmed (the deadline of the last successful renewal, checked on
 * every fragment, on every GetMedia open and by a timer); when it is not, the reader is stopped and its unwritten
 * output dropped (the next holder reads it again). A new term never starts before the previous reader has stopped,
 * so an instance never runs two readers of a stream. Every tick, release and hand-over runs one at a time.
 */
export class FleetStream {
  private feed: FleetFeed | undefined;
  private tail: LogTail | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private term: Term | undefined;
  private stopping: Promise<void> | undefined;
  private chain: Promise<void> = Promise.resolve();
  private tickQueued = false;
  private announcedInterest = false;
  private interestedNow: readonly string[] = [];
  private freeSince: number | undefined;
  private noInterestSince: number | undefined;
  private tickFailing = false;
  private closed = false;
  /** The last lease value of another instance (or ours) a tick saw: the holder a takeover takes over from. */
  private lastHolder: string | undefined;
  /** The log said the last holder handed the lease over on purpose (rather than letting it expire). */
  private handoverSeen = false;

  constructor(
    readonly stream: string,
    private readonly ctx: FleetStreamContext,
  ) {}

  /** Whether this instance holds the stream's lease. */
  get holding(): boolean {
    return this.term !== undefined;
  }

  /** Whether this instance's live reader for the stream is running. */
  get reading(): boolean {
    return this.term?.reader !== undefined;
  }

  /** Whether local subscribers watch the stream. */
  get watched(): boolean {
    return (this.feed?.subscriberCount ?? 0) > 0;
  }

  /** Instances interested in the stream at the last tick. */
  get interested(): readonly string[] {
    return this.interestedNow;
  }

  /** Nothing left to do: no feed, no lease, no reader stopping, no interest announced. The hub may drop it. */
  get idle(): boolean {
    return this.feed === undefined && this.term === undefined && this.stopping === undefined && !this.announcedInterest && !this.tickQueued;
  }

  /** Local counters for `FragmentHub.stats`. */
  get counters(): { readonly subscribers: number; readonly windowSize: number; readonly catchUps: number } {
    return { subscribers: this.feed?.subscriberCount ?? 0, windowSize: this.feed?.windowSize ?? 0, catchUps: this.feed?.catchUpCount ?? 0 };
  }

  /** Adds a local subscriber. */
  subscribe(start: MediaStart, signal: AbortSignal): Subscriber {
    if (this.lingerTimer !== undefined) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = undefined;
    }
    const feed = this.ensureFeed();
    const first = feed.subscriberCount === 0;
    const subscriber = feed.subscribe(start, signal);
    if (first && feed.subscriberCount > 0) {
      this.ctx.changed();
      this.tickSoon();
    }
    return subscriber;
  }

  /** Queues a tick unless one is already queued. */
  tickSoon(): void {
    if (this.tickQueued || this.closed) return;
    this.tickQueued = true;
    this.enqueue(async () => {
      this.tickQueued = false;
      await this.tick();
    });
  }

  /** Hands the lease over (the spread policy asked for it); no-op when not holding. */
  handOver(): void {
    this.enqueue(() => this.release('handover'));
  }

  /** Hands the lease over, stops the tail and the feed, and withdraws interest. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return this.chain;
    this.closed = true;
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    this.enqueue(async () => {
      await this.release('handover');
      // A term that could not be released cleanly still must not read on.
      if (this.term !== undefined) this.lose(this.term, 'closing');
      await this.dropFeed();
      if (this.announcedInterest) {
        try {
          await this.ctx.leases.tick(this.stream, { holder: undefined, interested: false, mayAcquire: false });
          this.announcedInterest = false;
        } catch (err) {
          this.ctx.logger.warn({ err, stream: this.stream }, 'could not withdraw fleet interest; it expires on its own');
        }
      }
      await this.stopping;
    });
    return this.chain;
  }

  private enqueue(operation: () => Promise<void>): void {
    this.chain = this.chain.then(operation).catch((err: unknown) => {
      this.ctx.logger.error({ err, stream: this.stream }, 'fleet stream operation failed');
    });
  }

  private ensureFeed(): FleetFeed {
    if (this.feed !== undefined) return this.feed;
    const feed = new FleetFeed(this.stream, this.ctx.open, this.ctx.budgets.limits(this.stream), { ...this.ctx.options.feed, now: this.ctx.now }, () => this.onEmpty());
    const tail = new LogTail(
      this.ctx.connect,
      this.ctx.keys.stream(this.stream),
      this.stream,
      {
        onPrimed: (entries, status, ended) => feed.prime(entries, status, ended),
        onEntries: (entries) => {
          feed.apply(entries);
          if (entries.some((entry) => entry.kind === 'handover')) {
            this.handoverSeen = true;
            this.tickSoon();
          }
        },
        onOutage: (down, status) => feed.setOutage(down, status),
      },
      this.ctx.options.tail,
      this.ctx.logger,
    );
    this.feed = feed;
    this.tail = tail;
    liveStreamsWatched.inc();
    tail.start();
    return feed;
  }

  private onEmpty(): void {
    this.ctx.changed();
    // Interest goes at once (the holder's linger starts now); the feed and its window stay a while for reconnects.
    this.tickSoon();
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = undefined;
      if (!this.watched) this.enqueue(() => this.dropFeed());
    }, this.ctx.options.lingerMs);
    this.lingerTimer.unref();
  }

  private async dropFeed(): Promise<void> {
    const feed = this.feed;
    const tail = this.tail;
    if (feed === undefined || (feed.subscriberCount > 0 && !this.closed)) return;
    this.feed = undefined;
    this.tail = undefined;
    liveStreamsWatched.dec();
    await tail?.stop();
    await feed.close();
  }

  private async tick(): Promise<void> {
    if (this.closed) return;
    const interested = this.watched;
    const term = this.term;
    if (term === undefined && !interested && !this.announcedInterest) return;
    const now = this.ctx.monotonic();
    const mayAcquire =
      term === undefined &&
      interested &&
      this.stopping === undefined &&
      this.ctx.membership.mayAcquire(this.ctx.heldCount(), this.interestedNow, this.freeSince === undefined ? 0 : now - this.freeSince, this.ctx.options.deferMs);
    let result: TickResult;
    const unreserve = mayAcquire ? this.ctx.reserve() : undefined;
    try {
      result = await this.ctx.leases.tick(this.stream, { holder: term?.value, interested, mayAcquire, knewLog: this.feed?.newest != null });
    } catch (err) {
      unreserve?.();
      fleetRedisErrors.labels('tick').inc();
      if (!this.tickFailing) this.ctx.logger.warn({ err, stream: this.stream, holding: term !== undefined }, 'fleet tick failed; the lease is unconfirmed');
      this.tickFailing = true;
      if (term !== undefined && this.ctx.monotonic() >= term.validUntil) this.lose(term, 'expired');
      return;
    }
    // Released after the outcome is recorded: an acquired lease is counted from here on as held.
    try {
      await this.afterTick(term, interested, now, result);
    } finally {
      unreserve?.();
    }
  }

  /** Acts on one tick's result (renewed, acquired, or someone else's). */
  private async afterTick(term: Term | undefined, interested: boolean, now: number, result: TickResult): Promise<void> {
    if (this.tickFailing) this.ctx.logger.info({ stream: this.stream }, 'fleet tick succeeded again');
    this.tickFailing = false;
    this.announcedInterest = interested;
    this.interestedNow = result.interested;
    if (term !== undefined && this.term !== term) return;
    switch (result.state) {
      case 'held':
        if (term === undefined) return;
        this.confirm(term, leaseDeadline(now, this.ctx.options.leaseTtlMs));
        await this.afterRenewal(term);
        return;
      case 'acquired':
        this.freeSince = undefined;
        if (this.closed || this.term !== undefined) {
          await this.ctx.leases.release(this.stream, result.value, 'handover', this.ctx.options.maxLogLength);
          return;
        }
        fleetLeaseAcquisitions.inc();
        // A log with a head had a holder before: when that was another instance, this is a takeover.
        if (result.head !== null) this.recordTakeover(result.value);
        this.lastHolder = result.value;
        this.begin(result.value, result.head, leaseDeadline(now, this.ctx.options.leaseTtlMs));
        return;
      case 'other':
        if (result.value !== '' && result.value !== QUARANTINE && result.value !== this.lastHolder) {
          this.lastHolder = result.value;
          this.handoverSeen = false;
        }
        if (term !== undefined) this.lose(term, result.value === '' ? 'expired in Redis' : 'taken over');
        this.freeSince = result.value === '' && interested ? (this.freeSince ?? now) : undefined;
        return;
    }
  }

  /** Linger (no interest anywhere) and the end of a fatal cooldown, checked after each renewal. */
  private async afterRenewal(term: Term): Promise<void> {
    if (this.interestedNow.length > 0) {
      this.noInterestSince = undefined;
    } else {
      const now = this.ctx.monotonic();
      this.noInterestSince ??= now;
      if (now - this.noInterestSince >= this.ctx.options.lingerMs) {
        await this.release('linger');
        return;
      }
    }
    if (term.endedAt !== undefined && this.ctx.now() - term.endedAt >= this.ctx.options.feed.fatalCooldownMs) {
      // Let any interested instance (this one included) try the stream again.
      await this.release('handover');
    }
  }

  /**
   * Records, for operators, that lease `value` was just taken over from the last holder a tick saw, when that was
   * another instance. Not awaited: the record is a separate command on the `{fleet}` slot, and a failed one costs an
   * entry of the list, never the term.
   */
  private recordTakeover(value: string): void {
    const from = this.lastHolder === undefined ? undefined : parseLease(this.lastHolder);
    const to = parseLease(value);
    if (from === undefined || to === undefined || from.holder === this.ctx.instance) return;
    const cause = this.handoverSeen ? 'HANDOVER' : 'EXPIRED';
    this.handoverSeen = false;
    fleetFailovers.labels(cause === 'HANDOVER' ? 'handover' : 'expired').inc();
    this.ctx.logger.info({ stream: this.stream, from: from.holder, lease: value, reason: cause }, 'fleet reader lease taken over from another instance');
    this.ctx.failovers.record({ stream: this.stream, from: from.holder, to: to.holder, fencingToken: to.fencingToken, cause }).catch((err: unknown) => {
      this.ctx.logger.warn({ err, stream: this.stream }, 'could not record a reader failover; the takeover stands');
    });
  }

  /** Records that the lease is confirmed until `validUntil` (monotonic) and arms the timer that enforces it. */
  private confirm(term: Term, validUntil: number): void {
    term.validUntil = validUntil;
    if (term.expiry !== undefined) clearTimeout(term.expiry);
    term.expiry = setTimeout(
      () => {
        // After a stall Node runs due timers before reading sockets: let a renewal reply that already arrived
        // count before deciding (it confirms only what its send time allows, so this never stretches the lease).
        setImmediate(() => {
          if (this.term === term && this.ctx.monotonic() >= term.validUntil) this.lose(term, 'expired');
        });
      },
      Math.max(1, term.validUntil - this.ctx.monotonic()),
    );
    term.expiry.unref();
  }

  /** Starts a term with lease `value`, confirmed until `validUntil`, reading after `head` (else after the window). */
  private begin(value: string, head: string | null, validUntil: number): void {
    const after = head ?? this.feed?.newest ?? null;
    const valid = (): boolean => this.term === term && this.ctx.monotonic() < term.validUntil;
    const appender = new LogAppender(this.ctx.log, this.stream, value, after, { valid, onLost: (reason) => this.lose(term, reason) }, this.ctx.logger);
    const term: Term = { value, validUntil: 0, appender, reader: undefined, endedAt: undefined, expiry: undefined };
    this.term = term;
    this.noInterestSince = undefined;
    this.confirm(term, validUntil);
    this.ctx.changed();
    // A log with a head had a holder before: tell subscribers the reader moved (they then hear CONNECTED from it).
    if (head !== null) appender.push({ kind: 'status', status: 'RECONNECTING', detail: 'reader failover' });
    const start: MediaStart = after === null ? { type: 'NOW' } : { type: 'FRAGMENT_NUMBER', fragmentNumber: after };
    // No GetMedia without a confirmed lease, whatever the reader's loop is doing.
    const open: MediaOpener = (stream, position, signal, options) => {
      if (!valid()) return Promise.reject(new DomainError('UPSTREAM_UNAVAILABLE', 'The reader lease is not confirmed.'));
      return this.ctx.open(stream, position, signal, options);
    };
    const current = (): boolean => this.term === term && term.reader === reader;
    const reader: MediaReader = new MediaReader(
      open,
      this.stream,
      start,
      this.ctx.budgets.limits(this.stream),
      {
        onFragment: (fragment) => {
          if (!current() || fragment.fragmentNumber === null) return;
          // Past the deadline the reader must stop even if its timer is late (a busy loop): after one turn for a
          // renewal reply that may already be waiting. The appender writes nothing meanwhile.
          if (!valid()) {
            setImmediate(() => {
              if (!valid()) this.lose(term, 'expired');
            });
          }
          appender.push({ kind: 'fragment', fragment: fragment as Fragment & { readonly fragmentNumber: string } });
        },
        onGap: (gap) => {
          if (current()) appender.push({ kind: 'gap', reason: gap.reason, after: gap.afterFragmentNumber, before: gap.beforeFragmentNumber });
        },
        onStatus: (status, detail) => {
          if (current()) appender.push({ kind: 'status', status, detail });
        },
        onFatal: (error) => {
          if (!current()) return;
          appender.push({ kind: 'end', code: error.code, message: error.message });
          term.reader = undefined;
          term.endedAt = this.ctx.now();
        },
      },
      { ...this.ctx.options.reader, retentionFallback: 'NOW' },
    );
    term.reader = reader;
    this.ctx.logger.info({ stream: this.stream, lease: value, start: start.type, after }, 'fleet reader lease acquired');
    void reader.start();
  }

  /** Ends `term` at once (no more appends, reader stopping); the lease, if still ours in Redis, simply expires. */
  private lose(term: Term, reason: string): void {
    if (this.term !== term) return;
    this.term = undefined;
    this.ctx.changed();
    if (term.expiry !== undefined) clearTimeout(term.expiry);
    term.appender.stop();
    const reader = term.reader;
    term.reader = undefined;
    this.ctx.logger.warn({ stream: this.stream, lease: term.value, reason }, 'fleet reader lease lost; reader stopped');
    this.stopReader(reader);
  }

  private stopReader(reader: MediaReader | undefined): void {
    if (reader === undefined) return;
    const previous = this.stopping;
    const stopping: Promise<void> = Promise.all([previous, reader.stop()]).then(() => {
      if (this.stopping === stopping) this.stopping = undefined;
    });
    this.stopping = stopping;
  }

  /**
   * Gives the lease up: the reader stops first (nobody may start one before ours is gone), what it produced is
   * written, then the release script runs. `linger` keeps the lease (and restarts reading after the log's head) when
   * an instance turned out to be interested meanwhile.
   */
  private async release(mode: 'handover' | 'linger'): Promise<void> {
    const term = this.term;
    if (term === undefined) return;
    const reader = term.reader;
    term.reader = undefined;
    this.stopReader(reader);
    await this.stopping;
    await term.appender.idle(this.ctx.options.handoverFlushMs);
    if (this.term !== term) return;
    term.appender.stop();
    let result;
    try {
      result = await this.ctx.leases.release(this.stream, term.value, mode, this.ctx.options.maxLogLength);
    } catch (err) {
      fleetRedisErrors.labels('release').inc();
      this.ctx.logger.warn({ err, stream: this.stream, mode }, 'could not release the fleet reader lease; it expires on its own');
      this.lose(term, 'release failed');
      return;
    }
    if (this.term !== term) return;
    if (result === 'kept' && !this.closed && term.endedAt === undefined) {
      this.term = undefined;
      if (term.expiry !== undefined) clearTimeout(term.expiry);
      this.begin(term.value, term.appender.after, term.validUntil);
      return;
    }
    this.term = undefined;
    if (term.expiry !== undefined) clearTimeout(term.expiry);
    this.ctx.changed();
    this.ctx.logger.info({ stream: this.stream, lease: term.value, mode, result }, 'fleet reader lease released');
  }
}
