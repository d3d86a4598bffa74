import { Transform, type TransformCallback } from 'node:stream';
import { DomainError } from './domain-error.js';

/**
 * Runs `call` with a signal that aborts when `parent` aborts or after `timeoutMs`, whichever comes first.
 * The deadline covers the whole call including SDK retries.
 * @throws DomainError `UPSTREAM_TIMEOUT` when the deadline fired; otherwise whatever `call` throws.
 */
export async function withDeadline<T>(
  timeoutMs: number,
  parent: AbortSignal | undefined,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = parent === undefined ? deadline : AbortSignal.any([parent, deadline]);
  try {
    return await call(signal);
  } catch (error) {
    if (deadline.aborted && !(parent?.aborted ?? false)) {
      throw new DomainError('UPSTREAM_TIMEOUT', 'The upstream service did not answer in time.', { cause: error });
    }
    throw error;
  }
}

/**
 * The error an operation rejects with when its caller's `signal` aborted: named `AbortError` like the SDK's own,
 * so callers tell cancellation from upstream failures; the signal's reason is kept as `cause`.
 */
export function abortError(signal: AbortSignal): Error {
  const error = new Error('The operation was aborted.', { cause: signal.reason });
  error.name = 'AbortError';
  return error;
}

/**
 * Settles like `promise`, or rejects with {@link abortError} as soon as `signal` aborts (at once when it already
 * has); then `promise.cancel()` runs when the promise has one (gax calls do), so the call does not outlive the
 * caller. Without a signal, `promise` itself. The abort listener is removed once `promise` settles.
 */
export function untilAborted<T>(promise: Promise<T> & { cancel?: () => void }, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => {
      promise.cancel?.();
      reject(abortError(signal));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        // After an abort this rejection (a cancelled call) is expected; the promise has already settled.
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * A pass-through that fails with `UPSTREAM_TIMEOUT` when no bytes pass for `idleMs`.
 *
 * `download` (upstream writes, our client reads): silence while our buffer is full is the client's slowness,
 * not an upstream stall, so it never counts. `upload` (our client writes, upstream reads): any silence counts,
 * because an upstream that stops reading shows up exactly as a full buffer.
 * `onIdle` runs before the stream is destroyed, to abort the upstream request.
 */
export function idleWatchdog(idleMs: number, onIdle: () => void, direction: 'download' | 'upload' = 'download'): Transform {
  let timer: NodeJS.Timeout | undefined;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      arm();
      callback(null, chunk);
    },
    flush(callback: TransformCallback) {
      disarm();
      callback();
    },
    destroy(error: Error | null, callback: (error: Error | null) => void) {
      disarm();
      callback(error);
    },
  });
  const fire = (): void => {
    if (direction === 'download' && (stream.readableLength >= stream.readableHighWaterMark || stream.writableNeedDrain)) {
      arm();
      return;
    }
    onIdle();
    stream.destroy(new DomainError('UPSTREAM_TIMEOUT', 'The upstream service stopped sending data.'));
  };
  function arm(): void {
    if (timer === undefined) {
      timer = setTimeout(fire, idleMs);
      timer.unref();
    } else {
      timer.refresh();
    }
  }
  function disarm(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  }
  arm();
  return stream;
}
