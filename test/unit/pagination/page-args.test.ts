import { describe, expect, it } from 'vitest';
import { checkFirst } from '../../../src/pagination/page-args.js';

describe('checkFirst', () => {
  it('returns first when it lies between 0 and the cap', () => {
    expect(checkFirst(0, 100)).toBe(0);
    expect(checkFirst(20, 100)).toBe(20);
    expect(checkFirst(100, 100)).toBe(100);
  });

  it('throws BAD_USER_INPUT naming the cap when first is above it (S7)', () => {
    for (const first of [101, 1_000_000, Number.MAX_SAFE_INTEGER]) {
      expect(() => checkFirst(first, 100)).toThrowError(
        expect.objectContaining({ code: 'BAD_USER_INPUT', details: { argument: 'first', max: 100 } }),
      );
    }
  });

  it('throws BAD_USER_INPUT when first is negative or not an integer', () => {
    for (const first of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => checkFirst(first, 100), String(first)).toThrowError(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
    }
  });
});
