import { request } from 'node:http';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { S3Emulator } from '../../src/emulators/s3/s3.emulator.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { CreateObjectUploadDocument, GetObjectDocument, ListObjectsDocument } from '../generated/graphql.js';
import { errorCodes, execute, TEST_SIGNING_SECRET } from '../helpers/gateway.js';
import { within } from '../helpers/within.js';

const MiB = 1024 * 1024;
const PREFIX = 'media/';

/** What only the S3 store does, end to end: multipart aborts, throttling, denials and a missing bucket. */
describe('Objects API on S3: upstream faults', () => {
  let emulator: S3Emulator;
  let gateway: Gateway;
  const logs: string[] = [];

  beforeAll(async () => {
    process.env['AWS_ACCESS_KEY_ID'] ??= 'AKIDTESTGATEWAY';
    process.env['AWS_SECRET_ACCESS_KEY'] ??= 'test-secret';
    emulator = await S3Emulator.start();
    const sink = new Writable({ write: (chunk: Buffer, _encoding, callback) => (logs.push(chunk.toString()), callback()) });
    const config = loadConfig({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      SIGNING_SECRET: TEST_SIGNING_SECRET,
      S3_ENDPOINT: emulator.endpoint,
      S3_BUCKET: emulator.bucket,
      S3_PREFIX: PREFIX,
      UPSTREAM_MAX_ATTEMPTS: '3',
    });
    gateway = await startGateway(config, { logger: createLogger('info', sink) });
    emulator.putObjectDirect(`${PREFIX}vod/a.txt`, 'a');
  });

  afterAll(async () => {
    await gateway.close();
    await emulator.close();
  });

  const graphqlUrl = (): string => `${gateway.url}/graphql`;

  it('aborts the multipart upload, leaving no parts, when the client goes away mid-upload (B1)', async () => {
    const upload = await execute(graphqlUrl(), CreateObjectUploadDocument, { input: { path: 'up/abandoned.bin' } });
    const target = new URL(upload.data?.createObjectUpload.url ?? '');
    const put = request({ host: target.hostname, port: target.port, method: 'PUT', path: `${target.pathname}${target.search}`, headers: { 'content-length': String(64 * MiB) } });
    put.on('error', () => undefined);
    for (let i = 0; i < 12; i += 1) put.write(Buffer.alloc(MiB, i));
    // Two parts reached S3: a multipart upload is in progress.
    await within(emulator.waitForBodyBytes(`${PREFIX}up/abandoned.bin`, 10 * MiB), 10_000, 'two parts to reach S3');
    expect(emulator.multipartUploads()).toHaveLength(1);
    put.destroy();
    // The emulator handles an abort as it records it, before this wait resolves.
    await within(emulator.waitForRequest((entry) => entry.operation === 'AbortMultipartUpload'), 10_000, 'the abort');
    expect(emulator.multipartUploads()).toEqual([]);
    expect(emulator.readObjectDirect(`${PREFIX}up/abandoned.bin`)).toBeUndefined();
  });

  it('retries SlowDown bursts without an error, and answers retryable UPSTREAM_THROTTLED when they persist (B2)', async () => {
    emulator.injectFault({ kind: 'throttle', operation: 'ListObjectsV2', times: 2 });
    const retried = await execute(graphqlUrl(), ListObjectsDocument, { path: 'vod', first: 10, after: null });
    expect(retried.errors).toBeUndefined();
    expect(retried.data?.objects.edges.map((edge) => edge.node.path)).toEqual(['vod/a.txt']);
    emulator.injectFault({ kind: 'throttle', operation: 'ListObjectsV2' });
    try {
      const refused = await execute(graphqlUrl(), ListObjectsDocument, { path: 'vod', first: 10, after: null });
      expect(refused.status).toBe(200);
      expect(errorCodes(refused)).toEqual(['UPSTREAM_THROTTLED']);
      expect(refused.errors?.[0]?.extensions?.['retryable']).toBe(true);
    } finally {
      emulator.clearFaults();
    }
  });

  it('answers UPSTREAM_FORBIDDEN without S3\'s message when S3 denies the gateway', async () => {
    emulator.injectFault({ kind: 'deny', operation: 'HeadObject', message: 'denied by policy arn:aws:iam::123456789012:policy/media-readers', times: 1 });
    const response = await execute(graphqlUrl(), GetObjectDocument, { path: 'vod/a.txt' });
    expect(errorCodes(response)).toEqual(['UPSTREAM_FORBIDDEN']);
    expect(response.errors?.[0]?.extensions?.['retryable']).toBe(false);
    expect(JSON.stringify(response)).not.toContain('arn:aws');
  });
});

describe('Gateway startup on S3', () => {
  it('refuses to start, naming the bucket, when S3_BUCKET does not exist', async () => {
    const emulator = await S3Emulator.start();
    try {
      const config = loadConfig({ NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', SIGNING_SECRET: TEST_SIGNING_SECRET, S3_ENDPOINT: emulator.endpoint, S3_BUCKET: 'no-such-bucket' });
      const silent = new Writable({ write: (_chunk, _encoding, callback) => callback() });
      const started = startGateway(config, { logger: createLogger('warn', silent) });
      await expect(started).rejects.toBeInstanceOf(ConfigError);
      await expect(started).rejects.toThrow('S3_BUCKET: the bucket "no-such-bucket" does not exist');
    } finally {
      await emulator.close();
    }
  });
});
