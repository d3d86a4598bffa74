import type { MediaStart } from '../datasources/kinesis/kinesis.types.js';
import type { Fragment } from '../mkv/fragment.type.js';

/**
 * Why fragments are missing between two deliveries. `UPSTREAM_RESET`: the stream's fragment numbers started over
 * (the stream was recreated, or its service restarted), so positions before the gap say nothing about those after
 * it; delivery continues from the new numbering.
 */
export type GapReason = 'RETENTION' | 'SLOW_CONSUMER' | 'UPSTREAM_ERROR' | 'UPSTREAM_RESET';

/**
 * Upstream state as subscribers see it. `STALLED`: connected, but the last fragments Kinesis sent were all at or
 * before the last one delivered, so none could be delivered (duplicates are never passed on).
 */
export type FeedStatus = 'CONNECTED' | 'RECONNECTING' | 'THROTTLED' | 'STALLED' | 'ENDED';

/** One event of a live fragment subscription. */
export type LiveEvent =
  | { readonly kind: 'fragment'; readonly stream: string; readonly fragment: Fragment }
  | {
      readonly kind: 'gap';
      readonly stream: string;
      readonly reason: GapReason;
      /** Last fragment delivered before the gap (or the requested start), null when unknown. */
      readonly afterFragmentNumber: string | null;
      /** First fragment delivered after the gap, null when not known yet. */
      readonly beforeFragmentNumber: string | null;
      /** How many fragments were dropped, when known (slow consumer). */
      readonly missedFragments: number | null;
    }
  | { readonly kind: 'status'; readonly stream: string; readonly status: FeedStatus; readonly detail: string | null };

/** Live fragment subscription options. */
export interface SubscribeOptions {
  /** Ends the subscription (client gone, operation completed). */
  readonly signal: AbortSignal;
}

/**
 * The fragment hub: one upstream GetMedia per stream per instance, shared by every subscriber, with catch-up for
 * subscribers that start in the past. This interface is what resolvers see; a Redis-coordinated implementation
 * (one reader per stream across instances, a Redis Stream as the log) can replace the in-process one.
 */
export interface FragmentHub {
  /**
   * Subscribes to a stream's fragments from `start`. Events arrive in fragment-number order without duplicates;
   * anything that cannot be delivered arrives as a gap event. The iterator ends when `signal` aborts or the hub
   * closes, and throws a DomainError when the stream fails for good (e.g. a KMS error).
   */
  subscribe(stream: string, start: MediaStart, options: SubscribeOptions): AsyncIterableIterator<LiveEvent>;
  /** Counters for health, tests and benchmarks. */
  stats(stream: string): HubStreamStats;
  /**
   * What the hub is doing now, for operators: its mode, this instance's id, every stream it watches (local
   * subscribers, or in fleet mode a lease or an announced interest) and, in fleet mode, the fleet's instances and
   * recent reader failovers. Bounded work: proportional to the streams this instance watches and the fleet's
   * instances, never a scan of the keyspace.
   * @throws DomainError UPSTREAM_UNAVAILABLE when the fleet's coordination store (Redis) does not answer.
   */
  overview(): Promise<HubOverview>;
  /** Ends every subscription and upstream reader. */
  close(): Promise<void>;
}

/** Per-stream hub counters. */
export interface HubStreamStats {
  readonly subscribers: number;
  /** Open upstream GetMedia sessions (live + catch-up). */
  readonly upstreamSessions: number;
  readonly liveReaderRunning: boolean;
  readonly windowSize: number;
}

/** `LOCAL`: the in-process hub (one reader per stream per instance); `FLEET`: the Redis-coordinated hub. */
export type HubMode = 'LOCAL' | 'FLEET';

/** A feed status with its detail, as subscribers hear it in a status event. */
export interface HubFeedState {
  readonly status: FeedStatus;
  readonly detail: string | null;
}

/** A stream's reader lease in fleet mode: who holds it and under which fencing token. */
export interface ReaderLease {
  /** The holder's instance id. */
  readonly holder: string;
  /** The holder's fencing token: a decimal integer that grows with every acquisition (compare as a big integer). */
  readonly fencingToken: string;
}

/** One stream the hub watches, as {@link FragmentHub.overview} reports it. */
export interface HubStreamOverview extends HubStreamStats {
  readonly stream: string;
  /**
   * The live reader's last reported state; undefined before it reported one (it is still connecting, or nobody
   * here watches the stream any more). In fleet mode, the holder's status as stored in Redis (`ENDED` while the
   * stream's fatal cooldown lasts).
   */
  readonly state: HubFeedState | undefined;
  /** Fleet mode: the stream's lease, undefined when nobody holds it. Always undefined in local mode. */
  readonly lease: ReaderLease | undefined;
  /** Fleet mode: instances whose interest in the stream had not expired at this instance's last tick; undefined in local mode. */
  readonly interested: readonly string[] | undefined;
}

/** One instance of the fleet as its announcements describe it. Times are the Redis server's, in epoch ms. */
export interface FleetInstance {
  readonly id: string;
  /** Its announcement has not expired (it watches or holds something and its process is alive). */
  readonly alive: boolean;
  /** When it last announced itself; undefined when it runs a version that does not record it. */
  readonly lastSeenAt: number | undefined;
  /** When its announcement expires unless renewed. */
  readonly expiresAt: number;
  /** Reader leases it holds, as it last announced. */
  readonly leasesHeld: number;
  /** Streams it watches (has local subscribers for); undefined when it runs a version that does not record it. */
  readonly streamsWatched: number | undefined;
}

/**
 * Why a reader lease changed hands. `HANDOVER`: the holder gave it up on purpose (shutdown, spreading readers) and
 * said so in the log; `EXPIRED`: the holder stopped renewing it (crash, partition, stall) and it ran out.
 */
export type FailoverCause = 'HANDOVER' | 'EXPIRED';

/** A reader lease taken over from another instance, as the taking instance recorded it. */
export interface ReaderFailover {
  readonly stream: string;
  /** The former holder's instance id. */
  readonly from: string;
  /** The new holder's instance id. */
  readonly to: string;
  /** When the new holder recorded it (Redis server time, epoch ms). */
  readonly at: number;
  /** The new holder's fencing token. */
  readonly fencingToken: string;
  readonly cause: FailoverCause;
}

/** The fleet part of a {@link HubOverview}. */
export interface FleetOverview {
  /** Announced instances (this one included once it watches or holds something), by id. */
  readonly instances: readonly FleetInstance[];
  /** The newest reader failovers of the fleet, newest first (a bounded list). */
  readonly failovers: readonly ReaderFailover[];
}

/** What {@link FragmentHub.overview} returns. A snapshot: nothing in it changes afterwards. */
export interface HubOverview {
  readonly mode: HubMode;
  /** This instance's id (in fleet mode, the id its leases carry). */
  readonly instance: string;
  /** Streams this instance watches, by name. */
  readonly streams: readonly HubStreamOverview[];
  /** Fleet mode only. */
  readonly fleet: FleetOverview | undefined;
}
