import { describe, expect, it } from 'vitest';
import { FaultSchedule } from '../../../../src/emulators/mediastore/mediastore.faults.js';

describe('FaultSchedule', () => {
  it('decides nothing when no fault is injected', () => {
    expect(new FaultSchedule().take('GetObject')).toEqual({ latencyMs: 0, terminal: undefined });
  });

  it('adds up latencies and picks the first terminal fault when several match', () => {
    const schedule = new FaultSchedule();
    schedule.inject({ kind: 'latency', ms: 10 });
    schedule.inject({ kind: 'throttle', operation: 'GetObject' });
    schedule.inject({ kind: 'latency', ms: 5, operation: 'GetObject' });
    schedule.inject({ kind: 'error', status: 500 });
    expect(schedule.take('GetObject')).toEqual({ latencyMs: 15, terminal: { kind: 'throttle', operation: 'GetObject' } });
    expect(schedule.take('ListItems')).toEqual({ latencyMs: 10, terminal: { kind: 'error', status: 500 } });
  });

  it('drops a fault when its times are used up', () => {
    const schedule = new FaultSchedule();
    schedule.inject({ kind: 'error', status: 503, times: 2 });
    expect(schedule.take('PutObject').terminal?.kind).toBe('error');
    expect(schedule.take('PutObject').terminal?.kind).toBe('error');
    expect(schedule.take('PutObject').terminal).toBeUndefined();
  });

  it('does not use up a terminal fault that was shadowed by an earlier one', () => {
    const schedule = new FaultSchedule();
    schedule.inject({ kind: 'throttle', times: 1 });
    schedule.inject({ kind: 'stall', times: 1 });
    expect(schedule.take('GetObject').terminal?.kind).toBe('throttle');
    expect(schedule.take('GetObject').terminal?.kind).toBe('stall');
    expect(schedule.take('GetObject').terminal).toBeUndefined();
  });

  it('removes every fault when cleared', () => {
    const schedule = new FaultSchedule();
    schedule.inject({ kind: 'stall' });
    schedule.clear();
    expect(schedule.take('GetObject').terminal).toBeUndefined();
  });

  it.each([
    [{ kind: 'throttle', times: 0 }],
    [{ kind: 'throttle', times: 1.5 }],
    [{ kind: 'latency', ms: -1 }],
    [{ kind: 'latency', ms: Number.NaN }],
    [{ kind: 'stall', afterBytes: -1 }],
  ] as const)('throws RangeError when the fault is %j', (fault) => {
    expect(() => new FaultSchedule().inject(fault)).toThrow(RangeError);
  });
});
