import { createHash } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { PassThrough, Readable, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type { MediaStoreDataClient } from '@aws-sdk/client-mediastore-data';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMediaStoreClient } from '../../src/datasources/mediastore/mediastore.client.js';
import { MEDIASTORE_LIMITS, MediaStoreDataSource } from '../../src/datasources/mediastore/mediastore.datasource.js';
import type { ObjectEntry, PutObjectInput } from '../../src/datasources/object-store/object-store.js';
import { MediaStoreEmulator } from '../../src/emulators/mediastore/mediastore.emulator.js';
import { DomainError } from '../../src/core/domain-error.js';
import { CursorCodec } from '../../src/pagination/cursor-codec.js';
import { paginateForward } from '../../src/pagination/paginate.js';
import { runContractBodies } from '../contract/bodies/contract-body.js';
import { OBJECT_STORE_BODIES } from '../contract/bodies/object-store.bodies.js';
import { Cleanup } from '../contract/contract-env.js';

const START_CLOCK = Date.UTC(2025, 0, 15, 12, 0, 0);
const FIFTEEN_MINUTES = 15 * 60 * 1000;
const MiB = 1024 * 1024;

let clock = START_CLOCK;
let emulator: MediaStoreEmulator;
const clients: MediaStoreDataClient[] = [];
const taps: ConnectionTap[] = [];

interface SourceOptions {
  readonly endpoint?: string;
  readonly maxAttempts?: number;
  readonly timeoutMs?: number;
  readonly idleTimeoutMs?: number;
}

/** A datasource over the real SDK client, built the way the gateway builds it. Generous timeouts unless asked. */
function dataSource(options: SourceOptions = {}): MediaStoreDataSource {
  const client = createMediaStoreClient({
    endpoint: options.endpoint ?? emulator.endpoint,
    region: 'us-east-1',
    maxAttempts: options.maxAttempts ?? 1,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  });
  clients.push(client);
  return new MediaStoreDataSource(client, { timeoutMs: options.timeoutMs ?? 10_000, idleTimeoutMs: options.idleTimeoutMs ?? 10_000 });
}

/**
 * A TCP pass-through in front of the emulator that counts client connections, so a test can see the
 * datasource close the connection of an exchange it gave up on (the emulator's own sockets are private).
 */
class ConnectionTap {
  private readonly open = new Set<Socket>();
  private idleWaiters: Array<() => void> = [];
  private opened = 0;
  private forwardLimit: number | undefined;
  private readonly held = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  static async start(target: string): Promise<ConnectionTap> {
    const url = new URL(target);
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const tap = new ConnectionTap(server, `http://127.0.0.1:${port}`);
    server.on('connection', (downstream: Socket) => tap.accept(downstream, url));
    taps.push(tap);
    return tap;
  }

  /**
   * Connections accepted from now on forward at most about `bytes` of the client's request bytes, then stop
   * reading from the client (its writes block once the socket buffers are full).
   */
  stopForwardingAfter(bytes: number): void {
    this.forwardLimit = bytes;
  }

  /**
   * Resumes reading (and dropping) the bytes of connections held by {@link stopForwardingAfter}. A paused socket
   * cannot notice that its peer closed, so call this before {@link allClosed}; a client that did not close its
   * connection then keeps it open and `allClosed` never resolves.
   */
  releaseHeld(): void {
    for (const socket of this.held) socket.resume();
    this.held.clear();
  }

  /** Connections accepted since start. */
  get connectionsOpened(): number {
    return this.opened;
  }

  /** Connections still open. */
  get connectionsOpen(): number {
    return this.open.size;
  }

  /** Resolves once no client connection is open (at once if none is). */
  allClosed(): Promise<void> {
    if (this.open.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve, reject) => this.server.close((error) => (error ? reject(error) : resolve())));
    for (const socket of this.open) socket.destroy();
    await closed;
  }

  private accept(downstream: Socket, target: URL): void {
    this.opened += 1;
    this.open.add(downstream);
    const upstream = connect(Number(target.port), target.hostname);
    const limit = this.forwardLimit;
    let forwarded = 0;
    let held = false;
    downstream.on('data', (chunk: Buffer) => {
      if (held) return; // draining after releaseHeld(): dropped
      forwarded += chunk.length;
      const more = upstream.write(chunk);
      if (limit !== undefined && forwarded >= limit) {
        // From here on the client's bytes stay unread, as when the store stops reading mid-request.
        held = true;
        downstream.pause();
        this.held.add(downstream);
      } else if (!more) {
        downstream.pause();
        upstream.once('drain', () => {
          if (!held) downstream.resume();
        });
      }
    });
    downstream.once('end', () => upstream.end());
    upstream.pipe(downstream);
    // Either side going away ends the pair; errors are the expected outcome of a destroyed exchange.
    upstream.on('error', () => downstream.destroy());
    downstream.on('error', () => upstream.destroy());
    upstream.once('close', () => downstream.destroy());
    downstream.once('close', () => {
      upstream.destroy();
      this.open.delete(downstream);
      this.held.delete(downstream);
      if (this.open.size > 0) return;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    });
  }
}

/** Settles `promise` and returns what it rejected with; fails the test when it resolves. */
async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value: unknown) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** Expects `promise` to reject with a DomainError of `code` and returns it. */
async function expectDomainError(promise: Promise<unknown>, code: DomainError['code']): Promise<DomainError> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  return error as DomainError;
}

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** Deterministic, position-dependent bytes so a wrong range or a reordered chunk is visible. */
function patternBytes(length: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let index = 0; index < length; index += 1) bytes[index] = (index * 31 + 7) & 0xff;
  return bytes;
}

function hex(algorithm: 'md5' | 'sha256', bytes: Uint8Array): string {
  return createHash(algorithm).update(bytes).digest('hex');
}

/** A stream of `total` bytes produced on demand in 64 KiB chunks, so a stalled reader really stops it. */
function lazyStream(total: number): Readable {
  let produced = 0;
  return new Readable({
    read() {
      if (produced >= total) {
        this.push(null);
        return;
      }
      const size = Math.min(64 * 1024, total - produced);
      produced += size;
      this.push(Buffer.alloc(size, 1));
    },
  });
}

function putInput(overrides: Partial<PutObjectInput> & Pick<PutObjectInput, 'path' | 'body'>): PutObjectInput {
  return { contentLength: undefined, contentType: undefined, cacheControl: undefined, uploadAvailability: 'STANDARD', ...overrides };
}

beforeEach(async () => {
  clock = START_CLOCK;
  emulator = await MediaStoreEmulator.start({ now: () => clock });
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(taps.splice(0).map((tap) => tap.close()));
  await emulator.close();
});

describe('Object store contract bodies against the MediaStore emulator', () => {
  // The bodies `npm run test:contract` runs against a real container (test/contract/bodies).
  const cleanup = new Cleanup();
  beforeEach(() => {
    for (const name of ['c.ts', 'a.ts', 'e.ts', 'b.ts', 'd.ts']) emulator.putObjectDirect(`vod/${name}`, name, { contentType: 'video/mp2t' });
    emulator.putObjectDirect('vod/sub/x.ts', 'x');
  });
  afterEach(() => cleanup.run());

  let store: MediaStoreDataSource | undefined;
  runContractBodies(OBJECT_STORE_BODIES, {
    writes: true,
    target: () => {
      store ??= dataSource();
      return { store, scratch: 'contract/run-1', listed: 'vod', cleanup };
    },
  });
  afterEach(() => {
    store = undefined;
  });
});

describe('MediaStoreDataSource list', () => {
  beforeEach(() => {
    for (const name of ['c.ts', 'a.ts', 'e.ts', 'b.ts', 'd.ts']) emulator.putObjectDirect(`vod/${name}`, name, { contentType: 'video/mp2t' });
    emulator.putObjectDirect('vod/sub/x.ts', 'x');
  });

  it('returns folders and objects of one level in name order when the folder is listed', async () => {
    const page = await dataSource().list('vod', { pageSize: 1000, token: undefined });
    expect(page.nextToken).toBeUndefined();
    expect(page.entries.map((entry) => [entry.kind, entry.name, entry.path])).toEqual([
      ['object', 'a.ts', 'vod/a.ts'],
      ['object', 'b.ts', 'vod/b.ts'],
      ['object', 'c.ts', 'vod/c.ts'],
      ['object', 'd.ts', 'vod/d.ts'],
      ['object', 'e.ts', 'vod/e.ts'],
      ['folder', 'sub', 'vod/sub'],
    ]);
    expect(page.entries[0]).toEqual({
      kind: 'object',
      name: 'a.ts',
      path: 'vod/a.ts',
      eTag: hex('md5', Buffer.from('a.ts')),
      contentType: 'video/mp2t',
      contentLength: 4,
      lastModified: new Date(START_CLOCK),
    });
  });

  it('lists the root when the folder is empty', async () => {
    const page = await dataSource().list('', { pageSize: 10, token: undefined });
    expect(page.entries).toEqual([{ kind: 'folder', name: 'vod', path: 'vod' }]);
    expect(emulator.requests[0]?.query).toBe('MaxResults=10');
  });

  it('walks every item once when following NextToken page by page', async () => {
    const source = dataSource();
    const names: string[] = [];
    let token: string | undefined;
    let calls = 0;
    do {
      const page = await source.list('vod', { pageSize: 2, token });
      expect(page.entries.length).toBeLessThanOrEqual(2);
      names.push(...page.entries.map((entry) => entry.name));
      token = page.nextToken;
      calls += 1;
    } while (token !== undefined);
    expect(names).toEqual(['a.ts', 'b.ts', 'c.ts', 'd.ts', 'e.ts', 'sub']);
    expect(calls).toBe(3);
    expect(emulator.count('ListItems')).toBe(3);
  });

  it('throws CURSOR_EXPIRED when the provider NextToken is 15 minutes old (M3)', async () => {
    const source = dataSource();
    const first = await source.list('vod', { pageSize: 2, token: undefined });
    expect(first.nextToken).toBeDefined();
    clock += FIFTEEN_MINUTES - 1;
    await expect(source.list('vod', { pageSize: 2, token: first.nextToken })).resolves.toMatchObject({ entries: [{ name: 'c.ts' }, { name: 'd.ts' }] });
    clock += 1;
    const error = await expectDomainError(source.list('vod', { pageSize: 2, token: first.nextToken }), 'CURSOR_EXPIRED');
    expect(error.cause).toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    expect(error.message).not.toMatch(/token older|expired token/i);
  });

  it('throws CURSOR_EXPIRED when the store refuses a NextToken for any reason (the reference names no token error)', async () => {
    // Provider tokens reach the store only inside signed cursors, so a refused one was issued by the store and
    // can no longer be used: the listing starts over either way.
    const source = dataSource();
    const first = await source.list('vod', { pageSize: 2, token: undefined });
    const invalid = await expectDomainError(source.list('vod', { pageSize: 2, token: 'forged.token' }), 'CURSOR_EXPIRED');
    expect(invalid.cause).toMatchObject({ name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
    await expectDomainError(source.list('vod/sub', { pageSize: 2, token: first.nextToken }), 'CURSOR_EXPIRED');
  });

  it('throws BAD_USER_INPUT, not CURSOR_EXPIRED, when the provider refuses the request itself', async () => {
    await expectDomainError(dataSource().list('vod', { pageSize: 1001, token: undefined }), 'BAD_USER_INPUT');
  });

  it('resumes from every edge when paginateForward runs over the real client', async () => {
    const source = dataSource();
    const codec = new CursorCodec(Buffer.alloc(32, 9));
    const options = {
      listKey: 'objects:mediastore:vod',
      codec,
      providerMaxPageSize: 2,
      tokenTtlMs: MEDIASTORE_LIMITS.listTokenTtlMs,
      now: () => clock,
      fetchPage: async (request: { token: string | undefined; pageSize: number }) => {
        const page = await source.list('vod', request);
        return { items: page.entries, nextToken: page.nextToken };
      },
    };
    const all = await paginateForward<ObjectEntry>({ ...options, first: 6, after: null });
    const names = all.edges.map((edge) => edge.node.name);
    expect(names).toEqual(['a.ts', 'b.ts', 'c.ts', 'd.ts', 'e.ts', 'sub']);
    for (const [index, edge] of all.edges.entries()) {
      const rest = await paginateForward<ObjectEntry>({ ...options, first: 6, after: edge.cursor });
      expect(rest.edges.map((next) => next.node.name)).toEqual(names.slice(index + 1));
    }
  });

  it('throws CURSOR_EXPIRED with 0 upstream calls when paginateForward gets a cursor older than the token lifetime', async () => {
    const source = dataSource();
    const codec = new CursorCodec(Buffer.alloc(32, 9));
    const options = {
      listKey: 'objects:mediastore:vod',
      codec,
      providerMaxPageSize: 2,
      tokenTtlMs: MEDIASTORE_LIMITS.listTokenTtlMs,
      now: () => clock,
      fetchPage: async (request: { token: string | undefined; pageSize: number }) => {
        const page = await source.list('vod', request);
        return { items: page.entries, nextToken: page.nextToken };
      },
    };
    const window = await paginateForward<ObjectEntry>({ ...options, first: 3, after: null });
    clock += FIFTEEN_MINUTES;
    emulator.resetRequests();
    await expect(paginateForward<ObjectEntry>({ ...options, first: 3, after: window.pageInfo.endCursor })).rejects.toMatchObject({
      code: 'CURSOR_EXPIRED',
    });
    expect(emulator.count()).toBe(0);
  });
});

describe('MediaStoreDataSource describe, get and delete', () => {
  const body = patternBytes(10_000);

  beforeEach(() => {
    emulator.putObjectDirect('vod/show/seg-1.ts', body, { contentType: 'video/mp2t', cacheControl: 'max-age=60' });
  });

  it('returns the metadata when an object is described', async () => {
    await expect(dataSource().describe('vod/show/seg-1.ts')).resolves.toEqual({
      path: 'vod/show/seg-1.ts',
      eTag: hex('md5', body),
      contentType: 'video/mp2t',
      contentLength: 10_000,
      lastModified: new Date(START_CLOCK),
      cacheControl: 'max-age=60',
    });
  });

  it('throws NOT_FOUND when the object does not exist', async () => {
    const source = dataSource();
    const error = await expectDomainError(source.describe('vod/show/missing.ts'), 'NOT_FOUND');
    expect(error.cause).toMatchObject({ name: 'ObjectNotFoundException' });
    await expectDomainError(source.get('vod/show/missing.ts', undefined), 'NOT_FOUND');
    await expectDomainError(source.delete('vod/show/missing.ts'), 'NOT_FOUND');
  });

  it('streams the whole body when no range is given', async () => {
    const object = await dataSource().get('vod/show/seg-1.ts', undefined);
    expect(object.contentRange).toBeUndefined();
    expect(object.bodyLength).toBe(10_000);
    expect(object.metadata).toMatchObject({ eTag: hex('md5', body), contentType: 'video/mp2t', cacheControl: 'max-age=60' });
    expect((await readAll(object.body)).equals(body)).toBe(true);
  });

  it('streams the requested bytes with their Content-Range when a range is given (206)', async () => {
    const source = dataSource();
    const head = await source.get('vod/show/seg-1.ts', 'bytes=0-99');
    expect(head.contentRange).toBe('bytes 0-99/10000');
    expect(head.bodyLength).toBe(100);
    expect((await readAll(head.body)).equals(body.subarray(0, 100))).toBe(true);
    const tail = await source.get('vod/show/seg-1.ts', 'bytes=-10');
    expect(tail.contentRange).toBe('bytes 9990-9999/10000');
    expect((await readAll(tail.body)).equals(body.subarray(9990))).toBe(true);
  });

  it('throws RANGE_NOT_SATISFIABLE when the range starts past the end (416)', async () => {
    const error = await expectDomainError(dataSource().get('vod/show/seg-1.ts', 'bytes=10000-'), 'RANGE_NOT_SATISFIABLE');
    expect(error.cause).toMatchObject({ name: 'RequestedRangeNotSatisfiableException', $metadata: { httpStatusCode: 416 } });
  });

  it('removes the object when it is deleted', async () => {
    await dataSource().delete('vod/show/seg-1.ts');
    expect(emulator.readObjectDirect('vod/show/seg-1.ts')).toBeUndefined();
    expect(emulator.count('DeleteObject')).toBe(1);
  });

  it('throws NOT_FOUND from every operation when the container does not exist', async () => {
    emulator.setContainerAvailable(false);
    const source = dataSource();
    const calls: Array<Promise<unknown>> = [
      source.list('', { pageSize: 10, token: undefined }),
      source.describe('vod/show/seg-1.ts'),
      source.get('vod/show/seg-1.ts', undefined),
      source.put(putInput({ path: 'vod/new.ts', body: Buffer.from('x') })),
      source.delete('vod/show/seg-1.ts'),
    ];
    for (const call of calls) {
      const error = await expectDomainError(call, 'NOT_FOUND');
      expect(error.cause).toMatchObject({ name: 'ContainerNotFoundException' });
      expect(error.message).toBe('The object store container does not exist.');
    }
  });
});

describe('MediaStoreDataSource put', () => {
  it('stores a Uint8Array body and returns its ETag and SHA-256', async () => {
    const bytes = new Uint8Array(patternBytes(4096));
    const result = await dataSource().put(
      putInput({ path: 'vod/new/seg.ts', body: bytes, contentLength: bytes.byteLength, contentType: 'video/mp2t', cacheControl: 'no-cache' }),
    );
    expect(result).toEqual({ eTag: hex('md5', bytes), contentSha256: hex('sha256', bytes) });
    expect(emulator.readObjectDirect('vod/new/seg.ts')?.equals(bytes)).toBe(true);
    await expect(dataSource().describe('vod/new/seg.ts')).resolves.toMatchObject({ contentType: 'video/mp2t', cacheControl: 'no-cache' });
  });

  it('stores a Readable body with a Content-Length when STANDARD availability comes with its length', async () => {
    const parts = [patternBytes(1000), patternBytes(3000), patternBytes(17)];
    const expected = Buffer.concat(parts);
    const result = await dataSource().put(putInput({ path: 'vod/stream.ts', body: Readable.from(parts), contentLength: expected.length }));
    expect(result.contentSha256).toBe(hex('sha256', expected));
    expect(emulator.readObjectDirect('vod/stream.ts')?.equals(expected)).toBe(true);
    expect(emulator.requests.filter((request) => request.operation === 'PutObject').map((request) => request.bodyFraming)).toEqual(['content-length']);
  });

  it('stores a chunked Readable body without length when availability is STREAMING', async () => {
    const upload = new PassThrough();
    const put = dataSource().put(putInput({ path: 'live/seg.ts', body: upload, uploadAvailability: 'STREAMING', contentType: 'video/mp2t' }));
    upload.write(Buffer.from('first-'));
    await emulator.waitForRequest((request) => request.operation === 'PutObject');
    upload.end(Buffer.from('second'));
    await expect(put).resolves.toMatchObject({ contentSha256: hex('sha256', Buffer.from('first-second')) });
    expect(emulator.readObjectDirect('live/seg.ts')?.toString()).toBe('first-second');
    expect(emulator.requests.filter((request) => request.operation === 'PutObject').map((request) => request.bodyFraming)).toEqual(['chunked']);
  });

  it('sends a STREAMING body chunked without a Content-Length even when its length is known', async () => {
    // The reference makes Transfer-Encoding: chunked mandatory for STREAMING; the emulator refuses a length.
    const inMemory = patternBytes(4096);
    await dataSource().put(putInput({ path: 'live/inline.ts', body: inMemory, uploadAvailability: 'STREAMING' }));
    const parts = [patternBytes(1000), patternBytes(24)];
    await dataSource().put(putInput({ path: 'live/known.ts', body: Readable.from(parts), contentLength: 1024, uploadAvailability: 'STREAMING' }));
    expect(emulator.readObjectDirect('live/inline.ts')?.equals(inMemory)).toBe(true);
    expect(emulator.readObjectDirect('live/known.ts')?.equals(Buffer.concat(parts))).toBe(true);
    expect(emulator.requests.filter((request) => request.operation === 'PutObject').map((request) => request.bodyFraming)).toEqual(['chunked', 'chunked']);
  });

  it('throws PAYLOAD_TOO_LARGE with 0 upstream calls when a body is over the limit of its availability (M1)', async () => {
    const source = dataSource();
    const cases: PutObjectInput[] = [
      putInput({ path: 'big/standard.bin', body: new Uint8Array(25 * MiB + 1) }),
      putInput({ path: 'big/standard-stream.bin', body: lazyStream(25 * MiB + 1), contentLength: 25 * MiB + 1 }),
      putInput({ path: 'big/streaming.bin', body: new Uint8Array(10 * MiB + 1), uploadAvailability: 'STREAMING' }),
      putInput({ path: 'big/streaming-stream.bin', body: lazyStream(10 * MiB + 1), contentLength: 10 * MiB + 1, uploadAvailability: 'STREAMING' }),
    ];
    for (const input of cases) {
      const error = await expectDomainError(source.put(input), 'PAYLOAD_TOO_LARGE');
      expect(error.details).toEqual({ maxBytes: input.uploadAvailability === 'STANDARD' ? 25 * MiB : 10 * MiB });
    }
    expect(emulator.count()).toBe(0);
  });

  it('throws BAD_USER_INPUT with 0 upstream calls when a STANDARD stream comes without its length', async () => {
    await expectDomainError(dataSource().put(putInput({ path: 'a.ts', body: Readable.from([Buffer.from('x')]) })), 'BAD_USER_INPUT');
    expect(emulator.count()).toBe(0);
  });

  it('rejects with the source error and aborts the request when the body stream fails mid-upload', async () => {
    const tap = await ConnectionTap.start(emulator.endpoint);
    const source = new PassThrough();
    const put = dataSource({ endpoint: tap.endpoint, idleTimeoutMs: 10_000 }).put(
      putInput({ path: 'live/broken.ts', body: source, uploadAvailability: 'STREAMING' }),
    );
    source.write(Buffer.alloc(1024, 2));
    await emulator.waitForRequest((request) => request.operation === 'PutObject');
    // What the byte endpoint's size limit does when a chunked body grows too large.
    const limit = new DomainError('PAYLOAD_TOO_LARGE', 'The object may be at most 10 bytes.');
    source.destroy(limit);
    await expect(put).rejects.toBe(limit);
    await tap.allClosed();
    expect(emulator.readObjectDirect('live/broken.ts')).toBeUndefined();
  });

  it('throws PAYLOAD_TOO_LARGE when a chunked STREAMING body grows past 10 MB while uploading', async () => {
    await expectDomainError(
      dataSource().put(putInput({ path: 'live/grow.ts', body: lazyStream(10 * MiB + 1), uploadAvailability: 'STREAMING' })),
      'PAYLOAD_TOO_LARGE',
    );
    expect(emulator.readObjectDirect('live/grow.ts')).toBeUndefined();
  });
});

describe('MediaStoreDataSource upstream failures', () => {
  beforeEach(() => {
    emulator.putObjectDirect('f/obj.bin', patternBytes(1024));
  });

  it('retries a 500 InternalServerError up to maxAttempts and then throws UPSTREAM_UNAVAILABLE (M4)', async () => {
    emulator.injectFault({ kind: 'error', status: 500, operation: 'DescribeObject' });
    const error = await expectDomainError(dataSource({ maxAttempts: 3 }).describe('f/obj.bin'), 'UPSTREAM_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.cause).toMatchObject({ name: 'InternalServerError', $metadata: { attempts: 3 } });
    expect(emulator.count('DescribeObject')).toBe(3);
  });

  it('throws UPSTREAM_UNAVAILABLE after retries when the store answers 503 ServiceUnavailable', async () => {
    emulator.injectFault({ kind: 'error', status: 503, operation: 'ListItems' });
    await expectDomainError(dataSource({ maxAttempts: 2 }).list('', { pageSize: 10, token: undefined }), 'UPSTREAM_UNAVAILABLE');
    expect(emulator.count('ListItems')).toBe(2);
  });

  // The client's adaptive retry mode enables its client-side rate limiter on the first throttling answer; on a
  // fresh client that means about 2 s per retry, so these tests keep to one retry each.
  it('succeeds after a retry when throttling stops before the attempts run out (M5)', async () => {
    emulator.injectFault({ kind: 'throttle', operation: 'DescribeObject', times: 1 });
    await expect(dataSource({ maxAttempts: 3 }).describe('f/obj.bin')).resolves.toMatchObject({ contentLength: 1024 });
    expect(emulator.count('DescribeObject')).toBe(2);
  });

  it('throws UPSTREAM_THROTTLED, never a 5xx code, after maxAttempts when throttling persists (M5)', async () => {
    emulator.injectFault({ kind: 'throttle', operation: 'ListItems' });
    const error = await expectDomainError(dataSource({ maxAttempts: 2 }).list('', { pageSize: 10, token: undefined }), 'UPSTREAM_THROTTLED');
    expect(error.retryable).toBe(true);
    expect(error.cause).toMatchObject({ name: 'ThrottlingException', $metadata: { attempts: 2 } });
    expect(emulator.count('ListItems')).toBe(2);
  });
});

/**
 * Consumes `body` through a Writable that takes bytes no faster than `bytesPerSecond` (backpressure does the rest,
 * as with a slow client), and resolves with everything it took.
 */
async function drainAtPace(body: Readable, bytesPerSecond: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let taken = 0;
  const started = Date.now();
  const slow = new Writable({
    highWaterMark: 16 * 1024,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      taken += chunk.length;
      setTimeout(callback, Math.max(0, started + (taken / bytesPerSecond) * 1000 - Date.now()));
    },
  });
  await pipeline(body, slow);
  return Buffer.concat(chunks);
}

/** A body that sends `parts` one after the other, waiting `gapMs` before the part at `pauseAt`. */
function pausingStream(parts: readonly Buffer[], pauseAt: number, gapMs: number): Readable {
  let index = 0;
  return new Readable({
    read() {
      const part = parts[index];
      if (part === undefined) {
        this.push(null);
        return;
      }
      index += 1;
      if (index - 1 === pauseAt) setTimeout(() => this.push(part), gapMs);
      else this.push(part);
    },
  });
}

describe('MediaStoreDataSource deadlines (M2)', () => {
  it('streams every byte of a download that outlasts timeoutMs when its reader is slow', async () => {
    const bytes = patternBytes(8 * MiB);
    emulator.putObjectDirect('f/slow.bin', bytes);
    const source = dataSource({ timeoutMs: 200, idleTimeoutMs: 10_000 });
    const started = Date.now();
    const object = await source.get('f/slow.bin', undefined);
    const received = await drainAtPace(object.body, 4 * MiB);
    expect(Date.now() - started).toBeGreaterThan(5 * 200);
    expect(received.equals(bytes)).toBe(true);
  });

  it('stores a streamed upload that outlasts timeoutMs and pauses longer than idleTimeoutMs at its writer\'s pace', async () => {
    const parts = Array.from({ length: 8 }, (_, index) => patternBytes(64 * 1024).fill(index, 0, 1));
    const total = parts.reduce((sum, part) => sum + part.length, 0);
    const source = dataSource({ timeoutMs: 200, idleTimeoutMs: 150 });
    // The writer goes quiet for longer than both limits before its fifth part: its own pace, not a store stall.
    await source.put(putInput({ path: 'f/paced.bin', body: pausingStream(parts, 4, 600), contentLength: total }));
    expect(emulator.readObjectDirect('f/paced.bin')?.equals(Buffer.concat(parts))).toBe(true);
  });

  it('throws UPSTREAM_TIMEOUT when the store stops reading an upload after its first bytes', async () => {
    emulator.injectFault({ kind: 'stall', operation: 'PutObject', afterBytes: 64 * 1024, times: 1 });
    const source = dataSource({ timeoutMs: 10_000, idleTimeoutMs: 200 });
    const total = 24 * MiB;
    await expectDomainError(source.put(putInput({ path: 'f/stalled.bin', body: lazyStream(total), contentLength: total })), 'UPSTREAM_TIMEOUT');
    expect(emulator.receivedBodyBytes('f/stalled.bin')).toBeLessThan(total);
    expect(emulator.readObjectDirect('f/stalled.bin')).toBeUndefined();
  });

  it('throws UPSTREAM_TIMEOUT and closes the connection when describe gets no answer within timeoutMs', async () => {
    const tap = await ConnectionTap.start(emulator.endpoint);
    emulator.injectFault({ kind: 'latency', ms: 5_000, operation: 'DescribeObject' });
    emulator.putObjectDirect('f/obj.bin', 'x');
    const source = dataSource({ endpoint: tap.endpoint, timeoutMs: 150, maxAttempts: 3 });
    const error = await expectDomainError(source.describe('f/obj.bin'), 'UPSTREAM_TIMEOUT');
    expect(error.cause).toMatchObject({ name: 'AbortError' });
    await tap.allClosed();
    expect(tap.connectionsOpened).toBe(1);
    expect(emulator.count('DescribeObject')).toBe(1);
  });

  it('errors the body with UPSTREAM_TIMEOUT and closes the connection when a download stalls mid-body', async () => {
    const tap = await ConnectionTap.start(emulator.endpoint);
    emulator.putObjectDirect('f/big.bin', patternBytes(64 * 1024));
    emulator.injectFault({ kind: 'stall', operation: 'GetObject', afterBytes: 100, times: 1 });
    const source = dataSource({ endpoint: tap.endpoint, idleTimeoutMs: 200 });
    const object = await source.get('f/big.bin', undefined);
    expect(object.bodyLength).toBe(64 * 1024);
    let received = 0;
    object.body.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    const error = await rejectionOf(finished(object.body));
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ code: 'UPSTREAM_TIMEOUT' });
    expect(received).toBe(100);
    await tap.allClosed();
    expect(tap.connectionsOpen).toBe(0);
  });

  it('throws UPSTREAM_TIMEOUT and closes the connection when the store reads an upload but never answers', async () => {
    const tap = await ConnectionTap.start(emulator.endpoint);
    emulator.injectFault({ kind: 'stall', operation: 'PutObject' });
    const source = dataSource({ endpoint: tap.endpoint, timeoutMs: 150, idleTimeoutMs: 150 });
    await expectDomainError(source.put(putInput({ path: 'a.ts', body: Buffer.from('bytes') })), 'UPSTREAM_TIMEOUT');
    await expectDomainError(source.put(putInput({ path: 'b.ts', body: Readable.from([Buffer.from('bytes')]), contentLength: 5 })), 'UPSTREAM_TIMEOUT');
    await tap.allClosed();
    expect(tap.connectionsOpened).toBe(2);
    expect(emulator.readObjectDirect('a.ts')).toBeUndefined();
  });

  it('throws UPSTREAM_TIMEOUT and closes the connection when the store stops reading a streamed upload', async () => {
    const tap = await ConnectionTap.start(emulator.endpoint);
    tap.stopForwardingAfter(64 * 1024);
    const source = dataSource({ endpoint: tap.endpoint, timeoutMs: 10_000, idleTimeoutMs: 200 });
    const total = 24 * MiB;
    const put = source.put(putInput({ path: 'big.bin', body: lazyStream(total), contentLength: total }));
    await emulator.waitForRequest((request) => request.operation === 'PutObject');
    await expectDomainError(put, 'UPSTREAM_TIMEOUT');
    tap.releaseHeld();
    await tap.allClosed();
    expect(tap.connectionsOpened).toBe(1);
    expect(emulator.readObjectDirect('big.bin')).toBeUndefined();
  });
});

describe('MediaStoreDataSource caller abort', () => {
  beforeEach(() => {
    emulator.putObjectDirect('f/obj.bin', patternBytes(64 * 1024));
  });

  function expectAbort(error: unknown): void {
    expect(error).not.toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ name: 'AbortError' });
  }

  it('rethrows an abort, not an upstream error, when the caller aborts a call in flight', async () => {
    emulator.injectFault({ kind: 'latency', ms: 5_000, operation: 'DescribeObject' });
    const controller = new AbortController();
    const call = dataSource({ timeoutMs: 10_000 }).describe('f/obj.bin', { signal: controller.signal });
    await emulator.waitForRequest((request) => request.operation === 'DescribeObject');
    controller.abort();
    expectAbort(await rejectionOf(call));
  });

  it('rethrows an abort with 0 upstream calls when the signal is already aborted', async () => {
    const source = dataSource();
    const signal = AbortSignal.abort();
    expectAbort(await rejectionOf(source.describe('f/obj.bin', { signal })));
    expectAbort(await rejectionOf(source.list('', { pageSize: 1, token: undefined }, { signal })));
    expectAbort(await rejectionOf(source.get('f/obj.bin', undefined, { signal })));
    expectAbort(await rejectionOf(source.put(putInput({ path: 'x.ts', body: Buffer.from('x') }), { signal })));
    expectAbort(await rejectionOf(source.delete('f/obj.bin', { signal })));
    expect(emulator.count()).toBe(0);
  });

  it('errors the body with an abort when the caller aborts while a download stalls', async () => {
    emulator.injectFault({ kind: 'stall', operation: 'GetObject', afterBytes: 10, times: 1 });
    const controller = new AbortController();
    const object = await dataSource({ idleTimeoutMs: 10_000 }).get('f/obj.bin', undefined, { signal: controller.signal });
    object.body.resume();
    object.body.once('data', () => controller.abort());
    expectAbort(await rejectionOf(finished(object.body)));
  });

  it('rethrows an abort when the caller aborts an upload the store never answers', async () => {
    emulator.injectFault({ kind: 'stall', operation: 'PutObject' });
    const controller = new AbortController();
    const put = dataSource({ timeoutMs: 10_000 }).put(putInput({ path: 'a.ts', body: Buffer.from('x') }), { signal: controller.signal });
    await emulator.waitForRequest((request) => request.operation === 'PutObject');
    controller.abort();
    expectAbort(await rejectionOf(put));
  });
});
