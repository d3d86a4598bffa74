import { describe, expect, it } from 'vitest';
import { KinesisFaultSchedule } from '../../../../src/emulators/kinesis/kinesis.faults.js';
import type { KinesisFault } from '../../../../src/emulators/kinesis/kinesis.faults.js';

describe('KinesisFaultSchedule', () => {
  it('decides nothing when no fault is injected', () => {
    const schedule = new KinesisFaultSchedule();
    expect(schedule.takeRequest('GetMedia', 'cam')).toEqual({ latencyMs: 0, terminal: undefined });
    expect(schedule.takeSession('cam')).toBeUndefined();
  });

  it('adds up latencies and picks the first terminal request fault when several match', () => {
    const schedule = new KinesisFaultSchedule();
    schedule.inject({ kind: 'latency', ms: 10 });
    schedule.inject({ kind: 'throttle', operation: 'DescribeStream' });
    schedule.inject({ kind: 'latency', ms: 5, operation: 'DescribeStream' });
    schedule.inject({ kind: 'error', status: 503 });
    expect(schedule.takeRequest('DescribeStream', 'cam')).toEqual({ latencyMs: 15, terminal: { kind: 'throttle', operation: 'DescribeStream' } });
    expect(schedule.takeRequest('ListStreams', undefined)).toEqual({ latencyMs: 10, terminal: { kind: 'error', status: 503 } });
  });

  it('limits invalidEndpoint to the media operations when no operation is given', () => {
    const schedule = new KinesisFaultSchedule();
    schedule.inject({ kind: 'invalidEndpoint' });
    expect(schedule.takeRequest('DescribeStream', 'cam').terminal).toBeUndefined();
    expect(schedule.takeRequest('GetMedia', 'cam').terminal?.kind).toBe('invalidEndpoint');
    expect(schedule.takeRequest('ListFragments', 'cam').terminal?.kind).toBe('invalidEndpoint');
  });

  it('matches a stream-scoped fault only for requests naming that stream', () => {
    const schedule = new KinesisFaultSchedule();
    schedule.inject({ kind: 'throttle', stream: 'cam', times: 1 });
    expect(schedule.takeRequest('GetMedia', 'other').terminal).toBeUndefined();
    expect(schedule.takeRequest('ListStreams', undefined).terminal).toBeUndefined();
    expect(schedule.takeRequest('GetMedia', 'cam').terminal?.kind).toBe('throttle');
    expect(schedule.takeRequest('GetMedia', 'cam').terminal).toBeUndefined();
  });

  it('keeps session faults out of request decisions and uses them up per session', () => {
    const schedule = new KinesisFaultSchedule();
    schedule.inject({ kind: 'drop', afterFragments: 1, times: 2 });
    schedule.inject({ kind: 'stall', stream: 'cam' });
    expect(schedule.takeRequest('GetMedia', 'cam').terminal).toBeUndefined();
    expect(schedule.takeSession('cam')?.kind).toBe('drop');
    expect(schedule.takeSession('other')?.kind).toBe('drop');
    expect(schedule.takeSession('other')).toBeUndefined();
    expect(schedule.takeSession('cam')?.kind).toBe('stall');
  });

  it('removes every fault when cleared', () => {
    const schedule = new KinesisFaultSchedule();
    schedule.inject({ kind: 'throttle' });
    schedule.inject({ kind: 'errorTag', errorId: 4500 });
    schedule.clear();
    expect(schedule.takeRequest('GetMedia', 'cam').terminal).toBeUndefined();
    expect(schedule.takeSession('cam')).toBeUndefined();
  });

  it.each<[string, KinesisFault]>([
    ['a zero times', { kind: 'throttle', times: 0 }],
    ['a negative latency', { kind: 'latency', ms: -1 }],
    ['an undocumented status', { kind: 'error', status: 502 as 500 }],
    ['a drop with neither bound', { kind: 'drop' }],
    ['a drop with both bounds', { kind: 'drop', afterBytes: 1, afterFragments: 1 }],
    ['a stall with both bounds', { kind: 'stall', afterBytes: 1, afterFragments: 1 }],
    ['an undocumented error id', { kind: 'errorTag', errorId: 4999 as 4000 }],
  ])('rejects %s with a RangeError', (_label, fault) => {
    expect(() => new KinesisFaultSchedule().inject(fault)).toThrow(RangeError);
  });
});
