import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { awsChunkedDecoder, checkDeclaredChecksum } from '../../../../src/emulators/s3/s3.body.js';

function decode(pieces: readonly string[]): Promise<string> {
  return text(Readable.from(pieces.map((piece) => Buffer.from(piece, 'latin1'))).pipe(awsChunkedDecoder()));
}

describe('awsChunkedDecoder', () => {
  it('decodes unsigned chunks with a trailing checksum, however the bytes are split', async () => {
    const framed = '3\r\nabc\r\n2\r\nde\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n';
    expect(await decode([framed])).toBe('abcde');
    expect(await decode(framed.split(''))).toBe('abcde');
  });

  it('keeps the trailer fields for the checksum check', async () => {
    const decoder = awsChunkedDecoder();
    await text(Readable.from([Buffer.from('2\r\nhi\r\n0\r\nx-amz-checksum-crc32:2JMqrA==\r\n\r\n')]).pipe(decoder));
    expect(decoder.trailers.get('x-amz-checksum-crc32')).toBe('2JMqrA==');
  });

  it('decodes signed chunks and drops their signatures', async () => {
    expect(await decode(['5;chunk-signature=ab12\r\nhello\r\n0;chunk-signature=cd34\r\n\r\n'])).toBe('hello');
  });

  it('fails on broken framing or a body that ends early', async () => {
    await expect(decode(['zz\r\nabc\r\n'])).rejects.toMatchObject({ code: 'IncompleteBody' });
    await expect(decode(['5\r\nabc'])).rejects.toMatchObject({ code: 'IncompleteBody' });
  });
});

describe('checkDeclaredChecksum', () => {
  const request = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;
  const body = [Buffer.from('h'), Buffer.from('i')];

  it('accepts a body whose CRC32 matches the header, query parameter or trailer, and one that declares none', () => {
    expect(() => checkDeclaredChecksum(request({ 'x-amz-checksum-crc32': '2JMqrA==' }), new URLSearchParams(), new Map(), body)).not.toThrow();
    expect(() => checkDeclaredChecksum(request({}), new URLSearchParams({ 'x-amz-checksum-crc32': '2JMqrA==' }), new Map(), body)).not.toThrow();
    expect(() => checkDeclaredChecksum(request({}), new URLSearchParams(), new Map([['x-amz-checksum-crc32', '2JMqrA==']]), body)).not.toThrow();
    expect(() => checkDeclaredChecksum(request({}), new URLSearchParams(), new Map(), body)).not.toThrow();
  });

  it('refuses with BadDigest a body whose CRC32 differs, such as an empty body\'s signed into a presigned URL', () => {
    expect(() => checkDeclaredChecksum(request({}), new URLSearchParams({ 'x-amz-checksum-crc32': 'AAAAAA==' }), new Map(), body)).toThrow(expect.objectContaining({ code: 'BadDigest' }) as Error);
  });
});
