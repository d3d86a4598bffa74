import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MediaCallError } from '../../../src/datasources/kinesis/kinesis-media.datasource.js';
import { DomainError } from '../../../src/core/domain-error.js';
import { MediaReader, type MediaOpener, type MediaReaderHandlers } from '../../../src/live/media-reader.js';
import { Semaphore, TokenBucket } from '../../../src/live/token-bucket.js';

/*
 * What a MediaReader says about its own end: ENDED means the upstream is gone for good and comes right before
 * onFatal; a reader its owner stops says nothing (its owner may already serve the same subscribers from another).
 */

const OPTIONS = { idleTimeoutMs: 5_000, backoffBaseMs: 1, backoffCapMs: 4, idleReconnectMs: 1, retentionFallback: 'NOW' } as const;

/** Handlers that log every call in order, and resolve `reported` on the first one matching `until`. */
function loggingHandlers(until: (entry: string) => boolean): { readonly log: string[]; readonly handlers: MediaReaderHandlers; readonly reported: Promise<void> } {
  const log: string[] = [];
  let resolve: () => void = () => undefined;
  const reported = new Promise<void>((done) => {
    resolve = done;
  });
  const push = (entry: string): void => {
    log.push(entry);
    if (until(entry)) resolve();
  };
  return {
    log,
    reported,
    handlers: {
      onFragment: (fragment) => push(`fragment ${fragment.fragmentNumber ?? ''}`),
      onGap: (gap) => push(`gap ${gap.reason}`),
      onStatus: (status, detail) => push(`status ${status}${detail === null ? '' : ` ${detail}`}`),
      onFatal: (error) => push(`fatal ${error.code}`),
    },
  };
}

function newReader(open: MediaOpener, handlers: MediaReaderHandlers): MediaReader {
  return new MediaReader(open, 'cam', { type: 'NOW' }, { calls: new TokenBucket(100, 1_000), connections: new Semaphore(1) }, handlers, OPTIONS);
}

describe('MediaReader', () => {
  it('reports nothing after CONNECTED when its owner stops it', async () => {
    const { log, handlers, reported } = loggingHandlers((entry) => entry === 'status CONNECTED');
    const reader = newReader((_stream, _start, signal) => {
      const quiet = new Readable({ read: () => undefined });
      signal.addEventListener('abort', () => quiet.destroy(), { once: true });
      return Promise.resolve(quiet);
    }, handlers);
    const running = reader.start();
    await reported;
    await reader.stop();
    await running;
    expect(log).toEqual(['status CONNECTED']);
  });

  it('reports ENDED naming the error right before onFatal when the stream no longer exists', async () => {
    const { log, handlers, reported } = loggingHandlers((entry) => entry.startsWith('fatal'));
    const reader = newReader(
      () => Promise.reject(new MediaCallError('ResourceNotFoundException', new DomainError('NOT_FOUND', 'Kinesis Video has no such stream.'))),
      handlers,
    );
    const running = reader.start();
    await reported;
    await running;
    expect(log).toEqual(['status ENDED NOT_FOUND', 'fatal NOT_FOUND']);
  });
});
