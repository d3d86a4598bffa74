import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MediaCallError } from '../../../src/datasources/kinesis/kinesis-media.datasource.js';
import type { MediaStart } from '../../../src/datasources/kinesis/kinesis.types.js';
import { DomainError } from '../../../src/core/domain-error.js';
import type { FeedStatus } from '../../../src/live/live.types.js';
import { kinesisMediaOpener, type KinesisMediaAccess } from '../../../src/live/media-opener.js';
import { MediaReader, type OpenOptions } from '../../../src/live/media-reader.js';
import { Semaphore, TokenBucket } from '../../../src/live/token-bucket.js';
import { syntheticH264Track, writeFragment } from '../../../src/mkv/index.js';

/*
 * RELIABILITY.md K11 (credentials expire under a long-lived GetMedia reader): the reader asks its opener to
 * re-resolve credentials and endpoint after NotAuthorizedException, and kinesisMediaOpener does so before calling.
 * The same path against the emulator and the real SDK is in test/integration/live-hub.int.test.ts (K11).
 */

const NOW: MediaStart = { type: 'NOW' };

/** Records what the opener asked of the Kinesis side, in order. */
function recordingAccess(refresh: () => Promise<unknown> = () => Promise.resolve()): { readonly log: string[]; readonly access: KinesisMediaAccess } {
  const log: string[] = [];
  return {
    log,
    access: {
      getMedia: (stream, start) => {
        log.push(`getMedia ${stream} ${start.type}`);
        return Promise.resolve(Readable.from([]));
      },
      invalidateEndpoint: (stream) => log.push(`invalidateEndpoint ${stream}`),
      refreshCredentials: () => {
        log.push('refreshCredentials');
        return refresh();
      },
    },
  };
}

describe('kinesisMediaOpener', () => {
  it('calls GetMedia with nothing else when refresh is false', async () => {
    const { log, access } = recordingAccess();
    await kinesisMediaOpener(access)('cam', NOW, new AbortController().signal, { refresh: false });
    expect(log).toEqual(['getMedia cam NOW']);
  });

  it('forgets the endpoint and resolves the credentials again before GetMedia when refresh is true', async () => {
    const { log, access } = recordingAccess();
    await kinesisMediaOpener(access)('cam', { type: 'CONTINUATION_TOKEN', token: '91343852333181432392682062600000000000001' }, new AbortController().signal, {
      refresh: true,
    });
    expect(log).toEqual(['invalidateEndpoint cam', 'refreshCredentials', 'getMedia cam CONTINUATION_TOKEN']);
  });

  it('fails the call without GetMedia when the credentials cannot be resolved', async () => {
    const { log, access } = recordingAccess(() => Promise.reject(new Error('credential source unreachable')));
    await expect(kinesisMediaOpener(access)('cam', NOW, new AbortController().signal, { refresh: true })).rejects.toThrow('credential source unreachable');
    expect(log).toEqual(['invalidateEndpoint cam', 'refreshCredentials']);
  });

  it('rejects at once without GetMedia when the call is aborted during a refresh that never settles', async () => {
    const { log, access } = recordingAccess(() => new Promise<never>(() => undefined));
    const controller = new AbortController();
    const opening = kinesisMediaOpener(access)('cam', NOW, controller.signal, { refresh: true });
    const reason = new Error('reader stopped');
    controller.abort(reason);
    // An AbortError like every aborted upstream call, with the reader's reason as its cause.
    await expect(opening).rejects.toMatchObject({ name: 'AbortError', cause: reason });
    expect(log).toEqual(['invalidateEndpoint cam', 'refreshCredentials']);
  });
});

const BASE = 91343852333181432392682062600000000000000n;
const fn = (i: number): string => (BASE + BigInt(i)).toString();

function fragmentDocument(i: number): Buffer {
  return Buffer.concat(
    writeFragment({
      tracks: [syntheticH264Track(64, 36)],
      frames: [{ trackNumber: 1, timecode: 0, keyframe: true, data: Buffer.alloc(16, 1) }],
      fragmentNumber: fn(i),
      serverTimestamp: 1_700_000_000_000 + i,
      producerTimestamp: 1_700_000_000_000 + i,
      continuationToken: fn(i),
    }),
  );
}

const notAuthorized = (): MediaCallError =>
  new MediaCallError('NotAuthorizedException', new DomainError('UPSTREAM_UNAVAILABLE', 'Kinesis Video rejected the configured credentials.'));

describe('MediaReader', () => {
  it('asks for fresh credentials on every call after NotAuthorizedException until one gets through, and resumes after the last fragment (K11)', async () => {
    /** A refused call, or a payload that sends `chunks` and then ends cleanly, drops (`fail`) or stays open. */
    type Step = { readonly refuse: Error } | { readonly chunks: readonly Buffer[]; readonly end?: true; readonly fail?: Error };
    const dropped = Object.assign(new Error('aborted'), { code: 'ECONNRESET' });
    const script: Step[] = [
      // The payload ends (an idle producer); the credentials expire before the reader comes back.
      { chunks: [fragmentDocument(1)], end: true },
      { refuse: notAuthorized() },
      { refuse: notAuthorized() },
      { chunks: [fragmentDocument(2)], fail: dropped },
      { chunks: [fragmentDocument(3)] },
    ];
    const calls: { readonly start: MediaStart; readonly options: OpenOptions }[] = [];
    const delivered: string[] = [];
    const statuses: { status: FeedStatus; detail: string | null }[] = [];
    let reached: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const reader = new MediaReader(
      (_stream, start, signal, options) => {
        calls.push({ start, options });
        const step = script[calls.length - 1];
        if (step !== undefined && 'refuse' in step) return Promise.reject(step.refuse);
        const chunks = [...(step?.chunks ?? [])];
        const payload = new Readable({
          read() {
            const chunk = chunks.shift();
            if (chunk !== undefined) this.push(chunk);
            else if (step?.fail !== undefined) this.destroy(step.fail);
            else if (step?.end === true) this.push(null);
          },
        });
        signal.addEventListener('abort', () => payload.destroy(), { once: true });
        return Promise.resolve(payload);
      },
      'cam',
      NOW,
      { calls: new TokenBucket(1_000, 1_000), connections: new Semaphore(1) },
      {
        onFragment: (fragment) => {
          delivered.push(fragment.fragmentNumber ?? '');
          if (delivered.length === 3) reached();
        },
        onGap: () => undefined,
        onStatus: (status, detail) => statuses.push({ status, detail }),
        onFatal: () => undefined,
      },
      { idleTimeoutMs: 5_000, backoffBaseMs: 1, backoffCapMs: 4, idleReconnectMs: 1, retentionFallback: 'NOW' },
    );
    const stopped = reader.start();
    await done;
    await reader.stop();
    await stopped;
    const token = (i: number): MediaStart => ({ type: 'CONTINUATION_TOKEN', token: fn(i) });
    expect(calls).toEqual([
      { start: NOW, options: { refresh: false } },
      { start: token(1), options: { refresh: false } },
      // Refused: the next call refreshes; refused again: so does the one after.
      { start: token(1), options: { refresh: true } },
      { start: token(1), options: { refresh: true } },
      // That one got through: a later drop resumes with the credentials as they are.
      { start: token(2), options: { refresh: false } },
    ]);
    expect(delivered).toEqual([fn(1), fn(2), fn(3)]);
    expect(statuses).toContainEqual({ status: 'RECONNECTING', detail: 'credentials expired' });
  });
});
