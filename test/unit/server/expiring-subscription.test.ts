import type { ExecutionResult } from 'graphql';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isDomainError } from '../../../src/core/domain-error.js';
import { endAtExpiry, endAtShutdown } from '../../../src/server/expiring-subscription.js';

/** An iterator that yields what the test pushes and records whether it was returned. */
function controlled(): { iterator: AsyncIterableIterator<ExecutionResult>; push: (result: ExecutionResult) => void; returned: () => boolean } {
  const queue: ExecutionResult[] = [];
  let waiting: ((result: IteratorResult<ExecutionResult>) => void) | undefined;
  let returned = false;
  const iterator: AsyncIterableIterator<ExecutionResult> = {
    next: () => {
      const head = queue.shift();
      if (head !== undefined) return Promise.resolve({ value: head, done: false });
      if (returned) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return: () => {
      returned = true;
      waiting?.({ value: undefined, done: true });
      return Promise.resolve({ value: undefined, done: true });
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return {
    iterator,
    push: (result) => {
      if (waiting === undefined) queue.push(result);
      else {
        const resolve = waiting;
        waiting = undefined;
        resolve({ value: result, done: false });
      }
    },
    returned: () => returned,
  };
}

describe('endAtExpiry', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('returns the iterator unchanged when the credential never expires', () => {
    const { iterator } = controlled();
    expect(endAtExpiry(iterator, undefined)).toBe(iterator);
  });

  it('passes results through before the expiry and then ends with UNAUTHENTICATED when the credential expires', async () => {
    vi.useFakeTimers({ now: 1_000_000 });
    const source = controlled();
    const wrapped = endAtExpiry(source.iterator, 1_000_000 + 5_000);
    source.push({ data: { n: 1 } });
    expect(await wrapped.next()).toEqual({ value: { data: { n: 1 } }, done: false });
    const pending = wrapped.next();
    await vi.advanceTimersByTimeAsync(5_000);
    const ended = await pending;
    expect(ended.done).toBe(false);
    expect(ended.value?.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' });
    expect(source.returned()).toBe(true);
    expect(await wrapped.next()).toEqual({ value: undefined, done: true });
  });

  it('clears its timer and returns the source when the subscriber leaves first', async () => {
    vi.useFakeTimers({ now: 0 });
    const source = controlled();
    const wrapped = endAtExpiry(source.iterator, 60_000);
    await wrapped.return?.();
    expect(source.returned()).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

describe('endAtShutdown', () => {
  it('passes results through and then ends with a retryable SHUTTING_DOWN result and completion when the server stops', async () => {
    const source = controlled();
    const stopping = new AbortController();
    const finished = vi.fn();
    const wrapped = endAtShutdown(source.iterator, stopping.signal, finished);
    source.push({ data: { n: 1 } });
    expect(await wrapped.next()).toEqual({ value: { data: { n: 1 } }, done: false });
    const pending = wrapped.next();
    stopping.abort();
    const ended = await pending;
    expect(ended.done).toBe(false);
    const original = ended.value?.errors?.[0]?.originalError;
    expect(isDomainError(original) ? [original.code, original.retryable] : original).toEqual(['SHUTTING_DOWN', true]);
    expect(source.returned()).toBe(true);
    expect(finished).not.toHaveBeenCalled();
    expect(await wrapped.next()).toEqual({ value: undefined, done: true });
    expect(finished).toHaveBeenCalledTimes(1);
  });

  it('ends at the first result when the server was already stopping', async () => {
    const source = controlled();
    const stopping = new AbortController();
    stopping.abort();
    source.push({ data: { n: 1 } });
    const wrapped = endAtShutdown(source.iterator, stopping.signal);
    expect((await wrapped.next()).value?.errors?.[0]?.message).toMatch(/shutting down/);
    expect(source.returned()).toBe(true);
  });

  it('stops listening to the shutdown signal and reports it finished once when the subscriber leaves first', async () => {
    const source = controlled();
    const stopping = new AbortController();
    const removed = vi.spyOn(stopping.signal, 'removeEventListener');
    const finished = vi.fn();
    const wrapped = endAtShutdown(source.iterator, stopping.signal, finished);
    await wrapped.return?.();
    await wrapped.return?.();
    expect(removed).toHaveBeenCalledWith('abort', expect.any(Function));
    expect(finished).toHaveBeenCalledTimes(1);
    stopping.abort();
    expect(await wrapped.next()).toEqual({ value: undefined, done: true });
  });

  it('completes normally and reports it finished when the source ends before the server stops', async () => {
    const source = controlled();
    const finished = vi.fn();
    const wrapped = endAtShutdown(source.iterator, new AbortController().signal, finished);
    const pending = wrapped.next();
    await source.iterator.return?.();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(finished).toHaveBeenCalledTimes(1);
  });
});
