import { describe, expect, it } from 'vitest';
import { anotherUnderShare, mayAcquire, roomOf, shareOf, type FleetView } from '../../../../src/live/fleet/membership.js';

/** A view of `held` counts by instance with `watched` streams. */
function view(held: Record<string, number>, watched: number): FleetView {
  return { members: new Set(Object.keys(held)), watched, held: new Map(Object.entries(held)) };
}

describe('lease spread policy', () => {
  it('lets any instance take a lease before it has seen the fleet', () => {
    expect(shareOf(undefined)).toBe(Infinity);
    expect(mayAcquire(undefined, 'a', 100, ['b'], 0, 1_000)).toBe(true);
  });

  it('computes the share as ceil(S/N) when S streams are watched from N instances', () => {
    expect(shareOf(view({ a: 0, b: 0, c: 0 }, 30))).toBe(10);
    expect(shareOf(view({ a: 0, b: 0, c: 0 }, 31))).toBe(11);
    expect(shareOf(view({ a: 0 }, 0))).toBe(1);
  });

  it('takes a free lease while under its share', () => {
    expect(mayAcquire(view({ a: 9, b: 10, c: 10 }, 30), 'a', 9, ['a', 'b'], 0, 1_000)).toBe(true);
  });

  it('leaves a free lease to an interested instance under its share when at its own share, until the patience runs out', () => {
    const fleet = view({ a: 10, b: 8, c: 10 }, 30);
    expect(mayAcquire(fleet, 'a', 10, ['a', 'b'], 0, 1_000)).toBe(false);
    expect(mayAcquire(fleet, 'a', 10, ['a', 'b'], 1_000, 1_000)).toBe(true);
  });

  it('takes the lease anyway when no other interested instance is under its share', () => {
    const fleet = view({ a: 10, b: 10, c: 8 }, 30);
    expect(mayAcquire(fleet, 'a', 10, ['a', 'b'], 0, 1_000)).toBe(true);
    // An instance that is not a member (its announcement expired) does not count.
    expect(anotherUnderShare(fleet, 'a', ['a', 'gone'])).toBe(false);
  });

  it('counts the room under the share of the other instances when deciding hand-overs', () => {
    expect(roomOf(view({ a: 14, b: 8, c: 8 }, 30), 'a')).toBe(4);
    expect(roomOf(view({ a: 10, b: 10, c: 10 }, 30), 'a')).toBe(0);
    expect(roomOf(undefined, 'a')).toBe(0);
  });
});
