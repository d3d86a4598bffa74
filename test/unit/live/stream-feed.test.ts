import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { MediaCallError } from '../../../src/datasources/kinesis/kinesis-media.datasource.js';
import type { MediaStart } from '../../../src/datasources/kinesis/kinesis.types.js';
import { DomainError } from '../../../src/core/domain-error.js';
import type { LiveEvent } from '../../../src/live/live.types.js';
import { DEFAULT_HUB_OPTIONS, LocalFragmentHub } from '../../../src/live/local-fragment-hub.js';
import type { MediaOpener, StreamLimits } from '../../../src/live/media-reader.js';
import { StreamFeed, type StreamFeedOptions } from '../../../src/live/stream-feed.js';
import { Semaphore, TokenBucket } from '../../../src/live/token-bucket.js';
import { syntheticH264Track, writeFragment } from '../../../src/mkv/index.js';
import { within } from '../../helpers/within.js';

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
/** The GetMedia document of fragment i (server time 1,000 + 40 i). */
const documentOf = (i: number): Buffer =>
  Buffer.concat(
    writeFragment({
      tracks: [syntheticH264Track(64, 36)],
      frames: [{ trackNumber: 1, timecode: 0, keyframe: true, data: Buffer.alloc(16, 1) }],
      fragmentNumber: number(i),
      serverTimestamp: 1_000 + 40 * i,
      producerTimestamp: 1_000 + 40 * i,
      continuationToken: number(i),
    }),
  );
const documents = STAMPS.map((_at, i) => documentOf(i));

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
  it('starts a SERVER_TIMESTAMP subscriber at the first fragment stamped at or after the time when the time is later than the window', async () => {
    // The live session sends fragments as the test releases them (live readers emit each at its trailing tags).
    const release: ((chunk: Buffer) => void)[] = [];
    const feed = new StreamFeed(
      'cam',
      (_stream, start, signal) => {
        if (start.type !== 'NOW') return Promise.resolve(openPayload([], signal));
        const payload = new Readable({ read: () => undefined });
        signal.addEventListener('abort', () => payload.destroy(), { once: true });
        release.push((chunk) => payload.push(chunk));
        return Promise.resolve(payload);
      },
      { calls: new TokenBucket(100, 1_000), connections: new Semaphore(3) },
      OPTIONS,
    );
    feeds.push(feed);
    const first = feed.subscribe({ type: 'NOW' }, new AbortController().signal);
    await within(
      new Promise<void>((resolve) => {
        const poll = (): void => (release.length > 0 ? resolve() : void setImmediate(poll));
        poll();
      }),
      5_000,
      'the live session',
    );
    const push = (i: number): void => release[0]?.(documentOf(i));
    [0, 1].forEach(push);
    await fragments(first, 2);
    expect(feed.windowSize).toBe(2);
    // 1,100 is after fragment 1 (1,040), the newest held; fragment 2 (1,080) is still before it.
    const late = feed.subscribe({ type: 'SERVER_TIMESTAMP', timestamp: new Date(1_100) }, new AbortController().signal);
    [2, 3, 4].forEach(push);
    expect(await fragments(late, 2)).toEqual([number(3), number(4)]);
  });
});

/** A payload that sends `chunks`, then ends cleanly. */
function endedPayload(chunks: readonly Buffer[]): Readable {
  return Readable.from(chunks);
}

/** Resolves once `condition` holds, checking after every turn of the event loop (no fixed sleeps). */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after 2000 ms waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Pulls `count` events (of any kind). */
async function events(iterator: AsyncIterableIterator<LiveEvent>, count: number): Promise<LiveEvent[]> {
  const out: LiveEvent[] = [];
  while (out.length < count) {
    const next = await within(iterator.next(), 2_000, `event ${out.length + 1} of ${count}`);
    if (next.done === true) break;
    out.push(next.value);
  }
  return out;
}

/** A compact view of events for assertions. */
function describeEvent(event: LiveEvent): string {
  switch (event.kind) {
    case 'fragment':
      return `fragment ${event.fragment.fragmentNumber ?? ''}`;
    case 'gap':
      return `gap ${event.reason} ${event.afterFragmentNumber ?? ''} ${event.beforeFragmentNumber ?? ''}`;
    case 'status':
      return `status ${event.status}${event.detail === null ? '' : ` ${event.detail}`}`;
  }
}

function newFeed(open: MediaOpener, options: Partial<StreamFeedOptions> = {}): { readonly feed: StreamFeed; readonly limits: StreamLimits } {
  const limits: StreamLimits = { calls: new TokenBucket(100, 1_000), connections: new Semaphore(3) };
  const feed = new StreamFeed('cam', open, limits, { ...OPTIONS, ...options });
  feeds.push(feed);
  return { feed, limits };
}

describe('StreamFeed statuses', () => {
  it('starts a new subscriber with CONNECTED, not the ENDED of the reader it released, when it arrives after the linger', async () => {
    const opened: MediaStart[] = [];
    const { feed, limits } = newFeed((_stream, start, signal) => {
      opened.push(start);
      return Promise.resolve(openPayload(documents, signal));
    });
    const first = feed.subscribe({ type: 'NOW' }, new AbortController().signal);
    expect((await events(first, 3)).map(describeEvent)).toEqual(['status CONNECTED', `fragment ${number(0)}`, `fragment ${number(1)}`]);
    await first.return();
    // The linger releases the reader; once its connection is back, it has wound down completely.
    await until(() => !feed.liveRunning && limits.connections.held === 0, 'the released reader to stop');

    const second = feed.subscribe({ type: 'NOW' }, new AbortController().signal);
    const [head] = await events(second, 1);
    expect(head === undefined ? '' : describeEvent(head)).toBe('status CONNECTED');
    expect(opened).toEqual([{ type: 'NOW' }, { type: 'NOW' }]);
  });

  it('sends ENDED with the code, after the fragments already read, and then the error when the stream is deleted upstream', async () => {
    let calls = 0;
    const { feed } = newFeed(
      () => {
        calls += 1;
        // The first session ends (an idle producer); by the reconnect the stream is gone.
        if (calls === 1) return Promise.resolve(endedPayload(documents.slice(0, 2)));
        return Promise.reject(new MediaCallError('ResourceNotFoundException', new DomainError('NOT_FOUND', 'Kinesis Video has no such stream.')));
      },
      { reader: { ...OPTIONS.reader, idleReconnectMs: 1 } },
    );
    const subscriber = feed.subscribe({ type: 'NOW' }, new AbortController().signal);
    // Nothing is pulled until the failure has happened: what was queued before it must still arrive.
    await until(() => feed.subscriberCount === 0, 'the subscription to fail');
    const received: string[] = [];
    let failure: unknown;
    try {
      for await (const event of subscriber) received.push(describeEvent(event));
    } catch (error) {
      failure = error;
    }
    expect(received).toEqual(['status CONNECTED', `fragment ${number(0)}`, `fragment ${number(1)}`, 'status ENDED NOT_FOUND']);
    expect(failure).toMatchObject({ code: 'NOT_FOUND' });
    expect(feed.liveRunning).toBe(false);

    // During the cooldown a newcomer gets the same end, without another call.
    const late = feed.subscribe({ type: 'NOW' }, new AbortController().signal);
    expect((await events(late, 1)).map(describeEvent)).toEqual(['status ENDED NOT_FOUND']);
    await expect(late.next()).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(calls).toBe(2);
  });

  it('ignores a released reader that reports after a new one took over', async () => {
    // The first call answers only after the linger released its reader; every later call is throttled.
    let answerFirst: (payload: Readable) => void = () => undefined;
    let firstSignal: AbortSignal | undefined;
    let calls = 0;
    const { feed } = newFeed((_stream, _start, signal) => {
      calls += 1;
      if (calls === 1) {
        firstSignal = signal;
        return new Promise<Readable>((resolve) => {
          answerFirst = resolve;
        });
      }
      return Promise.reject(new MediaCallError('ClientLimitExceededException', new DomainError('UPSTREAM_THROTTLED', 'throttled')));
    });
    const first = feed.subscribe({ type: 'NOW' }, new AbortController().signal);
    await until(() => calls === 1, 'the first call');
    await first.return();
    await until(() => !feed.liveRunning, 'the linger to release the reader');
    const second = feed.subscribe({ type: 'NOW' }, new AbortController().signal);
    expect((await events(second, 1)).map(describeEvent)).toEqual(['status THROTTLED call rate limit']);

    // The released reader's call finally answers, with fragments: none of it may reach the new subscribers.
    const late = openPayload(documents, firstSignal ?? new AbortController().signal);
    const closed = new Promise<void>((resolve) => late.once('close', () => resolve()));
    answerFirst(late);
    await within(closed, 2_000, 'the released reader to drop its late payload');
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(second.queued).toBe(0);
    expect(feed.windowSize).toBe(0);
    const third = feed.subscribe({ type: 'NOW' }, new AbortController().signal);
    expect((await events(third, 1)).map(describeEvent)).toEqual(['status THROTTLED call rate limit']);
  });

  it('never sends ENDED when a catch-up reader hands over to the live feed', async () => {
    const { feed, limits } = newFeed((_stream, start, signal) =>
      Promise.resolve(openPayload(start.type === 'NOW' ? [documentOf(2), documentOf(3), documentOf(4)] : [0, 1, 2, 3].map(documentOf), signal)),
    );
    const live = feed.subscribe({ type: 'NOW' }, new AbortController().signal);
    await fragments(live, 2);
    const subscriber = feed.subscribe({ type: 'EARLIEST' }, new AbortController().signal);
    // The feed's status, then the history; the catch-up reader's own CONNECTED is no change.
    expect((await events(subscriber, 5)).map(describeEvent)).toEqual(['status CONNECTED', ...[0, 1, 2, 3].map((i) => `fragment ${number(i)}`)]);
    // Handed over: the private reader has stopped, and nothing announced its end.
    await until(() => limits.connections.held === 1, 'the catch-up connection to be released');
    const rest = (await events(subscriber, subscriber.queued)).map(describeEvent);
    expect(rest.filter((event) => !event.startsWith('fragment '))).toEqual([]);
  });
});

describe('StreamFeed start positions', () => {
  it('asks GetMedia for a fragment number newer than the window instead of waiting for it silently', async () => {
    const opened: MediaStart[] = [];
    const { feed } = newFeed((_stream, start, signal) => {
      opened.push(start);
      // The live reader is behind: fragment 5 exists upstream but has not reached this instance yet.
      if (start.type === 'NOW') return Promise.resolve(openPayload(documents, signal));
      return Promise.resolve(openPayload([documentOf(6), documentOf(7)], signal));
    });
    const live = feed.subscribe({ type: 'NOW' }, new AbortController().signal);
    await fragments(live, 2);
    const subscriber = feed.subscribe({ type: 'FRAGMENT_NUMBER', fragmentNumber: number(5) }, new AbortController().signal);
    expect(await within(fragments(subscriber, 1), 2_000, 'the fragment after the requested one')).toEqual([number(6)]);
    expect(opened).toContainEqual({ type: 'FRAGMENT_NUMBER', fragmentNumber: number(5) });
  });

  it('replays from the window when the fragment number is inside it, without a call', async () => {
    const opened: MediaStart[] = [];
    const { feed } = newFeed((_stream, start, signal) => {
      opened.push(start);
      return Promise.resolve(openPayload(start.type === 'NOW' ? documents : [], signal));
    });
    const live = feed.subscribe({ type: 'NOW' }, new AbortController().signal);
    await fragments(live, 3);
    const subscriber = feed.subscribe({ type: 'FRAGMENT_NUMBER', fragmentNumber: number(0) }, new AbortController().signal);
    expect(await fragments(subscriber, 2)).toEqual([number(1), number(2)]);
    expect(opened).toEqual([{ type: 'NOW' }]);
  });
});

describe('StreamFeed window', () => {
  it('refuses a window of fewer than 1 fragment when constructed', () => {
    const limits: StreamLimits = { calls: new TokenBucket(100, 1_000), connections: new Semaphore(3) };
    const open: MediaOpener = () => Promise.reject(new Error('not called'));
    expect(() => new StreamFeed('cam', open, limits, { ...OPTIONS, windowSize: 0 })).toThrow(RangeError);
    expect(() => new LocalFragmentHub(open, { ...DEFAULT_HUB_OPTIONS, windowSize: 0 })).toThrow(RangeError);
  });

  it('keeps one fragment and still hands a catch-up reader over to the live feed when the window is 1', async () => {
    const { feed, limits } = newFeed(
      (_stream, start, signal) =>
        Promise.resolve(openPayload(start.type === 'NOW' ? [documentOf(3), documentOf(4), documentOf(5)] : [0, 1, 2, 3, 4, 5].map(documentOf), signal)),
      { windowSize: 1 },
    );
    const live = feed.subscribe({ type: 'NOW' }, new AbortController().signal);
    await fragments(live, 2);
    expect(feed.windowSize).toBe(1);
    const subscriber = feed.subscribe({ type: 'EARLIEST' }, new AbortController().signal);
    expect(await fragments(subscriber, 5)).toEqual([0, 1, 2, 3, 4].map(number));
    await until(() => limits.connections.held === 1, 'the catch-up reader to hand over');
    expect(feed.windowSize).toBe(1);
  });
});
