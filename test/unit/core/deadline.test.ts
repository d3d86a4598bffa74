import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PassThrough, Readable } from 'node:stream';
import { abortError, idleWatchdog, untilAborted, UpstreamExchange, withDeadline } from '../../../src/core/deadline.js';
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

  it('does not fire for an upload while the client sends nothing and nothing waits for the upstream', async () => {
    const onIdle = vi.fn();
    const watchdog = idleWatchdog(100, onIdle, 'upload');
    watchdog.resume();
    watchdog.write(Buffer.from('first bytes'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(onIdle).not.toHaveBeenCalled();
    expect(watchdog.destroyed).toBe(false);
    watchdog.destroy();
  });

  it('keeps watching an upload after its last byte until the upstream has taken every byte', () => {
    const onIdle = vi.fn();
    const watchdog = idleWatchdog(100, onIdle, 'upload');
    watchdog.on('error', () => undefined);
    watchdog.write(Buffer.alloc(64 * 1024));
    watchdog.end();
    // The upstream takes one chunk in time, then nothing more.
    vi.advanceTimersByTime(90);
    watchdog.read(16 * 1024);
    vi.advanceTimersByTime(90);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(200);
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

/** An upstream body that the test feeds by hand. */
function upstreamBody(): PassThrough {
  return new PassThrough();
}

/** What `promise` rejected with; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

const translate = (error: unknown): Error => new DomainError('UPSTREAM_UNAVAILABLE', 'translated', { cause: error });

describe('UpstreamExchange', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('throws UPSTREAM_TIMEOUT and aborts the call when the headers do not arrive within timeoutMs', async () => {
    const exchange = UpstreamExchange.open({ timeoutMs: 100, idleTimeoutMs: 1_000 }, undefined);
    const sent = rejectionOf(exchange.send(hangingCall, translate));
    vi.advanceTimersByTime(100);
    const error = await sent;
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'UPSTREAM_TIMEOUT', cause: { name: 'AbortError' } });
    expect(exchange.signal.aborted).toBe(true);
  });

  it('keeps a download body alive past timeoutMs once the headers have arrived', async () => {
    const exchange = UpstreamExchange.open({ timeoutMs: 100, idleTimeoutMs: 50 }, undefined);
    const upstream = upstreamBody();
    await exchange.send(() => Promise.resolve('headers'), translate);
    const body = exchange.downloadBody(upstream, translate);
    const received: Buffer[] = [];
    body.on('data', (chunk: Buffer) => received.push(chunk));
    for (let tick = 0; tick < 20; tick += 1) {
      upstream.write(Buffer.from([tick]));
      await vi.advanceTimersByTimeAsync(40);
    }
    const ended = new Promise<void>((resolve) => body.once('end', resolve));
    upstream.end();
    await ended;
    expect(Buffer.concat(received)).toHaveLength(20);
    expect(exchange.signal.aborted).toBe(false);
  });

  it('fails a download body with UPSTREAM_TIMEOUT and aborts the request when the upstream goes idle', async () => {
    const exchange = UpstreamExchange.open({ timeoutMs: 100, idleTimeoutMs: 50 }, undefined);
    const upstream = upstreamBody();
    await exchange.send(() => Promise.resolve('headers'), translate);
    const body = exchange.downloadBody(upstream, translate);
    const failed = new Promise<unknown>((resolve) => body.once('error', resolve));
    body.resume();
    upstream.write(Buffer.from('some'));
    await vi.advanceTimersByTimeAsync(50);
    expect(await failed).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(exchange.signal.aborted).toBe(true);
    await vi.waitFor(() => expect(upstream.destroyed).toBe(true));
  });

  it('fails a download body with an AbortError, not an upstream code, when the caller aborts', async () => {
    const caller = new AbortController();
    const exchange = UpstreamExchange.open({ timeoutMs: 100, idleTimeoutMs: 1_000 }, caller.signal);
    const upstream = upstreamBody();
    await exchange.send(() => Promise.resolve('headers'), translate);
    const body = exchange.downloadBody(upstream, translate);
    const failed = new Promise<unknown>((resolve) => body.once('error', resolve));
    body.resume();
    caller.abort();
    // What the SDK's aborted request then does to the response body.
    upstream.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    const error = await failed;
    expect(error).not.toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ name: 'AbortError' });
    await vi.waitFor(() => expect(upstream.destroyed).toBe(true));
  });

  it('starts the deadline of an upload only once the upstream has taken its last byte', async () => {
    const exchange = UpstreamExchange.open({ timeoutMs: 100, idleTimeoutMs: 1_000 }, undefined);
    const source = new PassThrough();
    const body = exchange.uploadBody(source);
    const sent = rejectionOf(exchange.send(hangingCall, translate));
    body.resume();
    // A slow client: a byte every 90 ms for far longer than timeoutMs.
    for (let tick = 0; tick < 10; tick += 1) {
      source.write(Buffer.from([tick]));
      await vi.advanceTimersByTimeAsync(90);
    }
    expect(exchange.signal.aborted).toBe(false);
    source.end();
    await vi.advanceTimersByTimeAsync(99);
    expect(exchange.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await sent).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
  });

  it('rejects with the source error and aborts the request when an upload source fails', async () => {
    const exchange = UpstreamExchange.open({ timeoutMs: 100, idleTimeoutMs: 1_000 }, undefined);
    const failure = new DomainError('PAYLOAD_TOO_LARGE', 'too large');
    const source = new Readable({ read: () => undefined });
    exchange.uploadBody(source).resume();
    const sent = rejectionOf(exchange.send(hangingCall, translate));
    source.destroy(failure);
    expect(await sent).toBe(failure);
    expect(exchange.signal.aborted).toBe(true);
  });

  it('rejects with an AbortError and sends nothing when the caller has already aborted', () => {
    expect(() => UpstreamExchange.open({ timeoutMs: 100, idleTimeoutMs: 100 }, AbortSignal.abort())).toThrow(expect.objectContaining({ name: 'AbortError' }) as unknown as Error);
  });

  it('rethrows the caller abort as an AbortError when the caller aborts while waiting for headers', async () => {
    const caller = new AbortController();
    const exchange = UpstreamExchange.open({ timeoutMs: 10_000, idleTimeoutMs: 1_000 }, caller.signal);
    const sent = rejectionOf(exchange.send(hangingCall, translate));
    caller.abort();
    const error = await sent;
    expect(error).not.toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ name: 'AbortError' });
  });
});
