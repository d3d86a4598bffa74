import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { MediaStoreEmulator, type MediaStoreOperation } from '../../src/emulators/mediastore/mediastore.emulator.js';
import { S3Emulator, type S3Operation } from '../../src/emulators/s3/s3.emulator.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { TEST_SIGNING_SECRET } from './gateway.js';
import { RecordingProxy } from './recording-proxy.js';
import { S3RVER_CREDENTIALS, startS3rver } from './s3rver.js';

/**
 * The object stores the Objects API suites run against, behind one probe each, so a suite is written once and
 * `describe.each`-ed over them: the MediaStore emulator (legacy store), the S3 emulator, and s3rver (an independent
 * S3 implementation) behind a recording proxy. Paths are the API's paths; each probe maps them to its store (the S3
 * stores keep every object under an `S3_PREFIX`, so the prefix is exercised too).
 */

/** Which store a gateway under test uses. */
export type StoreKind = 'mediastore' | 's3' | 's3rver';

/** Every store kind, in the order suites run them. */
export const STORE_KINDS: readonly StoreKind[] = ['mediastore', 's3', 's3rver'];

/** Store operations named alike for every store. */
export type StoreOperation = 'list' | 'describe' | 'get' | 'put' | 'delete';

/** What a suite can ask of the store behind a gateway. Optional members are missing where the store cannot do it. */
export interface StoreProbe {
  readonly kind: StoreKind;
  /** The `ObjectStore.provider` the gateway uses (`mediastore` or `s3`), e.g. for a cursor's list key. */
  readonly provider: 'mediastore' | 's3';
  /** The ETag the store gives `body` when stored in one piece, quoted as the API shows it. */
  eTagOf(body: Buffer | string): string;
  /** Largest object the gateway accepts per upload availability, as `createObjectUpload.maxBytes` reports it. */
  readonly maxBytes: { readonly STANDARD: number; readonly STREAMING: number };
  /**
   * How a streamed upload reaches the store: `relayBytes` is how much the client must have sent before the first
   * `waitBytes` arrive upstream (MediaStore relays as it goes; S3 fills a 5 MiB part first).
   */
  readonly relay: { readonly relayBytes: number; readonly waitBytes: number };
  /** Whether a STREAMING upload's chunks reach the store before the client's body ends (MediaStore only). */
  readonly streamsChunks: boolean;
  /** Lifetime of the store's page tokens (MediaStore: 15 min); `undefined` when they do not expire (S3). */
  readonly tokenTtlMs: number | undefined;
  /** Stores an object without the gateway. */
  putDirect(path: string, body: Buffer | string, meta?: { contentType?: string; cacheControl?: string }): Promise<void>;
  /** Stores many objects without the gateway, several at a time. */
  putManyDirect(objects: readonly { path: string; body: string; contentType?: string }[]): Promise<void>;
  /** The object's bytes read without the gateway, `undefined` when there is none. */
  readDirect(path: string): Promise<Buffer | undefined>;
  /** Requests the store received since the last {@link StoreProbe.resetRequests}, of one operation when given. */
  count(operation?: StoreOperation): number;
  resetRequests(): void;
  /** The most requests of `operation` in flight at once since the last reset. */
  peakInFlight(operation: StoreOperation): number;
  /** Resolves once uploads of `path` brought at least `bytes` body bytes to the store. */
  waitForBodyBytes(path: string, bytes: number): Promise<void>;
  /** How each upload request that reached the store framed its body (MediaStore PutObject; S3 PutObject and parts). */
  uploadFraming(): string[];
  /** Holds every request of `operation` at the store for `ms`; 0 stops. */
  setLatency(operation: StoreOperation, ms: number): void;
  /** Makes the store answer at most `maxItems` entries per listing call; `undefined` where it cannot (s3rver). */
  readonly shortPages: ((maxItems: number) => void) | undefined;
  /** Moves the store's clock (page token expiry); `undefined` where the store has none to move. */
  readonly skewClock: ((ms: number) => void) | undefined;
  /** Removes injected faults and latency. */
  clearFaults(): void;
}

/** A gateway wired to one store, plus that store's probe. */
export interface StoreGateway {
  readonly gateway: Gateway;
  readonly graphqlUrl: string;
  readonly store: StoreProbe;
  /** Every log line the gateway wrote. */
  readonly logs: string[];
  close(): Promise<void>;
}

const MEDIASTORE_OPS: Readonly<Record<StoreOperation, readonly MediaStoreOperation[]>> = {
  list: ['ListItems'],
  describe: ['DescribeObject'],
  get: ['GetObject'],
  put: ['PutObject'],
  delete: ['DeleteObject'],
};

const S3_OPS: Readonly<Record<StoreOperation, readonly S3Operation[]>> = {
  list: ['ListObjectsV2'],
  describe: ['HeadObject'],
  get: ['GetObject'],
  put: ['PutObject', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload'],
  delete: ['DeleteObject'],
};

const S3_UPLOAD_OPS: readonly S3Operation[] = ['PutObject', 'UploadPart'];
const MiB = 1024 * 1024;
/** S3 stores under a prefix in these suites, so keys outside it are never touched. */
const E2E_PREFIX = 'e2e-root/';
const S3_MAX_BYTES = 10_000 * 5 * MiB;

function md5(body: Buffer | string): string {
  return createHash('md5').update(body).digest('hex');
}

function mediaStoreProbe(emulator: MediaStoreEmulator, skew: (ms: number) => void): StoreProbe {
  const count = (operation?: StoreOperation): number =>
    operation === undefined ? emulator.count() : MEDIASTORE_OPS[operation].reduce((total, name) => total + emulator.count(name), 0);
  return {
    kind: 'mediastore',
    provider: 'mediastore',
    eTagOf: (body) => `"${md5(body)}"`,
    maxBytes: { STANDARD: 25 * MiB, STREAMING: 10 * MiB },
    relay: { relayBytes: MiB, waitBytes: MiB },
    streamsChunks: true,
    tokenTtlMs: 15 * 60_000,
    putDirect: async (path, body, meta = {}) => emulator.putObjectDirect(path, body, meta),
    putManyDirect: async (objects) => {
      for (const object of objects) emulator.putObjectDirect(object.path, object.body, { contentType: object.contentType });
    },
    readDirect: async (path) => emulator.readObjectDirect(path),
    count,
    resetRequests: () => emulator.resetRequests(),
    peakInFlight: (operation) => Math.max(...MEDIASTORE_OPS[operation].map((name) => emulator.peakInFlight(name))),
    waitForBodyBytes: (path, bytes) => emulator.waitForBodyBytes(path, bytes),
    uploadFraming: () => emulator.requests.filter((entry) => entry.operation === 'PutObject').map((entry) => entry.bodyFraming),
    setLatency: (operation, ms) => {
      if (ms > 0) for (const name of MEDIASTORE_OPS[operation]) emulator.injectFault({ kind: 'latency', ms, operation: name });
      else emulator.clearFaults();
    },
    shortPages: (maxItems) => emulator.injectFault({ kind: 'short-page', maxItems, operation: 'ListItems' }),
    skewClock: skew,
    clearFaults: () => emulator.clearFaults(),
  };
}

function s3EmulatorProbe(emulator: S3Emulator): StoreProbe {
  const count = (operation?: StoreOperation): number =>
    operation === undefined ? emulator.count() : S3_OPS[operation].reduce((total, name) => total + emulator.count(name), 0);
  return {
    kind: 's3',
    provider: 's3',
    eTagOf: (body) => `"${md5(body)}"`,
    maxBytes: { STANDARD: S3_MAX_BYTES, STREAMING: S3_MAX_BYTES },
    relay: { relayBytes: 6 * MiB, waitBytes: 5 * MiB },
    streamsChunks: false,
    tokenTtlMs: undefined,
    putDirect: async (path, body, meta = {}) => emulator.putObjectDirect(`${E2E_PREFIX}${path}`, body, meta),
    putManyDirect: async (objects) => {
      for (const object of objects) emulator.putObjectDirect(`${E2E_PREFIX}${object.path}`, object.body, { contentType: object.contentType });
    },
    readDirect: async (path) => emulator.readObjectDirect(`${E2E_PREFIX}${path}`),
    count,
    resetRequests: () => emulator.resetRequests(),
    peakInFlight: (operation) => Math.max(...S3_OPS[operation].map((name) => emulator.peakInFlight(name))),
    waitForBodyBytes: (path, bytes) => emulator.waitForBodyBytes(`${E2E_PREFIX}${path}`, bytes),
    uploadFraming: () => emulator.requests.filter((entry) => S3_UPLOAD_OPS.includes(entry.operation)).map((entry) => entry.bodyFraming),
    setLatency: (operation, ms) => {
      if (ms > 0) for (const name of S3_OPS[operation]) emulator.injectFault({ kind: 'latency', ms, operation: name });
      else emulator.clearFaults();
    },
    shortPages: (maxKeys) => emulator.injectFault({ kind: 'short-page', maxKeys, operation: 'ListObjectsV2' }),
    skewClock: undefined,
    clearFaults: () => emulator.clearFaults(),
  };
}

function s3rverProbe(proxy: RecordingProxy, client: S3Client, bucket: string): StoreProbe {
  const count = (operation?: StoreOperation): number =>
    proxy.requests.filter((entry) => operation === undefined || S3_OPS[operation].includes(entry.operation)).length;
  const put = async (path: string, body: Buffer | string, meta: { contentType?: string; cacheControl?: string } = {}): Promise<void> => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${E2E_PREFIX}${path}`, Body: body, ContentType: meta.contentType ?? 'binary/octet-stream', CacheControl: meta.cacheControl }));
  };
  return {
    kind: 's3rver',
    provider: 's3',
    eTagOf: (body) => `"${md5(body)}"`,
    maxBytes: { STANDARD: S3_MAX_BYTES, STREAMING: S3_MAX_BYTES },
    relay: { relayBytes: 6 * MiB, waitBytes: 5 * MiB },
    streamsChunks: false,
    tokenTtlMs: undefined,
    putDirect: put,
    putManyDirect: async (objects) => {
      const limit = pLimit(16);
      await Promise.all(objects.map((object) => limit(() => put(object.path, object.body, { contentType: object.contentType }))));
    },
    readDirect: async (path) => {
      try {
        const output = await client.send(new GetObjectCommand({ Bucket: bucket, Key: `${E2E_PREFIX}${path}` }));
        return Buffer.from((await output.Body?.transformToByteArray()) ?? []);
      } catch (error) {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return undefined;
        throw error;
      }
    },
    count,
    resetRequests: () => proxy.reset(),
    peakInFlight: (operation) => Math.max(...S3_OPS[operation].map((name) => proxy.peakInFlight(name))),
    waitForBodyBytes: (path, bytes) => proxy.waitForBodyBytes(`${E2E_PREFIX}${path}`, bytes),
    uploadFraming: () => proxy.requests.filter((entry) => S3_UPLOAD_OPS.includes(entry.operation)).map((entry) => entry.bodyFraming),
    setLatency: (operation, ms) => {
      for (const name of S3_OPS[operation]) proxy.setLatency(name, ms);
    },
    // The proxy cannot shorten a page: the continuation token of a shorter page is s3rver's to mint.
    shortPages: undefined,
    skewClock: undefined,
    clearFaults: () => {
      for (const operations of Object.values(S3_OPS)) for (const name of operations) proxy.setLatency(name, 0);
    },
  };
}

/** A gateway over `env` whose logs are kept; closes `cleanup` too when it fails to start or closes. */
async function gatewayOver(env: Record<string, string>, store: StoreProbe, cleanup: () => Promise<void>): Promise<StoreGateway> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  let gateway: Gateway;
  try {
    const config = loadConfig({ NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', SIGNING_SECRET: TEST_SIGNING_SECRET, UPSTREAM_MAX_ATTEMPTS: '2', SHUTDOWN_GRACE_MS: '2000', ...env });
    gateway = await startGateway(config, { logger: createLogger('info', sink) });
  } catch (error) {
    await cleanup();
    throw error;
  }
  return {
    gateway,
    graphqlUrl: `${gateway.url}/graphql`,
    store,
    logs,
    close: async () => {
      await gateway.close();
      await cleanup();
    },
  };
}

/** Options of {@link startStoreGateway}. */
export interface StoreGatewayOptions {
  /** Configuration variables for the gateway (they win over the store's own). */
  readonly env?: Record<string, string>;
}

/**
 * Starts the store of `kind` and a gateway wired to it through configuration, as a deployment would be
 * (`MEDIASTORE_ENDPOINT`, or `OBJECT_STORE=s3` with `S3_ENDPOINT`, `S3_BUCKET` and `S3_PREFIX`). The gateway's AWS
 * credentials come from the SDK's default chain; s3rver checks them, so they are s3rver's.
 */
export async function startStoreGateway(kind: StoreKind, options: StoreGatewayOptions = {}): Promise<StoreGateway> {
  process.env['AWS_ACCESS_KEY_ID'] = S3RVER_CREDENTIALS.accessKeyId;
  process.env['AWS_SECRET_ACCESS_KEY'] = S3RVER_CREDENTIALS.secretAccessKey;
  const env = options.env ?? {};
  if (kind === 'mediastore') {
    let skew = 0;
    const emulator = await MediaStoreEmulator.start({ now: () => Date.now() + skew });
    const probe = mediaStoreProbe(emulator, (ms) => {
      skew = ms;
    });
    return gatewayOver({ OBJECT_STORE: 'mediastore', MEDIASTORE_ENDPOINT: emulator.endpoint, ...env }, probe, () => emulator.close());
  }
  if (kind === 's3') {
    const emulator = await S3Emulator.start();
    return gatewayOver({ OBJECT_STORE: 's3', S3_ENDPOINT: emulator.endpoint, S3_BUCKET: emulator.bucket, S3_PREFIX: E2E_PREFIX, ...env }, s3EmulatorProbe(emulator), () =>
      emulator.close(),
    );
  }
  const server = await startS3rver();
  const proxy = await RecordingProxy.start(server.endpoint);
  const client = new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
  const cleanup = async (): Promise<void> => {
    client.destroy();
    await proxy.close();
    await server.close();
  };
  return gatewayOver({ OBJECT_STORE: 's3', S3_ENDPOINT: proxy.endpoint, S3_BUCKET: server.bucket, S3_PREFIX: E2E_PREFIX, ...env }, s3rverProbe(proxy, client, server.bucket), cleanup);
}
