import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Semaphore, TokenBucket } from '../../../src/live/token-bucket.js';

describe('TokenBucket', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('allows at most capacity takes in any window when calls settle at once', async () => {
    const bucket = new TokenBucket(5, 1_000, () => Date.now());
    const granted: number[] = [];
    const takes = Array.from({ length: 12 }, () =>
      bucket.take().then((settle) => {
        granted.push(Date.now());
        settle();
      }),
    );
    await vi.advanceTimersByTimeAsync(3_000);
    await Promise.all(takes);
    expect(granted).toEqual([0, 0, 0, 0, 0, 1_001, 1_001, 1_001, 1_001, 1_001, 2_002, 2_002]);
  });

  it('returns a token a window after its call settled, not after it was taken', async () => {
    const bucket = new TokenBucket(2, 1_000, () => Date.now());
    const settleA = await bucket.take();
    const settleB = await bucket.take();
    // Both calls take a while to reach the service (an endpoint lookup, a new connection).
    await vi.advanceTimersByTimeAsync(300);
    settleA();
    await vi.advanceTimersByTimeAsync(100);
    settleB();
    let thirdAt: number | undefined;
    const third = bucket.take().then((settle) => {
      thirdAt = Date.now();
      settle();
    });
    // Taken at 0, the first token would be back at 1,001; settled at 300, it is back at 1,301.
    await vi.advanceTimersByTimeAsync(900);
    expect(thirdAt).toBeUndefined();
    await vi.advanceTimersByTimeAsync(2);
    await third;
    expect(thirdAt).toBe(1_301);
  });

  it('counts a call answered more than a window after its take from the answer', async () => {
    const bucket = new TokenBucket(1, 1_000, () => Date.now());
    const settle = await bucket.take();
    await vi.advanceTimersByTimeAsync(1_500);
    settle();
    let nextAt: number | undefined;
    const next = bucket.take().then(() => {
      nextAt = Date.now();
    });
    await vi.advanceTimersByTimeAsync(1_001);
    await next;
    expect(nextAt).toBe(2_501);
  });

  it('rejects a waiting take with the reason when its signal aborts', async () => {
    const bucket = new TokenBucket(1, 1_000, () => Date.now());
    await bucket.take();
    const controller = new AbortController();
    const waiting = bucket.take(controller.signal);
    controller.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
  });
});

describe('Semaphore', () => {
  it('hands a released permit to the next waiter in order and counts held permits', async () => {
    const semaphore = new Semaphore(1);
    const release = await semaphore.acquire();
    const order: string[] = [];
    const a = semaphore.acquire().then((r) => {
      order.push('a');
      return r;
    });
    const b = semaphore.acquire().then((r) => {
      order.push('b');
      return r;
    });
    expect(semaphore.held).toBe(1);
    release();
    release();
    (await a)();
    (await b)();
    expect(order).toEqual(['a', 'b']);
    expect(semaphore.held).toBe(0);
  });
});
