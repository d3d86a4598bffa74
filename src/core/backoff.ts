/**
 * Exponential backoff with full jitter: the one delay formula of every retry and poll loop in the gateway (the
 * live GetMedia reader, Live Stream reads and operation polls, the OCI SDK's retrier).
 *
 * Full jitter draws each delay uniformly from zero up to a ceiling that grows per attempt and is capped. Spreading
 * retries over the whole range is what keeps many callers that failed together from retrying together.
 */

/** How the ceiling of a delay grows. All durations in milliseconds. */
export interface BackoffPolicy {
  /** Ceiling of the first delay (attempt 0), in ms; at least 0. */
  readonly initialDelayMs: number;
  /** No ceiling exceeds this, in ms; at least 0. */
  readonly maxDelayMs: number;
  /** Growth of the ceiling per attempt (at least 1); default {@link DEFAULT_BACKOFF_MULTIPLIER}. */
  readonly multiplier?: number;
}

/** The ceiling doubles per attempt unless a policy says otherwise. */
export const DEFAULT_BACKOFF_MULTIPLIER = 2;

/**
 * The delay before retry number `attempt + 1`, in whole milliseconds: uniform in
 * `[0, min(maxDelayMs, initialDelayMs * multiplier^attempt))`. Stays finite and capped for any attempt count.
 *
 * @param attempt failed attempts so far minus one (0 for the delay after the first failure); negative counts as 0.
 * @param random source of uniform numbers in [0, 1), injectable for tests; default `Math.random`.
 */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * backoffCeiling(policy, attempt));
}

/** The ceiling {@link backoffDelay} draws below for `attempt`, in ms. */
export function backoffCeiling(policy: BackoffPolicy, attempt: number): number {
  if (policy.initialDelayMs <= 0 || policy.maxDelayMs <= 0) return 0;
  // multiplier ** attempt overflows to Infinity for huge counts, which the cap then bounds.
  const grown = policy.initialDelayMs * (policy.multiplier ?? DEFAULT_BACKOFF_MULTIPLIER) ** Math.max(0, attempt);
  return Math.min(policy.maxDelayMs, grown);
}
