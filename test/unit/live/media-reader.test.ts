import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { MediaStart } from '../../../src/datasources/kinesis/kinesis.types.js';
import { MediaCallError } from '../../../src/datasources/kinesis/kinesis-media.datasource.js';
import { DomainError } from '../../../src/core/domain-error.js';
import type { FeedStatus, GapReason } from '../../../src/live/live.types.js';
import { MediaReader, type MediaReaderOptions } from '../../../src/live/media-reader.js';
import { Semaphore, TokenBucket } from '../../../src/live/token-bucket.js';
import { EbmlId, GET_MEDIA_ERRORS, KinesisTag, masterElement, stringElement, syntheticH264Track, writeFragment, writeFragmentHead } from '../../../src/mkv/index.js';

/*
 * RELIABILITY.md K12 (malformed MKV) at the reader level: a scripted MediaOpener plays the role of GetMedia and
 * returns truncated, corrupted, oversized or out-of-order payloads built with the project's MKV writer. Each
 * scripted session serves the fragments after the position the reader asks for, so the test also checks that
 * every resume starts right after the last fragment delivered.
 */

const BASE = 91343852333181432392682062600000000000000n;
const TRACK = syntheticH264Track(64, 36);
const FAST: MediaReaderOptions = { idleTimeoutMs: 500, backoffBaseMs: 1, backoffCapMs: 4, idleReconnectMs: 1, retentionFallback: 'EARLIEST' };

/** Fragment number `i` of the test stream (well above 2^53). */
function fn(i: number): string {
  return (BASE + BigInt(i) * 1000n).toString();
}

/** One GetMedia fragment document, as the service writes it. */
function fragment(number: string, at = 1_700_000_000_000): Buffer {
  return Buffer.concat(
    writeFragment({
      tracks: [TRACK],
      frames: [{ trackNumber: 1, timecode: 0, keyframe: true, data: Buffer.alloc(48, 7) }],
      fragmentNumber: number,
      serverTimestamp: at,
      producerTimestamp: at,
      millisBehindNow: 0,
      continuationToken: number,
    }),
  );
}

/** An error document (no tracks, no cluster) carrying `AWS_KINESISVIDEO_ERROR_ID`. */
function errorDocument(id: number): Buffer {
  return Buffer.concat(writeFragment({ tracks: [], frames: [], errorCode: GET_MEDIA_ERRORS.get(id) ?? 'error', errorId: id }));
}

/**
 * A fragment document whose error tags follow its continuation token in a later Tags element of the same
 * document (the writer's layout): live emission delivers the fragment before those tags are read.
 */
function fragmentEndingWithError(number: string, errorId: number): Buffer {
  return Buffer.concat(
    writeFragment({
      tracks: [TRACK],
      frames: [{ trackNumber: 1, timecode: 0, keyframe: true, data: Buffer.alloc(48, 7) }],
      fragmentNumber: number,
      serverTimestamp: 1_700_000_000_000,
      producerTimestamp: 1_700_000_000_000,
      millisBehindNow: 0,
      continuationToken: number,
      errorCode: GET_MEDIA_ERRORS.get(errorId) ?? 'error',
      errorId,
    }),
  );
}

/** What a scripted session sends: payload chunks, then a clean end or a connection error. */
interface Session {
  readonly chunks: readonly Buffer[];
  readonly fail?: Error;
  /** The call itself is refused with this error (no payload). */
  readonly refuse?: Error;
}

/**
 * A MediaOpener playing `script` one session per call, then sessions that send nothing and stay open until
 * aborted (a caught-up stream with nothing new). Records every start position.
 */
function scriptedOpener(script: readonly Session[]): {
  readonly starts: MediaStart[];
  open(stream: string, start: MediaStart, signal: AbortSignal): Promise<Readable>;
} {
  const starts: MediaStart[] = [];
  let next = 0;
  return {
    starts,
    open: (_stream, start, signal) => {
      starts.push(start);
      const session = script[next];
      next += 1;
      if (session === undefined) {
        const quiet = new Readable({ read: () => undefined });
        signal.addEventListener('abort', () => quiet.destroy(), { once: true });
        return Promise.resolve(quiet);
      }
      if (session.refuse !== undefined) return Promise.reject(session.refuse);
      const chunks = [...session.chunks];
      const payload = new Readable({
        read() {
          const chunk = chunks.shift();
          if (chunk !== undefined) this.push(chunk);
          else if (session.fail !== undefined) this.destroy(session.fail);
          else this.push(null);
        },
      });
      return Promise.resolve(payload);
    },
  };
}

interface Run {
  readonly delivered: string[];
  readonly gaps: { readonly reason: GapReason; readonly afterFragmentNumber: string | null; readonly beforeFragmentNumber: string }[];
  readonly statuses: { readonly status: FeedStatus; readonly detail: string | null }[];
  readonly fatal: DomainError[];
  readonly starts: MediaStart[];
}

/**
 * Runs a reader over `script` until `done` holds for what it delivered (or it stops by itself), then stops it.
 * The reader's own promise must resolve: a rejection would be a crash.
 */
async function runReader(script: readonly Session[], start: MediaStart, done: (run: Run) => boolean, options: MediaReaderOptions = FAST): Promise<Run> {
  const opener = scriptedOpener(script);
  const run: Run = { delivered: [], gaps: [], statuses: [], fatal: [], starts: opener.starts };
  let wake: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => {
    wake = () => {
      if (done(run)) resolve();
    };
  });
  const reader = new MediaReader(
    opener.open,
    'cam',
    start,
    { calls: new TokenBucket(1_000, 1_000), connections: new Semaphore(1) },
    {
      onFragment: (f) => {
        run.delivered.push(f.fragmentNumber ?? '');
        wake();
      },
      onGap: (gap) => {
        run.gaps.push(gap);
        wake();
      },
      onStatus: (status, detail) => run.statuses.push({ status, detail }),
      onFatal: (error) => {
        run.fatal.push(error);
        wake();
      },
    },
    options,
  );
  const stopped = reader.start();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`reader did not finish: delivered ${run.delivered.length}, starts ${run.starts.length}`)), 5_000);
  });
  try {
    await Promise.race([reached, stopped.then(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
  await reader.stop();
  await stopped;
  return run;
}

const token = (i: number): MediaStart => ({ type: 'CONTINUATION_TOKEN', token: fn(i) });
const numbers = (...ids: number[]): string[] => ids.map(fn);

describe('MediaReader', () => {
  it('resumes after the last complete fragment when a payload ends in the middle of one (K12 truncation)', async () => {
    const f4 = fragment(fn(4));
    const run = await runReader(
      [{ chunks: [fragment(fn(1)), fragment(fn(2)), fragment(fn(3)), f4.subarray(0, Math.floor(f4.length / 2))] }, { chunks: [f4, fragment(fn(5))] }],
      { type: 'EARLIEST' },
      (r) => r.delivered.length >= 5,
    );
    expect(run.delivered).toEqual(numbers(1, 2, 3, 4, 5));
    expect(run.starts.slice(0, 2)).toEqual([{ type: 'EARLIEST' }, token(3)]);
    expect(run.statuses).toContainEqual({ status: 'RECONNECTING', detail: 'malformed media' });
    expect(run.fatal).toEqual([]);
  });

  it('resumes after the last fragment it can trust when garbage follows a fragment (K12 corruption)', async () => {
    // A zero byte cannot start an EBML id: the parser fails after fragment 2, which live emission has already
    // delivered at its trailing tags, so the reader resumes after fragment 2 and drops the repeat.
    const run = await runReader(
      [{ chunks: [fragment(fn(1)), fragment(fn(2)), Buffer.alloc(64, 0)] }, { chunks: [fragment(fn(2)), fragment(fn(3))] }],
      { type: 'NOW' },
      (r) => r.delivered.length >= 3,
    );
    expect(run.delivered).toEqual(numbers(1, 2, 3));
    expect(run.starts.slice(0, 2)).toEqual([{ type: 'NOW' }, token(2)]);
    expect(run.statuses).toContainEqual({ status: 'RECONNECTING', detail: 'malformed media' });
  });

  it('refuses an element declaring a huge size instead of buffering it, and resumes (K12 huge sizes)', async () => {
    // A Cluster header (1F 43 B6 75) declaring 2^40 bytes, far above the parser's element cap.
    const huge = Buffer.from([0x1f, 0x43, 0xb6, 0x75, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00]);
    const run = await runReader(
      [{ chunks: [fragment(fn(1)), Buffer.concat([fragment(fn(2)), huge, Buffer.alloc(1024, 0x55)])] }, { chunks: [fragment(fn(2)), fragment(fn(3))] }],
      { type: 'EARLIEST' },
      (r) => r.delivered.length >= 3,
    );
    expect(run.delivered).toEqual(numbers(1, 2, 3));
    expect(run.starts[1]).toEqual(token(2));
    expect(run.statuses).toContainEqual({ status: 'RECONNECTING', detail: 'malformed media' });
  });

  it('resumes by fragment number when a delivered fragment carries a corrupted continuation token', async () => {
    const corrupted = Buffer.concat(
      writeFragment({
        tracks: [TRACK],
        frames: [{ trackNumber: 1, timecode: 0, keyframe: true, data: Buffer.alloc(48, 7) }],
        fragmentNumber: fn(1),
        serverTimestamp: 1_700_000_000_000,
        producerTimestamp: 1_700_000_000_000,
        millisBehindNow: 0,
        continuationToken: `${fn(1).slice(0, -1)}\u0000`,
      }),
    );
    const run = await runReader(
      [{ chunks: [corrupted], fail: Object.assign(new Error('aborted'), { code: 'ECONNRESET' }) }, { chunks: [fragment(fn(2))] }],
      { type: 'NOW' },
      (r) => r.delivered.length >= 2,
    );
    expect(run.delivered).toEqual(numbers(1, 2));
    expect(run.starts[1]).toEqual({ type: 'FRAGMENT_NUMBER', fragmentNumber: fn(1) });
  });

  it('fails with BAD_USER_INPUT and makes no second call when the service refuses the requested start', async () => {
    const refused = new MediaCallError('InvalidArgumentException', new DomainError('BAD_USER_INPUT', 'Kinesis Video rejected the request arguments.'));
    const run = await runReader([{ chunks: [], refuse: refused }], { type: 'CONTINUATION_TOKEN', token: 'not-a-known-token' }, (r) => r.fatal.length > 0);
    expect(run.fatal.map((e) => e.code)).toEqual(['BAD_USER_INPUT']);
    expect(run.starts).toHaveLength(1);
    expect(run.delivered).toEqual([]);
  });

  it('resumes after the last fragment number, then from the fallback with a gap, when the service refuses its own positions', async () => {
    const refused = (): MediaCallError => new MediaCallError('InvalidArgumentException', new DomainError('BAD_USER_INPUT', 'Kinesis Video rejected the request arguments.'));
    const dropped = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    const run = await runReader(
      [
        { chunks: [fragment(fn(1))], fail: dropped },
        { chunks: [], refuse: refused() },
        { chunks: [fragment(fn(2))], fail: dropped },
        { chunks: [], refuse: refused() },
        { chunks: [], refuse: refused() },
        { chunks: [fragment(fn(7))] },
      ],
      { type: 'NOW' },
      (r) => r.delivered.length >= 3,
    );
    expect(run.starts).toEqual([
      { type: 'NOW' },
      token(1),
      { type: 'FRAGMENT_NUMBER', fragmentNumber: fn(1) },
      token(2),
      { type: 'FRAGMENT_NUMBER', fragmentNumber: fn(2) },
      { type: 'EARLIEST' },
    ]);
    expect(run.delivered).toEqual(numbers(1, 2, 7));
    expect(run.gaps).toEqual([{ reason: 'UPSTREAM_ERROR', afterFragmentNumber: fn(2), beforeFragmentNumber: fn(7) }]);
    expect(run.fatal).toEqual([]);
  });

  it('drops repeated and decreasing fragment numbers, comparing them as integers (K12 ordering)', async () => {
    // '9' < '10' < '11' as integers, although '10' < '9' as text.
    const run = await runReader(
      [
        { chunks: [fragment('9'), fragment('10'), fragment('10'), fragment('8'), fragment('11'), fragment('9')] },
        { chunks: [fragment('11'), fragment('12')] },
      ],
      { type: 'EARLIEST' },
      (r) => r.delivered.length >= 4,
    );
    expect(run.delivered).toEqual(['9', '10', '11', '12']);
    // The first payload ended normally: the reader came back after the last fragment it delivered.
    expect(run.starts[1]).toEqual({ type: 'CONTINUATION_TOKEN', token: '11' });
  });

  it('resumes from the last token after a dropped connection without losing or repeating fragments', async () => {
    const run = await runReader(
      [
        { chunks: [fragment(fn(1)), fragment(fn(2))], fail: Object.assign(new Error('aborted'), { code: 'ECONNRESET' }) },
        { chunks: [fragment(fn(2)), fragment(fn(3)), fragment(fn(4))] },
      ],
      { type: 'NOW' },
      (r) => r.delivered.length >= 4,
    );
    // Fragment 2 was complete on the wire (its trailing tags closed), so it was delivered before the drop.
    expect(run.delivered).toEqual(numbers(1, 2, 3, 4));
    expect(run.starts[1]).toEqual(token(2));
    expect(run.statuses).toContainEqual({ status: 'RECONNECTING', detail: 'connection lost' });
  });

  it('falls back and reports a RETENTION gap from the requested position after error 4000 (K7)', async () => {
    const run = await runReader(
      [{ chunks: [errorDocument(4000)] }, { chunks: [fragment(fn(50)), fragment(fn(51))] }],
      { type: 'FRAGMENT_NUMBER', fragmentNumber: fn(1) },
      (r) => r.delivered.length >= 2,
    );
    expect(run.starts.slice(0, 2)).toEqual([{ type: 'FRAGMENT_NUMBER', fragmentNumber: fn(1) }, { type: 'EARLIEST' }]);
    expect(run.gaps).toEqual([{ reason: 'RETENTION', afterFragmentNumber: fn(1), beforeFragmentNumber: fn(50) }]);
    expect(run.delivered).toEqual(numbers(50, 51));
  });

  it('stops for good with a coded error and no retry after a KMS error tag (K8)', async () => {
    const run = await runReader([{ chunks: [fragment(fn(1)), errorDocument(4503), fragment(fn(2))] }], { type: 'NOW' }, (r) => r.fatal.length > 0);
    expect(run.delivered).toEqual(numbers(1));
    expect(run.fatal.map((e) => [e.code, e.details])).toEqual([['UPSTREAM_UNAVAILABLE', { upstreamErrorId: 4503 }]]);
    expect(run.starts).toHaveLength(1);
    // ENDED, naming the error, is the last status: reported before onFatal, so whoever it serves hears it.
    expect(run.statuses.at(-1)).toEqual({ status: 'ENDED', detail: 'UPSTREAM_UNAVAILABLE' });
  });

  it('stops for good after delivering the fragment when its document ends with a KMS error tag (K8)', async () => {
    const run = await runReader([{ chunks: [fragmentEndingWithError(fn(1), 4503), fragment(fn(2))] }], { type: 'NOW' }, (r) => r.fatal.length > 0);
    expect(run.delivered).toEqual(numbers(1));
    expect(run.fatal.map((e) => [e.code, e.details])).toEqual([['UPSTREAM_UNAVAILABLE', { upstreamErrorId: 4503 }]]);
    expect(run.starts).toHaveLength(1);
  });

  it('resumes right after the delivered fragment when its document ends with a retryable error tag', async () => {
    const run = await runReader(
      [{ chunks: [fragmentEndingWithError(fn(1), 5000), fragment(fn(2))] }, { chunks: [fragment(fn(2)), fragment(fn(3))] }],
      { type: 'NOW' },
      (r) => r.delivered.length >= 3,
    );
    expect(run.delivered).toEqual(numbers(1, 2, 3));
    expect(run.starts.slice(0, 2)).toEqual([{ type: 'NOW' }, token(1)]);
    expect(run.statuses).toContainEqual({ status: 'RECONNECTING', detail: 'upstream error 5000' });
  });

  it('reports a RETENTION gap after the delivered fragment when its document ends with error 4000 (K7)', async () => {
    const run = await runReader(
      [{ chunks: [fragmentEndingWithError(fn(1), 4000)] }, { chunks: [fragment(fn(50))] }],
      { type: 'NOW' },
      (r) => r.delivered.length >= 2,
    );
    expect(run.delivered).toEqual(numbers(1, 50));
    expect(run.starts.slice(0, 2)).toEqual([{ type: 'NOW' }, { type: 'EARLIEST' }]);
    expect(run.gaps).toEqual([{ reason: 'RETENTION', afterFragmentNumber: fn(1), beforeFragmentNumber: fn(50) }]);
  });

  it('acts only on the error tags of the session that read them when that session then fails', async () => {
    // An error document whose Tag is corrupted right after ERROR_ID (a zero byte cannot start an element): the
    // reader reports the error tags of the cut document, then the payload fails as malformed media.
    const simpleTag = (name: string, value: string): Buffer[] =>
      masterElement(EbmlId.SimpleTag, [stringElement(EbmlId.TagName, name), stringElement(EbmlId.TagString, value)]);
    const corruptedError = Buffer.concat([
      ...writeFragmentHead({ tracks: [] }),
      ...masterElement(
        EbmlId.Tags,
        masterElement(EbmlId.Tag, [...simpleTag(KinesisTag.ErrorCode, 'KMS'), ...simpleTag(KinesisTag.ErrorId, '4503'), Buffer.alloc(8, 0)]),
      ),
    ]);
    const run = await runReader(
      [{ chunks: [fragment(fn(1)), corruptedError] }, { chunks: [fragment(fn(2))] }, { chunks: [fragment(fn(3))] }],
      { type: 'NOW' },
      // Fragment 3 comes from a third call: the second, clean session ended without being taken for a KMS failure.
      (r) => r.delivered.length >= 3 || r.fatal.length > 0,
    );
    expect(run.fatal).toEqual([]);
    expect(run.delivered).toEqual(numbers(1, 2, 3));
    expect(run.statuses).toContainEqual({ status: 'RECONNECTING', detail: 'malformed media' });
    expect(run.starts.slice(0, 3)).toEqual([{ type: 'NOW' }, token(1), token(2)]);
  });

  it('delivers every fragment exactly once across sessions cut, corrupted or dropped at random points (K12 fuzz)', async () => {
    const total = 12;
    const documents = Array.from({ length: total }, (_, i) => fragment(fn(i + 1)));
    for (let seed = 1; seed <= 40; seed += 1) {
      let state = seed * 7919;
      const random = (): number => {
        // xorshift32: a fixed sequence per seed, so any failure replays exactly.
        state ^= state << 13;
        state ^= state >>> 17;
        state ^= state << 5;
        return (state >>> 0) / 4_294_967_296;
      };
      // Each session serves the documents after the requested position, cut at a random byte and then ended
      // cleanly, followed by zero bytes, or dropped with a connection error (or, sometimes, sent whole).
      const sessions = (start: MediaStart): Session[] => {
        const after = start.type === 'CONTINUATION_TOKEN' ? start.token : start.type === 'FRAGMENT_NUMBER' ? start.fragmentNumber : undefined;
        const from = after === undefined ? 0 : Number((BigInt(after) - BASE) / 1000n);
        const bytes = Buffer.concat(documents.slice(from));
        if (bytes.length === 0) return [];
        const cut = 1 + Math.floor(random() * (bytes.length - 1));
        const mode = random();
        if (mode < 0.3) return [{ chunks: [bytes.subarray(0, cut), Buffer.alloc(16, 0)] }];
        if (mode < 0.6) return [{ chunks: [bytes.subarray(0, cut)], fail: new Error('aborted') }];
        if (mode < 0.8) return [{ chunks: [bytes] }];
        return [{ chunks: [bytes.subarray(0, cut)] }];
      };
      const starts: MediaStart[] = [];
      const delivered: string[] = [];
      const unexpected: unknown[] = [];
      let finish: () => void = () => undefined;
      const complete = new Promise<void>((resolve) => {
        finish = resolve;
      });
      const reader = new MediaReader(
        (stream, start, signal) => {
          starts.push(start);
          return scriptedOpener(sessions(start)).open(stream, start, signal);
        },
        'cam',
        { type: 'EARLIEST' },
        { calls: new TokenBucket(1_000, 1_000), connections: new Semaphore(1) },
        {
          onFragment: (f) => {
            delivered.push(f.fragmentNumber ?? '');
            if (delivered.length === total) finish();
          },
          onGap: (gap) => unexpected.push(gap),
          onStatus: () => undefined,
          onFatal: (error) => unexpected.push(error),
        },
        FAST,
      );
      const stopped = reader.start();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`seed ${seed}: delivered ${delivered.length} after ${starts.length} sessions`)), 5_000);
      });
      try {
        await Promise.race([complete, timeout]);
      } finally {
        clearTimeout(timer);
      }
      await reader.stop();
      await stopped;
      expect({ seed, delivered, unexpected }).toEqual({ seed, delivered: Array.from({ length: total }, (_, i) => fn(i + 1)), unexpected: [] });
      // Every resume started right after a fragment that had been delivered (or, before the first delivery, at
      // the requested start again).
      for (const start of starts.slice(1)) {
        const after = start.type === 'CONTINUATION_TOKEN' ? start.token : start.type === 'FRAGMENT_NUMBER' ? start.fragmentNumber : start.type;
        expect({ seed, after, known: after === 'EARLIEST' || delivered.includes(after) }).toEqual({ seed, after, known: true });
      }
    }
  });
});
