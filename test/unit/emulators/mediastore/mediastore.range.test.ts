import { describe, expect, it } from 'vitest';
import { decideRange, formatContentRange } from '../../../../src/emulators/mediastore/mediastore.range.js';

describe('decideRange', () => {
  it('serves the full body when there is no Range header', () => {
    expect(decideRange(undefined, 10)).toEqual({ kind: 'full' });
  });

  it.each([
    ['bytes=0-0', 0, 0],
    ['bytes=2-5', 2, 5],
    ['bytes=2-', 2, 9],
    ['bytes=-3', 7, 9],
    ['bytes=-100', 0, 9],
    ['bytes=8-100', 8, 9],
    [' bytes=1-2 ', 1, 2],
  ])('serves a partial body when the range is %j', (header, start, end) => {
    expect(decideRange(header, 10)).toEqual({ kind: 'partial', start, end });
  });

  it.each(['bytes=10-', 'bytes=10-20', 'bytes=-0', 'bytes=5-4', 'bytes=-', 'bytes=0-1,3-4', 'bytes 0-1', 'chars=0-1', 'bytes=a-b', ''])(
    'is unsatisfiable when the range is %j',
    (header) => {
      expect(decideRange(header, 10)).toEqual({ kind: 'unsatisfiable' });
    },
  );

  it('is unsatisfiable for every range when the object is empty', () => {
    for (const header of ['bytes=0-', 'bytes=-1', 'bytes=0-0']) expect(decideRange(header, 0).kind).toBe('unsatisfiable');
  });
});

describe('formatContentRange', () => {
  it('uses the RFC 7233 form when a range is served', () => {
    expect(formatContentRange(0, 99, 1000)).toBe('bytes 0-99/1000');
  });
});
