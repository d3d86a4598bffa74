import { afterEach, describe, expect, it, vi } from 'vitest';
import { pollUntil, retryRead, sleep } from '../../../../src/datasources/livestream/livestream.retry.js';

const POLICY = { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 4, multiplier: 2 };
const never = new AbortController().signal;

afterEach(() => {
  vi.restoreAllMocks();
});

function status(code: number): Error {
  return Object.assign(new Error(`status ${code}`), { code });
}

describe('retryRead', () => {
  it('retries UNAVAILABLE and RESOURCE_EXHAUSTED until an attempt succeeds', async () => {
    const failures = [status(14), status(8)];
    let attempts = 0;
    const result = await retryRead(POLICY, Date.now() + 10_000, never, () => {
      attempts += 1;
      const failure = failures.shift();
      return failure === undefined ? Promise.resolve('ok') : Promise.reject(failure);
    });
    expect(result).toBe('ok');
    expect(attempts).toBe(3);
  });

  it('throws the last status after maxAttempts when the failure persists', async () => {
    let attempts = 0;
    const outcome = retryRead(POLICY, Date.now() + 10_000, never, () => {
      attempts += 1;
      return Promise.reject(status(8));
    });
    await expect(outcome).rejects.toMatchObject({ code: 8 });
    expect(attempts).toBe(3);
  });

  it('does not retry other statuses', async () => {
    let attempts = 0;
    await expect(
      retryRead(POLICY, Date.now() + 10_000, never, () => {
        attempts += 1;
        return Promise.reject(status(5));
      }),
    ).rejects.toMatchObject({ code: 5 });
    expect(attempts).toBe(1);
  });

  it('stops early with the last status when the next wait would pass the deadline', async () => {
    // The top of the jitter range, so the drawn wait (just under 60 s) is certainly past the deadline.
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    let attempts = 0;
    const slow = { maxAttempts: 10, initialDelayMs: 60_000, maxDelayMs: 60_000, multiplier: 1 };
    await expect(
      retryRead(slow, Date.now() + 1000, never, () => {
        attempts += 1;
        return Promise.reject(status(14));
      }),
    ).rejects.toMatchObject({ code: 14 });
    expect(attempts).toBe(1);
  });

  it('passes the time left until the deadline to each attempt', async () => {
    const seen: number[] = [];
    await retryRead(POLICY, Date.now() + 5000, never, (remaining) => {
      seen.push(remaining);
      return Promise.resolve(undefined);
    });
    expect(seen[0]).toBeGreaterThan(4000);
    expect(seen[0]).toBeLessThanOrEqual(5000);
  });
});

describe('sleep', () => {
  it('rejects with AbortError when the signal aborts during the wait', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    await expect(sleep(1, controller.signal)).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('pollUntil', () => {
  it('returns the first value that is done', async () => {
    let polls = 0;
    const value = await pollUntil(POLICY, Date.now() + 10_000, undefined, () => Promise.resolve((polls += 1)), (count) => count === 3);
    expect(value).toBe(3);
  });

  it('returns the last value when the deadline passes first', async () => {
    let polls = 0;
    const value = await pollUntil({ initialDelayMs: 10, maxDelayMs: 10, multiplier: 1 }, Date.now() + 30, undefined, () => Promise.resolve((polls += 1)), () => false);
    expect(value).toBe(polls);
    expect(polls).toBeGreaterThanOrEqual(2);
  });

  it('keeps polling until the deadline when the jitter draws a zero wait', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0);
    let polls = 0;
    const value = await pollUntil(POLICY, Date.now() + 10_000, undefined, () => Promise.resolve((polls += 1)), (count) => count === 4);
    expect(value).toBe(4);
  });

  it('propagates a poll failure', async () => {
    await expect(pollUntil(POLICY, Date.now() + 1000, undefined, () => Promise.reject(new Error('boom')), () => true)).rejects.toThrow('boom');
  });
});
