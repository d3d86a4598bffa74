import { GraphQLError, type ExecutionResult } from 'graphql';
import { DomainError } from '../core/domain-error.js';

/**
 * Ends a subscription when the credential it was opened with expires: at `expiresAt` (epoch ms) the wrapped
 * iterator is returned (releasing its upstream share) and the subscriber receives one result with an
 * `UNAUTHENTICATED` error (`extensions.reason: 'TOKEN_EXPIRED'`), then completion. The client reconnects with
 * a fresh credential. Without an expiry the iterator is returned unchanged.
 */
export function endAtExpiry(
  iterator: AsyncIterableIterator<ExecutionResult>,
  expiresAt: number | undefined,
  now: () => number = Date.now,
): AsyncIterableIterator<ExecutionResult> {
  if (expiresAt === undefined) return iterator;
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<GraphQLError>((resolve) => {
    // Timers cannot wait longer than 2^31-1 ms; a credential valid for longer than ~24 days re-arms.
    const arm = (): void => {
      const wait = expiresAt - now();
      if (wait <= 0) resolve(credentialExpiredError('The credential of this subscription expired.'));
      else timer = setTimeout(arm, Math.min(wait, 2 ** 31 - 1));
    };
    arm();
  });
  return endWhen(iterator, expiry, () => {
    if (timer !== undefined) clearTimeout(timer);
  });
}

/**
 * Ends a subscription when the server begins to stop (`stopping` aborts): the wrapped iterator is returned and the
 * subscriber receives one result with a `SHUTTING_DOWN` error (retryable), then completion, so a client can tell
 * a deploy from the end of the subscription and subscribe again at once from its last fragment (RELIABILITY.md R3).
 * `finished` is called once, when the wrapper has delivered its last result or was returned, whichever comes first.
 */
export function endAtShutdown(
  iterator: AsyncIterableIterator<ExecutionResult>,
  stopping: AbortSignal,
  finished: () => void = () => undefined,
): AsyncIterableIterator<ExecutionResult> {
  let listener: (() => void) | undefined;
  const shutdown = new Promise<GraphQLError>((resolve) => {
    listener = () => resolve(shuttingDownError());
    if (stopping.aborted) listener();
    else stopping.addEventListener('abort', listener, { once: true });
  });
  return endWhen(iterator, shutdown, () => {
    if (listener !== undefined) stopping.removeEventListener('abort', listener);
    finished();
  });
}

/** The error a subscription ends with when its server stops: `SHUTTING_DOWN`, retryable at once on any instance. */
export function shuttingDownError(): GraphQLError {
  const message = 'The server is shutting down; subscribe again to resume from your last fragment.';
  return new GraphQLError(message, { originalError: new DomainError('SHUTTING_DOWN', message) });
}

/**
 * Passes `iterator`'s results through until `ending` resolves; then returns `iterator`, yields one result carrying
 * the error `ending` resolved to, and completes. `release` runs exactly once, when the wrapper is done for any
 * reason (completion, `return`, `throw`, or the ending delivered).
 */
function endWhen(
  iterator: AsyncIterableIterator<ExecutionResult>,
  ending: Promise<GraphQLError>,
  release: () => void,
): AsyncIterableIterator<ExecutionResult> {
  let ended = false;
  let finished = false;
  let endedWith: GraphQLError | undefined;
  // Not Promise.race([iterator.next(), ending]): that adds a reaction to the long-lived `ending` on every result,
  // which it keeps until it settles, i.e. memory growing with each event of a subscription that runs for hours.
  let wake: ((error: GraphQLError) => void) | undefined;
  void ending.then((error) => {
    endedWith = error;
    wake?.(error);
  });
  const stop = (): void => {
    if (finished) return;
    finished = true;
    release();
  };
  const wrapper: AsyncIterableIterator<ExecutionResult> = {
    next: async () => {
      if (finished) return { value: undefined, done: true };
      if (ended) {
        stop();
        return { value: undefined, done: true };
      }
      const next =
        endedWith ??
        (await new Promise<IteratorResult<ExecutionResult> | GraphQLError>((resolve, reject) => {
          wake = resolve;
          iterator.next().then(resolve, reject);
        }).finally(() => {
          wake = undefined;
        }));
      if (next instanceof GraphQLError) {
        ended = true;
        await iterator.return?.();
        return { value: { errors: [next] }, done: false };
      }
      if (next.done === true) stop();
      return next;
    },
    return: async () => {
      stop();
      await iterator.return?.();
      return { value: undefined, done: true };
    },
    throw: async (error: unknown) => {
      stop();
      if (iterator.throw !== undefined) return iterator.throw(error);
      await iterator.return?.();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]: () => wrapper,
  };
  return wrapper;
}

/**
 * The error for an operation whose credential has expired: `UNAUTHENTICATED` with `extensions.reason:
 * 'TOKEN_EXPIRED'`, so a client knows to fetch a fresh credential rather than retry as is.
 */
export function credentialExpiredError(message = 'The credential of this connection expired.'): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' } });
}

/** Whether a credential valid until `expiresAt` (epoch ms; `undefined` = no expiry) has expired at `now`. */
export function credentialExpired(expiresAt: number | undefined, now: number = Date.now()): boolean {
  return expiresAt !== undefined && expiresAt <= now;
}
