import { describe, expect, it } from 'vitest';
import { planStart, readStartSelector } from '../../../../src/emulators/kinesis/kinesis.start-selector.js';
import type { StartSelector } from '../../../../src/emulators/kinesis/kinesis.start-selector.js';
import { KinesisStreamStore } from '../../../../src/emulators/kinesis/kinesis.store.js';
import type { StoredFragment, StreamState } from '../../../../src/emulators/kinesis/kinesis.store.js';
import { makeSyntheticFrames, syntheticH264Track } from '../../../../src/mkv/index.js';

const HOUR = 3_600_000;
const content = { tracks: [syntheticH264Track(64, 64)], frames: makeSyntheticFrames({ count: 2, frameBytes: 16 }), tags: [], timecodeScale: 1_000_000 };

function setup(): { clock: { now: number }; store: KinesisStreamStore; stream: StreamState; add: (stepMs: number) => StoredFragment } {
  const clock = { now: 1_000_000 };
  const store = new KinesisStreamStore(() => clock.now, 'arn:aws:kinesisvideo:us-east-1:1', 'arn:aws:kms:us-east-1:1:alias/aws/kinesisvideo', 100);
  const stream = store.create('cam', { retentionHours: 1 });
  const add = (stepMs: number): StoredFragment => {
    clock.now += stepMs;
    return store.append(stream, { content, serverTimestamp: clock.now, producerTimestamp: clock.now - 500, durationMs: 1_000 });
  };
  return { clock, store, stream, add };
}

describe('readStartSelector', () => {
  it('reads each selector type with its required member', () => {
    expect(readStartSelector({ StartSelector: { StartSelectorType: 'NOW' } })).toEqual({ type: 'NOW' });
    expect(readStartSelector({ StartSelector: { StartSelectorType: 'FRAGMENT_NUMBER', AfterFragmentNumber: '12' } })).toEqual({
      type: 'FRAGMENT_NUMBER',
      fragmentNumber: 12n,
    });
    expect(readStartSelector({ StartSelector: { StartSelectorType: 'SERVER_TIMESTAMP', StartTimestamp: 1.5 } })).toEqual({
      type: 'SERVER_TIMESTAMP',
      timestamp: 1500,
    });
  });

  it.each([
    [{}],
    [{ StartSelector: { StartSelectorType: 'LATEST' } }],
    [{ StartSelector: { StartSelectorType: 'FRAGMENT_NUMBER', AfterFragmentNumber: '12a' } }],
    [{ StartSelector: { StartSelectorType: 'PRODUCER_TIMESTAMP' } }],
    [{ StartSelector: { StartSelectorType: 'CONTINUATION_TOKEN', ContinuationToken: 'abc' } }],
  ])('rejects %j with InvalidArgumentException', (input) => {
    expect(() => readStartSelector(input)).toThrow(expect.objectContaining({ type: 'InvalidArgumentException' }));
  });
});

describe('planStart', () => {
  it('starts at the latest, the earliest, or right after a fragment number', () => {
    const { store, stream, add } = setup();
    const [a, b, c] = [add(1000), add(1000), add(1000)];
    const plan = (selector: StartSelector): number => planStart(store, stream, selector, 'continue').startSeq;
    expect(plan({ type: 'NOW' })).toBe(c.seq);
    expect(plan({ type: 'EARLIEST' })).toBe(a.seq);
    expect(plan({ type: 'FRAGMENT_NUMBER', fragmentNumber: a.number })).toBe(b.seq);
    expect(plan({ type: 'CONTINUATION_TOKEN', fragmentNumber: c.number })).toBe(stream.nextSeq);
  });

  it('starts at the fragment containing a timestamp, or waits for the next one past the newest', () => {
    const { store, stream, add } = setup();
    const [, b] = [add(1000), add(1000), add(1000)];
    const inside = planStart(store, stream, { type: 'SERVER_TIMESTAMP', timestamp: b.serverTimestamp + 999 }, 'continue');
    expect(inside).toMatchObject({ startSeq: b.seq, leadingError4000: false });
    const producer = planStart(store, stream, { type: 'PRODUCER_TIMESTAMP', timestamp: b.producerTimestamp }, 'continue');
    expect(producer.startSeq).toBe(b.seq);
    const future = planStart(store, stream, { type: 'SERVER_TIMESTAMP', timestamp: Number.MAX_SAFE_INTEGER }, 'continue');
    expect(future).toMatchObject({ startSeq: stream.nextSeq, notBefore: { type: 'SERVER_TIMESTAMP', timestamp: Number.MAX_SAFE_INTEGER } });
  });

  it('plans a 4000 document then the earliest fragment when the start is beyond retention', () => {
    const { store, stream, add } = setup();
    const old = add(0);
    const fresh = add(2 * HOUR);
    expect(planStart(store, stream, { type: 'FRAGMENT_NUMBER', fragmentNumber: old.number }, 'continue')).toEqual({
      startSeq: fresh.seq,
      leadingError4000: true,
      endAfterLeadingError: false,
      notBefore: undefined,
    });
    expect(planStart(store, stream, { type: 'SERVER_TIMESTAMP', timestamp: old.serverTimestamp }, 'end')).toMatchObject({
      leadingError4000: true,
      endAfterLeadingError: true,
    });
  });

  it('plans a 4000 document and the end when the fragment number never existed', () => {
    const { store, stream, add } = setup();
    const only = add(0);
    expect(planStart(store, stream, { type: 'FRAGMENT_NUMBER', fragmentNumber: only.number + 1n }, 'continue')).toMatchObject({
      leadingError4000: true,
      endAfterLeadingError: true,
    });
  });
});

describe('KinesisStreamStore', () => {
  it('evicts by retention and by count, remembering the newest evicted fragment', () => {
    const { clock, store, stream, add } = setup();
    const first = add(0);
    clock.now += 2 * HOUR;
    store.evict(stream);
    expect(stream.size).toBe(0);
    expect(stream.evicted).toMatchObject({ seq: first.seq, number: first.number, serverEnd: first.serverTimestamp + 1_000 });
    for (let index = 0; index < 120; index += 1) add(1);
    expect(stream.size).toBe(100);
    expect(stream.first()?.seq).toBe(21);
    expect(stream.findNumber(stream.last()?.number ?? 0n)?.seq).toBe(120);
  });

  it('numbers fragments with strictly increasing 47-digit decimals', () => {
    const { add } = setup();
    const [a, b, c] = [add(5), add(0), add(-3)];
    for (const fragment of [a, b, c]) expect(fragment.fragmentNumber).toMatch(/^[0-9]{47}$/);
    expect(a.number < b.number && b.number < c.number).toBe(true);
  });

  it('refuses a taken or malformed stream name', () => {
    const { store } = setup();
    expect(() => store.create('cam')).toThrow(expect.objectContaining({ type: 'ResourceInUseException' }));
    expect(() => store.create('bad name')).toThrow(expect.objectContaining({ type: 'InvalidArgumentException' }));
  });
});
