import { describe, expect, it } from 'vitest';
import { toObjectEntries, toObjectMetadata } from '../../../../src/datasources/s3/s3.mapper.js';

describe('toObjectEntries', () => {
  it('merges objects and folders in key order and strips the listed prefix', () => {
    const entries = toObjectEntries(
      'vod',
      'root/vod/',
      [
        { Key: 'root/vod/a.m3u8', ETag: 'abc', Size: 3 },
        { Key: 'root/vod/z.ts', ETag: '"def"', Size: 4 },
      ],
      [{ Prefix: 'root/vod/show/' }],
    );
    expect(entries.map((entry) => [entry.kind, entry.path])).toEqual([
      ['object', 'vod/a.m3u8'],
      ['folder', 'vod/show'],
      ['object', 'vod/z.ts'],
    ]);
    expect(entries[0]).toMatchObject({ name: 'a.m3u8', eTag: '"abc"', contentLength: 3, contentType: undefined });
  });

  it('leaves out keys no path can name: the folder marker, empty and dot segments', () => {
    const entries = toObjectEntries('', 'p/', [{ Key: 'p/' }, { Key: 'p/..' }, { Key: 'other/x' }], [{ Prefix: 'p//' }, { Prefix: 'p/./' }, { Prefix: 'p/ok/' }]);
    expect(entries.map((entry) => entry.path)).toEqual(['ok']);
  });
});

describe('toObjectMetadata', () => {
  it('quotes an ETag that arrives bare and keeps the other headers', () => {
    const modified = new Date('2026-01-01T00:00:00Z');
    expect(toObjectMetadata('a/b', { ETag: 'abc', ContentType: 'text/plain', ContentLength: 5, LastModified: modified, CacheControl: 'no-cache' })).toEqual({
      path: 'a/b',
      eTag: '"abc"',
      contentType: 'text/plain',
      contentLength: 5,
      lastModified: modified,
      cacheControl: 'no-cache',
    });
  });
});
