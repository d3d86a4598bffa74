import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { PassThrough, Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import {
  ContainerNotFoundException,
  DeleteObjectCommand,
  DescribeObjectCommand,
  GetObjectCommand,
  InternalServerError,
  ListItemsCommand,
  MediaStoreDataClient,
  MediaStoreDataServiceException,
  ObjectNotFoundException,
  PutObjectCommand,
  RequestedRangeNotSatisfiableException,
} from '@aws-sdk/client-mediastore-data';
import type { MediaStoreDataClientConfig } from '@aws-sdk/client-mediastore-data';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MediaStoreEmulator } from '../../src/emulators/mediastore/mediastore.emulator.js';
import type { MediaStoreEmulatorOptions } from '../../src/emulators/mediastore/mediastore.emulator.js';
import {
  MEDIASTORE_MAX_STANDARD_OBJECT_BYTES,
  MEDIASTORE_MAX_STREAMING_OBJECT_BYTES,
} from '../../src/emulators/mediastore/mediastore.limits.js';
import { seedMediaStoreDemo } from '../../src/emulators/mediastore/mediastore.seed.js';

const START_CLOCK = Date.UTC(2025, 0, 15, 12, 0, 0);

let clock = START_CLOCK;
let emulator: MediaStoreEmulator;
const emulators: MediaStoreEmulator[] = [];
const clients: MediaStoreDataClient[] = [];

async function startEmulator(options: MediaStoreEmulatorOptions = {}): Promise<MediaStoreEmulator> {
  const started = await MediaStoreEmulator.start({ now: () => clock, ...options });
  emulators.push(started);
  return started;
}

/** A real SDK client for `target`; single attempt unless the test asks for retries. */
function clientFor(target: MediaStoreEmulator, config: Partial<MediaStoreDataClientConfig> = {}): MediaStoreDataClient {
  const client = new MediaStoreDataClient({
    endpoint: target.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
    maxAttempts: 1,
    ...config,
  });
  clients.push(client);
  return client;
}

/** An SDK logger that keeps warnings, so tests can assert on what the SDK reports. */
function recordingLogger(): { warnings: string[]; logger: NonNullable<MediaStoreDataClientConfig['logger']> } {
  const warnings: string[] = [];
  const ignore = (): void => undefined;
  return {
    warnings,
    logger: { debug: ignore, info: ignore, warn: (...content: unknown[]) => warnings.push(content.map(String).join(' ')), error: ignore },
  };
}

/** Awaits `promise`, expecting a MediaStore service error of `name` and `status`, and returns it. */
async function expectServiceError(
  promise: Promise<unknown>,
  name: string,
  status: number,
): Promise<MediaStoreDataServiceException> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(MediaStoreDataServiceException);
  const error = outcome as MediaStoreDataServiceException;
  expect(error.name).toBe(name);
  expect(error.$metadata.httpStatusCode).toBe(status);
  return error;
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Deterministic non-trivial bytes: position-dependent so a wrong range is visible. */
function patternBytes(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index += 1) bytes[index] = (index * 31 + 7) & 0xff;
  return bytes;
}

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** A hand-written HTTP request, for what the SDK cannot send (no signature, odd paths, other methods). */
function rawRequest(target: MediaStoreEmulator, method: string, path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  const url = new URL(target.endpoint);
  return new Promise<RawResponse>((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers: { connection: 'close', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.once('error', reject);
    req.end();
  });
}

const FAKE_SIGV4 = 'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250115/us-east-1/mediastore/aws4_request, SignedHeaders=host, Signature=00';

beforeEach(async () => {
  clock = START_CLOCK;
  emulator = await startEmulator();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(emulators.splice(0).map((started) => started.close()));
});

describe('MediaStoreEmulator PutObject', () => {
  it('returns ContentSHA256, ETag and StorageClass when an object is uploaded', async () => {
    const body = patternBytes(4096);
    const out = await clientFor(emulator).send(
      new PutObjectCommand({ Path: 'vod/title/seg-0.ts', Body: body, ContentType: 'video/mp2t', CacheControl: 'max-age=60' }),
    );
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.ContentSHA256).toBe(createHash('sha256').update(body).digest('hex'));
    expect(out.ETag).toBe(createHash('md5').update(body).digest('hex'));
    expect(out.StorageClass).toBe('TEMPORAL');
    expect(emulator.readObjectDirect('vod/title/seg-0.ts')?.equals(body)).toBe(true);
  });

  it('replaces the object when the same path is uploaded again', async () => {
    const client = clientFor(emulator);
    await client.send(new PutObjectCommand({ Path: 'a.txt', Body: 'one' }));
    await client.send(new PutObjectCommand({ Path: 'a.txt', Body: 'two!' }));
    const out = await client.send(new GetObjectCommand({ Path: 'a.txt' }));
    expect((await bodyBytes(out.Body)).toString()).toBe('two!');
    expect(emulator.objectCount).toBe(1);
  });

  it('stores a chunked body of unknown length when upload availability is STREAMING', async () => {
    const parts = [patternBytes(1000), patternBytes(2500), patternBytes(10)];
    const out = await clientFor(emulator).send(
      new PutObjectCommand({
        Path: 'live/ch1/seg-1.ts',
        Body: Readable.from(parts),
        UploadAvailability: 'STREAMING',
        ContentType: 'video/mp2t',
      }),
    );
    const expected = Buffer.concat(parts);
    expect(out.ContentSHA256).toBe(createHash('sha256').update(expected).digest('hex'));
    expect(emulator.readObjectDirect('live/ch1/seg-1.ts')?.equals(expected)).toBe(true);
  });

  it('serves a STREAMING object to GetObject while it is still uploading', async () => {
    const client = clientFor(emulator);
    const upload = new PassThrough();
    upload.write(Buffer.from('first-'));
    const put = client.send(
      new PutObjectCommand({ Path: 'live/ch1/seg-2.ts', Body: upload, UploadAvailability: 'STREAMING', ContentType: 'video/mp2t' }),
    );
    await emulator.waitForRequest((request) => request.operation === 'PutObject');

    const got = await client.send(new GetObjectCommand({ Path: 'live/ch1/seg-2.ts' }));
    expect(got.StatusCode).toBe(200);
    expect(got.ContentType).toBe('video/mp2t');
    expect(got.ContentLength).toBeUndefined();
    const reader = (got.Body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    const first = await reader.next();
    expect(Buffer.from(first.value as Uint8Array).toString()).toBe('first-');

    upload.end(Buffer.from('second'));
    let rest = '';
    for (let next = await reader.next(); !next.done; next = await reader.next()) rest += Buffer.from(next.value).toString();
    expect(rest).toBe('second');
    expect((await put).$metadata.httpStatusCode).toBe(200);
    expect(emulator.readObjectDirect('live/ch1/seg-2.ts')?.toString()).toBe('first-second');
  });

  it('accepts exactly 25 MB when upload availability is STANDARD', async () => {
    const out = await clientFor(emulator).send(
      new PutObjectCommand({ Path: 'big/max.bin', Body: Buffer.alloc(MEDIASTORE_MAX_STANDARD_OBJECT_BYTES, 1) }),
    );
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(emulator.readObjectDirect('big/max.bin')?.length).toBe(MEDIASTORE_MAX_STANDARD_OBJECT_BYTES);
  });

  it('rejects with 413 when a STANDARD body exceeds 25 MB', async () => {
    await expectServiceError(
      clientFor(emulator).send(new PutObjectCommand({ Path: 'big/over.bin', Body: Buffer.alloc(MEDIASTORE_MAX_STANDARD_OBJECT_BYTES + 1) })),
      'RequestEntityTooLargeException',
      413,
    );
    expect(emulator.objectCount).toBe(0);
  });

  it('accepts exactly 10 MB and rejects one byte more when upload availability is STREAMING', async () => {
    const client = clientFor(emulator);
    // A stream body of unknown length: the SDK sends it chunked, as STREAMING requires.
    const ok = await client.send(
      new PutObjectCommand({
        Path: 'live/max.ts',
        Body: Readable.from([Buffer.alloc(MEDIASTORE_MAX_STREAMING_OBJECT_BYTES)]),
        UploadAvailability: 'STREAMING',
      }),
    );
    expect(ok.$metadata.httpStatusCode).toBe(200);
    await expectServiceError(
      client.send(
        new PutObjectCommand({
          Path: 'live/over.ts',
          Body: Readable.from([Buffer.alloc(MEDIASTORE_MAX_STREAMING_OBJECT_BYTES + 1)]),
          UploadAvailability: 'STREAMING',
        }),
      ),
      'RequestEntityTooLargeException',
      413,
    );
  });

  it('rejects with 413 when a chunked STREAMING body grows past 10 MB mid-upload', async () => {
    const megabyte = Buffer.alloc(1024 * 1024, 7);
    const parts = Array.from({ length: 11 }, () => megabyte);
    const { warnings, logger } = recordingLogger();
    await expectServiceError(
      clientFor(emulator, { logger }).send(
        new PutObjectCommand({ Path: 'live/grow.ts', Body: Readable.from(parts), UploadAvailability: 'STREAMING' }),
      ),
      'RequestEntityTooLargeException',
      413,
    );
    expect(emulator.readObjectDirect('live/grow.ts')).toBeUndefined();
    // A stream body cannot be replayed, so the SDK does not retry and says so.
    expect(warnings).toEqual(['An error was encountered in a non-retryable streaming request.']);
  });

  it('rejects with 400 ValidationError when the Content-Type breaks the documented pattern', async () => {
    await expectServiceError(
      clientFor(emulator).send(new PutObjectCommand({ Path: 'a.txt', Body: 'x', ContentType: 'text/plain; charset=utf-8' })),
      'ValidationError',
      400,
    );
  });

  it('rejects with 400 ValidationError, storing nothing, when a STREAMING upload comes with a Content-Length', async () => {
    // The reference: STREAMING availability needs Transfer-Encoding chunked. A Buffer body makes the SDK send its length.
    const error = await expectServiceError(
      clientFor(emulator).send(new PutObjectCommand({ Path: 'live/sized.ts', Body: Buffer.alloc(1024, 3), UploadAvailability: 'STREAMING' })),
      'ValidationError',
      400,
    );
    expect(error.message).toMatch(/^Value at UploadAvailability failed/);
    expect(emulator.readObjectDirect('live/sized.ts')).toBeUndefined();
    expect(emulator.requests.filter((request) => request.operation === 'PutObject').map((request) => request.bodyFraming)).toEqual(['content-length']);
  });

  it('rejects with 408 when the body does not arrive within the upload timeout', async () => {
    const slow = await startEmulator({ uploadTimeoutMs: 50 });
    const never = new PassThrough();
    never.write(Buffer.from('partial'));
    const { warnings, logger } = recordingLogger();
    await expectServiceError(
      clientFor(slow, { logger }).send(new PutObjectCommand({ Path: 'slow.ts', Body: never, UploadAvailability: 'STREAMING' })),
      'RequestTimeoutException',
      408,
    );
    never.destroy();
    expect(slow.readObjectDirect('slow.ts')).toBeUndefined();
    expect(warnings).toHaveLength(1);
  });
});

describe('MediaStoreEmulator GetObject and DescribeObject', () => {
  const size = 10_000;
  const content = patternBytes(size);

  beforeEach(() => {
    emulator.putObjectDirect('media/file.bin', content, { contentType: 'application/octet-stream', cacheControl: 'no-cache' });
  });

  it('returns 200 with the whole body and its headers when no Range is sent', async () => {
    const out = await clientFor(emulator).send(new GetObjectCommand({ Path: 'media/file.bin' }));
    expect(out.StatusCode).toBe(200);
    expect(out.ContentLength).toBe(size);
    expect(out.ContentType).toBe('application/octet-stream');
    expect(out.CacheControl).toBe('no-cache');
    expect(out.ETag).toBe(createHash('md5').update(content).digest('hex'));
    expect(out.LastModified?.getTime()).toBe(Math.floor(START_CLOCK / 1000) * 1000);
    expect(out.ContentRange).toBeUndefined();
    expect((await bodyBytes(out.Body)).equals(content)).toBe(true);
  });

  it.each([
    ['bytes=0-99', 0, 99],
    ['bytes=9990-', 9990, 9999],
    ['bytes=-10', 9990, 9999],
    ['bytes=-20000', 0, 9999],
    ['bytes=9000-20000', 9000, 9999],
    ['bytes=5-5', 5, 5],
  ])('returns 206 with Content-Range when the range is %s', async (range, start, end) => {
    const out = await clientFor(emulator).send(new GetObjectCommand({ Path: 'media/file.bin', Range: range }));
    expect(out.StatusCode).toBe(206);
    expect(out.ContentRange).toBe(`bytes ${start}-${end}/${size}`);
    expect(out.ContentLength).toBe(end - start + 1);
    expect((await bodyBytes(out.Body)).equals(content.subarray(start, end + 1))).toBe(true);
  });

  it.each(['bytes=10000-', 'bytes=20000-30000', 'bytes=-0', 'bytes=50-10', 'bytes=0-1,5-6', 'items=0-1', 'bytes=-'])(
    'rejects with 416 RequestedRangeNotSatisfiableException when the range is %s',
    async (range) => {
      const error = await expectServiceError(
        clientFor(emulator).send(new GetObjectCommand({ Path: 'media/file.bin', Range: range })),
        'RequestedRangeNotSatisfiableException',
        416,
      );
      expect(error).toBeInstanceOf(RequestedRangeNotSatisfiableException);
    },
  );

  it('rejects any range with 416 when the object is empty', async () => {
    emulator.putObjectDirect('media/empty.bin', new Uint8Array(0));
    await expectServiceError(
      clientFor(emulator).send(new GetObjectCommand({ Path: 'media/empty.bin', Range: 'bytes=0-' })),
      'RequestedRangeNotSatisfiableException',
      416,
    );
  });

  it('rejects with 404 ObjectNotFoundException when the object does not exist', async () => {
    const error = await expectServiceError(
      clientFor(emulator).send(new GetObjectCommand({ Path: 'media/missing.bin' })),
      'ObjectNotFoundException',
      404,
    );
    expect(error).toBeInstanceOf(ObjectNotFoundException);
  });

  it('rejects with 404 when the path names a folder', async () => {
    await expectServiceError(clientFor(emulator).send(new GetObjectCommand({ Path: 'media' })), 'ObjectNotFoundException', 404);
  });

  it('returns the headers without a body when the object is described', async () => {
    const out = await clientFor(emulator).send(new DescribeObjectCommand({ Path: 'media/file.bin' }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(out.ContentLength).toBe(size);
    expect(out.ContentType).toBe('application/octet-stream');
    expect(out.CacheControl).toBe('no-cache');
    expect(out.ETag).toBe(createHash('md5').update(content).digest('hex'));
    expect(out.LastModified?.getTime()).toBe(Math.floor(START_CLOCK / 1000) * 1000);
  });

  it('rejects DescribeObject with 404 ObjectNotFoundException when the object does not exist', async () => {
    const error = await expectServiceError(
      clientFor(emulator).send(new DescribeObjectCommand({ Path: 'media/missing.bin' })),
      'ObjectNotFoundException',
      404,
    );
    expect(error).toBeInstanceOf(ObjectNotFoundException);
  });
});

describe('MediaStoreEmulator DeleteObject and folders', () => {
  it('creates every folder of the path when an object is put', async () => {
    const client = clientFor(emulator);
    await client.send(new PutObjectCommand({ Path: 'premium/canada/mlaw.ts', Body: 'x' }));
    const root = await client.send(new ListItemsCommand({}));
    expect(root.Items).toEqual([{ Name: 'premium', Type: 'FOLDER', LastModified: new Date(Math.floor(START_CLOCK / 1000) * 1000) }]);
    const premium = await client.send(new ListItemsCommand({ Path: 'premium' }));
    expect(premium.Items?.map((item) => [item.Name, item.Type])).toEqual([['canada', 'FOLDER']]);
    const canada = await client.send(new ListItemsCommand({ Path: '/premium/canada/' }));
    expect(canada.Items?.map((item) => [item.Name, item.Type, item.ContentLength])).toEqual([['mlaw.ts', 'OBJECT', 1]]);
  });

  it('removes the object and every folder left empty when the last object is deleted', async () => {
    const client = clientFor(emulator);
    emulator.putObjectDirect('premium/canada/mlaw.ts', 'x');
    emulator.putObjectDirect('premium/usa/other.ts', 'y');
    const out = await client.send(new DeleteObjectCommand({ Path: 'premium/canada/mlaw.ts' }));
    expect(out.$metadata.httpStatusCode).toBe(200);
    const premium = await client.send(new ListItemsCommand({ Path: 'premium' }));
    expect(premium.Items?.map((item) => item.Name)).toEqual(['usa']);

    await client.send(new DeleteObjectCommand({ Path: 'premium/usa/other.ts' }));
    const root = await client.send(new ListItemsCommand({}));
    expect(root.Items).toEqual([]);
    expect(root.NextToken).toBeUndefined();
  });

  it('rejects with 404 ObjectNotFoundException when the object to delete does not exist', async () => {
    await expectServiceError(
      clientFor(emulator).send(new DeleteObjectCommand({ Path: 'nothing/here.ts' })),
      'ObjectNotFoundException',
      404,
    );
  });
});

describe('MediaStoreEmulator ListItems', () => {
  it('lists one level sorted by name with object metadata when a folder is listed', async () => {
    emulator.putObjectDirect('show/b.ts', 'bb', { contentType: 'video/mp2t' });
    emulator.putObjectDirect('show/a.m3u8', 'a', { contentType: 'application/vnd.apple.mpegurl' });
    emulator.putObjectDirect('show/c/deep.ts', 'ccc');
    const out = await clientFor(emulator).send(new ListItemsCommand({ Path: 'show' }));
    expect(out.Items).toEqual([
      {
        Name: 'a.m3u8',
        Type: 'OBJECT',
        ETag: createHash('md5').update('a').digest('hex'),
        LastModified: new Date(Math.floor(START_CLOCK / 1000) * 1000),
        ContentType: 'application/vnd.apple.mpegurl',
        ContentLength: 1,
      },
      expect.objectContaining({ Name: 'b.ts', Type: 'OBJECT', ContentLength: 2, ContentType: 'video/mp2t' }),
      expect.objectContaining({ Name: 'c', Type: 'FOLDER' }),
    ]);
    expect(out.NextToken).toBeUndefined();
  });

  it('returns an empty list when the folder does not exist', async () => {
    const out = await clientFor(emulator).send(new ListItemsCommand({ Path: 'no/such/folder' }));
    expect(out.Items).toEqual([]);
  });

  it('pages with NextToken when MaxResults is smaller than the folder', async () => {
    for (const name of ['e', 'a', 'd', 'b', 'c']) emulator.putObjectDirect(`paged/${name}.ts`, name);
    const client = clientFor(emulator);
    const names: string[][] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListItemsCommand({ Path: 'paged', MaxResults: 2, NextToken: token }));
      names.push((page.Items ?? []).map((item) => item.Name ?? ''));
      token = page.NextToken;
    } while (token);
    expect(names).toEqual([
      ['a.ts', 'b.ts'],
      ['c.ts', 'd.ts'],
      ['e.ts'],
    ]);
  });

  it('returns 1000 items and a NextToken by default when the folder holds more', async () => {
    for (let index = 0; index < 1001; index += 1) emulator.putObjectDirect(`many/item-${String(index).padStart(4, '0')}.ts`, 'x');
    const client = clientFor(emulator);
    const first = await client.send(new ListItemsCommand({ Path: 'many' }));
    expect(first.Items).toHaveLength(1000);
    expect(first.NextToken).toEqual(expect.any(String));
    const second = await client.send(new ListItemsCommand({ Path: 'many', NextToken: first.NextToken }));
    expect(second.Items?.map((item) => item.Name)).toEqual(['item-1000.ts']);
    expect(second.NextToken).toBeUndefined();
  });

  it('resumes after the last item returned when items change between pages', async () => {
    for (const name of ['a', 'b', 'c', 'd']) emulator.putObjectDirect(`live/${name}.ts`, name);
    const client = clientFor(emulator);
    const first = await client.send(new ListItemsCommand({ Path: 'live', MaxResults: 2 }));
    emulator.putObjectDirect('live/aa.ts', 'new, sorts before the cursor');
    await client.send(new DeleteObjectCommand({ Path: 'live/c.ts' }));
    const second = await client.send(new ListItemsCommand({ Path: 'live', MaxResults: 2, NextToken: first.NextToken }));
    expect(second.Items?.map((item) => item.Name)).toEqual(['d.ts']);
  });

  it.each([0, 1001])('rejects with 400 ValidationError when MaxResults is %i', async (maxResults) => {
    await expectServiceError(
      clientFor(emulator).send(new ListItemsCommand({ MaxResults: maxResults })),
      'ValidationError',
      400,
    );
  });

  it('accepts a NextToken until the TTL elapses, then rejects it with 400 ValidationError saying it expired', async () => {
    for (const name of ['a', 'b', 'c']) emulator.putObjectDirect(`exp/${name}.ts`, name);
    const client = clientFor(emulator);
    const first = await client.send(new ListItemsCommand({ Path: 'exp', MaxResults: 1 }));
    clock += 15 * 60 * 1000 - 1;
    const second = await client.send(new ListItemsCommand({ Path: 'exp', MaxResults: 1, NextToken: first.NextToken }));
    expect(second.Items?.map((item) => item.Name)).toEqual(['b.ts']);
    clock += 1;
    const expired = await expectServiceError(
      client.send(new ListItemsCommand({ Path: 'exp', MaxResults: 1, NextToken: first.NextToken })),
      'ValidationError',
      400,
    );
    expect(expired.message).toMatch(/^NextToken has expired/);
    // A token issued later has its own 15 minutes.
    const third = await client.send(new ListItemsCommand({ Path: 'exp', MaxResults: 1, NextToken: second.NextToken }));
    expect(third.Items?.map((item) => item.Name)).toEqual(['c.ts']);
  });

  it('expires tokens after the configured TTL when listTokenTtlMs is set', async () => {
    const short = await startEmulator({ listTokenTtlMs: 1000 });
    short.putObjectDirect('x/a.ts', 'a');
    short.putObjectDirect('x/b.ts', 'b');
    const client = clientFor(short);
    const first = await client.send(new ListItemsCommand({ Path: 'x', MaxResults: 1 }));
    clock += 1000;
    await expectServiceError(
      client.send(new ListItemsCommand({ Path: 'x', MaxResults: 1, NextToken: first.NextToken })),
      'ValidationError',
      400,
    );
  });

  it('rejects with 400 ValidationError when the token is forged, tampered, foreign or for another path', async () => {
    emulator.putObjectDirect('one/a.ts', 'a');
    emulator.putObjectDirect('one/b.ts', 'b');
    const client = clientFor(emulator);
    const first = await client.send(new ListItemsCommand({ Path: 'one', MaxResults: 1 }));
    const token = first.NextToken ?? '';
    const other = await startEmulator();
    other.putObjectDirect('one/a.ts', 'a');
    other.putObjectDirect('one/b.ts', 'b');
    const foreign = (await clientFor(other).send(new ListItemsCommand({ Path: 'one', MaxResults: 1 }))).NextToken ?? '';
    const tampered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const [path, candidate] of [
      ['one', 'not-a-token'],
      ['one', tampered],
      ['one', foreign],
      ['two', token],
    ] as const) {
      const invalid = await expectServiceError(
        client.send(new ListItemsCommand({ Path: path, MaxResults: 1, NextToken: candidate })),
        'ValidationError',
        400,
      );
      expect(invalid.message).toBe('NextToken is not valid for this request');
    }
  });
});

describe('MediaStoreEmulator paths', () => {
  it('accepts every documented name character and ten folder levels', async () => {
    const client = clientFor(emulator);
    const path = `${Array.from({ length: 10 }, (_, index) => `f${index}`).join('/')}/A-z_0.9~x=y:z.ts`;
    await client.send(new PutObjectCommand({ Path: path, Body: 'ok' }));
    const out = await client.send(new GetObjectCommand({ Path: path }));
    expect((await bodyBytes(out.Body)).toString()).toBe('ok');
    const listed = await client.send(new ListItemsCommand({ Path: path.slice(0, path.lastIndexOf('/')) }));
    expect(listed.Items?.map((item) => item.Name)).toEqual(['A-z_0.9~x=y:z.ts']);
  });

  it.each([
    ['a space', 'with space/file.ts'],
    ['eleven folder levels', `${'f/'.repeat(11)}file.ts`],
    ['more than 900 characters', 'a'.repeat(901)],
    ['an empty folder name', 'a//b.ts'],
    ['a dot-dot segment', 'a/../b.ts'],
    ['a percent sign', 'a/%2e%2e/b.ts'],
    ['a non-ASCII name', 'vidéo.ts'],
  ])('rejects with 400 ValidationError when the path has %s', async (_label, path) => {
    const client = clientFor(emulator);
    await expectServiceError(client.send(new PutObjectCommand({ Path: path, Body: 'x' })), 'ValidationError', 400);
    await expectServiceError(client.send(new GetObjectCommand({ Path: path })), 'ValidationError', 400);
    expect(emulator.objectCount).toBe(0);
  });

  it('rejects with 400 ValidationError when a raw request encodes dot segments', async () => {
    const response = await rawRequest(emulator, 'GET', '/%2e%2e/%2E%2E/etc', { authorization: FAKE_SIGV4 });
    expect(response.status).toBe(400);
    expect(response.headers['x-amzn-errortype']).toBe('ValidationError');
    expect(JSON.parse(response.body)).toMatchObject({ __type: 'ValidationError' });
  });

  it('rejects with 400 ValidationError when the ListItems Path is invalid', async () => {
    await expectServiceError(
      clientFor(emulator).send(new ListItemsCommand({ Path: 'bad path' })),
      'ValidationError',
      400,
    );
  });
});

describe('MediaStoreEmulator authentication and routing', () => {
  it('rejects with 403 MissingAuthenticationToken when the request is unsigned', async () => {
    const response = await rawRequest(emulator, 'GET', '/');
    expect(response.status).toBe(403);
    expect(response.headers['x-amzn-errortype']).toBe('MissingAuthenticationToken');
    expect(emulator.requests).toHaveLength(1);
  });

  it('rejects with 400 IncompleteSignature when the Authorization header is not SigV4', async () => {
    const response = await rawRequest(emulator, 'GET', '/', { authorization: 'Basic dXNlcjpwYXNz' });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body)).toEqual({ __type: 'IncompleteSignature', Message: expect.any(String) });
  });

  it('answers unsigned requests when requireAuthorization is false', async () => {
    const open = await startEmulator({ requireAuthorization: false });
    const response = await rawRequest(open, 'GET', '/');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ Items: [] });
  });

  it('records Unknown and rejects with 400 InvalidAction when the method matches no operation', async () => {
    const response = await rawRequest(emulator, 'POST', '/a.ts', { authorization: FAKE_SIGV4 });
    expect(response.status).toBe(400);
    expect(response.headers['x-amzn-errortype']).toBe('InvalidAction');
    expect(emulator.count('Unknown')).toBe(1);
  });
});

describe('MediaStoreEmulator container availability', () => {
  it('rejects every operation with 404 ContainerNotFoundException when the container is unavailable', async () => {
    emulator.putObjectDirect('a.ts', 'a');
    emulator.setContainerAvailable(false);
    const client = clientFor(emulator);
    const calls: (() => Promise<unknown>)[] = [
      () => client.send(new PutObjectCommand({ Path: 'b.ts', Body: 'b' })),
      () => client.send(new GetObjectCommand({ Path: 'a.ts' })),
      () => client.send(new DescribeObjectCommand({ Path: 'a.ts' })),
      () => client.send(new DeleteObjectCommand({ Path: 'a.ts' })),
      () => client.send(new ListItemsCommand({})),
    ];
    for (const call of calls) {
      const error = await expectServiceError(call(), 'ContainerNotFoundException', 404);
      expect(error).toBeInstanceOf(ContainerNotFoundException);
    }
    emulator.setContainerAvailable(true);
    const out = await client.send(new GetObjectCommand({ Path: 'a.ts' }));
    expect((await bodyBytes(out.Body)).toString()).toBe('a');
  });
});

describe('MediaStoreEmulator faults', () => {
  beforeEach(() => {
    emulator.putObjectDirect('f/obj.bin', patternBytes(10_240));
  });

  it('delays the matching operation when a latency fault is injected', async () => {
    emulator.injectFault({ kind: 'latency', ms: 80, operation: 'ListItems', times: 1 });
    const client = clientFor(emulator);
    const started = performance.now();
    await client.send(new ListItemsCommand({}));
    expect(performance.now() - started).toBeGreaterThanOrEqual(75);
    // The GetObject is not delayed by a ListItems fault, and the used-up fault is gone.
    await client.send(new GetObjectCommand({ Path: 'f/obj.bin' })).then((out) => bodyBytes(out.Body));
    await client.send(new ListItemsCommand({}));
    expect(emulator.count('ListItems')).toBe(2);
  });

  it('answers 500 InternalServerError when an error fault with status 500 is injected', async () => {
    emulator.injectFault({ kind: 'error', status: 500 });
    const error = await expectServiceError(
      clientFor(emulator).send(new GetObjectCommand({ Path: 'f/obj.bin' })),
      'InternalServerError',
      500,
    );
    expect(error).toBeInstanceOf(InternalServerError);
    expect(error.$fault).toBe('server');
  });

  it('answers 503 ServiceUnavailable when an error fault with status 503 is injected', async () => {
    emulator.injectFault({ kind: 'error', status: 503, operation: 'DescribeObject' });
    await expectServiceError(
      clientFor(emulator).send(new DescribeObjectCommand({ Path: 'f/obj.bin' })),
      'ServiceUnavailable',
      503,
    );
  });

  it('answers 400 ThrottlingException when a throttle fault is injected', async () => {
    emulator.injectFault({ kind: 'throttle', operation: 'ListItems' });
    const client = clientFor(emulator);
    await expectServiceError(client.send(new ListItemsCommand({})), 'ThrottlingException', 400);
    // Other operations are unaffected by a fault scoped to ListItems.
    const out = await client.send(new DescribeObjectCommand({ Path: 'f/obj.bin' }));
    expect(out.$metadata.httpStatusCode).toBe(200);
  });

  it('is retried by the SDK until it succeeds when throttle and error faults are limited by times', async () => {
    emulator.injectFault({ kind: 'throttle', operation: 'ListItems', times: 1 });
    emulator.injectFault({ kind: 'error', status: 500, operation: 'ListItems', times: 1 });
    const out = await clientFor(emulator, { maxAttempts: 3 }).send(new ListItemsCommand({}));
    expect(out.$metadata.attempts).toBe(3);
    expect(emulator.count('ListItems')).toBe(3);
  });

  it('stops the body after afterBytes and holds the connection when a GetObject stall is injected', async () => {
    emulator.injectFault({ kind: 'stall', operation: 'GetObject', afterBytes: 100, times: 1 });
    const out = await clientFor(emulator).send(new GetObjectCommand({ Path: 'f/obj.bin' }));
    expect(out.StatusCode).toBe(200);
    expect(out.ContentLength).toBe(10_240);
    const body = out.Body as Readable;
    let received = 0;
    body.on('data', (chunk: Buffer) => {
      received += chunk.length;
      // Close the emulator once the allowed bytes are in: only close() can end a stalled exchange.
      if (received >= 100) void emulator.close();
    });
    await expect(finished(body)).rejects.toThrow();
    expect(received).toBe(100);
  });

  it('never answers when a stall is injected on an operation other than GetObject, until the client aborts', async () => {
    emulator.injectFault({ kind: 'stall', operation: 'PutObject' });
    const abort = new AbortController();
    const put = clientFor(emulator).send(new PutObjectCommand({ Path: 'stalled.ts', Body: 'x' }), { abortSignal: abort.signal });
    await emulator.waitForRequest((request) => request.operation === 'PutObject');
    abort.abort();
    await expect(put).rejects.toMatchObject({ name: 'AbortError' });
    expect(emulator.readObjectDirect('stalled.ts')).toBeUndefined();
  });

  it('stops reading a PutObject body after about afterBytes when a stall with afterBytes is injected', async () => {
    const afterBytes = 64 * 1024;
    emulator.injectFault({ kind: 'stall', operation: 'PutObject', afterBytes, times: 1 });
    const total = 32 * 1024 * 1024;
    let produced = 0;
    let producedEnough: () => void = () => undefined;
    const wellPast = new Promise<void>((resolve) => {
      producedEnough = resolve;
    });
    // Produced on demand, so the count shows how far the client got; 1 MiB past afterBytes is more than the
    // stalled store can have read.
    const source = new Readable({
      read() {
        produced += 64 * 1024;
        if (produced >= afterBytes + 1024 * 1024) producedEnough();
        this.push(produced > total ? null : Buffer.alloc(64 * 1024, 7));
      },
    });
    const abort = new AbortController();
    const put = clientFor(emulator).send(new PutObjectCommand({ Path: 'stalled/big.bin', Body: source }), { abortSignal: abort.signal });
    await emulator.waitForBodyBytes('stalled/big.bin', afterBytes);
    await wellPast;
    expect(emulator.receivedBodyBytes('stalled/big.bin')).toBeLessThan(afterBytes + 64 * 1024 + 1);
    abort.abort();
    await expect(put).rejects.toMatchObject({ name: 'AbortError' });
    expect(emulator.readObjectDirect('stalled/big.bin')).toBeUndefined();
  });

  it('ends stalled connections when the emulator is closed', async () => {
    emulator.injectFault({ kind: 'stall', operation: 'ListItems' });
    const list = clientFor(emulator).send(new ListItemsCommand({}));
    await emulator.waitForRequest((request) => request.operation === 'ListItems');
    await emulator.close();
    await expect(list).rejects.toThrow();
  });

  it('stops applying faults when they are cleared', async () => {
    emulator.injectFault({ kind: 'error', status: 503 });
    emulator.clearFaults();
    const out = await clientFor(emulator).send(new DescribeObjectCommand({ Path: 'f/obj.bin' }));
    expect(out.$metadata.httpStatusCode).toBe(200);
  });

  it('throws RangeError when a fault has an invalid times value', () => {
    expect(() => emulator.injectFault({ kind: 'throttle', times: 0 })).toThrow(RangeError);
  });

  it('caps each ListItems page at maxItems and resumes after the last item when a short-page fault is injected', async () => {
    for (const name of ['a', 'b', 'c', 'd', 'e']) emulator.putObjectDirect(`short/${name}.ts`, name);
    emulator.injectFault({ kind: 'short-page', maxItems: 2 });
    const client = clientFor(emulator);
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const page = await client.send(new ListItemsCommand({ Path: 'short', MaxResults: 1000, NextToken: token }));
      pages.push((page.Items ?? []).map((item) => item.Name ?? ''));
      token = page.NextToken;
    } while (token);
    expect(pages).toEqual([['a.ts', 'b.ts'], ['c.ts', 'd.ts'], ['e.ts']]);
    // A smaller MaxResults still wins over the cap.
    const one = await client.send(new ListItemsCommand({ Path: 'short', MaxResults: 1 }));
    expect(one.Items?.map((item) => item.Name)).toEqual(['a.ts']);
  });

  it('uses up a short-page fault only on a ListItems that is answered when times is set', async () => {
    for (const name of ['a', 'b', 'c']) emulator.putObjectDirect(`short/${name}.ts`, name);
    emulator.injectFault({ kind: 'throttle', operation: 'ListItems', times: 1 });
    emulator.injectFault({ kind: 'short-page', maxItems: 1, times: 1 });
    const client = clientFor(emulator);
    await client.send(new DescribeObjectCommand({ Path: 'short/a.ts' }));
    await expectServiceError(client.send(new ListItemsCommand({ Path: 'short' })), 'ThrottlingException', 400);
    const short = await client.send(new ListItemsCommand({ Path: 'short' }));
    expect(short.Items).toHaveLength(1);
    const full = await client.send(new ListItemsCommand({ Path: 'short' }));
    expect(full.Items).toHaveLength(3);
  });

  it('throws RangeError when a short-page fault has maxItems below 1 or not an integer', () => {
    expect(() => emulator.injectFault({ kind: 'short-page', maxItems: 0 })).toThrow(RangeError);
    expect(() => emulator.injectFault({ kind: 'short-page', maxItems: 1.5 })).toThrow(RangeError);
  });
});

describe('MediaStoreEmulator request log', () => {
  it('records every request in order with operation, method, wire path, query, clock time and body framing', async () => {
    const client = clientFor(emulator);
    await client.send(new PutObjectCommand({ Path: 'log/a=b.ts', Body: 'x' }));
    clock += 5;
    await client.send(new ListItemsCommand({ Path: 'log', MaxResults: 5 }));
    await expectServiceError(client.send(new DescribeObjectCommand({ Path: 'log/none.ts' })), 'ObjectNotFoundException', 404);
    await client.send(new GetObjectCommand({ Path: 'log/a=b.ts' })).then((out) => bodyBytes(out.Body));
    await client.send(new DeleteObjectCommand({ Path: 'log/a=b.ts' }));
    expect(emulator.requests).toEqual([
      { operation: 'PutObject', method: 'PUT', path: '/log/a%3Db.ts', query: '', at: START_CLOCK, bodyFraming: 'content-length' },
      { operation: 'ListItems', method: 'GET', path: '/', query: 'MaxResults=5&Path=log', at: START_CLOCK + 5, bodyFraming: 'none' },
      { operation: 'DescribeObject', method: 'HEAD', path: '/log/none.ts', query: '', at: START_CLOCK + 5, bodyFraming: 'none' },
      { operation: 'GetObject', method: 'GET', path: '/log/a%3Db.ts', query: '', at: START_CLOCK + 5, bodyFraming: 'none' },
      { operation: 'DeleteObject', method: 'DELETE', path: '/log/a%3Db.ts', query: '', at: START_CLOCK + 5, bodyFraming: 'none' },
    ]);
    expect(emulator.count()).toBe(5);
    expect(emulator.count('GetObject')).toBe(1);
    emulator.resetRequests();
    expect(emulator.requests).toEqual([]);
    expect(emulator.count()).toBe(0);
  });

  it('does not record objects seeded directly', () => {
    seedMediaStoreDemo(emulator);
    expect(emulator.count()).toBe(0);
  });

  it('counts requests in flight per operation and keeps the peak until reset when requests overlap', async () => {
    emulator.putObjectDirect('busy/a.ts', 'a');
    // The latency holds each describe long enough for all three to arrive before the first is answered.
    emulator.injectFault({ kind: 'latency', ms: 250, operation: 'DescribeObject' });
    const client = clientFor(emulator);
    const describes = Array.from({ length: 3 }, () => client.send(new DescribeObjectCommand({ Path: 'busy/a.ts' })));
    await emulator.waitForRequest(() => emulator.count('DescribeObject') === 3);
    expect(emulator.inFlight('DescribeObject')).toBe(3);
    await Promise.all(describes);
    await client.send(new ListItemsCommand({ Path: 'busy' }));
    expect(emulator.inFlight()).toBe(0);
    expect(emulator.peakInFlight('DescribeObject')).toBe(3);
    expect(emulator.peakInFlight('ListItems')).toBe(1);
    expect(emulator.peakInFlight()).toBe(3);
    emulator.resetRequests();
    expect(emulator.peakInFlight('DescribeObject')).toBe(0);
    expect(emulator.peakInFlight()).toBe(0);
  });

  it('reports the body bytes a PutObject has accepted while its client is still sending', async () => {
    const upload = new PassThrough();
    const first = patternBytes(50_000);
    const rest = patternBytes(7);
    upload.write(first);
    const put = clientFor(emulator).send(new PutObjectCommand({ Path: 'progress/live.ts', Body: upload, UploadAvailability: 'STREAMING' }));
    await emulator.waitForBodyBytes('progress/live.ts', first.length);
    expect(emulator.receivedBodyBytes('progress/live.ts')).toBe(first.length);
    expect(emulator.readObjectDirect('progress/live.ts')).toBeUndefined();
    upload.end(rest);
    await put;
    expect(emulator.receivedBodyBytes('progress/live.ts')).toBe(first.length + rest.length);
    emulator.resetRequests();
    expect(emulator.receivedBodyBytes('progress/live.ts')).toBeUndefined();
  });

  it('rejects a pending waitForBodyBytes when the emulator closes', async () => {
    const waiting = emulator.waitForBodyBytes('never/sent.ts', 1);
    await emulator.close();
    await expect(waiting).rejects.toThrow('closed');
  });
});

describe('MediaStoreEmulator seed', () => {
  it('serves the demo playlists and segments when seeded', async () => {
    seedMediaStoreDemo(emulator);
    const client = clientFor(emulator);
    const root = await client.send(new ListItemsCommand({}));
    expect(root.Items?.map((item) => `${item.Type ?? ''}:${item.Name ?? ''}`)).toEqual([
      'OBJECT:README.txt',
      'FOLDER:live',
      'FOLDER:thumbnails',
      'FOLDER:vod',
    ]);
    const master = await client.send(new GetObjectCommand({ Path: 'vod/big-buck-bunny/master.m3u8' }));
    expect(master.ContentType).toBe('application/vnd.apple.mpegurl');
    expect((await bodyBytes(master.Body)).toString()).toMatch(/^#EXTM3U/);
    const segment = await client.send(new GetObjectCommand({ Path: 'vod/big-buck-bunny/720p/segment-00000.ts', Range: 'bytes=0-0' }));
    expect((await bodyBytes(segment.Body))[0]).toBe(0x47);
    const live = await client.send(new DescribeObjectCommand({ Path: 'live/channel-1/index.m3u8' }));
    expect(live.CacheControl).toBe('max-age=1');
  });
});

describe('MediaStoreEmulator lifecycle', () => {
  it('refuses connections and resolves again when closed twice', async () => {
    const client = clientFor(emulator);
    await emulator.close();
    await emulator.close();
    await expect(client.send(new ListItemsCommand({}))).rejects.toThrow();
  });

  it('throws TypeError from putObjectDirect when the path is invalid', () => {
    expect(() => emulator.putObjectDirect('../escape.ts', 'x')).toThrow(TypeError);
  });
});
