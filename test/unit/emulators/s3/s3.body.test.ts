import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { awsChunkedDecoder } from '../../../../src/emulators/s3/s3.body.js';

function decode(pieces: readonly string[]): Promise<string> {
  return text(Readable.from(pieces.map((piece) => Buffer.from(piece, 'latin1'))).pipe(awsChunkedDecoder()));
}

describe('awsChunkedDecoder', () => {
  it('decodes unsigned chunks with a trailing checksum, however the bytes are split', async () => {
    const framed = '3\r\nabc\r\n2\r\nde\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n';
    expect(await decode([framed])).toBe('abcde');
    expect(await decode(framed.split(''))).toBe('abcde');
  });

  it('decodes signed chunks and drops their signatures', async () => {
    expect(await decode(['5;chunk-signature=ab12\r\nhello\r\n0;chunk-signature=cd34\r\n\r\n'])).toBe('hello');
  });

  it('fails on broken framing or a body that ends early', async () => {
    await expect(decode(['zz\r\nabc\r\n'])).rejects.toMatchObject({ code: 'IncompleteBody' });
    await expect(decode(['5\r\nabc'])).rejects.toMatchObject({ code: 'IncompleteBody' });
  });
});
