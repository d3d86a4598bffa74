import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../../src/core/domain-error.js';
import { createObjectLoaders } from '../../../../src/datasources/object-store/object.loaders.js';
import type { CallOptions, ObjectMetadata, ObjectStore } from '../../../../src/datasources/object-store/object-store.js';

interface PendingDescribe {
  readonly path: string;
  readonly signal: AbortSignal | undefined;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * An object store whose describe calls stay pending until the test releases them, so the number in flight
 * can be observed at every moment. Only describe is used by the loaders; the other methods refuse.
 */
class GatedStore implements ObjectStore {
  readonly provider = 'gated';
  readonly limits = { maxListPageSize: 10, listTokenTtlMs: undefined, maxObjectBytes: { STANDARD: 1, STREAMING: 1 } };
  readonly pending: PendingDescribe[] = [];
  readonly calls: string[] = [];
  inFlight = 0;
  maxInFlight = 0;
  private arrivals: Array<() => void> = [];

  describe(path: string, options: CallOptions = {}): Promise<ObjectMetadata> {
    this.calls.push(path);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return new Promise<ObjectMetadata>((resolve, reject) => {
      const settle = (): void => {
        this.inFlight -= 1;
      };
      this.pending.push({
        path,
        signal: options.signal,
        resolve: () => {
          settle();
          resolve(metadata(path));
        },
        reject: (error) => {
          settle();
          reject(error);
        },
      });
      const arrivals = this.arrivals;
      this.arrivals = [];
      for (const notify of arrivals) notify();
    });
  }

  /** Resolves once `count` describe calls are pending. */
  async waitForPending(count: number): Promise<void> {
    while (this.pending.length < count) {
      await new Promise<void>((resolve) => this.arrivals.push(resolve));
    }
  }

  /** Resolves the oldest pending describe with the object's metadata. */
  release(): void {
    this.next().resolve();
  }

  /** Rejects the oldest pending describe with `error`. */
  fail(error: unknown): void {
    this.next().reject(error);
  }

  private next(): PendingDescribe {
    const next = this.pending.shift();
    if (next === undefined) throw new Error('no pending describe');
    return next;
  }

  list(): Promise<never> {
    return Promise.reject(new Error('not used'));
  }
  get(): Promise<never> {
    return Promise.reject(new Error('not used'));
  }
  put(): Promise<never> {
    return Promise.reject(new Error('not used'));
  }
  delete(): Promise<never> {
    return Promise.reject(new Error('not used'));
  }
  checkReachable(): Promise<never> {
    return Promise.reject(new Error('not used'));
  }
}

function metadata(path: string): ObjectMetadata {
  return { path, eTag: `etag-${path}`, contentType: 'video/mp2t', contentLength: 1, lastModified: undefined, cacheControl: undefined };
}

describe('createObjectLoaders', () => {
  it('calls describe once per distinct path when the same path is loaded many times', async () => {
    const store = new GatedStore();
    const { describe: loader } = createObjectLoaders(store, { concurrency: 4 });
    const loads = ['a.ts', 'b.ts', 'a.ts', 'a.ts', 'b.ts'].map((path) => loader.load(path));
    await store.waitForPending(2);
    store.release();
    store.release();
    const results = await Promise.all(loads);
    expect(results.map((result) => result?.path)).toEqual(['a.ts', 'b.ts', 'a.ts', 'a.ts', 'b.ts']);
    expect(store.calls.sort()).toEqual(['a.ts', 'b.ts']);
    // Cached for the rest of the operation: no further upstream call.
    await expect(loader.load('a.ts')).resolves.toMatchObject({ path: 'a.ts' });
    expect(store.calls).toHaveLength(2);
  });

  it('keeps at most `concurrency` describes in flight when a batch holds more paths', async () => {
    const store = new GatedStore();
    const concurrency = 3;
    const { describe: loader } = createObjectLoaders(store, { concurrency });
    const paths = Array.from({ length: 20 }, (_, index) => `seg-${index}.ts`);
    const all = loader.loadMany(paths);
    for (let released = 0; released < paths.length; released += 1) {
      await store.waitForPending(Math.min(concurrency, paths.length - released));
      expect(store.inFlight).toBeLessThanOrEqual(concurrency);
      store.release();
    }
    const results = await all;
    expect(results).toHaveLength(20);
    expect(store.maxInFlight).toBe(concurrency);
    expect(store.calls).toHaveLength(20);
  });

  it('resolves null when the store reports NOT_FOUND', async () => {
    const store = new GatedStore();
    const { describe: loader } = createObjectLoaders(store, { concurrency: 2 });
    const load = loader.load('missing.ts');
    await store.waitForPending(1);
    store.fail(new DomainError('NOT_FOUND', 'No object exists at this path.'));
    await expect(load).resolves.toBeNull();
  });

  it('rejects only the failing key when one describe fails with another error', async () => {
    const store = new GatedStore();
    const { describe: loader } = createObjectLoaders(store, { concurrency: 2 });
    const failing = loader.load('broken.ts');
    const fine = loader.load('fine.ts');
    await store.waitForPending(2);
    const upstream = new DomainError('UPSTREAM_UNAVAILABLE', 'The object store failed; try again later.');
    for (const pending of [...store.pending]) {
      if (pending.path === 'broken.ts') pending.reject(upstream);
      else pending.resolve();
    }
    await expect(failing).rejects.toBe(upstream);
    await expect(fine).resolves.toMatchObject({ path: 'fine.ts' });
  });

  it('wraps a non-Error rejection in an Error when the store throws a plain value', async () => {
    const store = new GatedStore();
    const { describe: loader } = createObjectLoaders(store, { concurrency: 1 });
    const load = loader.load('odd.ts');
    await store.waitForPending(1);
    store.fail('plain string');
    await expect(load).rejects.toThrowError('plain string');
  });

  it('passes the request signal to every describe when one is given', async () => {
    const store = new GatedStore();
    const controller = new AbortController();
    const { describe: loader } = createObjectLoaders(store, { concurrency: 2, signal: controller.signal });
    const loads = loader.loadMany(['a.ts', 'b.ts']);
    await store.waitForPending(2);
    expect(store.pending.map((pending) => pending.signal)).toEqual([controller.signal, controller.signal]);
    store.release();
    store.release();
    await loads;
  });
});
