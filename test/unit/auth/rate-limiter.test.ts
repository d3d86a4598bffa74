import { RateLimiterMemory } from 'rate-limiter-flexible';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TenantRateLimiter, type RateLimiter } from '../../../src/auth/rate-limiter.js';
import { DomainError } from '../../../src/core/domain-error.js';

/** What `consume` rejected with, or `undefined` when it resolved. */
async function refusal(limiter: RateLimiter, key: string, cost?: number): Promise<unknown> {
  return limiter.consume(key, cost).then(
    () => undefined,
    (error: unknown) => error,
  );
}

/** Consumes one unit at a time until refused; returns how many were accepted (at most `max`). */
async function acceptedInARow(limiter: RateLimiter, key: string, max = 10_000): Promise<number> {
  for (let accepted = 0; accepted < max; accepted += 1) {
    if ((await refusal(limiter, key)) !== undefined) return accepted;
  }
  return max;
}

function limiter(overrides: [string, { requestsPerSecond: number; burst: number }][] = []): TenantRateLimiter {
  return new TenantRateLimiter({ defaultPerSecond: 10, defaultBurst: 5, overrides: new Map(overrides) });
}

describe('TenantRateLimiter', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('accepts a whole burst at once and refuses the next request when the burst is spent', async () => {
    expect(await acceptedInARow(limiter(), 'tenant-a')).toBe(5);
  });

  it('refuses with a retryable RATE_LIMITED carrying retryAfterMs when over the limit', async () => {
    const rl = limiter();
    for (let i = 0; i < 5; i += 1) await rl.consume('tenant-a');
    await vi.advanceTimersByTimeAsync(100);
    const error = await refusal(rl, 'tenant-a');
    expect(error).toBeInstanceOf(DomainError);
    const domain = error as DomainError;
    expect(domain.code).toBe('RATE_LIMITED');
    expect(domain.message).toBe('Rate limit exceeded for this tenant.');
    expect(domain.retryable).toBe(true);
    // burst 5 at 10/s: a 500 ms window, 100 ms of it gone.
    expect(domain.details).toEqual({ retryAfterMs: 400 });
  });

  it('accepts a full burst again when the reported retryAfterMs has passed', async () => {
    const rl = limiter();
    expect(await acceptedInARow(rl, 'tenant-a')).toBe(5);
    const error = (await refusal(rl, 'tenant-a')) as DomainError;
    const retryAfterMs = Number(error.details['retryAfterMs']);
    await vi.advanceTimersByTimeAsync(retryAfterMs - 1);
    expect(await refusal(rl, 'tenant-a')).toBeInstanceOf(DomainError);
    await vi.advanceTimersByTimeAsync(1);
    expect(await acceptedInARow(rl, 'tenant-a')).toBe(5);
  });

  it('keeps the sustained rate at requestsPerSecond when a client sends as fast as it can', async () => {
    const rl = limiter();
    let accepted = 0;
    // One attempt per millisecond for 10 s of fake time.
    for (let ms = 0; ms < 10_000; ms += 1) {
      if ((await refusal(rl, 'tenant-a')) === undefined) accepted += 1;
      await vi.advanceTimersByTimeAsync(1);
    }
    // 10/s for 10 s, plus at most two bursts straddling window edges (see the limiter's comment).
    expect(accepted).toBeGreaterThanOrEqual(100 - 5);
    expect(accepted).toBeLessThanOrEqual(100 + 2 * 5);
  });

  it('counts keys separately when two tenants share the limiter', async () => {
    const rl = limiter();
    expect(await acceptedInARow(rl, 'tenant-a')).toBe(5);
    expect(await acceptedInARow(rl, 'tenant-b')).toBe(5);
  });

  it('applies an override to its tenant only when one is configured', async () => {
    const rl = limiter([['big', { requestsPerSecond: 100, burst: 20 }]]);
    expect(rl.settingsFor('big')).toEqual({ requestsPerSecond: 100, burst: 20 });
    expect(rl.settingsFor('small')).toEqual({ requestsPerSecond: 10, burst: 5 });
    expect(await acceptedInARow(rl, 'big')).toBe(20);
    expect(await acceptedInARow(rl, 'small')).toBe(5);
    const error = (await refusal(rl, 'big')) as DomainError;
    // burst 20 at 100/s: a 200 ms window.
    expect(error.details).toEqual({ retryAfterMs: 200 });
  });

  it('supports fractional rates when an override is slower than one per second', async () => {
    const rl = limiter([['slow', { requestsPerSecond: 0.5, burst: 1 }]]);
    await rl.consume('slow');
    expect(((await refusal(rl, 'slow')) as DomainError).details).toEqual({ retryAfterMs: 2_000 });
  });

  it('charges the cost when a request costs several units', async () => {
    const rl = limiter();
    await rl.consume('tenant-a', 3);
    await rl.consume('tenant-a', 2);
    expect(await refusal(rl, 'tenant-a', 1)).toBeInstanceOf(DomainError);
  });

  it('refuses without retry when the cost exceeds the burst', async () => {
    const rl = limiter();
    const error = (await refusal(rl, 'tenant-a', 6)) as DomainError;
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryable).toBe(false);
    expect(error.details).toEqual({ cost: 6, burst: 5 });
    // The refused request charged nothing.
    expect(await acceptedInARow(rl, 'tenant-a')).toBe(5);
  });

  it('throws a RangeError when the cost is not a positive finite number', async () => {
    const rl = limiter();
    for (const cost of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(await refusal(rl, 'tenant-a', cost), String(cost)).toBeInstanceOf(RangeError);
    }
  });

  it('throws a RangeError when constructed with an invalid limit', () => {
    const build = (defaultPerSecond: number, defaultBurst: number, overrides = new Map()) => () =>
      new TenantRateLimiter({ defaultPerSecond, defaultBurst, overrides });
    expect(build(0, 5)).toThrow(RangeError);
    expect(build(Number.NaN, 5)).toThrow(RangeError);
    expect(build(10, 0)).toThrow(RangeError);
    expect(build(10, 1.5)).toThrow(RangeError);
    expect(build(10, 5, new Map([['t', { requestsPerSecond: -1, burst: 5 }]]))).toThrow(
      "rate limit of 't': requestsPerSecond must be a positive finite number, got -1",
    );
  });

  it('rethrows the limiter error when rate-limiter-flexible fails', async () => {
    const failure = new Error('store down');
    vi.spyOn(RateLimiterMemory.prototype, 'consume').mockRejectedValueOnce(failure);
    expect(await refusal(limiter(), 'tenant-a')).toBe(failure);
  });

  it('wraps a non-Error rejection in an Error when rate-limiter-flexible rejects with one', async () => {
    vi.spyOn(RateLimiterMemory.prototype, 'consume').mockRejectedValueOnce('weird');
    const error = await refusal(limiter(), 'tenant-a');
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(DomainError);
    expect((error as Error).cause).toBe('weird');
  });
});
