import { AsyncLocalStorage } from 'node:async_hooks';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError } from './domain-error.js';

/** The deadline signal of the innermost {@link withDeadline} the current code runs under. */
const deadlines = new AsyncLocalStorage<AbortSignal>();

/**
 * Whether the innermost {@link withDeadline} around the current code has fired: lets code deep inside a call (the
 * upstream metrics) tell a deadline from the caller's own cancellation, both of which reach it as an `AbortError`.
 */
export function deadlineExpired(): boolean {
  return deadlines.getStore()?.aborted === true;
}

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
    return await deadlines.run(deadline, () => call(signal));
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
 * A pass-through that fails with `UPSTREAM_TIMEOUT` when the upstream makes no progress for `idleMs`.
 *
 * `download` (upstream writes, our client reads): silence counts only while there is room for the upstream's
 * bytes; silence while our buffers are full is the client's own pace, not an upstream stall. It stops watching
 * once the upstream has sent its last byte.
 * `upload` (our client writes, upstream reads): silence counts only while bytes wait for the upstream (they are
 * buffered here, so the upstream is not taking them); silence with empty buffers is the client's own pace. It
 * watches until the upstream has taken the last byte, so a store that stops reading near the end is caught too.
 * `onIdle` runs before the stream is destroyed, to abort the upstream request.
 */
export function idleWatchdog(idleMs: number, onIdle: () => void, direction: 'download' | 'upload' = 'download'): Transform {
  let timer: NodeJS.Timeout | undefined;
  // Bytes pushed to the readable side; minus what is still buffered there, what the reader has taken.
  let pushed = 0;
  let takenAtArm = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      pushed += chunk.length;
      callback(null, chunk);
      // After the push, so that the chunk counts as buffered, not as taken.
      arm();
    },
    flush(callback: TransformCallback) {
      if (direction === 'download') disarm();
      callback();
    },
    destroy(error: Error | null, callback: (error: Error | null) => void) {
      disarm();
      callback(error);
    },
  });
  if (direction === 'upload') stream.once('end', disarm);
  const taken = (): number => pushed - stream.readableLength;
  // Whether the silence that just lasted idleMs is the client's doing (or no silence at all on the upstream's side).
  const notStalled = (): boolean =>
    direction === 'download'
      ? stream.readableLength >= stream.readableHighWaterMark || stream.writableNeedDrain
      : (stream.readableLength === 0 && stream.writableLength === 0) || taken() !== takenAtArm;
  const fire = (): void => {
    timer = undefined;
    if (stream.destroyed) return;
    if (notStalled()) {
      arm();
      return;
    }
    onIdle();
    stream.destroy(
      new DomainError('UPSTREAM_TIMEOUT', direction === 'download' ? 'The upstream service stopped sending data.' : 'The upstream service stopped accepting data.'),
    );
  };
  function arm(): void {
    takenAtArm = taken();
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

/** How long an {@link UpstreamExchange} waits, in milliseconds. */
export interface ExchangeTimeouts {
  /** Deadline for the response headers (SDK retries included); see {@link UpstreamExchange}. */
  readonly timeoutMs: number;
  /** Longest time a streamed body may make no progress on the upstream's side. */
  readonly idleTimeoutMs: number;
}

/**
 * One upstream request whose body streams: the response body of a download or the request body of an upload.
 * Any object store (MediaStore, S3) builds its byte transfers on it, so they all keep the same time limits:
 *
 * - `timeoutMs` covers the wait for the response headers, SDK retries included: from {@link send} for a request
 *   without a streamed body, and from the moment the last byte of a streamed body ({@link uploadBody}) was handed
 *   on. Once the headers are in, it no longer applies.
 * - After that a body takes as long as the client's own pace needs. Only `idleTimeoutMs` without progress on the
 *   upstream's side fails it (see {@link idleWatchdog}): a store that stops sending or stops reading.
 * - The caller's `signal` (client gone, shutdown) aborts the request in either phase.
 *
 * Errors are reported as what caused them: `UPSTREAM_TIMEOUT` for the deadline or an idle body, an `AbortError`
 * (see {@link abortError}) when the caller aborted, a failing upload source's own error, and otherwise the
 * provider's error through its `translate` function. Lifetime: from {@link open} until {@link close}; one
 * request only.
 */
export class UpstreamExchange {
  private readonly controller = new AbortController();
  private deadline: NodeJS.Timeout | undefined;
  /** Set when the deadline fired or was cleared: it runs at most once. */
  private deadlineDone = false;
  private failure: 'deadline' | 'idle' | 'source' | undefined;
  private sourceError: unknown;
  private upload: Transform | undefined;
  private closed = false;
  private readonly onParentAbort = (): void => this.controller.abort(this.parent?.reason);

  private constructor(
    private readonly timeouts: ExchangeTimeouts,
    private readonly parent: AbortSignal | undefined,
  ) {
    parent?.addEventListener('abort', this.onParentAbort, { once: true });
  }

  /**
   * Starts an exchange on behalf of a caller whose `signal` may abort it.
   * @throws Error an {@link abortError} when `signal` has already aborted (nothing is sent).
   */
  static open(timeouts: ExchangeTimeouts, signal: AbortSignal | undefined): UpstreamExchange {
    if (signal?.aborted) throw abortError(signal);
    return new UpstreamExchange(timeouts, signal);
  }

  /** The signal to give the SDK call: it aborts on the caller's abort, the deadline, or an idle body. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /**
   * Runs `call` (the SDK request, resolving with the response headers) and ends the deadline when it resolves.
   * @throws DomainError `UPSTREAM_TIMEOUT` when the deadline fired or a streamed request body went idle; an
   * `AbortError` when the caller aborted; an upload source's own error; otherwise `translate(error)`.
   */
  async send<T>(call: (signal: AbortSignal) => Promise<T>, translate: (error: unknown) => Error): Promise<T> {
    if (this.upload === undefined) this.startDeadline();
    try {
      const result = await call(this.signal);
      this.endDeadline();
      return result;
    } catch (error) {
      throw this.explain(error, translate);
    }
  }

  /**
   * Guards a streamed request body; pass the returned stream to the SDK instead of `source`, before {@link send}.
   * The deadline starts once the upstream has taken the last byte. A failing `source` (a byte limit, a client that
   * went away) aborts the request, and {@link send} rejects with the source's error.
   */
  uploadBody(source: Readable): Readable {
    const guarded = idleWatchdog(this.timeouts.idleTimeoutMs, () => this.fail('idle'), 'upload');
    this.upload = guarded;
    guarded.once('end', () => this.startDeadline());
    // The SDK only pipe()s the body and listens for no stream errors: pipeline() keeps the watchdog's own error
    // from going unhandled and turns a failing source into the result of the call instead of a hang.
    pipeline(source, guarded).catch((error: unknown) => {
      // After close(), or once the exchange has failed otherwise, that failure is what gets reported.
      if (this.closed || this.signal.aborted) return;
      this.sourceError = error;
      this.fail('source');
    });
    return guarded;
  }

  /**
   * Relays the response body `upstream` after {@link send} resolved. The returned stream fails with
   * `UPSTREAM_TIMEOUT` when the upstream goes idle, with an `AbortError` when the caller aborts, and with
   * `translate(error)` when the upstream fails. Its consumer owns it: consuming it to the end or destroying it
   * releases the upstream request and closes the exchange.
   */
  downloadBody(upstream: Readable, translate: (error: unknown) => Error): Readable {
    const body = idleWatchdog(this.timeouts.idleTimeoutMs, () => this.fail('idle'), 'download');
    const onAbort = (): void => {
      body.destroy(this.explain(this.signal.reason, translate));
    };
    // Not pipeline(): it would destroy `body` with the raw socket error (`aborted`, ECONNRESET) before it could be
    // explained.
    upstream.on('error', (error: unknown) => body.destroy(this.explain(error, translate)));
    this.signal.addEventListener('abort', onAbort, { once: true });
    body.once('close', () => {
      this.signal.removeEventListener('abort', onAbort);
      if (!upstream.readableEnded) upstream.destroy();
      this.close();
    });
    upstream.pipe(body);
    if (this.signal.aborted) onAbort();
    return body;
  }

  /**
   * Ends the exchange: clears the deadline, detaches from the caller's signal and releases an upload body the
   * upstream did not finish taking. Idempotent; a download body calls it when it closes.
   */
  close(): void {
    this.closed = true;
    this.endDeadline();
    this.parent?.removeEventListener('abort', this.onParentAbort);
    if (this.upload !== undefined && !this.upload.readableEnded) this.upload.destroy();
  }

  private startDeadline(): void {
    if (this.deadline !== undefined || this.deadlineDone || this.closed) return;
    this.deadline = setTimeout(() => {
      this.deadline = undefined;
      this.deadlineDone = true;
      this.fail('deadline');
    }, this.timeouts.timeoutMs);
    this.deadline.unref();
  }

  private endDeadline(): void {
    if (this.deadline !== undefined) clearTimeout(this.deadline);
    this.deadline = undefined;
    this.deadlineDone = true;
  }

  private fail(failure: 'deadline' | 'idle' | 'source'): void {
    if (this.signal.aborted) return;
    this.failure = failure;
    this.controller.abort(new Error(`upstream exchange ended: ${failure}`));
  }

  private explain(error: unknown, translate: (error: unknown) => Error): Error {
    if (this.parent?.aborted) return abortError(this.parent);
    switch (this.failure) {
      case 'deadline':
        return new DomainError('UPSTREAM_TIMEOUT', 'The upstream service did not answer in time.', { cause: error });
      case 'idle':
        return new DomainError(
          'UPSTREAM_TIMEOUT',
          this.upload === undefined ? 'The upstream service stopped sending data.' : 'The upstream service stopped accepting data.',
          { cause: error },
        );
      case 'source':
        return this.sourceError instanceof Error ? this.sourceError : new Error(String(this.sourceError));
      case undefined:
        return translate(error);
    }
  }
}
