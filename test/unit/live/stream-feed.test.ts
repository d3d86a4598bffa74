import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { MediaStart } from '../../../src/datasources/kinesis/kinesis.types.js';
import type { LiveEvent } from '../../../src/live/live.types.js';
import { StreamFeed, type StreamFeedOptions } from '../../../src/live/stream-feed.js';
import { Semaphore, TokenBucket } from '../../../src/live/token-bucket.js';
import { syntheticH264Track, writeFragment } from '../../../src/mkv/index.js';

const BASE = 91343852333181432392682062600000000000000n;
const OPTIONS: StreamFeedOptions = {
  reader: { idleTimeoutMs: 5_000, backoffBaseMs: 1, backoffCapMs: 4, idleReconnectMs: 1_000, retentionFallback: 'NOW' },
  windowSize: 10,
  lingerMs: 10,
  subscriberBuffer: 64,
  overflow: 'gap',
  fatalCooldownMs: 60_000,
  now: () => Date.now(),
};

/** Four fragments 40 ms apart; fragment i starts at server time 1,000 + 40 i. */
const STAMPS = [1_000, 1_040, 1_080, 1_120];
const number = (i: number): string => (BASE + BigInt(i)).toString();
const documents = STAMPS.map((at, i) =>
  Buffer.concat(
    writeFragment({
      tracks: [syntheticH264Track(64, 36)],
      frames: [{ trackNumber: 1, timecode: 0, keyframe: true, data: Buffer.alloc(16, 1) }],
      fragmentNumber: number(i),
      serverTimestamp: at,
      producerTimestamp: at,
      continuationToken: number(i),
    }),
  ),
);

/** A payload that sends `chunks` and then stays open (a caught-up session) until `signal` aborts. */
function openPayload(chunks: readonly Buffer[], signal: AbortSignal): Readable {
  const pending = [...chunks];
  const payload = new Readable({
    read() {
      const chunk = pending.shift();
      if (chunk !== undefined) this.push(chunk);
    },
  });
  signal.addEventListener('abort', () => payload.destroy(), { once: true });
  return payload;
}

const feeds: StreamFeed[] = [];
afterEach(async () => {
  for (const feed of feeds.splice(0)) await feed.close();
});

/** Pulls fragment numbers from `events` until `count` have arrived (statuses are skipped). */
async function fragments(events: AsyncIterableIterator<LiveEvent>, count: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < count) {
    const next = await events.next();
    if (next.done === true) throw new Error('the subscription ended');
    if (next.value.kind === 'gap') throw new Error('unexpected gap');
    if (next.value.kind === 'fragment') out.push(next.value.fragment.fragmentNumber ?? '');
  }
  return out;
}

describe('StreamFeed', () => {
  it('starts a SERVER_TIMESTAMP subscriber at the first fragment stamped at or after the time when it starts before the window', async () => {
    const opened: MediaStart[] = [];
    const feed = new StreamFeed(
      'cam',
      (_stream, start, signal) => {
        opened.push(start);
        // The live reader finds nothing new; GetMedia answers a timestamp with the fragment CONTAINING it.
        return Promise.resolve(openPayload(start.type === 'SERVER_TIMESTAMP' ? documents : [], signal));
      },
      { calls: new TokenBucket(100, 1_000), connections: new Semaphore(3) },
      OPTIONS,
    );
    feeds.push(feed);
    const subscriber = feed.subscribe({ type: 'SERVER_TIMESTAMP', timestamp: new Date(1_020) }, new AbortController().signal);
    // Fragment 0 (1,000-1,040) contains 1,020 but starts before it; 3 is only complete once the payload ends.
    expect(await fragments(subscriber, 2)).toEqual([number(1), number(2)]);
    expect(opened.map((start) => start.type).sort()).toEqual(['NOW', 'SERVER_TIMESTAMP']);
  });

  it('starts a SERVER_TIMESTAMP subscriber at the same fragment when the time is inside the replay window', async () => {
    const feed = new StreamFeed(
      'cam',
      (_stream, start, signal) => Promise.resolve(openPayload(start.type === 'NOW' ? documents : [], signal)),
      { calls: new TokenBucket(100, 1_000), connections: new Semaphore(3) },
      OPTIONS,
    );
    feeds.push(feed);
    const first = feed.subscribe({ type: 'NOW' }, new AbortController().signal);
    // The window holds fragments 0-2 once the live reader has read them.
    await fragments(first, 3);
    expect(feed.windowSize).toBe(3);
    const subscriber = feed.subscribe({ type: 'SERVER_TIMESTAMP', timestamp: new Date(1_020) }, new AbortController().signal);
    expect(await fragments(subscriber, 2)).toEqual([number(1), number(2)]);
  });
});
