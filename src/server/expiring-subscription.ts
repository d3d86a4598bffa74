import { GraphQLError, type ExecutionResult } from 'graphql';

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
  let expired = false;
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<'expired'>((resolve) => {
    // Timers cannot wait longer than 2^31-1 ms; a credential valid for longer than ~24 days re-arms.
    const arm = (): void => {
      const wait = expiresAt - now();
      if (wait <= 0) resolve('expired');
      else timer = setTimeout(arm, Math.min(wait, 2 ** 31 - 1));
    };
    arm();
  });
  const stop = (): void => {
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
  };
  const wrapper: AsyncIterableIterator<ExecutionResult> = {
    next: async () => {
      if (finished) return { value: undefined, done: true };
      if (expired) {
        stop();
        return { value: undefined, done: true };
      }
      const next = await Promise.race([iterator.next(), expiry]);
      if (next === 'expired') {
        expired = true;
        await iterator.return?.();
        return { value: { errors: [credentialExpiredError('The credential of this subscription expired.')] }, done: false };
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
