import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { crc32 } from 'node:zlib';
import { S3WireError } from './s3.errors.js';

/**
 * Request bodies of PutObject and UploadPart: plain (`Content-Length`), or `aws-chunked` as the SDK sends a body
 * with a trailing checksum or signed chunks (`Content-Encoding: aws-chunked`, `x-amz-decoded-content-length`).
 * S3 refuses a PUT without a known length (`Transfer-Encoding: chunked` alone) with 411 MissingContentLength.
 */

/** How a request frames its body, from its headers. */
export interface BodyFraming {
  /** Length of the object bytes (decoded length for aws-chunked). */
  readonly length: number;
  readonly awsChunked: boolean;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Reads the framing of a PUT body.
 * @throws S3WireError `MissingContentLength` (411) without a length, `InvalidArgument` for a malformed one.
 */
export function bodyFraming(req: IncomingMessage): BodyFraming {
  const sha = header(req, 'x-amz-content-sha256') ?? '';
  const awsChunked = /aws-chunked/i.test(header(req, 'content-encoding') ?? '') || sha.startsWith('STREAMING-');
  const text = awsChunked ? header(req, 'x-amz-decoded-content-length') : header(req, 'content-length');
  if (text === undefined) {
    throw new S3WireError('MissingContentLength', 'You must provide the Content-Length HTTP header.');
  }
  if (!/^\d{1,15}$/.test(text)) throw new S3WireError('InvalidArgument', 'Invalid content length.');
  return { length: Number(text), awsChunked };
}

/** A Transform decoding aws-chunked framing, with the trailer lines it read once it has ended. */
export interface AwsChunkedDecoder extends Transform {
  /** Trailer fields (`x-amz-checksum-crc32` ...), names lowercased; complete once the stream has ended. */
  readonly trailers: Map<string, string>;
}

/**
 * A Transform decoding `aws-chunked` framing: `<hex size>[;extensions]\r\n<bytes>\r\n` repeated, ended by a
 * zero-size chunk and optional trailer lines (`x-amz-checksum-crc32:...`) and an empty line. Extensions (chunk
 * signatures) are read and dropped; trailers are kept in `trailers` for the checksum check.
 */
export function awsChunkedDecoder(): AwsChunkedDecoder {
  const trailers = new Map<string, string>();
  let buffered: Buffer = Buffer.alloc(0);
  let remaining = 0;
  let state: 'size' | 'data' | 'data-end' | 'trailer' | 'done' = 'size';
  const fail = (): Error => new S3WireError('IncompleteBody', 'The request body is not valid aws-chunked encoding.');
  const decoder = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      for (;;) {
        if (state === 'data') {
          if (buffered.length === 0) break;
          const take = Math.min(remaining, buffered.length);
          this.push(buffered.subarray(0, take));
          buffered = buffered.subarray(take);
          remaining -= take;
          if (remaining === 0) state = 'data-end';
          continue;
        }
        if (state === 'done') {
          buffered = Buffer.alloc(0);
          break;
        }
        const eol = buffered.indexOf('\r\n');
        if (eol === -1) {
          if (buffered.length > 4096) {
            callback(fail());
            return;
          }
          break;
        }
        const line = buffered.subarray(0, eol).toString('latin1');
        buffered = buffered.subarray(eol + 2);
        if (state === 'data-end') {
          if (line !== '') {
            callback(fail());
            return;
          }
          state = 'size';
        } else if (state === 'size') {
          const size = /^([0-9a-fA-F]{1,12})(?:;.*)?$/.exec(line)?.[1];
          if (size === undefined) {
            callback(fail());
            return;
          }
          remaining = Number.parseInt(size, 16);
          state = remaining === 0 ? 'trailer' : 'data';
        } else if (line === '') {
          state = 'done';
        } else {
          const colon = line.indexOf(':');
          if (colon > 0) trailers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
      }
      callback();
    },
    flush(callback: TransformCallback) {
      callback(state === 'done' || (state === 'trailer' && buffered.length === 0) ? null : fail());
    },
  });
  return Object.assign(decoder, { trailers });
}

/**
 * Checks a body against the CRC32 checksum its request declared, in the `x-amz-checksum-crc32` header, the
 * presigned query parameter of that name, or the aws-chunked trailer (base64 of the big-endian CRC32). Other
 * algorithms are not checked.
 * @throws S3WireError `BadDigest` when the declared checksum does not match the bytes.
 */
export function checkDeclaredChecksum(req: IncomingMessage, query: URLSearchParams, trailers: ReadonlyMap<string, string>, body: readonly Buffer[]): void {
  const declaredHeader = req.headers['x-amz-checksum-crc32'];
  const declared = (Array.isArray(declaredHeader) ? declaredHeader[0] : declaredHeader) ?? query.get('x-amz-checksum-crc32') ?? trailers.get('x-amz-checksum-crc32');
  if (declared === undefined) return;
  let value = 0;
  for (const chunk of body) value = crc32(chunk, value);
  const actual = Buffer.alloc(4);
  actual.writeUInt32BE(value >>> 0);
  if (actual.toString('base64') !== declared) {
    throw new S3WireError('BadDigest', 'The CRC32 you specified did not match the calculated checksum.');
  }
}

/** Rejection of {@link collectBody} when the client went away mid-body: nothing is answered. */
export class ClientGoneError extends Error {
  constructor() {
    super('the client closed the connection before the body ended');
    this.name = 'ClientGoneError';
  }
}

/**
 * Reads a PUT body to its end, as the buffers it arrives in, with the aws-chunked trailers when it had any.
 * @param onBytes called with the running total of object bytes, as they arrive.
 * @throws (rejects) S3WireError `IncompleteBody` when fewer or more bytes arrive than declared or the aws-chunked
 *   framing is broken; ClientGoneError when the connection closes first.
 */
export function collectBody(
  req: IncomingMessage,
  framing: BodyFraming,
  onBytes: (total: number) => void,
): Promise<{ readonly body: Buffer[]; readonly trailers: ReadonlyMap<string, string> }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const decoder = framing.awsChunked ? awsChunkedDecoder() : undefined;
    const source = decoder === undefined ? req : req.pipe(decoder);
    let settled = false;
    const settle = (error: Error | undefined): void => {
      if (settled) return;
      settled = true;
      if (error !== undefined) reject(error);
      else resolve({ body: chunks, trailers: decoder?.trailers ?? new Map<string, string>() });
    };
    source.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      total += chunk.length;
      onBytes(total);
    });
    source.once('error', (error: Error) => settle(error instanceof S3WireError ? error : new ClientGoneError()));
    source.once('end', () => {
      settle(total === framing.length ? undefined : new S3WireError('IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.'));
    });
    req.once('close', () => {
      if (!req.readableEnded) settle(new ClientGoneError());
    });
  });
}

/** Upper bound on bytes read and dropped from a request already refused. */
const MAX_DISCARD_BYTES = 64 * 1024 * 1024;

/**
 * Reads and drops the rest of `req`, then calls `then`, so that a client still sending its body receives the
 * error instead of a reset. Past 64 MiB, or when the request aborts, the socket is destroyed and `then` not called.
 */
export function discardThen(req: IncomingMessage, then: () => void): void {
  if (req.readableEnded) {
    then();
    return;
  }
  let dropped = 0;
  const onData = (chunk: Buffer): void => {
    dropped += chunk.length;
    if (dropped > MAX_DISCARD_BYTES) {
      req.off('data', onData);
      req.socket.destroy();
    }
  };
  req.on('data', onData);
  req.once('end', then);
  req.resume();
}
