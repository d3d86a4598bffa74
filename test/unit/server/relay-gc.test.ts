import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RelayGcPacer } from '../../../src/server/relay-gc.js';

/** Resolves with the next minor-GC performance entry, or rejects after `ms`. */
function nextScavenge(ms: number): { readonly seen: Promise<PerformanceEntry>; readonly stop: () => void } {
  let observer: PerformanceObserver | undefined;
  let timer: NodeJS.Timeout | undefined;
  const seen = new Promise<PerformanceEntry>((resolve, reject) => {
    observer = new PerformanceObserver((list) => {
      const entry = list.getEntries().find((candidate) => (Reflect.get(candidate, 'detail') as { kind?: number } | undefined)?.kind === constants.NODE_PERFORMANCE_GC_MINOR);
      if (entry !== undefined) resolve(entry);
    });
    observer.observe({ entryTypes: ['gc'] });
    timer = setTimeout(() => reject(new Error(`no minor GC within ${ms} ms`)), ms);
  });
  return {
    seen,
    stop: () => {
      observer?.disconnect();
      clearTimeout(timer);
    },
  };
}

describe('RelayGcPacer', () => {
  it('never collects when the interval is 0', () => {
    const pacer = RelayGcPacer.create(0);
    for (let index = 0; index < 100; index += 1) pacer.account(1024 * 1024);
    expect(pacer.enabled).toBe(false);
    expect(pacer.collectionCount).toBe(0);
  });

  it('collects once per interval of accounted bytes and restarts the count after each collection', () => {
    const pacer = RelayGcPacer.create(1_000);
    pacer.account(600);
    expect(pacer.collectionCount).toBe(0);
    pacer.account(600);
    expect(pacer.collectionCount).toBe(1);
    // The 200 bytes over the interval are not carried: the count restarts at the collection.
    pacer.account(900);
    expect(pacer.collectionCount).toBe(1);
    pacer.account(100);
    expect(pacer.collectionCount).toBe(2);
  });

  it('runs a young-generation collection when the interval is reached', async () => {
    const pacer = RelayGcPacer.create(1);
    const scavenge = nextScavenge(5_000);
    try {
      pacer.account(1);
      const entry = await scavenge.seen;
      expect(entry.entryType).toBe('gc');
    } finally {
      scavenge.stop();
    }
    expect(pacer.collectionCount).toBe(1);
  });

  it('counts every chunk of an observed stream when the stream is piped on', async () => {
    const pacer = RelayGcPacer.create(10_000);
    const chunks = Array.from({ length: 25 }, () => Buffer.alloc(1_000));
    const source = Readable.from(chunks, { objectMode: false });
    pacer.observe(source);
    let received = 0;
    for await (const chunk of source) received += (chunk as Buffer).byteLength;
    expect(received).toBe(25_000);
    expect(pacer.collectionCount).toBe(2);
  });

  it('throws RangeError when the interval is negative or fractional', () => {
    expect(() => RelayGcPacer.create(-1)).toThrow(RangeError);
    expect(() => RelayGcPacer.create(1.5)).toThrow(RangeError);
  });
});
