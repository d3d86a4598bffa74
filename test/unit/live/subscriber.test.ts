import { describe, expect, it } from 'vitest';
import type { LiveEvent } from '../../../src/live/live.types.js';
import { Subscriber } from '../../../src/live/subscriber.js';
import type { Fragment } from '../../../src/mkv/fragment.type.js';

const fragment = (number: string): Fragment => ({ fragmentNumber: number }) as Fragment;

/** Everything queued on `subscriber`, as short strings (`f <number>`, `gap <reason> <missed>`). */
async function drain(subscriber: Subscriber): Promise<string[]> {
  const out: string[] = [];
  while (subscriber.queued > 0) {
    const next = await subscriber.next();
    const event = next.value as LiveEvent;
    if (event.kind === 'fragment') out.push(`f ${event.fragment.fragmentNumber ?? ''}`);
    else if (event.kind === 'gap') out.push(`gap ${event.reason} ${String(event.missedFragments)}`);
    else out.push(`status ${event.status}`);
  }
  return out;
}

describe('Subscriber', () => {
  it('drops fragments at or before the last one queued when no reset came between them', async () => {
    const subscriber = new Subscriber('cam', 10, 'gap', () => undefined);
    subscriber.offerFragment(fragment('900'));
    subscriber.offerFragment(fragment('100'));
    subscriber.offerGap('RETENTION', '900', '950');
    subscriber.offerFragment(fragment('200'));
    expect(await drain(subscriber)).toEqual(['f 900', 'gap RETENTION null']);
  });

  it('accepts lower fragment numbers after an UPSTREAM_RESET gap', async () => {
    const subscriber = new Subscriber('cam', 10, 'gap', () => undefined);
    subscriber.offerFragment(fragment('900'));
    subscriber.offerGap('UPSTREAM_RESET', '900', '100');
    subscriber.offerFragment(fragment('100'));
    subscriber.offerFragment(fragment('101'));
    subscriber.offerFragment(fragment('100'));
    expect(await drain(subscriber)).toEqual(['f 900', 'gap UPSTREAM_RESET null', 'f 100', 'f 101']);
  });

  it('reports a slow-consumer loss from before a reset ahead of the reset gap', async () => {
    const subscriber = new Subscriber('cam', 1, 'gap', () => undefined);
    subscriber.offerFragment(fragment('900'));
    // The buffer holds one event: these two are dropped.
    subscriber.offerFragment(fragment('901'));
    subscriber.offerFragment(fragment('902'));
    subscriber.offerGap('UPSTREAM_RESET', '902', '100');
    expect(await drain(subscriber)).toEqual(['f 900', 'gap SLOW_CONSUMER 2', 'gap UPSTREAM_RESET null']);
    subscriber.offerFragment(fragment('100'));
    expect(await drain(subscriber)).toEqual(['f 100']);
  });
});
