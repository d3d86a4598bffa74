import { describe, expect, it } from 'vitest';
import { StreamLimits } from '../../../../src/emulators/kinesis/kinesis.stream-limits.js';

function limits(clock: { now: number }, changes: string[] = []): StreamLimits {
  return new StreamLimits({ getMediaCallsPerSecond: 5, maxConnectionsPerStream: 3, bytesPerSecond: 1 }, () => clock.now, () => changes.push('change'));
}

describe('StreamLimits', () => {
  it('accepts at most 5 calls in any sliding second per stream', () => {
    const clock = { now: 10_000 };
    const subject = limits(clock);
    const accepted = [0, 100, 200, 300, 400, 500, 999].map((offset) => {
      clock.now = 10_000 + offset;
      return subject.tryAcceptCall('cam');
    });
    expect(accepted).toEqual([true, true, true, true, true, false, false]);
    clock.now = 11_000;
    expect(subject.tryAcceptCall('cam')).toBe(true);
    expect(subject.tryAcceptCall('cam')).toBe(false);
    expect(subject.tryAcceptCall('other')).toBe(true);
  });

  it('takes and releases up to 3 connection slots per stream and reports each change', () => {
    const changes: string[] = [];
    const subject = limits({ now: 0 }, changes);
    expect([1, 2, 3, 4].map(() => subject.tryOpen('cam'))).toEqual([true, true, true, false]);
    expect(subject.active('cam')).toBe(3);
    subject.release('cam');
    expect(subject.active('cam')).toBe(2);
    expect(subject.active('other')).toBe(0);
    expect(changes).toHaveLength(4);
  });

  it('logs every call attempt with its time until reset', () => {
    const clock = { now: 5 };
    const subject = limits(clock);
    subject.recordCall('cam');
    clock.now = 7;
    subject.recordCall('cam');
    expect(subject.calls('cam')).toEqual([5, 7]);
    expect(subject.calls('other')).toEqual([]);
    subject.resetCalls();
    expect(subject.calls('cam')).toEqual([]);
  });

  it('reports the most connections ever open and every call when slots and the call log change', () => {
    const subject = limits({ now: 0 });
    expect(subject.stats('cam')).toEqual({ openGetMedia: 0, maxOpenGetMedia: 0, getMediaCalls: 0 });
    for (let index = 0; index < 3; index += 1) {
      subject.recordCall('cam');
      subject.tryOpen('cam');
    }
    subject.release('cam');
    subject.release('cam');
    subject.resetCalls();
    subject.recordCall('cam');
    expect(subject.stats('cam')).toEqual({ openGetMedia: 1, maxOpenGetMedia: 3, getMediaCalls: 4 });
  });
});
