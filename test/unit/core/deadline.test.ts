import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { abortError, idleWatchdog, untilAborted, withDeadline } from '../../../src/core/deadline.js';
import { DomainError } from '../../../src/core/domain-error.js';

/** A call that settles only when its signal aborts, like an SDK request to a silent upstream. */
function hangingCall(signal: AbortSignal): Promise<never> {
  return new Promise<never>((_resolve, reject) => {
    signal.addEventListener('abort', () => {
      const error = new Error('Request aborted');
      error.name = 'AbortError';
      reject(error);
    });
  });
}

describe('withDeadline', () => {
  it('returns the result when the call finishes before the deadline', async () => {
    await expect(withDeadline(10_000, undefined, () => Promise.resolve(42))).resolves.toBe(42);
  });

  it('throws UPSTREAM_TIMEOUT with the abort as cause when the deadline fires first', async () => {
    const error = await withDeadline(20, undefined, hangingCall).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'UPSTREAM_TIMEOUT', retryable: true, cause: { name: 'AbortError' } });
  });

  it('rethrows the abort unchanged when the parent signal aborts first', async () => {
    const parent = new AbortController();
    const call = withDeadline(10_000, parent.signal, hangingCall);
    parent.abort();
    const error = await call.catch((caught: unknown) => caught);
    expect(error).not.toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ name: 'AbortError' });
  });

  it('rethrows other errors unchanged when the call fails before the deadline', async () => {
    const failure = new Error('boom');
    await expect(withDeadline(10_000, undefined, () => Promise.reject(failure))).rejects.toBe(failure);
  });
});

describe('abortError', () => {
  it('returns an AbortError carrying the signal reason when given an aborted signal', () => {
    const reason = new Error('client went away');
    const error = abortError(AbortSignal.abort(reason));
    expect(error.name).toBe('AbortError');
    expect(error.cause).toBe(reason);
  });
});

describe('idleWatchdog', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('errors with UPSTREAM_TIMEOUT and calls onIdle when no bytes pass for idleMs', async () => {
    const onIdle = vi.fn();
    const watchdog = idleWatchdog(100, onIdle);
    const failed = new Promise<unknown>((resolve) => watchdog.once('error', resolve));
    watchdog.resume();
    watchdog.write(Buffer.from('a'));
    vi.advanceTimersByTime(99);
    watchdog.write(Buffer.from('b'));
    vi.advanceTimersByTime(99);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
    expect(watchdog.destroyed).toBe(true);
    const error = await failed;
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
  });

  it('fires when no byte ever arrives', () => {
    const onIdle = vi.fn();
    const watchdog = idleWatchdog(50, onIdle);
    watchdog.on('error', () => undefined);
    vi.advanceTimersByTime(50);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it('does not fire for a download when the reader is slow and the buffer is full', () => {
    const onIdle = vi.fn();
    const watchdog = idleWatchdog(100, onIdle, 'download');
    while (watchdog.write(Buffer.alloc(16 * 1024))) {
      // fill both buffers: nobody reads
    }
    vi.advanceTimersByTime(1_000);
    expect(onIdle).not.toHaveBeenCalled();
    expect(watchdog.destroyed).toBe(false);
    watchdog.destroy();
  });

  it('fires for an upload when the reader stops and the buffer is full', () => {
    const onIdle = vi.fn();
    const watchdog = idleWatchdog(100, onIdle, 'upload');
    watchdog.on('error', () => undefined);
    while (watchdog.write(Buffer.alloc(16 * 1024))) {
      // fill both buffers: the upstream reads nothing
    }
    vi.advanceTimersByTime(100);
    expect(onIdle).toHaveBeenCalledTimes(1);
    expect(watchdog.destroyed).toBe(true);
  });

  it('never fires after the stream has ended', async () => {
    const onIdle = vi.fn();
    const watchdog = idleWatchdog(30, onIdle);
    const ended = new Promise<void>((resolve) => watchdog.once('end', resolve));
    watchdog.resume();
    watchdog.end(Buffer.from('done'));
    await ended;
    vi.advanceTimersByTime(1_000);
    expect(onIdle).not.toHaveBeenCalled();
  });
});

describe('untilAborted', () => {
  it('settles like the promise when the signal never aborts', async () => {
    await expect(untilAborted(Promise.resolve(7), new AbortController().signal)).resolves.toBe(7);
    await expect(untilAborted(Promise.reject(new Error('upstream')), new AbortController().signal)).rejects.toThrow('upstream');
    await expect(untilAborted(Promise.resolve('no signal'), undefined)).resolves.toBe('no signal');
  });

  it('rejects with an AbortError carrying the reason and cancels the call when the signal aborts first', async () => {
    let cancelled = 0;
    const call = Object.assign(new Promise<never>(() => undefined), { cancel: () => void (cancelled += 1) });
    const controller = new AbortController();
    const waiting = untilAborted(call, controller.signal);
    const reason = new Error('deadline');
    controller.abort(reason);
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError', cause: reason });
    expect(cancelled).toBe(1);
  });

  it('rejects at once when the signal has already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(untilAborted(new Promise<never>(() => undefined), controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });
});
