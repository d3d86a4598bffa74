import { afterEach, describe, expect, it, vi } from 'vitest';
import { backoffCeiling, backoffDelay } from '../../../src/core/backoff.js';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('backoffDelay', () => {
  it('scales the random draw by min(maxDelayMs, initialDelayMs * 2^attempt) when no multiplier is given', () => {
    const policy = { initialDelayMs: 100, maxDelayMs: 10_000 };
    const half = (): number => 0.5;
    expect([0, 1, 2, 3, 4, 5].map((attempt) => backoffDelay(policy, attempt, half))).toEqual([50, 100, 200, 400, 800, 1_600]);
    // From attempt 7 (100 * 128 = 12,800) the cap bounds the ceiling.
    expect([7, 8, 20].map((attempt) => backoffDelay(policy, attempt, half))).toEqual([5_000, 5_000, 5_000]);
  });

  it('grows the ceiling by the policy multiplier when one is given', () => {
    const policy = { initialDelayMs: 100, maxDelayMs: 300, multiplier: 1.5 };
    expect([0, 1, 2, 3, 4].map((attempt) => backoffCeiling(policy, attempt))).toEqual([100, 150, 225, 300, 300]);
    expect(backoffDelay({ initialDelayMs: 60_000, maxDelayMs: 60_000, multiplier: 1 }, 9, () => 0.5)).toBe(30_000);
  });

  it('spans the whole range [0, ceiling) when the random source spans [0, 1)', () => {
    const policy = { initialDelayMs: 100, maxDelayMs: 10_000 };
    expect(backoffDelay(policy, 3, () => 0)).toBe(0);
    expect(backoffDelay(policy, 3, () => 0.25)).toBe(200);
    // Math.random() < 1, so the ceiling itself is never drawn.
    expect(backoffDelay(policy, 3, () => 1 - Number.EPSILON)).toBe(799);
  });

  it('stays finite and capped when the attempt count is huge', () => {
    expect(backoffDelay({ initialDelayMs: 250, maxDelayMs: 10_000 }, 1_000_000, () => 0.999)).toBe(9_990);
    expect(backoffDelay({ initialDelayMs: 1, maxDelayMs: 60_000 }, 1_024, () => 0.5)).toBe(30_000);
    expect(backoffDelay({ initialDelayMs: 1, maxDelayMs: 60_000, multiplier: 10 }, 400, () => 0.5)).toBe(30_000);
  });

  it('waits nothing when the policy has no delay at all', () => {
    expect(backoffDelay({ initialDelayMs: 0, maxDelayMs: 10_000 }, 2_000, () => 0.9)).toBe(0);
    expect(backoffDelay({ initialDelayMs: 100, maxDelayMs: 0 }, 3, () => 0.9)).toBe(0);
  });

  it('treats a negative attempt as the first when one is passed', () => {
    expect(backoffCeiling({ initialDelayMs: 100, maxDelayMs: 10_000 }, -3)).toBe(100);
  });

  it('draws a new random value on every call when no source is injected', () => {
    const random = vi.spyOn(Math, 'random').mockReturnValueOnce(0.1).mockReturnValueOnce(0.9);
    const policy = { initialDelayMs: 100, maxDelayMs: 10_000 };
    expect([backoffDelay(policy, 2), backoffDelay(policy, 2)]).toEqual([40, 360]);
    expect(random).toHaveBeenCalledTimes(2);
  });
});
