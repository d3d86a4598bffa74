import { describe, expect, it } from 'vitest';
import { parseObjectPathname, validateListPath, validateObjectPath } from '../../../../src/emulators/mediastore/mediastore.paths.js';

describe('validateObjectPath', () => {
  it('returns the segments when the path follows the documented pattern', () => {
    const result = validateObjectPath('premium/canada/mlaw.avi');
    expect(result).toEqual({ ok: true, value: { path: 'premium/canada/mlaw.avi', segments: ['premium', 'canada', 'mlaw.avi'] } });
  });

  it('accepts = and : and ~ when they appear in names', () => {
    expect(validateObjectPath('a=1/b:2/~c.ts').ok).toBe(true);
  });

  it('accepts 10 folders and 900 characters when both limits are met exactly', () => {
    expect(validateObjectPath(`${'f/'.repeat(10)}x`).ok).toBe(true);
    expect(validateObjectPath('a'.repeat(900)).ok).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['leading slash', '/a.ts'],
    ['trailing slash', 'a/'],
    ['double slash', 'a//b'],
    ['11 folders', `${'f/'.repeat(11)}x`],
    ['901 characters', 'a'.repeat(901)],
    ['dot segment', 'a/./b'],
    ['dot-dot segment', '../b'],
    ['space', 'a b'],
    ['control character', 'a\u0000b'],
    ['backslash', 'a\\b'],
    ['non-ASCII', 'caf\u00e9'],
  ])('rejects the path when it has %s', (_label, path) => {
    expect(validateObjectPath(path).ok).toBe(false);
  });
});

describe('parseObjectPathname', () => {
  it('decodes each segment when the SDK percent-encodes = and :', () => {
    const result = parseObjectPathname('/a%3D1/b%3A2.ts');
    expect(result.ok && result.value.path).toBe('a=1/b:2.ts');
  });

  it.each([
    ['encoded dot-dot', '/%2e%2e/x'],
    ['encoded slash inside a segment', '/a%2Fb'],
    ['malformed escape', '/a%zz'],
    ['truncated escape', '/a%'],
    ['root only', '/'],
  ])('rejects the pathname when it has %s', (_label, pathname) => {
    expect(parseObjectPathname(pathname).ok).toBe(false);
  });
});

describe('validateListPath', () => {
  it('returns the container root when the Path is absent, empty or a slash', () => {
    for (const path of [undefined, '', '/']) {
      expect(validateListPath(path)).toEqual({ ok: true, value: { path: '', segments: [] } });
    }
  });

  it('drops one leading and one trailing slash when they are present', () => {
    const result = validateListPath('/a/b/');
    expect(result.ok && result.value.segments).toEqual(['a', 'b']);
  });

  it.each([['//a'], ['a//'], ['a//b'], ['bad path'], [`${'f/'.repeat(12)}`], ['x'.repeat(901)]])(
    'rejects the Path when it is %j',
    (path) => {
      expect(validateListPath(path).ok).toBe(false);
    },
  );
});
