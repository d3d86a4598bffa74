import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MediaCallError } from '../../../src/datasources/kinesis/kinesis-media.datasource.js';
import type { MediaStart } from '../../../src/datasources/kinesis/kinesis.types.js';
import { DomainError } from '../../../src/core/domain-error.js';
import { MediaReader } from '../../../src/live/media-reader.js';
import { Semaphore, TokenBucket } from '../../../src/live/token-bucket.js';
import { GET_MEDIA_ERRORS, syntheticH264Track, writeFragment } from '../../../src/mkv/index.js';

/*
 * The reader's full-jitter backoff (RELIABILITY.md K4, K9; the formula itself is tested in
 * test/unit/core/backoff.test.ts): the waits it asks for between failed calls are recorded through its `sleep`
 * option, so the test sees the exact delay of every retry without waiting for it.
 */

const waits: number[] = [];

/** Records each pause the reader asks for instead of taking it. */
const recordWait = (ms: number): Promise<void> => {
  waits.push(ms);
  return Promise.resolve();
};

afterEach(() => {
  vi.restoreAllMocks();
  waits.length = 0;
});

const BASE = 91343852333181432392682062600000000000000n;

function fragmentDocument(i: number): Buffer {
  const number = (BASE + BigInt(i)).toString();
  return Buffer.concat(
    writeFragment({
      tracks: [syntheticH264Track(64, 36)],
      frames: [{ trackNumber: 1, timecode: 0, keyframe: true, data: Buffer.alloc(16, 1) }],
      fragmentNumber: number,
      serverTimestamp: 1_700_000_000_000 + i,
      producerTimestamp: 1_700_000_000_000 + i,
      continuationToken: number,
    }),
  );
}

function errorDocument(id: number): Buffer {
  return Buffer.concat(writeFragment({ tracks: [], frames: [], errorCode: GET_MEDIA_ERRORS.get(id) ?? 'error', errorId: id }));
}

function refused(name: string, code: 'UPSTREAM_THROTTLED' | 'UPSTREAM_UNAVAILABLE'): MediaCallError {
  return new MediaCallError(name, new DomainError(code, name));
}

/** A payload sending `chunks`, then ending (`end`) or staying open until the call's signal aborts. */
function payload(chunks: readonly Buffer[], end: boolean, signal: AbortSignal): Readable {
  const pending = [...chunks];
  const stream = new Readable({
    read() {
      const chunk = pending.shift();
      if (chunk !== undefined) this.push(chunk);
      else if (end) this.push(null);
    },
  });
  signal.addEventListener('abort', () => stream.destroy(), { once: true });
  return stream;
}

describe('MediaReader backoff', () => {
  it('waits longer before each retry as failed calls accumulate, and starts over once a session delivers (K4, K9)', async () => {
    // The top of the jitter range, so each wait is its attempt's ceiling minus one (base 16 ms).
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    type Step = { readonly refuse: MediaCallError } | { readonly chunks: readonly Buffer[]; readonly end: boolean };
    const script: Step[] = [
      // K4 bursts and K9 upstream failures, before any fragment: attempts 0 to 5.
      { refuse: refused('ClientLimitExceededException', 'UPSTREAM_THROTTLED') },
      { refuse: refused('ClientLimitExceededException', 'UPSTREAM_THROTTLED') },
      { refuse: refused('ClientLimitExceededException', 'UPSTREAM_THROTTLED') },
      { refuse: refused('InternalFailure', 'UPSTREAM_UNAVAILABLE') },
      { refuse: refused('ServiceUnavailable', 'UPSTREAM_UNAVAILABLE') },
      { chunks: [errorDocument(5000)], end: true },
      // A session delivers a fragment, then its payload ends (an idle producer): the count starts over.
      { chunks: [fragmentDocument(1)], end: true },
      { refuse: refused('ClientLimitExceededException', 'UPSTREAM_THROTTLED') },
      { chunks: [fragmentDocument(2)], end: false },
    ];
    const starts: MediaStart[] = [];
    const fatal: DomainError[] = [];
    let delivered = 0;
    let reached: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const reader = new MediaReader(
      (_stream, start, signal) => {
        starts.push(start);
        const step = script[starts.length - 1];
        if (step === undefined) return Promise.resolve(payload([], false, signal));
        if ('refuse' in step) return Promise.reject(step.refuse);
        return Promise.resolve(payload(step.chunks, step.end, signal));
      },
      'cam',
      { type: 'NOW' },
      { calls: new TokenBucket(1_000, 1_000), connections: new Semaphore(1) },
      {
        onFragment: () => {
          delivered += 1;
          if (delivered === 2) reached();
        },
        onGap: () => undefined,
        onStatus: () => undefined,
        onFatal: (error) => fatal.push(error),
      },
      { idleTimeoutMs: 5_000, backoffBaseMs: 16, backoffCapMs: 10_000, idleReconnectMs: 7, retentionFallback: 'EARLIEST', sleep: recordWait },
    );
    const stopped = reader.start();
    await done;
    await reader.stop();
    await stopped;
    // floor(0.999 * 16 * 2^attempt) for attempts 0-5, then the idle pause after the session that delivered (7 ms),
    // then attempt 0 again for the refusal that followed it.
    expect(waits).toEqual([15, 31, 63, 127, 255, 511, 7, 15]);
    expect(starts).toHaveLength(9);
    expect(fatal).toEqual([]);
  });
});
