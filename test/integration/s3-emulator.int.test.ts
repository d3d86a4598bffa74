import { createHash, randomBytes } from 'node:crypto';
import { Agent } from 'node:http';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { S3Emulator } from '../../src/emulators/s3/s3.emulator.js';
import { seedS3Demo } from '../../src/emulators/s3/s3.seed.js';

const credentials = { accessKeyId: 'AKIDS3EMULATORTEST', secretAccessKey: 'secret' };

function clientFor(endpoint: string, options: { forcePathStyle?: boolean; maxAttempts?: number; httpAgent?: Agent } = {}): S3Client {
  return new S3Client({ endpoint, region: 'us-east-1', credentials, forcePathStyle: options.forcePathStyle ?? true, maxAttempts: options.maxAttempts ?? 1, ...(options.httpAgent ? { requestHandler: { httpAgent: options.httpAgent } } : {}) });
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

async function failure(promise: Promise<unknown>): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { name: (error as Error).name, status: statusOf(error), message: (error as Error).message };
  }
  throw new Error('expected the call to fail');
}

describe('S3 emulator through the SDK', () => {
  let emulator: S3Emulator;
  let client: S3Client;
  let clock = Date.now();
  const Bucket = 'media-graph';

  beforeAll(async () => {
    emulator = await S3Emulator.start({ now: () => clock, maxPutObjectBytes: 64 * 1024 });
    client = clientFor(emulator.endpoint);
  });

  afterAll(async () => {
    client.destroy();
    await emulator.close();
  });

  afterEach(() => {
    emulator.clearFaults();
    clock = Date.now();
  });

  it('lists folders as common prefixes and pages through every entry exactly once', async () => {
    for (let i = 0; i < 25; i += 1) emulator.putObjectDirect(`list/item-${String(i).padStart(3, '0')}`, `v${i}`);
    emulator.putObjectDirect('list/sub/a', 'a');
    emulator.putObjectDirect('list/sub/b', 'b');
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'list/', Delimiter: '/', MaxKeys: 10, ContinuationToken: token }));
      expect(page.KeyCount).toBe((page.Contents?.length ?? 0) + (page.CommonPrefixes?.length ?? 0));
      seen.push(...(page.Contents ?? []).map((item) => item.Key ?? ''), ...(page.CommonPrefixes ?? []).map((item) => item.Prefix ?? ''));
      token = page.NextContinuationToken;
      pages += 1;
    } while (token !== undefined);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(26);
    expect(new Set(seen).size).toBe(26);
    expect(seen).toContain('list/sub/');
  });

  it('caps max-keys at 1000 and starts after StartAfter', async () => {
    const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'list/', MaxKeys: 5000, StartAfter: 'list/item-020' }));
    expect(page.MaxKeys).toBe(1000);
    expect(page.Contents?.map((item) => item.Key)).toEqual(['list/item-021', 'list/item-022', 'list/item-023', 'list/item-024', 'list/sub/a', 'list/sub/b']);
  });

  it('refuses a continuation token from another listing with InvalidArgument', async () => {
    const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'list/', MaxKeys: 2 }));
    expect(await failure(client.send(new ListObjectsV2Command({ Bucket, Prefix: 'other/', ContinuationToken: page.NextContinuationToken })))).toMatchObject({ name: 'InvalidArgument', status: 400 });
  });

  it('serves ranges as S3 does: 206, 416 with Content-Range, and the whole object for an unparsable range', async () => {
    const body = randomBytes(10_000);
    emulator.putObjectDirect('range/obj.bin', body);
    const part = await client.send(new GetObjectCommand({ Bucket, Key: 'range/obj.bin', Range: 'bytes=9990-' }));
    expect(part.ContentRange).toBe('bytes 9990-9999/10000');
    expect(Buffer.from(await part.Body!.transformToByteArray()).equals(body.subarray(9990))).toBe(true);
    const outside = await failure(client.send(new GetObjectCommand({ Bucket, Key: 'range/obj.bin', Range: 'bytes=10000-' })));
    expect(outside).toMatchObject({ name: 'InvalidRange', status: 416 });
    const raw = await fetch(await getSignedUrl(client, new GetObjectCommand({ Bucket, Key: 'range/obj.bin' })), { headers: { range: 'bytes=-0' } });
    expect(raw.status).toBe(416);
    expect(raw.headers.get('content-range')).toBe('bytes */10000');
    for (const range of ['bytes=50-10', 'bytes=0-1,5-6', 'items=0-5']) {
      const whole = await client.send(new GetObjectCommand({ Bucket, Key: 'range/obj.bin', Range: range }));
      expect(whole.ContentLength, range).toBe(10_000);
      expect(whole.ContentRange, range).toBeUndefined();
      await whole.Body!.transformToByteArray();
    }
  });

  it('answers 304 and 412 for preconditions on GetObject and HeadObject', async () => {
    emulator.putObjectDirect('cond/a.txt', 'conditional');
    const head = await client.send(new HeadObjectCommand({ Bucket, Key: 'cond/a.txt' }));
    expect(head.ETag).toBe(`"${createHash('md5').update('conditional').digest('hex')}"`);
    expect(await failure(client.send(new GetObjectCommand({ Bucket, Key: 'cond/a.txt', IfNoneMatch: head.ETag })))).toMatchObject({ status: 304 });
    expect(await failure(client.send(new HeadObjectCommand({ Bucket, Key: 'cond/a.txt', IfModifiedSince: head.LastModified })))).toMatchObject({ status: 304 });
    expect(await failure(client.send(new GetObjectCommand({ Bucket, Key: 'cond/a.txt', IfMatch: '"other"' })))).toMatchObject({ name: 'PreconditionFailed', status: 412 });
    const fresh = await client.send(new GetObjectCommand({ Bucket, Key: 'cond/a.txt', IfMatch: head.ETag }));
    expect(await fresh.Body!.transformToString()).toBe('conditional');
  });

  it('names missing keys NoSuchKey on GET and NotFound on HEAD, and deletes missing keys with 204', async () => {
    expect(await failure(client.send(new GetObjectCommand({ Bucket, Key: 'missing' })))).toMatchObject({ name: 'NoSuchKey', status: 404 });
    expect(await failure(client.send(new HeadObjectCommand({ Bucket, Key: 'missing' })))).toMatchObject({ name: 'NotFound', status: 404 });
    const deleted = await client.send(new DeleteObjectCommand({ Bucket, Key: 'missing' }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
  });

  it('answers NoSuchBucket for a missing bucket, and HeadBucket 200 for an existing one', async () => {
    expect((await client.send(new HeadBucketCommand({ Bucket }))).$metadata.httpStatusCode).toBe(200);
    expect(await failure(client.send(new HeadBucketCommand({ Bucket: 'no-such-bucket' })))).toMatchObject({ status: 404 });
    expect(await failure(client.send(new ListObjectsV2Command({ Bucket: 'no-such-bucket' })))).toMatchObject({ name: 'NoSuchBucket', status: 404 });
  });

  it('stores PutObject bodies framed with Content-Length or aws-chunked, and refuses bodies over the PUT limit', async () => {
    await client.send(new PutObjectCommand({ Bucket, Key: 'put/plain.txt', Body: 'plain', ContentType: 'text/plain', CacheControl: 'max-age=9' }));
    await client.send(new PutObjectCommand({ Bucket, Key: 'put/streamed.txt', Body: Readable.from([Buffer.from('stre'), Buffer.from('amed')]), ContentLength: 8 }));
    expect(emulator.readObjectDirect('put/plain.txt')?.toString()).toBe('plain');
    expect(emulator.readObjectDirect('put/streamed.txt')?.toString()).toBe('streamed');
    const head = await client.send(new HeadObjectCommand({ Bucket, Key: 'put/plain.txt' }));
    expect(head).toMatchObject({ ContentType: 'text/plain', CacheControl: 'max-age=9', ContentLength: 5 });
    expect(await failure(client.send(new PutObjectCommand({ Bucket, Key: 'put/big.bin', Body: randomBytes(64 * 1024 + 1) })))).toMatchObject({ name: 'EntityTooLarge', status: 400 });
    expect(emulator.readObjectDirect('put/big.bin')).toBeUndefined();
  });

  it('assembles a lib-storage multipart upload with the multipart ETag and leaves no upload in progress', async () => {
    const body = randomBytes(11 * 1024 * 1024 + 3);
    const upload = new Upload({ client, params: { Bucket, Key: 'mp/big.bin', Body: Readable.from([body]) }, partSize: 5 * 1024 * 1024, queueSize: 2 });
    const result = await upload.done();
    expect(result.ETag).toMatch(/^"[0-9a-f]{32}-3"$/);
    expect(emulator.readObjectDirect('mp/big.bin')?.equals(body)).toBe(true);
    expect(emulator.receivedBodyBytes('mp/big.bin')).toBe(body.length);
    expect((await client.send(new ListMultipartUploadsCommand({ Bucket }))).Uploads ?? []).toEqual([]);
  });

  it('refuses to complete with a small non-last part, out-of-order parts or unknown parts, and aborts', async () => {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key: 'mp/bad.bin' }));
    const one = await client.send(new UploadPartCommand({ Bucket, Key: 'mp/bad.bin', UploadId, PartNumber: 1, Body: Buffer.alloc(1024) }));
    const two = await client.send(new UploadPartCommand({ Bucket, Key: 'mp/bad.bin', UploadId, PartNumber: 2, Body: Buffer.alloc(10) }));
    const listed = await client.send(new ListMultipartUploadsCommand({ Bucket, Prefix: 'mp/' }));
    expect(listed.Uploads?.map((upload) => [upload.Key, upload.UploadId])).toEqual([['mp/bad.bin', UploadId]]);
    const complete = (parts: { PartNumber: number; ETag: string | undefined }[]) =>
      client.send(new CompleteMultipartUploadCommand({ Bucket, Key: 'mp/bad.bin', UploadId, MultipartUpload: { Parts: parts } }));
    expect(await failure(complete([{ PartNumber: 1, ETag: one.ETag }, { PartNumber: 2, ETag: two.ETag }]))).toMatchObject({ name: 'EntityTooSmall', status: 400 });
    expect(await failure(complete([{ PartNumber: 2, ETag: two.ETag }, { PartNumber: 1, ETag: one.ETag }]))).toMatchObject({ name: 'InvalidPartOrder' });
    expect(await failure(complete([{ PartNumber: 3, ETag: one.ETag }]))).toMatchObject({ name: 'InvalidPart' });
    expect(await failure(client.send(new UploadPartCommand({ Bucket, Key: 'mp/bad.bin', UploadId, PartNumber: 10_001, Body: 'x' })))).toMatchObject({ name: 'InvalidArgument' });
    await client.send(new AbortMultipartUploadCommand({ Bucket, Key: 'mp/bad.bin', UploadId }));
    expect(emulator.multipartUploads()).toEqual([]);
    expect(await failure(client.send(new AbortMultipartUploadCommand({ Bucket, Key: 'mp/bad.bin', UploadId })))).toMatchObject({ name: 'NoSuchUpload', status: 404 });
  });

  it('accepts presigned GET and PUT URLs until they expire', async () => {
    // Presigned with checksums only when required: the SDK's default signs the CRC32 of an empty body into a PUT URL.
    const presigner = new S3Client({ endpoint: emulator.endpoint, region: 'us-east-1', credentials, forcePathStyle: true, requestChecksumCalculation: 'WHEN_REQUIRED' });
    const put = await getSignedUrl(presigner, new PutObjectCommand({ Bucket, Key: 'presigned/a.txt', ContentType: 'text/plain' }), { expiresIn: 60 });
    presigner.destroy();
    expect((await fetch(put, { method: 'PUT', body: 'direct', headers: { 'content-type': 'text/plain' } })).status).toBe(200);
    const defaulted = await getSignedUrl(client, new PutObjectCommand({ Bucket, Key: 'presigned/b.txt' }), { expiresIn: 60 });
    const refused = await fetch(defaulted, { method: 'PUT', body: 'direct' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('<Code>BadDigest</Code>');
    const get = await getSignedUrl(client, new GetObjectCommand({ Bucket, Key: 'presigned/a.txt' }), { expiresIn: 60 });
    const ok = await fetch(get);
    expect(ok.headers.get('content-type')).toBe('text/plain');
    expect(await ok.text()).toBe('direct');
    expect(emulator.requests.at(-1)?.auth).toBe('query');
    clock += 61_000;
    const late = await fetch(get);
    expect(late.status).toBe(403);
    expect(await late.text()).toContain('<Code>AccessDenied</Code>');
  });

  it('refuses anonymous requests with AccessDenied', async () => {
    const response = await fetch(`${emulator.endpoint}/${Bucket}/presigned/a.txt`);
    expect(response.status).toBe(403);
  });

  it('serves virtual-hosted requests as the SDK sends them without forcePathStyle', async () => {
    // bucket.localhost must reach the emulator whatever the system resolver does with *.localhost.
    const agent = new Agent({ lookup: (_host, _options, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]) });
    const hosted = clientFor(emulator.endpoint.replace('127.0.0.1', 'localhost'), { forcePathStyle: false, httpAgent: agent });
    try {
      await hosted.send(new PutObjectCommand({ Bucket, Key: 'vhost/a.txt', Body: 'hosted' }));
      expect(emulator.requests.at(-1)).toMatchObject({ addressing: 'virtual-host', bucket: Bucket, key: 'vhost/a.txt' });
      expect(emulator.readObjectDirect('vhost/a.txt')?.toString()).toBe('hosted');
    } finally {
      hosted.destroy();
      agent.destroy();
    }
  });

  it('throttles with SlowDown, which the SDK retries', async () => {
    emulator.injectFault({ kind: 'throttle', operation: 'HeadObject', times: 1 });
    const retrying = clientFor(emulator.endpoint, { maxAttempts: 3 });
    try {
      emulator.resetRequests();
      await retrying.send(new HeadObjectCommand({ Bucket, Key: 'cond/a.txt' }));
      expect(emulator.count('HeadObject')).toBe(2);
      emulator.injectFault({ kind: 'throttle', operation: 'GetObject', times: 1 });
      expect(await failure(client.send(new GetObjectCommand({ Bucket, Key: 'cond/a.txt' })))).toMatchObject({ name: 'SlowDown', status: 503 });
    } finally {
      retrying.destroy();
    }
  });

  it('denies with AccessDenied and the message it was given', async () => {
    emulator.injectFault({ kind: 'deny', operation: 'ListObjectsV2', message: 'policy arn:aws:iam::123:policy/secret', times: 1 });
    expect(await failure(client.send(new ListObjectsV2Command({ Bucket })))).toMatchObject({ name: 'AccessDenied', status: 403, message: 'policy arn:aws:iam::123:policy/secret' });
  });

  it('drops the connection mid-body after the bytes it was told to send', async () => {
    emulator.putObjectDirect('drop/a.bin', randomBytes(200_000));
    emulator.injectFault({ kind: 'drop', operation: 'GetObject', afterBytes: 50_000, times: 1 });
    const object = await client.send(new GetObjectCommand({ Bucket, Key: 'drop/a.bin' }));
    expect(object.ContentLength).toBe(200_000);
    await expect(object.Body!.transformToByteArray()).rejects.toThrow();
  });

  it('shortens pages under a short-page fault and still reaches every entry', async () => {
    emulator.injectFault({ kind: 'short-page', maxKeys: 4 });
    const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'list/', MaxKeys: 100 }));
    expect(page.KeyCount).toBe(4);
    expect(page.IsTruncated).toBe(true);
    const next = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'list/', MaxKeys: 100, ContinuationToken: page.NextContinuationToken }));
    expect(next.Contents?.[0]?.Key).toBe('list/item-004');
  });

  it('seeds the demo objects under a prefix', async () => {
    seedS3Demo(emulator, 'demo/');
    const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: 'demo/', Delimiter: '/' }));
    expect(page.Contents?.map((item) => item.Key)).toEqual(['demo/README.txt']);
    expect(page.CommonPrefixes?.map((item) => item.Prefix)).toEqual(['demo/live/', 'demo/thumbnails/', 'demo/vod/']);
  });
});
