import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EmulatorTimers } from '../../../../src/emulators/common/emulator-timers.js';

describe('EmulatorTimers', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('runs a zero latency at once and a positive one only after it elapsed when delay is called', () => {
    const timers = new EmulatorTimers();
    const ran: string[] = [];
    timers.delay(0, () => ran.push('now'));
    timers.delay(50, () => ran.push('later'));
    expect(ran).toEqual(['now']);
    vi.advanceTimersByTime(49);
    expect(ran).toEqual(['now']);
    vi.advanceTimersByTime(1);
    expect(ran).toEqual(['now', 'later']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('never runs what was pending when clear is called, and leaves no timer behind', () => {
    const timers = new EmulatorTimers();
    const run = vi.fn();
    timers.delay(10, run);
    timers.after(20, run, true);
    timers.clear();
    timers.clear();
    vi.advanceTimersByTime(100);
    expect(run).not.toHaveBeenCalled();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cancels only its own timer when the function after returned is called, also after it ran', () => {
    const timers = new EmulatorTimers();
    const ran: string[] = [];
    const cancelFirst = timers.after(10, () => ran.push('first'));
    const cancelSecond = timers.after(10, () => ran.push('second'));
    cancelFirst();
    vi.advanceTimersByTime(10);
    cancelSecond();
    expect(ran).toEqual(['second']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
