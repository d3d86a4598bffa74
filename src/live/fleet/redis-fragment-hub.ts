import type { MediaStart } from '../../datasources/kinesis/kinesis.types.js';
import { DomainError } from '../../core/domain-error.js';
import type { Logger } from '../../core/logger.js';
import { fleetLeasesHeld, fleetRedisErrors } from '../../core/metrics.js';
import type { FragmentHub, HubOverview, HubStreamOverview, HubStreamStats, LiveEvent, SubscribeOptions } from '../live.types.js';
import type { LocalHubOptions } from '../local-fragment-hub.js';
import { defaultInstanceId } from '../instance-id.js';
import type { MediaOpener } from '../media-reader.js';
import { FleetBudgets } from './budgets.js';
import { FailoverLog } from './failover-log.js';
import { FleetKeys } from './fleet-keys.js';
import { readFleet, readStreamCoordination } from './fleet-overview.js';
import { FleetStream, type FleetStreamContext, type FleetStreamOptions } from './fleet-stream.js';
import { StreamLeases } from './lease.js';
import { StreamLog } from './log-appender.js';
import { FleetMembership } from './membership.js';
import { closeClient, type RedisClient, type RedisConnector } from './redis-connection.js';

/** Tunables of the fleet hub: those of the in-process hub plus the fleet's own. */
export interface RedisHubOptions extends LocalHubOptions {
  /** Lifetime of a reader lease in ms (`LIVE_LEASE_TTL_MS`); every lease, interest and permit is refreshed every third. */
  readonly leaseTtlMs: number;
  /** Prefix of every key (`REDIS_KEY_PREFIX`). */
  readonly keyPrefix: string;
  /** This instance's id in Redis; default `<host>-<pid>-<random>`. Must not contain `|`. */
  readonly instanceId?: string;
  /** `XREAD BLOCK` time of the log tails, in ms (default 2000). */
  readonly tailBlockMs?: number;
  /** How long a Redis reply may take (beyond a block) before the connection counts as cut, in ms; default a third of the lease. */
  readonly replyTimeoutMs?: number;
}

/** What this instance does in the fleet, for tests, health and the console. */
export interface FleetStatus {
  readonly instance: string;
  /** Streams whose reader lease this instance holds. */
  readonly held: readonly string[];
  /** Streams with local subscribers. */
  readonly watched: readonly string[];
}

/** How many of the fleet's recorded failovers {@link RedisFragmentHub.overview} reports (the newest). */
export const OVERVIEW_FAILOVERS = 20;

/**
 * {@link FragmentHub} for a fleet of instances sharing one Redis (`LIVE_HUB=redis`): one live GetMedia reader per
 * stream across every instance, its output kept in a Redis Stream per stream (the log) that every instance with
 * subscribers tails and fans out locally. Each stream is a {@link FleetStream}: lease, fenced log writes, tail,
 * local fan-out. Redis work per fragment is one append plus one read per instance watching, whatever the number of
 * subscribers. See docs/architecture.md, "Fleet mode", for the design and its guarantees.
 *
 * Lifetime: from construction (it connects and announces at once) to `close()`, which hands every lease over, so a
 * rolling restart costs no takeover delay. Redis unreachable at any time is survived: subscribers hear RECONNECTING,
 * readers stop before their lease could have expired, and delivery resumes after the last entry read.
 */
export class RedisFragmentHub implements FragmentHub {
  readonly instance: string;
  private readonly client: RedisClient;
  private readonly streams = new Map<string, FleetStream>();
  private readonly context: FleetStreamContext;
  private readonly membership: FleetMembership;
  private readonly budgets: FleetBudgets;
  private readonly timer: NodeJS.Timeout;
  private announceTimer: NodeJS.Timeout | undefined;
  private announcing: Promise<void> | undefined;
  private announceFailing = false;
  /** What this hub last added to `media_graph_fleet_leases_held`. */
  private reportedHeld = 0;
  /** Lease acquisitions in flight (see `FleetStreamContext.reserve`). */
  private acquiring = 0;
  private closing: Promise<void> | undefined;

  /**
   * @throws RangeError when `options` are out of range (window under 1, lease under 300 ms, a prefix or instance id
   *   that would break the key or lease format).
   */
  constructor(
    connect: RedisConnector,
    open: MediaOpener,
    private readonly options: RedisHubOptions,
    private readonly logger: Logger,
  ) {
    if (!Number.isSafeInteger(options.windowSize) || options.windowSize < 1) {
      throw new RangeError(`windowSize must be an integer of at least 1, got ${String(options.windowSize)}.`);
    }
    if (!Number.isSafeInteger(options.leaseTtlMs) || options.leaseTtlMs < 300) throw new RangeError('leaseTtlMs must be at least 300 ms.');
    this.instance = options.instanceId ?? defaultInstanceId();
    const keys = new FleetKeys(options.keyPrefix);
    this.client = connect('command', `${this.instance}:command`);
    this.client.on('error', (err: unknown) => logger.debug({ err }, 'fleet hub Redis connection error'));
    const ttl = options.leaseTtlMs;
    const tickMs = Math.max(100, Math.floor(ttl / 3));
    const leases = new StreamLeases(this.client, keys, this.instance, { ttlMs: ttl, interestTtlMs: ttl, logGraceMs: Math.max(60_000, 4 * ttl) });
    const log = new StreamLog(this.client, keys, { maxLength: options.windowSize, graceMs: Math.max(60_000, 4 * ttl), fatalCooldownMs: options.fatalCooldownMs });
    this.membership = new FleetMembership(this.client, keys, this.instance, ttl);
    this.budgets = new FleetBudgets(
      this.client,
      keys,
      this.instance,
      { sessions: options.connectionsPerStream, calls: options.callsPerSecond, windowMs: 1000, permitTtlMs: ttl, pollMs: 100 },
      logger,
    );
    const streamOptions: FleetStreamOptions = {
      feed: { reader: options.reader, windowSize: options.windowSize, subscriberBuffer: options.subscriberBuffer, overflow: options.overflow, fatalCooldownMs: options.fatalCooldownMs },
      reader: options.reader,
      tail: { blockMs: options.tailBlockMs ?? 2_000, batch: 256, backoffBaseMs: 50, backoffCapMs: 1_000, replyTimeoutMs: options.replyTimeoutMs ?? tickMs },
      lingerMs: options.lingerMs,
      leaseTtlMs: ttl,
      maxLogLength: options.windowSize,
      deferMs: 2 * tickMs,
      handoverFlushMs: Math.min(1_000, tickMs),
    };
    this.context = {
      instance: this.instance,
      keys,
      connect,
      leases,
      log,
      budgets: this.budgets,
      membership: this.membership,
      failovers: new FailoverLog(this.client, keys),
      open,
      options: streamOptions,
      logger,
      monotonic: () => performance.now(),
      now: Date.now,
      heldCount: () => this.heldStreams().length + this.acquiring,
      reserve: () => {
        this.acquiring += 1;
        let done = false;
        return () => {
          if (done) return;
          done = true;
          this.acquiring -= 1;
        };
      },
      changed: () => {
        this.reportHeld();
        this.announceSoon();
      },
    };
    this.timer = setInterval(() => this.tick(), tickMs);
    this.timer.unref();
    logger.info({ instance: this.instance, leaseTtlMs: ttl, keyPrefix: options.keyPrefix }, 'fleet hub started');
    this.announceSoon();
  }

  subscribe(stream: string, start: MediaStart, options: SubscribeOptions): AsyncIterableIterator<LiveEvent> {
    if (this.closing !== undefined) throw new Error('The fragment hub is closed.');
    let fleetStream = this.streams.get(stream);
    if (fleetStream === undefined) {
      fleetStream = new FleetStream(stream, this.context);
      this.streams.set(stream, fleetStream);
    }
    return fleetStream.subscribe(start, options.signal);
  }

  stats(stream: string): HubStreamStats {
    const fleetStream = this.streams.get(stream);
    const counters = fleetStream?.counters;
    return {
      subscribers: counters?.subscribers ?? 0,
      upstreamSessions: this.budgets.heldFor(stream),
      liveReaderRunning: fleetStream?.reading ?? false,
      windowSize: counters?.windowSize ?? 0,
    };
  }

  /** This instance's leases and watched streams. */
  fleetStatus(): FleetStatus {
    return {
      instance: this.instance,
      held: this.heldStreams(),
      watched: [...this.streams.values()].filter((s) => s.watched).map((s) => s.stream),
    };
  }

  /**
   * This instance's streams (local subscribers, a lease, or an announced interest), each with its lease and the
   * holder's status as Redis has them, and the fleet: its announced instances and its newest recorded failovers.
   * One round trip on the `{fleet}` slot and one `MGET` per stream of this instance, sent together: no scan.
   * @throws DomainError UPSTREAM_UNAVAILABLE when Redis does not answer (or the hub is closed).
   */
  async overview(): Promise<HubOverview> {
    if (this.closing !== undefined) throw new DomainError('UPSTREAM_UNAVAILABLE', 'The live hub is shutting down.');
    const local = [...this.streams.values()].filter((fleetStream) => !fleetStream.idle);
    let fleet;
    let coordination;
    try {
      [fleet, coordination] = await Promise.all([
        readFleet(this.client, this.context.keys, OVERVIEW_FAILOVERS),
        Promise.all(local.map((fleetStream) => readStreamCoordination(this.client, this.context.keys.stream(fleetStream.stream)))),
      ]);
    } catch (err) {
      throw new DomainError('UPSTREAM_UNAVAILABLE', 'The fleet coordination store did not answer.', { cause: err });
    }
    if (fleet.unreadable.length > 0) this.logger.warn({ err: fleet.unreadable[0], count: fleet.unreadable.length }, 'fleet failover entries of another version left out');
    const streams: HubStreamOverview[] = local.map((fleetStream, i) => ({
      stream: fleetStream.stream,
      ...this.stats(fleetStream.stream),
      state: coordination[i]?.state,
      lease: coordination[i]?.lease,
      interested: [...fleetStream.interested].sort(),
    }));
    streams.sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
    return { mode: 'FLEET', instance: this.instance, streams, fleet: fleet.overview };
  }

  /** Hands every lease over, stops every tail and subscriber, withdraws from the fleet and disconnects. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearInterval(this.timer);
      if (this.announceTimer !== undefined) clearTimeout(this.announceTimer);
      await Promise.all([...this.streams.values()].map((s) => s.close()));
      this.streams.clear();
      this.reportHeld();
      await this.announcing;
      try {
        await this.membership.announce(false, 0);
      } catch (err) {
        this.logger.warn({ err }, 'could not withdraw from the fleet; the announcement expires on its own');
      }
      await closeClient(this.client, this.logger);
      this.logger.info({ instance: this.instance }, 'fleet hub stopped');
    })();
    return this.closing;
  }

  /**
   * Brings `media_graph_fleet_leases_held` up to date with the leases this hub holds. By difference, so that several
   * hubs in one process (tests) add up instead of overwriting each other.
   */
  private reportHeld(): void {
    const held = this.heldStreams().length;
    fleetLeasesHeld.inc(held - this.reportedHeld);
    this.reportedHeld = held;
  }

  private heldStreams(): string[] {
    return [...this.streams.values()].filter((s) => s.holding).map((s) => s.stream);
  }

  private tick(): void {
    for (const [name, fleetStream] of this.streams) {
      if (fleetStream.idle) this.streams.delete(name);
      else fleetStream.tickSoon();
    }
    void this.budgets.refresh();
    this.announceSoon(0);
  }

  /** Announces after `delayMs` (coalescing bursts of changes), then hands over leases beyond the share. */
  private announceSoon(delayMs = 20): void {
    if (this.closing !== undefined || this.announceTimer !== undefined) return;
    this.announceTimer = setTimeout(() => {
      this.announceTimer = undefined;
      if (this.announcing !== undefined) {
        this.announceSoon();
        return;
      }
      this.announcing = this.announce().finally(() => {
        this.announcing = undefined;
      });
    }, delayMs);
    this.announceTimer.unref();
  }

  private async announce(): Promise<void> {
    const held = this.heldStreams();
    let watched = 0;
    for (const fleetStream of this.streams.values()) if (fleetStream.watched) watched += 1;
    try {
      await this.membership.announce(held.length > 0 || watched > 0, held.length, watched);
      if (this.announceFailing) this.logger.info('fleet announcement succeeded again');
      this.announceFailing = false;
    } catch (err) {
      fleetRedisErrors.labels('announce').inc();
      if (!this.announceFailing) this.logger.warn({ err }, 'fleet announcement failed');
      this.announceFailing = true;
      return;
    }
    this.shed(held.length);
  }

  /** Hands over leases beyond this instance's share, to streams where an instance under its share is interested. */
  private shed(held: number): void {
    let excess = held - this.membership.share();
    let room = this.membership.room();
    if (excess <= 0 || room <= 0) return;
    for (const fleetStream of this.streams.values()) {
      if (excess <= 0 || room <= 0) break;
      if (!fleetStream.reading || !this.membership.anotherUnderShare(fleetStream.interested)) continue;
      this.logger.info({ stream: fleetStream.stream, held, share: this.membership.share() }, 'handing a reader lease over to spread readers across the fleet');
      fleetStream.handOver();
      excess -= 1;
      room -= 1;
    }
  }
}
