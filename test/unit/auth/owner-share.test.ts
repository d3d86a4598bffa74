import { describe, expect, it } from 'vitest';
import { OwnershipMemo, type LearnedOwner, type OwnerShare } from '../../../src/auth/ownership-memo.js';

/** An in-process share between memos: what one publishes, the others receive (as Pub/Sub would, the sender too). */
class Bus {
  readonly published: LearnedOwner[] = [];
  private readonly listeners: ((learned: LearnedOwner) => void)[] = [];

  share(): OwnerShare {
    return {
      publish: (learned) => {
        this.published.push(learned);
        for (const listener of this.listeners) listener(learned);
      },
      onLearned: (listener) => {
        this.listeners.push(listener);
      },
      close: () => Promise.resolve(),
    };
  }
}

describe('OwnershipMemo shared by a fleet', () => {
  it('knows on every instance an owner one instance learned', () => {
    const bus = new Bus();
    const [a, b] = [new OwnershipMemo({ maxEntries: 10, ttlMs: 60_000, share: bus.share() }), new OwnershipMemo({ maxEntries: 10, ttlMs: 60_000, share: bus.share() })];
    a.remember('livestream-operation', 'projects/p/locations/l/operations/op-1', 'projects/p/locations/l/assets/a1');
    expect(b.ownerOf('livestream-operation', 'projects/p/locations/l/operations/op-1')).toBe('projects/p/locations/l/assets/a1');
  });

  it('publishes only news when the same owner is learned again', () => {
    const bus = new Bus();
    const memo = new OwnershipMemo({ maxEntries: 10, ttlMs: 60_000, share: bus.share() });
    memo.remember('oci', 'ocid1.asset.1', 'ocid1.compartment.a');
    memo.remember('oci', 'ocid1.asset.1', 'ocid1.compartment.a');
    memo.remember('oci', 'ocid1.asset.1', 'ocid1.compartment.b');
    expect(bus.published.map((learned) => learned.owner)).toEqual(['ocid1.compartment.a', 'ocid1.compartment.b']);
  });

  it('neither shares nor learns when the memo is off', () => {
    const bus = new Bus();
    const off = new OwnershipMemo({ maxEntries: 0, ttlMs: 60_000, share: bus.share() });
    off.remember('oci', 'ocid1.asset.1', 'ocid1.compartment.a');
    expect(bus.published).toEqual([]);
    expect(off.ownerOf('oci', 'ocid1.asset.1')).toBeUndefined();
  });
});
