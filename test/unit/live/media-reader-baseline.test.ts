import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MediaCallError } from '../../../src/datasources/kinesis/kinesis-media.datasource.js';
import type { MediaStart } from '../../../src/datasources/kinesis/kinesis.types.js';
import { DomainError } from '../../../src/core/domain-error.js';
import type { FeedStatus, GapReason } from '../../../src/live/live.types.js';
import { MediaReader, STALLED_AFTER_FRAGMENTS, type MediaReaderOptions } from '../../../src/live/media-reader.js';
import { Semaphore, TokenBucket } from '../../../src/live/token-bucket.js';
import { GET_MEDIA_ERRORS, syntheticH264Track, writeFragment } from '../../../src/mkv/index.js';
import { within } from '../../helpers/within.js';

/*
 * The reader's baseline (the last fragment number delivered) when the upstream's numbering starts over: a stream
 * recreated under the same name, or a service (the emulator) restarted. A scripted MediaOpener plays GetMedia.
 */

const OLD = 91343852333181432392682062607743920146159169392n;
const NEW = 91343852333181432392682062600000000000000000000n;
const TRACK = syntheticH264Track(64, 36);
const FAST: MediaReaderOptions = { idleTimeoutMs: 2_000, backoffBaseMs: 1, backoffCapMs: 4, idleReconnectMs: 1, retentionFallback: 'NOW' };

/** Fragment `i` of the stream before the restart. */
const before = (i: number): string => (OLD + BigInt(i) * 1000n).toString();
/** Fragment `i` after the restart: far lower than any before it. */
const after = (i: number): string => (NEW + BigInt(i) * 1000n).toString();

/**
 * When the service received a fragment: fragment `i` before the restart at T0 + i s, fragment `i` after it an hour
 * later plus i s. Numbers and times both grow within one numbering; across the restart the numbers fall, time does not.
 */
function receivedAt(number: string): number {
  const value = BigInt(number);
  const [base, t0] = value >= OLD ? [OLD, 1_700_000_000_000] : [NEW, 1_700_003_600_000];
  return t0 + Number((value - base) / 1000n) * 1_000;
}

function fragment(number: string): Buffer {
  return Buffer.concat(
    writeFragment({
      tracks: [TRACK],
      frames: [{ trackNumber: 1, timecode: 0, keyframe: true, data: Buffer.alloc(32, 7) }],
      fragmentNumber: number,
      serverTimestamp: receivedAt(number),
      producerTimestamp: receivedAt(number),
      millisBehindNow: 0,
      continuationToken: number,
    }),
  );
}

function errorDocument(id: number): Buffer {
  return Buffer.concat(writeFragment({ tracks: [], frames: [], errorCode: GET_MEDIA_ERRORS.get(id) ?? 'error', errorId: id }));
}

/** One scripted GetMedia call: payload chunks then a clean end (or a failure), or a refused call. */
interface Session {
  readonly chunks?: readonly Buffer[];
  readonly fail?: Error;
  readonly refuse?: Error;
}

interface Run {
  readonly delivered: string[];
  readonly gaps: { readonly reason: GapReason; readonly afterFragmentNumber: string | null; readonly beforeFragmentNumber: string }[];
  readonly statuses: { readonly status: FeedStatus; readonly detail: string | null }[];
  readonly starts: MediaStart[];
}

/**
 * Runs a reader from `start` over `script` (then quiet sessions that stay open until aborted) until `done` holds,
 * then stops it.
 */
async function runReader(
  script: readonly Session[],
  start: MediaStart,
  done: (run: Run) => boolean,
  retentionFallback: MediaReaderOptions['retentionFallback'] = 'NOW',
): Promise<Run> {
  const run: Run = { delivered: [], gaps: [], statuses: [], starts: [] };
  let wake: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => {
    wake = () => {
      if (done(run)) resolve();
    };
  });
  let next = 0;
  const reader = new MediaReader(
    (_stream, position, signal) => {
      run.starts.push(position);
      const session = script[next];
      next += 1;
      if (session?.refuse !== undefined) return Promise.reject(session.refuse);
      const chunks = [...(session?.chunks ?? [])];
      const payload = new Readable({
        read() {
          const chunk = chunks.shift();
          if (chunk !== undefined) this.push(chunk);
          else if (session?.fail !== undefined) this.destroy(session.fail);
          else if (session !== undefined) this.push(null);
        },
      });
      signal.addEventListener('abort', () => payload.destroy(), { once: true });
      return Promise.resolve(payload);
    },
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
      onStatus: (status, detail) => {
        run.statuses.push({ status, detail });
        wake();
      },
      onFatal: () => wake(),
    },
    { ...FAST, retentionFallback },
  );
  const stopped = reader.start();
  try {
    await within(reached, 5_000, `the reader to get there (delivered ${JSON.stringify(run.delivered)})`);
  } finally {
    await reader.stop();
    await stopped;
  }
  return run;
}

const dropped = (): Error => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

describe('MediaReader', () => {
  it('starts a new baseline after an UPSTREAM_RESET gap when the NOW fallback after error 4000 brings lower fragment numbers', async () => {
    const run = await runReader(
      [
        // The stream before the restart, then the connection drops (the service went away).
        { chunks: [fragment(before(1)), fragment(before(2)), fragment(before(3))], fail: dropped() },
        // The restarted service knows no such token: error 4000 and the end of the payload.
        { chunks: [errorDocument(4000)] },
        // The fallback, NOW, reads the new stream.
        { chunks: [fragment(after(1)), fragment(after(2)), fragment(after(3))] },
      ],
      { type: 'NOW' },
      // The third session ends cleanly: the fourth call shows where the reader resumes.
      (r) => r.delivered.length >= 6 && r.starts.length >= 4,
    );
    expect(run.delivered).toEqual([before(1), before(2), before(3), after(1), after(2), after(3)]);
    expect(run.gaps).toEqual([{ reason: 'UPSTREAM_RESET', afterFragmentNumber: before(3), beforeFragmentNumber: after(1) }]);
    expect(run.starts.slice(0, 3)).toEqual([{ type: 'NOW' }, { type: 'CONTINUATION_TOKEN', token: before(3) }, { type: 'NOW' }]);
    // The reader resumes in the new numbering.
    expect(run.starts[3]).toEqual({ type: 'CONTINUATION_TOKEN', token: after(3) });
    expect(run.statuses.map((s) => s.status)).not.toContain('STALLED');
  });

  it('starts a new baseline when the fallback after the service refused its own positions brings lower fragment numbers', async () => {
    const refused = (): MediaCallError => new MediaCallError('InvalidArgumentException', new DomainError('BAD_USER_INPUT', 'Kinesis Video rejected the request arguments.'));
    const run = await runReader(
      [{ chunks: [fragment(before(7))], fail: dropped() }, { refuse: refused() }, { refuse: refused() }, { chunks: [fragment(after(1)), fragment(after(2))] }],
      { type: 'NOW' },
      (r) => r.delivered.length >= 3,
    );
    expect(run.delivered).toEqual([before(7), after(1), after(2)]);
    expect(run.gaps).toEqual([{ reason: 'UPSTREAM_RESET', afterFragmentNumber: before(7), beforeFragmentNumber: after(1) }]);
  });

  it('keeps a RETENTION gap and the old baseline when the fallback brings newer fragment numbers (K7)', async () => {
    const run = await runReader(
      [{ chunks: [fragment(before(1))], fail: dropped() }, { chunks: [errorDocument(4000)] }, { chunks: [fragment(before(40)), fragment(before(39)), fragment(before(41))] }],
      { type: 'NOW' },
      (r) => r.delivered.length >= 3,
    );
    // 39 comes after 40 in the same session: a duplicate-or-older fragment outside a fallback, dropped.
    expect(run.delivered).toEqual([before(1), before(40), before(41)]);
    expect(run.gaps).toEqual([{ reason: 'RETENTION', afterFragmentNumber: before(1), beforeFragmentNumber: before(40) }]);
  });

  it('drops older fragments of the same stream that an EARLIEST fallback brings, and reports RETENTION at the first newer one', async () => {
    // Fragment 10 was delivered; the position is refused (error 4000) although 8 and 9 are still retained: lower
    // numbers received earlier are the same stream's history, not a new numbering.
    const run = await runReader(
      [{ chunks: [fragment(before(10))], fail: dropped() }, { chunks: [errorDocument(4000)] }, { chunks: [fragment(before(8)), fragment(before(9)), fragment(before(10)), fragment(before(11))] }],
      { type: 'NOW' },
      (r) => r.delivered.length >= 2,
      'EARLIEST',
    );
    expect(run.delivered).toEqual([before(10), before(11)]);
    expect(run.gaps).toEqual([{ reason: 'RETENTION', afterFragmentNumber: before(10), beforeFragmentNumber: before(11) }]);
  });

  it('drops the last fragment delivered when the NOW fallback starts with it again', async () => {
    const run = await runReader(
      [{ chunks: [fragment(before(4))], fail: dropped() }, { chunks: [errorDocument(4000)] }, { chunks: [fragment(before(4)), fragment(before(5))] }],
      { type: 'NOW' },
      (r) => r.delivered.length >= 2,
    );
    expect(run.delivered).toEqual([before(4), before(5)]);
    expect(run.gaps).toEqual([{ reason: 'RETENTION', afterFragmentNumber: before(4), beforeFragmentNumber: before(5) }]);
  });

  it(`reports STALLED after ${STALLED_AFTER_FRAGMENTS} fragments in a row at or before the last delivered, and CONNECTED with the next new one`, async () => {
    const run = await runReader(
      [
        {
          chunks: [
            fragment(before(5)),
            fragment(before(6)),
            // Without error 4000, lower numbers in a session are duplicates and stay dropped; they are reported.
            fragment(before(1)),
            fragment(before(2)),
            fragment(before(6)),
            fragment(before(3)),
            fragment(before(7)),
          ],
        },
      ],
      { type: 'NOW' },
      (r) => r.delivered.length >= 3,
    );
    expect(run.delivered).toEqual([before(5), before(6), before(7)]);
    expect(run.gaps).toEqual([]);
    expect(run.statuses).toEqual([
      { status: 'CONNECTED', detail: null },
      { status: 'STALLED', detail: 'fragment numbers not advancing' },
      { status: 'CONNECTED', detail: null },
    ]);
  });

  it('does not report STALLED for the single repeat a resume may bring', async () => {
    const run = await runReader(
      [
        { chunks: [fragment(before(1)), fragment(before(2))], fail: dropped() },
        { chunks: [fragment(before(2)), fragment(before(3))], fail: dropped() },
        { chunks: [fragment(before(3)), fragment(before(4))] },
      ],
      { type: 'NOW' },
      (r) => r.delivered.length >= 4,
    );
    expect(run.delivered).toEqual([before(1), before(2), before(3), before(4)]);
    expect(run.statuses.map((s) => s.status)).not.toContain('STALLED');
  });
});
