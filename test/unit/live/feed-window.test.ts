import { describe, expect, it } from 'vitest';
import { placeInWindow } from '../../../src/live/feed-window.js';
import type { LiveEvent } from '../../../src/live/live.types.js';
import { Subscriber } from '../../../src/live/subscriber.js';
import type { Fragment } from '../../../src/mkv/fragment.type.js';

/** A window fragment whose server timestamp is its number in seconds. */
const fragment = (number: number): Fragment => ({ fragmentNumber: String(number), serverTimestamp: number * 1000, producerTimestamp: null }) as Fragment;
const WINDOW = [fragment(100), fragment(101), fragment(102)];

/** Fragment numbers queued on `subscriber`. */
async function drain(subscriber: Subscriber): Promise<string[]> {
  const out: string[] = [];
  while (subscriber.queued > 0) {
    const event = (await subscriber.next()).value as LiveEvent;
    if (event.kind === 'fragment') out.push(event.fragment.fragmentNumber ?? '');
  }
  return out;
}

function subscriber(): Subscriber {
  return new Subscriber('cam', 10, 'gap', () => undefined);
}

describe('placeInWindow', () => {
  it('starts after the newest fragment without replaying when the start is NOW', async () => {
    const placed = subscriber();
    expect(placeInWindow(placed, WINDOW, { type: 'NOW' })).toBe(true);
    expect(await drain(placed)).toEqual([]);
    placed.offerFragment(fragment(102));
    placed.offerFragment(fragment(103));
    expect(await drain(placed)).toEqual(['103']);
  });

  it('replays the window after the fragment when the number lies inside the window', async () => {
    const placed = subscriber();
    placed.mode = 'catchup';
    expect(placeInWindow(placed, WINDOW, { type: 'FRAGMENT_NUMBER', fragmentNumber: '100' })).toBe(true);
    expect(placed.mode).toBe('live');
    expect(await drain(placed)).toEqual(['101', '102']);
  });

  it('leaves the start to GetMedia when the number is past the newest fragment, before the window or not a number', () => {
    for (const fragmentNumber of ['103', '99', 'x1']) {
      expect(placeInWindow(subscriber(), WINDOW, { type: 'FRAGMENT_NUMBER', fragmentNumber })).toBe(false);
    }
    expect(placeInWindow(subscriber(), WINDOW, { type: 'CONTINUATION_TOKEN', token: '101' })).toBe(true);
  });

  it('replays from the first fragment stamped at or after the time when the timestamp lies inside the window', async () => {
    const placed = subscriber();
    expect(placeInWindow(placed, WINDOW, { type: 'SERVER_TIMESTAMP', timestamp: new Date(100_500) })).toBe(true);
    expect(await drain(placed)).toEqual(['101', '102']);
  });

  it('skips live fragments stamped before the time when the timestamp is later than every fragment held', async () => {
    const placed = subscriber();
    expect(placeInWindow(placed, WINDOW, { type: 'SERVER_TIMESTAMP', timestamp: new Date(103_500) })).toBe(true);
    placed.offerFragment(fragment(103));
    placed.offerFragment(fragment(104));
    expect(await drain(placed)).toEqual(['104']);
  });

  it('leaves the start to GetMedia when the timestamp precedes the window, the window is empty or the start is EARLIEST', () => {
    expect(placeInWindow(subscriber(), WINDOW, { type: 'SERVER_TIMESTAMP', timestamp: new Date(99_000) })).toBe(false);
    expect(placeInWindow(subscriber(), WINDOW, { type: 'PRODUCER_TIMESTAMP', timestamp: new Date(100_000) })).toBe(false);
    expect(placeInWindow(subscriber(), [], { type: 'FRAGMENT_NUMBER', fragmentNumber: '100' })).toBe(false);
    expect(placeInWindow(subscriber(), WINDOW, { type: 'EARLIEST' })).toBe(false);
  });
});
