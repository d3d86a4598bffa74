import { describe, expect, it } from 'vitest';
import { positiveInteger } from '../../../bench/support/children.js';

describe('positiveInteger', () => {
  it('returns the fallback when the variable is unset or empty', () => {
    expect(positiveInteger('BENCH_X', 7, {})).toBe(7);
    expect(positiveInteger('BENCH_X', 7, { BENCH_X: '' })).toBe(7);
  });

  it('returns the value when it is a whole number of at least 1', () => {
    expect(positiveInteger('BENCH_X', 7, { BENCH_X: '12' })).toBe(12);
  });

  it.each(['0', '-3', '1.5', '1e3', ' 4', 'x', '99999999999999999999'])('throws naming the variable when it is %j', (text) => {
    expect(() => positiveInteger('BENCH_X', 7, { BENCH_X: text })).toThrow(`BENCH_X must be a whole number >= 1, got ${text}`);
  });
});
