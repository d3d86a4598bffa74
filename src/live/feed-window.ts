import { liveBehindNow, liveDeliveryLatency } from '../core/metrics.js';
import type { MediaStart } from '../datasources/kinesis/kinesis.types.js';
import type { Fragment } from '../mkv/fragment.type.js';
import { compareFragmentNumbers, isFragmentNumber } from '../mkv/kinesis-tags.js';
import type { Subscriber } from './subscriber.js';

/**
 * The local fan-out step both hubs share: where a new subscriber starts in an instance's window of recent fragments
 * (the in-process `StreamFeed`'s own, or the fleet's `FleetFeed` mirror of the Redis log), and the replay of that
 * window. Pure positioning: no reader is started here, so the two feeds keep their own catch-up policies.
 */

/** The fragment stamp a timestamp start is measured against (epoch ms; null when the fragment lacks it). */
export function stampOf(type: 'SERVER_TIMESTAMP' | 'PRODUCER_TIMESTAMP'): (fragment: Fragment) => number | null {
  return type === 'SERVER_TIMESTAMP' ? (fragment) => fragment.serverTimestamp : (fragment) => fragment.producerTimestamp;
}

/** Queues every `window` fragment after the subscriber's position; the subscriber then follows the live feed. */
export function replayWindow(subscriber: Subscriber, window: readonly Fragment[]): void {
  subscriber.mode = 'live';
  for (const fragment of window) subscriber.offerFragment(fragment);
}

/**
 * Positions a new subscriber for `start` against `window` (oldest first) and replays what it should see of it.
 * NOW starts after the newest fragment held (nothing replayed). A fragment number or continuation token between the
 * oldest and the newest fragment held, or a timestamp at or after the oldest fragment's stamp, is served from the
 * window; a timestamp later than every stamp held also skips the live fragments stamped before it.
 *
 * @returns false when only GetMedia can serve the start, and the caller must open a catch-up reader: EARLIEST, a start
 *   before the window or with an empty window, and a number or token past the newest fragment (only the service
 *   knows whether it exists; waiting in the window for one the stream never had would be silent forever). Never throws.
 */
export function placeInWindow(subscriber: Subscriber, window: readonly Fragment[], start: MediaStart): boolean {
  const first = window[0];
  const newest = window[window.length - 1];
  switch (start.type) {
    case 'NOW':
      subscriber.startAfter(newest?.fragmentNumber ?? null);
      return true;
    case 'FRAGMENT_NUMBER':
    case 'CONTINUATION_TOKEN': {
      // Kinesis continuation tokens are fragment numbers; anything else can only be resumed upstream.
      const after = start.type === 'FRAGMENT_NUMBER' ? start.fragmentNumber : start.token;
      if (
        first?.fragmentNumber == null ||
        newest?.fragmentNumber == null ||
        !isFragmentNumber(after) ||
        compareFragmentNumbers(after, first.fragmentNumber) < 0 ||
        compareFragmentNumbers(after, newest.fragmentNumber) > 0
      ) {
        return false;
      }
      subscriber.startAfter(after);
      replayWindow(subscriber, window);
      return true;
    }
    case 'SERVER_TIMESTAMP':
    case 'PRODUCER_TIMESTAMP': {
      const at = start.timestamp.getTime();
      const stamp = stampOf(start.type);
      const firstStamp = first === undefined ? null : stamp(first);
      if (firstStamp === null || firstStamp > at) return false;
      const index = window.findIndex((fragment) => (stamp(fragment) ?? -Infinity) >= at);
      subscriber.startAfter(index === -1 ? (newest?.fragmentNumber ?? null) : index === 0 ? null : (window[index - 1]?.fragmentNumber ?? null));
      // Later than everything held: the live feed's next fragments may still be stamped before the time.
      if (index === -1) subscriber.skipUntil(at, stamp);
      replayWindow(subscriber, window);
      return true;
    }
    case 'EARLIEST':
      return false;
  }
}

/** The per-stream counters a feed records once per fragment. */
export interface FanOutCounters {
  readonly received: { inc(): void };
  readonly delivered: { inc(count: number): void };
}

/**
 * Offers `fragment` to every live subscriber (catching-up ones are fed by their own reader), then records it once:
 * received, delivered to how many, its `millisBehindNow` and its delivery latency from the server timestamp. Per
 * fragment, never per subscriber, so the fan-out loop stays free of metric work.
 */
export function fanOutLive(subscribers: Iterable<Subscriber>, fragment: Fragment, counters: FanOutCounters): void {
  let offered = 0;
  for (const subscriber of subscribers) {
    if (subscriber.mode !== 'live') continue;
    subscriber.offerFragment(fragment);
    offered += 1;
  }
  counters.received.inc();
  if (offered > 0) counters.delivered.inc(offered);
  if (fragment.millisBehindNow !== null) liveBehindNow.observe(fragment.millisBehindNow / 1000);
  if (fragment.serverTimestamp !== null) liveDeliveryLatency.observe(Math.max(0, Date.now() - fragment.serverTimestamp) / 1000);
}
