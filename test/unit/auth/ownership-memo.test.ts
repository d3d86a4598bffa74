import { describe, expect, it } from 'vitest';
import { OwnershipMemo } from '../../../src/auth/ownership-memo.js';

describe('OwnershipMemo', () => {
  it('returns the owner last remembered when asked for the same resource', () => {
    const memo = new OwnershipMemo({ maxEntries: 10, ttlMs: 60_000 });
    memo.remember('oci', 'ocid1.mediaasset.x', 'ocid1.compartment.a');
    memo.remember('oci', 'ocid1.mediaasset.x', 'ocid1.compartment.b');
    expect(memo.ownerOf('oci', 'ocid1.mediaasset.x')).toBe('ocid1.compartment.b');
    expect(memo.ownerOf('oci', 'ocid1.mediaasset.y')).toBeUndefined();
  });

  it('keeps kinds apart when two kinds share an id', () => {
    const memo = new OwnershipMemo({ maxEntries: 10, ttlMs: 60_000 });
    memo.remember('livestream-operation', 'same', 'projects/p/locations/l/assets/a');
    expect(memo.ownerOf('oci', 'same')).toBeUndefined();
    expect(memo.ownerOf('livestream-operation', 'same')).toBe('projects/p/locations/l/assets/a');
  });

  it('forgets the least recently used owner when full', () => {
    const memo = new OwnershipMemo({ maxEntries: 2, ttlMs: 60_000 });
    memo.remember('oci', 'one', 'c1');
    memo.remember('oci', 'two', 'c2');
    expect(memo.ownerOf('oci', 'one')).toBe('c1');
    memo.remember('oci', 'three', 'c3');
    expect(memo.ownerOf('oci', 'two')).toBeUndefined();
    expect(memo.ownerOf('oci', 'one')).toBe('c1');
    expect(memo.size).toBe(2);
  });

  it('stops answering for an owner when it is older than the TTL', () => {
    let now = 1_000;
    const memo = new OwnershipMemo({ maxEntries: 10, ttlMs: 5_000, now: () => now });
    memo.remember('oci', 'moved', 'ocid1.compartment.old');
    now += 4_999;
    expect(memo.ownerOf('oci', 'moved')).toBe('ocid1.compartment.old');
    now += 2;
    expect(memo.ownerOf('oci', 'moved')).toBeUndefined();
  });

  it('remembers nothing when maxEntries is 0', () => {
    const memo = new OwnershipMemo({ maxEntries: 0, ttlMs: 5_000 });
    memo.remember('oci', 'x', 'c');
    expect(memo.ownerOf('oci', 'x')).toBeUndefined();
    expect(memo.size).toBe(0);
  });
});
