import { describe, expect, it } from 'vitest';
import { isValidKeyPrefix, keyOf, listPrefixOf } from '../../../../src/datasources/s3/s3.keys.js';

const layout = { bucket: 'b', prefix: 'media/' };

describe('S3 key layout', () => {
  it('puts every key and listing prefix under the configured prefix', () => {
    expect(keyOf(layout, 'vod/a.ts')).toBe('media/vod/a.ts');
    expect(listPrefixOf(layout, '')).toBe('media/');
    expect(listPrefixOf(layout, 'vod/show')).toBe('media/vod/show/');
    expect(keyOf({ bucket: 'b', prefix: '' }, 'a')).toBe('a');
  });

  it('refuses paths with empty, . or .. segments with BAD_USER_INPUT', () => {
    for (const path of ['../x', 'a/../b', 'a//b', './a', '/a', 'a/']) {
      expect(() => keyOf(layout, path), path).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }) as Error);
    }
    expect(() => listPrefixOf(layout, 'a/..')).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }) as Error);
  });

  it('accepts as prefix only segments of the path alphabet each ending with a slash', () => {
    for (const prefix of ['', 'media/', 'a/b-c/']) expect(isValidKeyPrefix(prefix), prefix).toBe(true);
    for (const prefix of ['media', '/media/', 'a//', '../', 'a/./', 'sp ace/']) expect(isValidKeyPrefix(prefix), prefix).toBe(false);
  });
});
