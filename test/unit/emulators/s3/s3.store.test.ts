import { describe, expect, it } from 'vitest';
import { Bucket, md5ETag, multipartETag } from '../../../../src/emulators/s3/s3.store.js';

const meta = { contentType: 'text/plain', cacheControl: undefined, userMetadata: {} };

function bucketWith(keys: readonly string[]): Bucket {
  const bucket = new Bucket('b', () => 0);
  for (const key of keys) bucket.putObject(key, [Buffer.from(key)], meta);
  return bucket;
}

function names(page: ReturnType<Bucket['list']>): string[] {
  return page.entries.map((entry) => (entry.kind === 'prefix' ? entry.prefix : entry.object.key));
}

describe('Bucket.list', () => {
  const bucket = bucketWith(['a/1', 'a/2', 'a/sub/x', 'a/sub/y', 'a/zz', 'b', 'a0']);

  it('rolls keys with the delimiter after the prefix up into one common prefix each, in key order', () => {
    const page = bucket.list({ prefix: 'a/', delimiter: '/', after: undefined, maxKeys: 1000 });
    expect(names(page)).toEqual(['a/1', 'a/2', 'a/sub/', 'a/zz']);
    expect(page.more).toBe(false);
  });

  it('counts a common prefix as one entry and resumes after it without repeating its keys', () => {
    const first = bucket.list({ prefix: 'a/', delimiter: '/', after: undefined, maxKeys: 3 });
    expect(names(first)).toEqual(['a/1', 'a/2', 'a/sub/']);
    expect(first.more).toBe(true);
    const next = bucket.list({ prefix: 'a/', delimiter: '/', after: { key: 'a/sub/', rolledUp: true }, maxKeys: 3 });
    expect(names(next)).toEqual(['a/zz']);
  });

  it('lists every key under the prefix when there is no delimiter', () => {
    expect(names(bucket.list({ prefix: 'a', delimiter: undefined, after: undefined, maxKeys: 1000 }))).toEqual(['a/1', 'a/2', 'a/sub/x', 'a/sub/y', 'a/zz', 'a0']);
  });

  it('starts strictly after a start key that is not a common prefix', () => {
    expect(names(bucket.list({ prefix: '', delimiter: '/', after: { key: 'a/', rolledUp: false }, maxKeys: 1000 }))).toEqual(['a/', 'a0', 'b']);
  });

  it('sorts characters above U+FFFF after U+E000-U+FFFF, as UTF-8 byte order does', () => {
    const unicode = bucketWith(['\u{1F600}', '\uFFFD', 'z']);
    expect(names(unicode.list({ prefix: '', delimiter: undefined, after: undefined, maxKeys: 10 }))).toEqual(['z', '\uFFFD', '\u{1F600}']);
  });

  it('forgets a deleted key and reports whether there was one', () => {
    const small = bucketWith(['x', 'y']);
    expect(small.deleteObject('x')).toBe(true);
    expect(small.deleteObject('x')).toBe(false);
    expect(names(small.list({ prefix: '', delimiter: undefined, after: undefined, maxKeys: 10 }))).toEqual(['y']);
  });
});

describe('ETags', () => {
  it('quotes the MD5 of a body however it was split', () => {
    expect(md5ETag([Buffer.from('hello '), Buffer.from('world')])).toBe('"5eb63bbbe01eeed093cb22bb8f5acdc3"');
  });

  it('derives a multipart ETag from the part digests and the part count', () => {
    const part = (n: number, text: string) => ({ partNumber: n, body: [Buffer.from(text)], size: text.length, eTag: md5ETag([Buffer.from(text)]) });
    expect(multipartETag([part(1, 'a'), part(2, 'b')])).toMatch(/^"[0-9a-f]{32}-2"$/);
  });
});
