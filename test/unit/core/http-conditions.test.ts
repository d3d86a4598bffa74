import { describe, expect, it } from 'vitest';
import { evaluatePreconditions, ifRangeHolds, quoteETag } from '../../../src/core/http-conditions.js';

const modified = new Date('2026-03-01T10:00:00.500Z');
const current = { eTag: '"abc"', lastModified: modified };
const before = 'Sun, 01 Mar 2026 09:59:59 GMT';
const same = 'Sun, 01 Mar 2026 10:00:00 GMT';
const after = 'Sun, 01 Mar 2026 10:00:01 GMT';

describe('quoteETag', () => {
  it('quotes a bare tag and keeps quoted and weak ones', () => {
    expect(quoteETag('abc')).toBe('"abc"');
    expect(quoteETag('"abc"')).toBe('"abc"');
    expect(quoteETag('W/"abc"')).toBe('W/"abc"');
  });
});

describe('evaluatePreconditions', () => {
  it('proceeds when no precondition is sent', () => {
    expect(evaluatePreconditions('GET', {}, current)).toBe('proceed');
  });

  it('answers not-modified when If-None-Match names the current tag, weakly or in a list, or is *', () => {
    for (const ifNoneMatch of ['"abc"', 'W/"abc"', '"x", "abc"', '*']) {
      expect(evaluatePreconditions('GET', { ifNoneMatch }, current), ifNoneMatch).toBe('not-modified');
    }
    expect(evaluatePreconditions('GET', { ifNoneMatch: '"other"' }, current)).toBe('proceed');
    expect(evaluatePreconditions('PUT', { ifNoneMatch: '*' }, current)).toBe('failed');
  });

  it('answers not-modified when the representation did not change since If-Modified-Since, at second precision', () => {
    expect(evaluatePreconditions('HEAD', { ifModifiedSince: same }, current)).toBe('not-modified');
    expect(evaluatePreconditions('GET', { ifModifiedSince: after }, current)).toBe('not-modified');
    expect(evaluatePreconditions('GET', { ifModifiedSince: before }, current)).toBe('proceed');
    expect(evaluatePreconditions('GET', { ifModifiedSince: 'not a date' }, current)).toBe('proceed');
  });

  it('ignores If-Modified-Since when If-None-Match is present', () => {
    expect(evaluatePreconditions('GET', { ifNoneMatch: '"other"', ifModifiedSince: after }, current)).toBe('proceed');
  });

  it('fails when If-Match does not strongly match the current tag', () => {
    expect(evaluatePreconditions('GET', { ifMatch: '"abc"' }, current)).toBe('proceed');
    expect(evaluatePreconditions('GET', { ifMatch: '*' }, current)).toBe('proceed');
    expect(evaluatePreconditions('GET', { ifMatch: '"other"' }, current)).toBe('failed');
    expect(evaluatePreconditions('GET', { ifMatch: 'W/"abc"' }, current)).toBe('failed');
  });

  it('fails when the representation changed after If-Unmodified-Since, unless If-Match is present', () => {
    expect(evaluatePreconditions('GET', { ifUnmodifiedSince: before }, current)).toBe('failed');
    expect(evaluatePreconditions('GET', { ifUnmodifiedSince: same }, current)).toBe('proceed');
    expect(evaluatePreconditions('GET', { ifMatch: '"abc"', ifUnmodifiedSince: before }, current)).toBe('proceed');
  });

  it('treats a bare stored tag as the strong quoted one', () => {
    expect(evaluatePreconditions('GET', { ifNoneMatch: '"abc"' }, { eTag: 'abc', lastModified: undefined })).toBe('not-modified');
  });
});

describe('ifRangeHolds', () => {
  it('holds without If-Range, with the strong current tag, or with the exact modification date', () => {
    expect(ifRangeHolds(undefined, current)).toBe(true);
    expect(ifRangeHolds('"abc"', current)).toBe(true);
    expect(ifRangeHolds(same, current)).toBe(true);
  });

  it('does not hold with another tag, a weak tag or another date', () => {
    expect(ifRangeHolds('"other"', current)).toBe(false);
    expect(ifRangeHolds('W/"abc"', current)).toBe(false);
    expect(ifRangeHolds(after, current)).toBe(false);
    expect(ifRangeHolds('garbage', current)).toBe(false);
  });
});
