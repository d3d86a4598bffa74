import type { ExecutionResult } from 'graphql';
import { describe, expect, it } from 'vitest';
import { watchResults, type SubscriptionEnd } from '../../../src/server/watched-iterator.js';

async function* results(count: number, failAfter?: number): AsyncGenerator<ExecutionResult> {
  for (let i = 0; i < count; i += 1) {
    if (i === failAfter) throw new Error('source failed');
    yield { data: { n: i } };
  }
}

function watched(inner: AsyncIterableIterator<ExecutionResult>): { iterator: AsyncIterableIterator<ExecutionResult>; seen: unknown[]; ends: SubscriptionEnd[] } {
  const seen: unknown[] = [];
  const ends: SubscriptionEnd[] = [];
  const iterator = watchResults(inner, { result: (value) => seen.push(value.data?.['n']), end: (how) => ends.push(how) });
  return { iterator, seen, ends };
}

describe('watchResults', () => {
  it('passes every result through and reports completed once when the source ends', async () => {
    const { iterator, seen, ends } = watched(results(3));
    const got: unknown[] = [];
    for await (const value of iterator) got.push(value.data?.['n']);
    expect(got).toEqual([0, 1, 2]);
    expect(seen).toEqual([0, 1, 2]);
    expect(ends).toEqual(['completed']);
  });

  it('reports closed once when the client stops it, and passes return to the source', async () => {
    const { iterator, ends } = watched(results(5));
    await iterator.next();
    await iterator.return?.();
    await iterator.return?.();
    expect(ends).toEqual(['closed']);
    expect((await iterator.next()).done).toBe(true);
  });

  it('reports error and rethrows when the source fails', async () => {
    const { iterator, seen, ends } = watched(results(5, 1));
    await iterator.next();
    await expect(iterator.next()).rejects.toThrow('source failed');
    expect(seen).toEqual([0]);
    expect(ends).toEqual(['error']);
  });
});
