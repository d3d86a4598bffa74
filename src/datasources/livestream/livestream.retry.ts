import { backoffDelay, type BackoffPolicy } from '../../core/backoff.js';
import { abortError } from '../../core/deadline.js';
import { isRetryableRead } from './livestream.errors.js';

/**
 * Backoff for Live Stream reads and operation polling, bounded by the caller's deadline.
 *
 * Reads are retried here rather than by google-gax: gax's retry wrapper reports an exhausted retry budget as
 * DEADLINE_EXCEEDED and drops the last status, which would turn persistent throttling (RELIABILITY G2) into a
 * timeout. Retrying here keeps the last RESOURCE_EXHAUSTED / UNAVAILABLE, so it maps to UPSTREAM_THROTTLED /
 * UPSTREAM_UNAVAILABLE. Mutations never come through here.
 */

/** Retry policy of idempotent reads: the backoff between attempts (full jitter, see core/backoff.ts) and a count. */
export interface RetryPolicy extends BackoffPolicy {
  /** Total attempts including the first (1 = no retry). */
  readonly maxAttempts: number;
}

/** Defaults: 4 attempts, delay ceilings 100, 200 and 400 ms (at most 0.7 s of waiting in all, 0.35 s on average). */
export const DEFAULT_READ_RETRY: RetryPolicy = { maxAttempts: 4, initialDelayMs: 100, maxDelayMs: 2000, multiplier: 2 };

/** Defaults for polling a running operation: ceilings from 500 ms growing x1.5 up to 10 s. */
export const DEFAULT_OPERATION_POLL: BackoffPolicy = { initialDelayMs: 500, maxDelayMs: 10_000, multiplier: 1.5 };

/**
 * Resolves after `ms`, or rejects with an AbortError as soon as `signal` aborts.
 *
 * @throws (rejects) AbortError when `signal` aborts first.
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs an idempotent read, retrying UNAVAILABLE and RESOURCE_EXHAUSTED with backoff until it succeeds, fails
 * otherwise, uses `maxAttempts`, or the next wait would end past `deadlineAt` (then the last error is thrown, so
 * the caller sees what the service said instead of a timeout).
 *
 * @param attempt one call; gets the milliseconds left until `deadlineAt` (for the RPC's own deadline).
 * @throws the last attempt's error; AbortError when `signal` aborts during a wait.
 */
export async function retryRead<T>(
  policy: RetryPolicy,
  deadlineAt: number,
  signal: AbortSignal,
  attempt: (remainingMs: number) => Promise<T>,
): Promise<T> {
  for (let n = 0; ; n += 1) {
    try {
      return await attempt(Math.max(1, deadlineAt - Date.now()));
    } catch (error) {
      if (signal.aborted || !isRetryableRead(error) || n + 1 >= policy.maxAttempts) throw error;
      const wait = backoffDelay(policy, n);
      if (Date.now() + wait >= deadlineAt) throw error;
      await sleep(wait, signal);
    }
  }
}

/**
 * Calls `fetch` until `isDone` holds or the next poll would start past `deadlineAt`, waiting with backoff in
 * between.
 *
 * @returns the last value fetched (done or not).
 * @throws whatever `fetch` throws; AbortError when `signal` aborts during a wait.
 */
export async function pollUntil<T>(
  policy: BackoffPolicy,
  deadlineAt: number,
  signal: AbortSignal | undefined,
  fetch: () => Promise<T>,
  isDone: (value: T) => boolean,
): Promise<T> {
  const never = new AbortController().signal;
  for (let n = 0; ; n += 1) {
    const value = await fetch();
    if (isDone(value)) return value;
    // Full jitter may draw a zero wait: only the deadline ends the loop, never a short draw.
    const left = deadlineAt - Date.now();
    if (left <= 0) return value;
    await sleep(Math.min(backoffDelay(policy, n), left), signal ?? never);
  }
}
