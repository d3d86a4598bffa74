import { describe, expect, it } from 'vitest';
import { contentRangeOf, parseByteRange, resolveByteRange, sizeFromContentRange, unsatisfiedContentRange } from '../../../src/core/http-range.js';

describe('parseByteRange', () => {
  it('reports no range when the header is absent', () => {
    expect(parseByteRange(undefined)).toBeUndefined();
  });

  it.each([
    ['bytes=0-99', { kind: 'int', first: 0, last: 99 }],
    ['bytes=5-', { kind: 'int', first: 5, last: undefined }],
    ['bytes=-10', { kind: 'suffix', length: 10 }],
    [' bytes=1-2 ', { kind: 'int', first: 1, last: 2 }],
    ['Bytes=1-2', { kind: 'int', first: 1, last: 2 }],
    ['bytes=-0', { kind: 'suffix', length: 0 }],
  ])('parses one range when the header is %j', (header, spec) => {
    expect(parseByteRange(header)).toEqual(spec);
  });

  it.each(['bytes=50-10', 'bytes=0-1,5-6', 'items=0-5', 'bytes=abc', 'bytes=-', 'bytes 0-1', '', 'bytes=1234567890123456-'])(
    'ignores the header when it is %j',
    (header) => {
      expect(parseByteRange(header)).toBeUndefined();
    },
  );
});

describe('resolveByteRange', () => {
  it.each([
    [{ kind: 'int', first: 0, last: 99 }, 0, 99],
    [{ kind: 'int', first: 9990, last: undefined }, 9990, 9999],
    [{ kind: 'int', first: 9000, last: 20000 }, 9000, 9999],
    [{ kind: 'suffix', length: 10 }, 9990, 9999],
    [{ kind: 'suffix', length: 20000 }, 0, 9999],
  ] as const)('selects bytes %j of a 10,000-byte object when satisfiable', (spec, start, end) => {
    expect(resolveByteRange(spec, 10_000)).toEqual({ kind: 'partial', start, end });
  });

  it('is unsatisfiable when the range starts at or past the end or the suffix is empty', () => {
    expect(resolveByteRange({ kind: 'int', first: 10_000, last: undefined }, 10_000)).toEqual({ kind: 'unsatisfiable' });
    expect(resolveByteRange({ kind: 'suffix', length: 0 }, 10_000)).toEqual({ kind: 'unsatisfiable' });
    expect(resolveByteRange({ kind: 'int', first: 0, last: 0 }, 0)).toEqual({ kind: 'unsatisfiable' });
  });

  it('serves the whole empty representation when a suffix is asked of it', () => {
    expect(resolveByteRange({ kind: 'suffix', length: 5 }, 0)).toEqual({ kind: 'full' });
  });
});

describe('Content-Range values', () => {
  it('formats a served range and an unsatisfied one, and reads the size back from either', () => {
    expect(contentRangeOf(0, 99, 1000)).toBe('bytes 0-99/1000');
    expect(unsatisfiedContentRange(1000)).toBe('bytes */1000');
    expect(sizeFromContentRange('bytes 0-99/1000')).toBe(1000);
    expect(sizeFromContentRange('bytes */77')).toBe(77);
    expect(sizeFromContentRange('bytes 0-99/*')).toBeUndefined();
    expect(sizeFromContentRange(undefined)).toBeUndefined();
  });
});
