import type { MediaStart } from '../datasources/kinesis/kinesis.types.js';
import type { Logger } from '../core/logger.js';
import { defaultInstanceId } from './instance-id.js';
import type { FragmentHub, HubFeedState, HubOverview, HubStreamOverview, HubStreamStats, LiveEvent, SubscribeOptions } from './live.types.js';
import type { MediaOpener, MediaReaderOptions, StreamLimits } from './media-reader.js';
import { StreamFeed, type StreamFeedOptions } from './stream-feed.js';
import type { OverflowPolicy, Subscriber } from './subscriber.js';
import { Semaphore, TokenBucket } from './token-bucket.js';

/** Tunables of the in-process hub (defaults in {@link DEFAULT_HUB_OPTIONS}). */
export interface LocalHubOptions {
  /** GetMedia calls in any one-second window per stream (service limit: 5/s). */
  readonly callsPerSecond: number;
  /** Concurrent GetMedia sessions per stream, live + catch-up (service limit: 3). */
  readonly connectionsPerStream: number;
  readonly reader: Omit<MediaReaderOptions, 'retentionFallback'>;
  /** Recent fragments replayed per stream; at least 1 (see {@link StreamFeedOptions.windowSize}). */
  readonly windowSize: number;
  readonly lingerMs: number;
  readonly subscriberBuffer: number;
  readonly overflow: OverflowPolicy;
  readonly fatalCooldownMs: number;
  /** Receives the warnings of {@link StreamFeedOptions.logger}; none when omitted. */
  readonly logger?: Logger;
  /** This instance's id in {@link FragmentHub.overview} (and in Redis, in fleet mode); default `<host>-<pid>-<random>`. */
  readonly instanceId?: string;
}

/** Defaults sized for the documented Kinesis limits and a fragment every ~2 s. */
export const DEFAULT_HUB_OPTIONS: LocalHubOptions = {
  callsPerSecond: 5,
  connectionsPerStream: 3,
  reader: { idleTimeoutMs: 5_000, backoffBaseMs: 250, backoffCapMs: 10_000, idleReconnectMs: 1_000 },
  windowSize: 150,
  lingerMs: 5_000,
  subscriberBuffer: 256,
  overflow: 'gap',
  fatalCooldownMs: 60_000,
};

/**
 * {@link FragmentHub} for one process: a {@link StreamFeed} per stream, created on first subscription. Call and
 * connection budgets live as long as the hub, not the feed, so a feed restarted after its linger still honours
 * the rate its predecessor used.
 */
export class LocalFragmentHub implements FragmentHub {
  /** This instance's id, as {@link overview} reports it. */
  readonly instance: string;
  private readonly feeds = new Map<string, StreamFeed>();
  private readonly limits = new Map<string, StreamLimits>();
  /**
   * The subscribers handed out, per stream: the feed keeps its reader's state to itself, and every subscriber
   * holds the last state it was offered. Ended ones are dropped on the stream's next subscription or overview.
   */
  private readonly handedOut = new Map<string, Set<Subscriber>>();
  private closed = false;

  constructor(
    private readonly open: MediaOpener,
    private readonly options: LocalHubOptions = DEFAULT_HUB_OPTIONS,
    private readonly now: () => number = Date.now,
  ) {
    // Checked here, at startup, rather than when the first subscriber creates a feed.
    if (!Number.isSafeInteger(options.windowSize) || options.windowSize < 1) {
      throw new RangeError(`windowSize must be an integer of at least 1, got ${String(options.windowSize)}.`);
    }
    this.instance = options.instanceId ?? defaultInstanceId();
  }

  subscribe(stream: string, start: MediaStart, options: SubscribeOptions): AsyncIterableIterator<LiveEvent> {
    if (this.closed) throw new Error('The fragment hub is closed.');
    const subscriber = this.feed(stream).subscribe(start, options.signal);
    let handed = this.handedOut.get(stream);
    if (handed === undefined) {
      handed = new Set();
      this.handedOut.set(stream, handed);
    }
    pruneEnded(handed);
    if (!subscriber.ended) handed.add(subscriber);
    return subscriber;
  }

  stats(stream: string): HubStreamStats {
    const feed = this.feeds.get(stream);
    return {
      subscribers: feed?.subscriberCount ?? 0,
      upstreamSessions: this.limits.get(stream)?.connections.held ?? 0,
      liveReaderRunning: feed?.liveRunning ?? false,
      windowSize: feed?.windowSize ?? 0,
    };
  }

  /** Streams with subscribers, a running live reader or open GetMedia sessions, by name. Local work only. */
  overview(): Promise<HubOverview> {
    const streams: HubStreamOverview[] = [];
    for (const stream of this.feeds.keys()) {
      const stats = this.stats(stream);
      if (stats.subscribers === 0 && !stats.liveReaderRunning && stats.upstreamSessions === 0) continue;
      streams.push({ stream, ...stats, state: this.stateOf(stream), lease: undefined, interested: undefined });
    }
    streams.sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
    return Promise.resolve({ mode: 'LOCAL', instance: this.instance, streams, fleet: undefined });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.handedOut.clear();
    const feeds = [...this.feeds.values()];
    this.feeds.clear();
    await Promise.all(feeds.map((feed) => feed.close()));
  }

  /**
   * The live reader's last state as its subscribers heard it: one that follows the live feed is asked first (a
   * subscriber still catching up last heard its own reader). Undefined when none is attached or none heard one.
   */
  private stateOf(stream: string): HubFeedState | undefined {
    const handed = this.handedOut.get(stream);
    if (handed === undefined) return undefined;
    pruneEnded(handed);
    let fallback: HubFeedState | undefined;
    for (const subscriber of handed) {
      const state = subscriber.lastOfferedStatus;
      if (state === undefined) continue;
      if (subscriber.mode === 'live') return state;
      fallback ??= state;
    }
    return fallback;
  }

  private feed(stream: string): StreamFeed {
    let feed = this.feeds.get(stream);
    if (feed === undefined) {
      let limits = this.limits.get(stream);
      if (limits === undefined) {
        limits = {
          calls: new TokenBucket(this.options.callsPerSecond, 1000),
          connections: new Semaphore(this.options.connectionsPerStream),
        };
        this.limits.set(stream, limits);
      }
      const feedOptions: StreamFeedOptions = {
        reader: { ...this.options.reader, retentionFallback: 'NOW' },
        windowSize: this.options.windowSize,
        lingerMs: this.options.lingerMs,
        subscriberBuffer: this.options.subscriberBuffer,
        overflow: this.options.overflow,
        fatalCooldownMs: this.options.fatalCooldownMs,
        now: this.now,
        logger: this.options.logger,
      };
      feed = new StreamFeed(stream, this.open, limits, feedOptions);
      this.feeds.set(stream, feed);
    }
    return feed;
  }
}

function pruneEnded(subscribers: Set<Subscriber>): void {
  for (const subscriber of subscribers) if (subscriber.ended) subscribers.delete(subscriber);
}
