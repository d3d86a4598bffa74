import { Readable, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { MediaStart } from '../../../src/datasources/kinesis/kinesis.types.js';
import { createLogger } from '../../../src/core/logger.js';
import type { LiveEvent } from '../../../src/live/live.types.js';
import { StreamFeed, type StreamFeedOptions } from '../../../src/live/stream-feed.js';
import { Semaphore, TokenBucket } from '../../../src/live/token-bucket.js';
import { GET_MEDIA_ERRORS, syntheticH264Track, writeFragment } from '../../../src/mkv/index.js';
import { within } from '../../helpers/within.js';

/*
 * A stream whose fragment numbers start over under the live reader (the stream was recreated, or the service
 * restarted): subscribers get an UPSTREAM_RESET gap and the new fragments, and the replay window starts over too.
 */

const OLD = 91343852333181432392682062607743920146159169392n;
const NEW = 91343852333181432392682062600000000000000000000n;
const before = (i: number): string => (OLD + BigInt(i)).toString();
const after = (i: number): string => (NEW + BigInt(i)).toString();

/** Received 1 s apart within a numbering; the restarted numbering an hour after the first. */
function receivedAt(number: string): number {
  const value = BigInt(number);
  return value >= OLD ? 1_000 + Number(value - OLD) * 1_000 : 3_601_000 + Number(value - NEW) * 1_000;
}

function documentOf(number: string): Buffer {
  return Buffer.concat(
    writeFragment({
      tracks: [syntheticH264Track(64, 36)],
      frames: [{ trackNumber: 1, timecode: 0, keyframe: true, data: Buffer.alloc(16, 1) }],
      fragmentNumber: number,
      serverTimestamp: receivedAt(number),
      producerTimestamp: receivedAt(number),
      continuationToken: number,
    }),
  );
}

const error4000 = Buffer.concat(writeFragment({ tracks: [], frames: [], errorCode: GET_MEDIA_ERRORS.get(4000) ?? 'error', errorId: 4000 }));

const feeds: StreamFeed[] = [];
afterEach(async () => {
  for (const feed of feeds.splice(0)) await feed.close();
});

/** Pulls events as short strings (`f <number>`, `gap <reason>`; statuses skipped) until `count` have arrived. */
async function events(iterator: AsyncIterableIterator<LiveEvent>, count: number): Promise<string[]> {
  const out: string[] = [];
  while (out.length < count) {
    const next = await within(iterator.next(), 5_000, `event ${out.length + 1} of ${count} (so far ${JSON.stringify(out)})`);
    if (next.done === true) throw new Error('the subscription ended');
    const event = next.value;
    if (event.kind === 'fragment') out.push(`f ${event.fragment.fragmentNumber ?? ''}`);
    else if (event.kind === 'gap') out.push(`gap ${event.reason} ${event.afterFragmentNumber ?? ''} ${event.beforeFragmentNumber ?? ''}`);
  }
  return out;
}

describe('StreamFeed', () => {
  it('sends live subscribers an UPSTREAM_RESET gap and the new fragments, and replays a restarted window, when fragment numbers start over', async () => {
    const opened: MediaStart[] = [];
    const logs: string[] = [];
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          logs.push(chunk.toString('utf8'));
          callback();
        },
      }),
    );
    const sessions: (readonly Buffer[])[] = [
      [documentOf(before(1)), documentOf(before(2)), documentOf(before(3))],
      [error4000],
      [documentOf(after(1)), documentOf(after(2))],
    ];
    const options: StreamFeedOptions = {
      reader: { idleTimeoutMs: 5_000, backoffBaseMs: 1, backoffCapMs: 4, idleReconnectMs: 1, retentionFallback: 'NOW' },
      windowSize: 10,
      lingerMs: 10,
      subscriberBuffer: 64,
      overflow: 'gap',
      fatalCooldownMs: 60_000,
      now: () => Date.now(),
      logger,
    };
    const feed = new StreamFeed(
      'cam',
      (_stream, start, signal) => {
        opened.push(start);
        const chunks = [...(sessions.shift() ?? [])];
        const last = sessions.length === 0;
        const payload = new Readable({
          read() {
            const chunk = chunks.shift();
            if (chunk !== undefined) this.push(chunk);
            // The first sessions end (the old service went away); the last stays open, caught up.
            else if (!last || opened.length < 3) this.push(null);
          },
        });
        signal.addEventListener('abort', () => payload.destroy(), { once: true });
        return Promise.resolve(payload);
      },
      { calls: new TokenBucket(100, 1_000), connections: new Semaphore(3) },
      options,
    );
    feeds.push(feed);
    const live = feed.subscribe({ type: 'NOW' }, new AbortController().signal);
    expect(await events(live, 6)).toEqual([
      `f ${before(1)}`,
      `f ${before(2)}`,
      `f ${before(3)}`,
      `gap UPSTREAM_RESET ${before(3)} ${after(1)}`,
      `f ${after(1)}`,
      `f ${after(2)}`,
    ]);
    // The window holds only the new numbering: a start inside it is replayed without another GetMedia call.
    const calls = opened.length;
    const resumed = feed.subscribe({ type: 'FRAGMENT_NUMBER', fragmentNumber: after(1) }, new AbortController().signal);
    expect(await events(resumed, 1)).toEqual([`f ${after(2)}`]);
    expect(opened.length).toBe(calls);
    expect(logs.join('')).toContain('"reason":"UPSTREAM_RESET"');
  });

  it('tells subscribers STALLED and logs a warning while the live reader connects but every fragment is at or before the last one delivered', async () => {
    const logs: string[] = [];
    const logger = createLogger(
      'info',
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          logs.push(chunk.toString('utf8'));
          callback();
        },
      }),
    );
    const feed = new StreamFeed(
      'cam',
      (_stream, _start, signal) => {
        // Without error 4000, nothing says the numbering started over: older numbers are duplicates to drop.
        const chunks = [before(5), before(6), before(1), before(2), before(3), before(4), before(7)].map(documentOf);
        const payload = new Readable({
          read() {
            const chunk = chunks.shift();
            if (chunk !== undefined) this.push(chunk);
          },
        });
        signal.addEventListener('abort', () => payload.destroy(), { once: true });
        return Promise.resolve(payload);
      },
      { calls: new TokenBucket(100, 1_000), connections: new Semaphore(3) },
      {
        reader: { idleTimeoutMs: 5_000, backoffBaseMs: 1, backoffCapMs: 4, idleReconnectMs: 1_000, retentionFallback: 'NOW' },
        windowSize: 10,
        lingerMs: 10,
        subscriberBuffer: 64,
        overflow: 'gap',
        fatalCooldownMs: 60_000,
        now: () => Date.now(),
        logger,
      },
    );
    feeds.push(feed);
    const live = feed.subscribe({ type: 'NOW' }, new AbortController().signal);
    const seen: string[] = [];
    while (!seen.includes(`f ${before(7)}`)) {
      const next = await within(live.next(), 5_000, `the next event (so far ${JSON.stringify(seen)})`);
      if (next.done === true) throw new Error('the subscription ended');
      const event = next.value;
      seen.push(event.kind === 'fragment' ? `f ${event.fragment.fragmentNumber ?? ''}` : event.kind === 'status' ? `status ${event.status}` : `gap ${event.reason}`);
    }
    expect(seen).toEqual(['status CONNECTED', `f ${before(5)}`, `f ${before(6)}`, 'status STALLED', 'status CONNECTED', `f ${before(7)}`]);
    const warning = logs.map((line) => JSON.parse(line) as { level: number; status?: string; stream?: string }).find((line) => line.status === 'STALLED');
    expect(warning).toMatchObject({ level: 40, stream: 'cam' });
  });
});
