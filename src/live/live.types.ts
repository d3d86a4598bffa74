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
