import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient, GRAPHQL_TRANSPORT_WS_PROTOCOL, parseMessage } from 'graphql-ws';
import WebSocket, { type RawData } from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { KinesisVideoEmulator } from '../../src/emulators/kinesis/kinesis.emulator.js';
import { CONNECTION_INIT_WAIT_MS } from '../../src/server/graphql-ws.js';
import { StreamFragmentsDocument } from '../generated/graphql.js';
import { JWT_AUTH_ENV, mintToken } from '../helpers/auth.js';
import { fullGc, RootResolverProbe } from '../helpers/probes.js';
import { floodSockets } from '../helpers/ws-flood.js';
import type { GatewayCommands, GatewayReady } from '../../bench/support/commands.js';
import { ChildServer, childEnv } from '../../bench/support/ipc.js';
import { errorCodes, postGraphql, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { within } from '../helpers/within.js';

/*
 * RELIABILITY.md W1-W12 with raw `ws` clients that drive the graphql-transport-ws protocol by hand, plus the end
 * of a subscription whose token expires (graphql-ws and SSE). One gateway with JWT authentication and small
 * WebSocket limits; its embedded Kinesis Video emulator runs accelerated producers while a test needs live events.
 *
 * The gateway exposes neither its WebSocketServer nor its SharedSubscriptions, so "0 leaked sockets" is read from
 * the process's TCP handles (client and server sides both live in this process) and "everything disposed" from
 * the hub's per-stream stats and the emulator's open GetMedia connections.
 */

const MAX_PAYLOAD = 32 * 1024;
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The benchmarks' gateway process: configured by its environment, it answers GC and memory probes over IPC. */
const GATEWAY_CHILD = join(ROOT, 'bench', 'support', 'gateway.child.ts');
const KEEPALIVE_MS = 1_000;
const MAX_SUBSCRIPTIONS = 5;
const LINGER_MS = 100;
const ALLOWED_ORIGIN = 'https://app.example.test';
/** W6 frames per run; RELIABILITY.md asks for 100k (`W6_FRAMES=100000`), the default keeps the file fast. */
const W6_FRAMES = positiveIntegerFromEnv('W6_FRAMES', 1_000);
/** W12 cycles per run; RELIABILITY.md asks for 100k (`W12_CYCLES=100000`). */
const W12_CYCLES = positiveIntegerFromEnv('W12_CYCLES', 2_000);

const LIVE = 'w-live';
const KEEPALIVE_STREAM = 'w-keepalive';
const EXPIRY_STREAM = 'w-expiry';
const CYCLE_STREAMS = ['w-cycle-0', 'w-cycle-1'] as const;
const PRODUCER = { fragmentIntervalMs: 50, fps: 20, frameBytes: 64 } as const;
/**
 * W12's producers: slower, because every stored fragment stays in this process (~1.4 KB of heap each, up to the
 * emulator's 5,000 per stream) and would otherwise dominate the heap figure that is meant for the gateway.
 */
const CYCLE_PRODUCER = { fragmentIntervalMs: 200, fps: 5, frameBytes: 64 } as const;

function positiveIntegerFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got '${raw}'`);
  return value;
}

/** A protocol message as received. */
interface Frame {
  readonly type: string;
  readonly id?: string;
  readonly payload?: unknown;
}

interface Closed {
  readonly code: number;
  readonly reason: string;
  /** `performance.now()` when the close event fired. */
  readonly at: number;
}

interface ConnectOptions {
  readonly origin?: string;
  readonly autoPong?: boolean;
  readonly headers?: Record<string, string>;
}

/** A raw graphql-transport-ws client: frames in arrival order, the close, and waits on both (no polling). */
class RawClient {
  readonly frames: Frame[] = [];
  closedWith: Closed | undefined;
  readonly closed: Promise<Closed>;
  private readonly listeners = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data: RawData) => {
      this.frames.push(JSON.parse(rawText(data)) as Frame);
      this.notify();
    });
    // Resets after a server close or terminate are expected here; the close event reports what matters.
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => {
      socket.once('close', (code: number, reason: Buffer) => {
        this.closedWith = { code, reason: reason.toString('utf8'), at: performance.now() };
        resolve(this.closedWith);
        this.notify();
      });
    });
  }

  /** Opens a socket with the graphql-transport-ws subprotocol; rejects with the status when the upgrade is refused. */
  static connect(url: string, options: ConnectOptions = {}): Promise<RawClient> {
    const socket = new WebSocket(url, GRAPHQL_TRANSPORT_WS_PROTOCOL, {
      ...(options.origin === undefined ? {} : { origin: options.origin }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      autoPong: options.autoPong ?? true,
    });
    const client = new RawClient(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('unexpected-response', (req, res) => {
        res.resume();
        req.destroy();
        reject(new UpgradeRefused(res.statusCode ?? 0));
      });
      socket.once('close', () => reject(new Error('closed before open')));
    });
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  /** Sends `connection_init` with `authorization` and waits for `connection_ack`. */
  async init(authorization: string | undefined): Promise<void> {
    this.send({ type: 'connection_init', payload: authorization === undefined ? {} : { authorization } });
    await this.until(() => this.frames.find((frame) => frame.type === 'connection_ack'), 5_000, 'connection_ack');
  }

  subscribe(id: string, query: string, variables?: Record<string, unknown>): void {
    this.send({ type: 'subscribe', id, payload: { query, ...(variables === undefined ? {} : { variables }) } });
  }

  /** Resolves with `check()`'s first defined value, re-checked on every frame and on close; rejects after `ms`. */
  until<T>(check: () => T | undefined, ms: number, what: string): Promise<T> {
    let listener: () => void = () => undefined;
    const waiting = new Promise<T>((resolve, reject) => {
      listener = (): void => {
        const value = check();
        if (value !== undefined) resolve(value);
        else if (this.closedWith !== undefined) reject(new Error(`socket closed (${this.closedWith.code} ${this.closedWith.reason}) before ${what}`));
      };
      this.listeners.add(listener);
      listener();
    });
    return within(waiting, ms, what).finally(() => this.listeners.delete(listener));
  }

  /** Waits for the server to close the socket. */
  closedWithin(ms: number): Promise<Closed> {
    return within(this.closed, ms, 'the server to close the socket');
  }

  /** Closes the socket abruptly (no close frame) unless it is closed already, and waits for the close event. */
  async dispose(): Promise<void> {
    if (this.closedWith === undefined) this.socket.terminate();
    await within(this.closed, 5_000, 'the socket to close');
  }

  private notify(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

class UpgradeRefused extends Error {
  constructor(readonly status: number) {
    super(`upgrade refused with ${status}`);
  }
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
}

/** Live TCP handles (sockets) of this process: the test's clients and the gateway's server sides alike. */
function tcpSockets(): number {
  return process.getActiveResourcesInfo().filter((resource) => resource === 'TCPSocketWrap').length;
}


/**
 * Swallows console.error while `work` runs and returns how often it was called: graphql-ws's ws adapter writes a
 * stack trace to console.error for every socket error (an oversized frame is one) and every internal error.
 */
async function countingConsoleErrors(work: () => Promise<void>): Promise<number> {
  const spy = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  try {
    await work();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}


const LIVE_SUBSCRIPTION = 'subscription ($stream: String!) { streamFragments(stream: $stream) { __typename ... on FragmentEvent { fragment { fragmentNumber } } } }';

/** `operation { resource { ... on DvrSession { channel { dvrSessions { edges { node { … } } } } } } }`, > 12 deep. */
function deepSubscription(): string {
  let selection = 'id';
  for (let level = 0; level < 6; level += 1) selection = `channel { dvrSessions { edges { node { ${selection} } } } }`;
  return `subscription Deep { operation(name: "projects/p/locations/l/operations/o") { resource { ... on DvrSession { ${selection} } } } }`;
}

/** 1,000 aliases inside a live subscription (12 KB, within the frame cap). */
const ALIAS_SUBSCRIPTION = `subscription Aliases { streamFragments(stream: "${LIVE}") { ... on FragmentEvent { ${Array.from({ length: 1_000 }, (_, i) => `a${i}:stream`).join(' ')} } } }`;

/** Ten fragments of ten spreads on the subscription root: 10^10 selections once expanded. */
function fragmentBombSubscription(): string {
  const fragments = ['fragment F0 on Subscription { streamFragments(stream: "w-live") { __typename } }'];
  for (let level = 1; level <= 10; level += 1) fragments.push(`fragment F${level} on Subscription { ${Array.from({ length: 10 }, () => `...F${level - 1}`).join(' ')} }`);
  return `subscription Bomb { ...F10 } ${fragments.join(' ')}`;
}

/** One fuzzed frame: what is sent and whether as a binary frame. */
interface FuzzFrame {
  readonly data: string | Buffer;
  readonly binary: boolean;
}

const VALID_MESSAGES = [
  '{"type":"connection_init","payload":{}}',
  '{"type":"subscribe","id":"1","payload":{"query":"{ __typename }"}}',
  '{"type":"complete","id":"1"}',
  '{"type":"ping"}',
  '{"type":"pong","payload":{"x":1}}',
];

/** Frames of every shape a confused or hostile client sends: random bytes and text, JSON, near-messages, truncations. */
const fuzzFrame: fc.Arbitrary<FuzzFrame> = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((bytes) => ({ data: Buffer.from(bytes), binary: true })),
  fc.string({ unit: 'binary', maxLength: 256 }).map((text) => ({ data: text, binary: false })),
  fc.json({ maxDepth: 4 }).map((text) => ({ data: text, binary: false })),
  fc
    .record(
      {
        type: fc.oneof(fc.constantFrom('connection_init', 'ping', 'pong', 'subscribe', 'complete', 'Subscribe', ''), fc.string({ maxLength: 12 }), fc.integer(), fc.constant(null), fc.array(fc.string())),
        id: fc.oneof(fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null), fc.constant(''), fc.object()),
        payload: fc.oneof(
          fc.anything({ maxDepth: 3 }),
          fc.record(
            { query: fc.oneof(fc.string(), fc.integer(), fc.constant(null)), variables: fc.anything({ maxDepth: 2 }), operationName: fc.anything({ maxDepth: 1 }), extensions: fc.anything({ maxDepth: 2 }) },
            { requiredKeys: [] },
          ),
        ),
      },
      { requiredKeys: [] },
    )
    .map((message) => ({ data: JSON.stringify(message), binary: false })),
  fc
    .tuple(fc.constantFrom(...VALID_MESSAGES), fc.nat())
    .map(([message, cut]) => ({ data: message.slice(0, cut % message.length), binary: cut % 2 === 0 })),
  fc.integer({ min: 1, max: 12_000 }).map((depth) => ({ data: `${'['.repeat(depth)}${']'.repeat(depth)}`, binary: false })),
  fc.integer({ min: 1, max: 5_000 }).map((depth) => ({ data: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`, binary: false })),
);

/** Whether graphql-ws accepts `frame` as a protocol message (then it is not malformed and is left out of W6). */
function isWellFormed(frame: FuzzFrame): boolean {
  try {
    parseMessage(typeof frame.data === 'string' ? frame.data : frame.data.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

/** `count` malformed frames from a fixed seed (the same frames on every run), generated a batch at a time. */
function* malformedFrames(count: number): Generator<FuzzFrame> {
  let produced = 0;
  for (let seed = 20_240_601; produced < count; seed += 1) {
    for (const frame of fc.sample(fuzzFrame, { seed, numRuns: 1_000 })) {
      if (produced === count) return;
      if (isWellFormed(frame)) continue;
      produced += 1;
      yield frame;
    }
  }
}

/** Runs `work` for every item of `items` with at most `concurrency` in flight; items are pulled as workers free up. */
async function pooled<T>(items: Iterable<T>, concurrency: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.iterator]();
  let index = 0;
  const worker = async (): Promise<void> => {
    for (let next = iterator.next(); next.done !== true; next = iterator.next()) {
      const current = index;
      index += 1;
      await work(next.value, current);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

describe('graphql-ws hardening (W1-W12)', () => {
  let t: TestGateway;
  let kinesis: KinesisVideoEmulator;
  let wsUrl: string;
  let authorization: string;
  let probe: RootResolverProbe;
  const stopProducers: (() => void)[] = [];

  beforeAll(async () => {
    t = await startTestGateway({
      ...JWT_AUTH_ENV,
      AUTH_CLOCK_TOLERANCE_SECONDS: '0',
      WS_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD),
      WS_KEEPALIVE_MS: String(KEEPALIVE_MS),
      WS_MAX_SUBSCRIPTIONS_PER_SOCKET: String(MAX_SUBSCRIPTIONS),
      WS_ALLOWED_ORIGINS: ALLOWED_ORIGIN,
      LIVE_LINGER_MS: String(LINGER_MS),
      LIVE_IDLE_TIMEOUT_MS: '2000',
      // W12 charges one operation per cycle; the rate limit is not what these tests are about.
      RATE_LIMIT_PER_SECOND: '1000000',
      RATE_LIMIT_BURST: '1000000',
    });
    const embedded = t.gateway.emulators.kinesis;
    if (embedded === undefined) throw new Error('the gateway started no Kinesis Video emulator');
    kinesis = embedded;
    // Producers run only inside the tests that need events: the emulator keeps what they produce in this process.
    for (const stream of [LIVE, KEEPALIVE_STREAM, ...CYCLE_STREAMS]) kinesis.createStream(stream, { retentionHours: 24, mediaType: 'video/h264' });
    wsUrl = t.graphqlUrl.replace(/^http/, 'ws');
    authorization = `Bearer ${await mintToken({ sub: 'ws-tester', scope: 'admin' })}`;
    probe = new RootResolverProbe(t.gateway.schema);
  });

  afterAll(async () => {
    probe.restore();
    for (const stop of stopProducers.splice(0)) stop();
    await t.close();
  });

  /** Starts an accelerated producer on each of `streams` until the returned function is called. */
  function produce(streams: readonly string[], options: { readonly fragmentIntervalMs: number; readonly fps: number; readonly frameBytes: number } = PRODUCER): () => void {
    const stops = streams.map((stream) => kinesis.startProducer(stream, options));
    stopProducers.push(...stops);
    return () => {
      for (const stop of stops) stop();
    };
  }

  /** Fragments the emulator holds for the streams of this suite. */
  function storedFragments(): number {
    return [LIVE, KEEPALIVE_STREAM, ...CYCLE_STREAMS].reduce((sum, stream) => sum + kinesis.fragments(stream).length, 0);
  }

  /** Requests every emulator behind the gateway has received so far. */
  function upstreamCalls(): number {
    const embedded = t.gateway.emulators;
    return t.emulator.count() + kinesis.count() + (embedded.livestream?.count() ?? 0) + (embedded.oci?.emulator.count() ?? 0);
  }

  /** Waits until no subscriber, reader or GetMedia connection remains on `stream`. */
  async function expectStreamReleased(stream: string, ms: number): Promise<void> {
    await vi.waitFor(() => expect(t.gateway.services.hub.stats(stream)).toEqual({ subscribers: 0, upstreamSessions: 0, liveReaderRunning: false, windowSize: 0 }), {
      timeout: ms,
      interval: 20,
    });
    await within(kinesis.waitForActiveGetMedia(stream, 0), ms, `0 open GetMedia on ${stream}`);
  }

  it('closes with 4408 after the init timeout and leaks no socket when connection_init never comes (W1)', async () => {
    const before = tcpSockets();
    const opened = performance.now();
    const client = await RawClient.connect(wsUrl);
    try {
      const closed = await client.closedWithin(CONNECTION_INIT_WAIT_MS + 2_000);
      expect(closed.code).toBe(4408);
      expect(closed.at - opened).toBeGreaterThanOrEqual(CONNECTION_INIT_WAIT_MS - 100);
    } finally {
      await client.dispose();
    }
    // Both ends of the connection live in this process: the count returns to where it was once the server let go.
    await vi.waitFor(() => expect(tcpSockets()).toBeLessThanOrEqual(before), { timeout: 2_000, interval: 20 });
  });

  it('closes with 4429 when connection_init is sent twice (W2)', async () => {
    const client = await RawClient.connect(wsUrl);
    try {
      await client.init(authorization);
      client.send({ type: 'connection_init', payload: { authorization } });
      expect((await client.closedWithin(2_000)).code).toBe(4429);
    } finally {
      await client.dispose();
    }
  });

  it('closes with 4403 before any subscription or upstream call when the token is bad, expired or missing (W3)', async () => {
    const foreign = `Bearer ${await mintToken({ secret: 'another-secret-that-is-also-long-enough-9876543210' })}`;
    const expired = `Bearer ${await mintToken({ expiresInSeconds: -60 })}`;
    const credentials: Record<string, Record<string, unknown> | undefined> = {
      'signed with another key': { authorization: foreign },
      expired: { authorization: expired },
      garbage: { authorization: 'Bearer not-a-token' },
      'wrong scheme': { authorization: authorization.replace('Bearer', 'Basic') },
      'unknown API key': { apiKey: 'mg_unknown_key' },
      missing: {},
      'no payload': undefined,
    };
    const upstream = upstreamCalls();
    const calls = probe.calls;
    for (const [name, payload] of Object.entries(credentials)) {
      const client = await RawClient.connect(wsUrl);
      try {
        client.send(payload === undefined ? { type: 'connection_init' } : { type: 'connection_init', payload });
        const closed = await client.closedWithin(2_000);
        expect({ name, code: closed.code }).toEqual({ name, code: 4403 });
        expect(client.frames, name).toEqual([]);
      } finally {
        await client.dispose();
      }
    }
    // A subscribe sent right behind a bad init never runs (it is refused while the init is checked, or after).
    const eager = await RawClient.connect(wsUrl);
    try {
      eager.send({ type: 'connection_init', payload: { authorization: expired } });
      eager.subscribe('eager', LIVE_SUBSCRIPTION, { stream: LIVE });
      expect([4401, 4403]).toContain((await eager.closedWithin(2_000)).code);
      expect(eager.frames).toEqual([]);
    } finally {
      await eager.dispose();
    }
    expect({ upstreamCalls: upstreamCalls() - upstream, resolverCalls: probe.calls - calls }).toEqual({ upstreamCalls: 0, resolverCalls: 0 });
  });

  it('closes with 4401 when subscribe comes before connection_init (W4)', async () => {
    const calls = probe.calls;
    const client = await RawClient.connect(wsUrl);
    try {
      client.subscribe('early', LIVE_SUBSCRIPTION, { stream: LIVE });
      expect((await client.closedWithin(2_000)).code).toBe(4401);
      expect(client.frames).toEqual([]);
    } finally {
      await client.dispose();
    }
    expect(probe.calls - calls).toBe(0);
  });

  it('closes with 4409 when a subscription id is reused while it is open (W5)', async () => {
    const stopProducing = produce([LIVE]);
    const client = await RawClient.connect(wsUrl);
    try {
      await client.init(authorization);
      client.subscribe('dup', LIVE_SUBSCRIPTION, { stream: LIVE });
      await client.until(() => client.frames.find((frame) => frame.type === 'next' && frame.id === 'dup'), 5_000, 'a first event');
      client.subscribe('dup', LIVE_SUBSCRIPTION, { stream: LIVE });
      expect((await client.closedWithin(2_000)).code).toBe(4409);
    } finally {
      await client.dispose();
      stopProducing();
    }
    await expectStreamReleased(LIVE, 3_000);
  });

  it('closes with 1009 and keeps RSS growth under 2 MB when frames exceed WS_MAX_PAYLOAD_BYTES (W7)', async () => {
    const stackTraces = await countingConsoleErrors(() => oversizedFrames());
    // Not a failure of the limit, but noise an attacker controls: see the report.
    console.info(`W7: graphql-ws wrote ${stackTraces} stack traces to console.error for the oversized frames`);
    // Two cold child processes (gateway and flooder) start inside: on a busy two-core machine that alone took most
    // of the 30 s default. Every wait inside has its own limit.
  }, 90_000);

  /** The body of the W7 test. */
  async function oversizedFrames(): Promise<void> {
    // One oversized frame, before and after connection_init, and an oversized message split over two fragments.
    const oversized = Buffer.alloc(MAX_PAYLOAD + 1, 0x20);
    const half = Buffer.alloc(Math.ceil(MAX_PAYLOAD / 2) + 1, 0x20);
    for (const variant of ['frame before init', 'frame after init', 'fragmented message']) {
      const client = await RawClient.connect(wsUrl);
      try {
        if (variant !== 'frame before init') await client.init(authorization);
        if (variant === 'fragmented message') {
          client.socket.send(half, { binary: false, fin: false });
          client.socket.send(half, { binary: false, fin: true });
        } else {
          client.socket.send(oversized, { binary: false });
        }
        expect({ variant, code: (await client.closedWithin(2_000)).code }).toEqual({ variant, code: 1009 });
      } finally {
        await client.dispose();
      }
    }

    // Memory is measured on a gateway in its own process, flooded from another: in this process the test's own
    // work, the embedded emulators and V8 resizing its young generation between bursts moved RSS by several MB
    // either way, which hid or faked what the frames leave behind.
    const { server, info } = await ChildServer.start<GatewayCommands>({
      name: 'w7-gateway',
      entry: GATEWAY_CHILD,
      cwd: ROOT,
      env: childEnv({
        NODE_ENV: 'development',
        HOST: '127.0.0.1',
        PORT: '0',
        LOG_LEVEL: 'error',
        WS_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD),
        // A fixed-size young generation: its growth would otherwise show as RSS the frames never caused.
        NODE_OPTIONS: '--max-semi-space-size=1',
      }),
      readyTimeoutMs: 60_000,
      requestTimeoutMs: 30_000,
    });
    try {
      const childWsUrl = `${(info as GatewayReady).url.replace(/^http/, 'ws')}/graphql`;
      const burst = (): Promise<number[]> => floodSockets(childWsUrl, 50, 128 * 1024);
      // Three unmeasured bursts: sockets, parser and allocator arenas reach their steady size, and memory the
      // first collections give back lazily is gone before the baseline.
      for (let warmUp = 0; warmUp < 3; warmUp += 1) {
        expect(new Set(await burst())).toEqual(new Set([1009]));
        await server.request('gc', {});
      }
      const before = (await server.request('gc', {})).rssBytes;
      const growth: number[] = [];
      for (let round = 0; round < 3; round += 1) {
        expect(new Set(await burst())).toEqual(new Set([1009]));
        growth.push((await server.request('gc', {})).rssBytes - before);
      }
      // The samples are cumulative, so memory kept per socket shows in every one of them; an allocation by
      // something else shows in one. The smallest sample is the figure to hold to the limit.
      const least = Math.min(...growth);
      console.info(`W7: gateway process RSS growth after 3 x 50 sockets each sending a 128 KiB frame (MB): ${growth.map((bytes) => (bytes / 1e6).toFixed(2)).join(', ')}`);
      expect(least).toBeLessThan(2 * 1024 * 1024);
    } finally {
      await server.stop();
    }
  }

  it(`closes with 4400 for each of ${W6_FRAMES} malformed frames and keeps serving (W6)`, { timeout: Math.max(30_000, W6_FRAMES * 20) }, async () => {
    const codes = new Map<number, number>();
    const unexpected: string[] = [];
    const started = performance.now();
    await pooled(malformedFrames(W6_FRAMES), 32, async (frame, index) => {
      const client = await RawClient.connect(wsUrl);
      try {
        // Half before connection_init, half on an authenticated connection.
        if (index % 2 === 1) await client.init(authorization);
        client.socket.send(frame.data, { binary: frame.binary });
        const closed = await client.closedWithin(5_000);
        codes.set(closed.code, (codes.get(closed.code) ?? 0) + 1);
        if (closed.code !== 4400 && unexpected.length < 5) unexpected.push(`${closed.code} ${closed.reason} <- ${JSON.stringify(String(frame.data).slice(0, 120))}`);
      } finally {
        await client.dispose();
      }
    });
    const seconds = (performance.now() - started) / 1_000;
    console.info(`W6: ${W6_FRAMES} malformed frames in ${seconds.toFixed(1)} s; close codes ${JSON.stringify(Object.fromEntries(codes))}`);
    expect(unexpected).toEqual([]);
    expect(codes.get(4400)).toBe(W6_FRAMES);
    // Still serving, over graphql-ws and HTTP, and nothing was masked as an internal error.
    const client = await RawClient.connect(wsUrl);
    try {
      await client.init(authorization);
      client.subscribe('alive', '{ __typename }');
      const done = await client.until(() => client.frames.find((frame) => frame.type === 'complete'), 5_000, 'the query to complete');
      expect(done.id).toBe('alive');
      expect(client.frames.find((frame) => frame.type === 'next')?.payload).toEqual({ data: { __typename: 'Query' } });
    } finally {
      await client.dispose();
    }
    expect((await postGraphql(t.graphqlUrl, { query: '{ __typename }' }, { authorization })).data).toEqual({ __typename: 'Query' });
    expect(t.logs.join('')).not.toContain('unexpected error masked');
  });

  // graphql-ws's server takes `next`, `error` and `connection_ack` for well-formed and then fails on them (4500 and
  // a stack trace in its own ws adapter); the gateway's transport refuses them first.
  it('closes with 4400 when the client sends a server-to-client message type (W6)', async () => {
    const codes: Record<string, number> = {};
    await countingConsoleErrors(async () => {
      for (const frame of ['{"type":"next","id":"1","payload":{}}', '{"type":"error","id":"1","payload":[{"message":"x"}]}', '{"type":"connection_ack"}']) {
        const client = await RawClient.connect(wsUrl);
        try {
          await client.init(authorization);
          client.socket.send(frame);
          codes[frame] = (await client.closedWithin(2_000)).code;
        } finally {
          await client.dispose();
        }
      }
    });
    expect(new Set(Object.values(codes))).toEqual(new Set([4400]));
  });

  it('refuses a foreign Origin with 403 at the upgrade and accepts the same origin, no origin and WS_ALLOWED_ORIGINS (W8)', async () => {
    const foreign = ['https://evil.example', 'null', `${ALLOWED_ORIGIN}.evil.example`, 'http://127.0.0.1:1', 'https://app.example.test:444', 'not a url'];
    const upstream = upstreamCalls();
    for (const origin of foreign) {
      // A browser would attach the user's cookies; the refusal must not depend on them.
      const refused = await RawClient.connect(wsUrl, { origin, headers: { cookie: 'session=victim' } }).then(
        async (client) => {
          await client.dispose();
          return 101;
        },
        (error: unknown) => (error instanceof UpgradeRefused ? error.status : -1),
      );
      expect({ origin, status: refused }).toEqual({ origin, status: 403 });
    }
    expect(upstreamCalls() - upstream).toBe(0);
    for (const origin of [t.gateway.url, ALLOWED_ORIGIN, undefined]) {
      const client = await RawClient.connect(wsUrl, origin === undefined ? {} : { origin });
      try {
        await client.init(authorization);
      } finally {
        await client.dispose();
      }
    }
  });

  it(`caps one socket at ${MAX_SUBSCRIPTIONS} open operations, refuses the other 995 of 1,000 with RATE_LIMITED and keeps memory bounded (W9)`, async () => {
    const gc = fullGc();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const stopProducing = produce([LIVE]);
    const client = await RawClient.connect(wsUrl);
    try {
      await client.init(authorization);
      for (let i = 0; i < 1_000; i += 1) client.subscribe(`s${i}`, LIVE_SUBSCRIPTION, { stream: LIVE });
      const errors = (): Frame[] => client.frames.filter((frame) => frame.type === 'error');
      await client.until(() => (errors().length >= 1_000 - MAX_SUBSCRIPTIONS ? true : undefined), 10_000, 'the refusals');
      // The first five run and keep delivering; every later one got an error and nothing else.
      const open = Array.from({ length: MAX_SUBSCRIPTIONS }, (_, i) => `s${i}`);
      await client.until(() => (open.every((id) => client.frames.some((frame) => frame.type === 'next' && frame.id === id)) ? true : undefined), 5_000, 'events on the open five');
      expect(new Set(errors().map((frame) => frame.id))).toEqual(new Set(Array.from({ length: 1_000 - MAX_SUBSCRIPTIONS }, (_, i) => `s${i + MAX_SUBSCRIPTIONS}`)));
      expect(new Set(client.frames.filter((frame) => frame.type === 'next').map((frame) => frame.id))).toEqual(new Set(open));
      for (const frame of errors()) {
        expect((frame.payload as GraphQLFormattedError[]).map((error) => error.extensions), frame.id).toEqual([expect.objectContaining({ code: 'RATE_LIMITED', max: MAX_SUBSCRIPTIONS })]);
      }
      expect(client.closedWith).toBeUndefined();
      expect(t.gateway.services.hub.stats(LIVE).subscribers).toBeLessThanOrEqual(MAX_SUBSCRIPTIONS);
      gc();
      const growth = process.memoryUsage().heapUsed - heapBefore;
      console.info(`W9: heap growth with 5 open and 995 refused subscriptions on one socket: ${(growth / 1e6).toFixed(2)} MB`);
      expect(growth).toBeLessThan(8 * 1024 * 1024);
      // A completed operation frees its slot.
      client.send({ type: 'complete', id: 's0' });
      client.subscribe('after-complete', LIVE_SUBSCRIPTION, { stream: LIVE });
      await client.until(() => client.frames.find((frame) => frame.type === 'next' && frame.id === 'after-complete'), 5_000, 'the replacement to run');
    } finally {
      await client.dispose();
      stopProducing();
    }
    await expectStreamReleased(LIVE, 3_000);
  });

  it('refuses depth, alias and fragment bombs sent as subscriptions exactly as HTTP does, with no execution (W10)', async () => {
    const bombs = { depth: deepSubscription(), aliases: ALIAS_SUBSCRIPTION, fragments: fragmentBombSubscription() };
    const client = await RawClient.connect(wsUrl);
    try {
      await client.init(authorization);
      for (const [name, query] of Object.entries(bombs)) {
        expect(query.length, name).toBeLessThan(MAX_PAYLOAD);
        const overHttp = await postGraphql(t.graphqlUrl, { query }, { authorization });
        expect(overHttp.status, name).toBe(400);
        const calls = probe.calls;
        const upstream = upstreamCalls();
        const subscribers = t.gateway.services.hub.stats(LIVE).subscribers;
        client.subscribe(name, query);
        const refused = await client.until(() => client.frames.find((frame) => frame.id === name), 5_000, `the ${name} refusal`);
        expect(refused.type, name).toBe('error');
        const errors = refused.payload as GraphQLFormattedError[];
        expect(new Set(errorCodes({ errors })), name).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED']));
        // The same errors as HTTP: messages and extensions (code, limit, max); only locations may differ.
        expect(errors.map(({ message, extensions }) => ({ message, extensions })), name).toEqual((overHttp.errors ?? []).map(({ message, extensions }) => ({ message, extensions })));
        expect({ name, resolverCalls: probe.calls - calls, upstreamCalls: upstreamCalls() - upstream, subscribers: t.gateway.services.hub.stats(LIVE).subscribers }).toEqual({
          name,
          resolverCalls: 0,
          upstreamCalls: 0,
          subscribers,
        });
      }
      expect(client.closedWith).toBeUndefined();
    } finally {
      await client.dispose();
    }
  });

  it('terminates a client that stops answering pings within 2 keep-alive intervals and releases its upstream share (W11)', async () => {
    const stopProducing = produce([KEEPALIVE_STREAM]);
    const client = await RawClient.connect(wsUrl, { autoPong: false });
    let answering = true;
    client.socket.on('ping', (data: Buffer) => {
      if (answering) client.socket.pong(data);
    });
    try {
      await client.init(authorization);
      client.subscribe('live', LIVE_SUBSCRIPTION, { stream: KEEPALIVE_STREAM });
      await client.until(() => client.frames.find((frame) => frame.type === 'next'), 5_000, 'a first event');
      expect(t.gateway.services.hub.stats(KEEPALIVE_STREAM)).toMatchObject({ subscribers: 1, liveReaderRunning: true });
      answering = false;
      const silentSince = performance.now();
      const closed = await client.closedWithin(2 * KEEPALIVE_MS + 2_000);
      const elapsed = closed.at - silentSince;
      console.info(`W11: terminated ${elapsed.toFixed(0)} ms after the client stopped answering pings (keep-alive ${KEEPALIVE_MS} ms)`);
      // Terminated, not closed: no close frame reaches the client.
      expect(closed.code).toBe(1006);
      expect(elapsed).toBeLessThanOrEqual(2 * KEEPALIVE_MS + 500);
    } finally {
      await client.dispose();
      stopProducing();
    }
    const ended = await within(
      kinesis.waitForGetMediaEnd((session) => session.stream === KEEPALIVE_STREAM && session.reason === 'client-closed'),
      LINGER_MS + 3_000,
      'the upstream GetMedia to be released',
    );
    expect(ended.stream).toBe(KEEPALIVE_STREAM);
    await expectStreamReleased(KEEPALIVE_STREAM, 3_000);
  });

  it(`disposes everything after ${W12_CYCLES} connect/subscribe/abrupt-close cycles (W12)`, { timeout: Math.max(90_000, W12_CYCLES * 40) }, async () => {
    const gc = fullGc();
    const stopProducing = produce(CYCLE_STREAMS, CYCLE_PRODUCER);
    try {
      await cycles(gc);
    } finally {
      stopProducing();
    }
  });

  /** The body of the W12 test, while the cycle streams produce. */
  async function cycles(gc: () => void): Promise<void> {
    /** One cycle; `variant` picks when the socket is cut: before the ack, right after subscribe, or after a first event. */
    const cycle = async (index: number): Promise<void> => {
      const client = await RawClient.connect(wsUrl);
      try {
        const variant = index % 10 === 0 ? 'before-ack' : index % 2 === 0 ? 'after-subscribe' : 'after-event';
        if (variant === 'before-ack') {
          client.send({ type: 'connection_init', payload: { authorization } });
          return;
        }
        await client.init(authorization);
        client.subscribe('c', LIVE_SUBSCRIPTION, { stream: CYCLE_STREAMS[index % CYCLE_STREAMS.length] });
        if (variant === 'after-event') await client.until(() => client.frames.find((frame) => frame.type === 'next' || frame.type === 'error'), 5_000, 'a first event');
      } finally {
        await client.dispose();
      }
    };
    const indices = (from: number, count: number): number[] => Array.from({ length: count }, (_, i) => from + i);
    const quiescent = async (): Promise<void> => {
      for (const stream of CYCLE_STREAMS) await expectStreamReleased(stream, 10_000);
    };

    // Warm-up: connection pools, JIT and the hub's per-stream state reach their steady size.
    await pooled(indices(0, 200), 50, cycle);
    await quiescent();
    const socketsBefore = tcpSockets();
    const fragmentsBefore = storedFragments();
    gc();
    const before = process.memoryUsage();

    // In ten slices, each followed by a full GC, so the log shows whether live memory stays flat during the run.
    const started = performance.now();
    const samples: string[] = [];
    const slice = Math.ceil(W12_CYCLES / 10);
    for (let from = 0; from < W12_CYCLES; from += slice) {
      await pooled(indices(200 + from, Math.min(slice, W12_CYCLES - from)), 50, cycle);
      gc();
      samples.push(`${((process.memoryUsage().heapUsed - before.heapUsed) / 1e6).toFixed(1)}/${tcpSockets()}`);
    }
    const seconds = (performance.now() - started) / 1_000;
    console.info(`W12: heapUsed growth (MB) / TCP sockets after each tenth of the cycles: ${samples.join(', ')}`);
    await quiescent();
    await vi.waitFor(() => expect(tcpSockets()).toBeLessThanOrEqual(socketsBefore), { timeout: 5_000, interval: 20 });
    gc();
    const after = process.memoryUsage();
    const growth = (key: keyof NodeJS.MemoryUsage): string => `${((after[key] - before[key]) / 1e6).toFixed(2)}`;
    console.info(
      `W12: ${W12_CYCLES} cycles in ${seconds.toFixed(1)} s (${(W12_CYCLES / seconds).toFixed(0)}/s); growth after quiescence (MB): heapUsed ${growth('heapUsed')}, heapTotal ${growth('heapTotal')}, external ${growth('external')}, arrayBuffers ${growth('arrayBuffers')}, rss ${growth('rss')}; TCP sockets ${tcpSockets()} (before ${socketsBefore}); fragments the emulator stored meanwhile ${storedFragments() - fragmentsBefore}`,
    );
    expect(after.heapUsed - before.heapUsed).toBeLessThan(20 * 1024 * 1024);
    // The server is still healthy for the next client.
    const client = await RawClient.connect(wsUrl);
    try {
      await client.init(authorization);
      client.subscribe('after', LIVE_SUBSCRIPTION, { stream: CYCLE_STREAMS[0] });
      await client.until(() => client.frames.find((frame) => frame.type === 'next'), 5_000, 'an event after the cycles');
    } finally {
      await client.dispose();
    }
  }
});

describe('subscriptions whose token expires', () => {
  let t: TestGateway;
  let stopProducer: () => void;

  beforeAll(async () => {
    // No clock tolerance, so a token ends exactly at its `exp`.
    t = await startTestGateway({ ...JWT_AUTH_ENV, AUTH_CLOCK_TOLERANCE_SECONDS: '0', LIVE_LINGER_MS: String(LINGER_MS) });
    const kinesis = t.gateway.emulators.kinesis;
    if (kinesis === undefined) throw new Error('the gateway started no Kinesis Video emulator');
    kinesis.createStream(EXPIRY_STREAM, { retentionHours: 24, mediaType: 'video/h264' });
    stopProducer = kinesis.startProducer(EXPIRY_STREAM, PRODUCER);
  });

  afterAll(async () => {
    stopProducer();
    await t.close();
  });

  interface Ending {
    readonly events: number;
    readonly errors: readonly GraphQLFormattedError[];
    readonly endedAt: number;
  }

  /** Subscribes through `subscribe` and resolves when the subscription ends by itself. */
  function untilEnd(subscribe: (sink: { next(value: { data?: unknown; errors?: readonly GraphQLFormattedError[] }): void; error(error: unknown): void; complete(): void }) => unknown): Promise<Ending> {
    return new Promise((resolve, reject) => {
      let events = 0;
      let errors: readonly GraphQLFormattedError[] = [];
      subscribe({
        next: (value) => {
          if (value.data !== undefined && value.data !== null) events += 1;
          if (value.errors !== undefined) errors = value.errors;
        },
        error: (error) => (Array.isArray(error) ? resolve({ events, errors: error as GraphQLFormattedError[], endedAt: Date.now() }) : reject(new Error(JSON.stringify(error)))),
        complete: () => resolve({ events, errors, endedAt: Date.now() }),
      });
    });
  }

  /** Subscribes over graphql-ws and SSE with a token valid for 2 s and waits for both subscriptions to end. */
  async function subscribeUntilExpiry(): Promise<{ readonly expiresAt: number; readonly endings: readonly (readonly ['graphql-ws' | 'sse', Ending])[] }> {
    const token = await mintToken({ sub: 'short-lived', scope: 'admin', expiresInSeconds: 2 });
    const expiresAt = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp: number }).exp * 1_000;
    const ws = createWsClient({ url: t.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: { authorization: `Bearer ${token}` } });
    const sse = createSseClient({ url: `${t.gateway.url}/graphql/stream`, retryAttempts: 0, headers: { authorization: `Bearer ${token}` } });
    const request = { query: print(StreamFragmentsDocument), variables: { stream: EXPIRY_STREAM } };
    try {
      const [overWs, overSse] = await within(
        Promise.all([untilEnd((sink) => ws.subscribe(request, sink)), untilEnd((sink) => sse.subscribe(request, sink))]),
        expiresAt - Date.now() + 5_000,
        'both subscriptions to end',
      );
      return { expiresAt, endings: [['graphql-ws', overWs], ['sse', overSse]] };
    } finally {
      await ws.dispose();
      sse.dispose();
    }
  }

  it('ends the subscription with UNAUTHENTICATED (reason TOKEN_EXPIRED) at the token expiry and releases its upstream share, over graphql-ws and SSE', async () => {
    const { expiresAt, endings } = await subscribeUntilExpiry();
    for (const [transport, ending] of endings) {
      expect(ending.events, transport).toBeGreaterThan(0);
      expect(ending.errors.map((error) => error.extensions), transport).toEqual([expect.objectContaining({ code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' })]);
      expect(ending.endedAt, transport).toBeGreaterThanOrEqual(expiresAt - 50);
      expect(ending.endedAt - expiresAt, transport).toBeLessThan(1_500);
    }
    await vi.waitFor(() => expect(t.gateway.services.hub.stats(EXPIRY_STREAM)).toMatchObject({ subscribers: 0, liveReaderRunning: false }), { timeout: 3_000, interval: 20 });
  });

  it('refuses a new operation on a socket whose token has expired, and writes nothing, when the socket outlives its token', async () => {
    t.emulator.putObjectDirect('expiry/keep.txt', 'still here');
    const token = await mintToken({ sub: 'short-lived-socket', scope: 'admin', expiresInSeconds: 2 });
    // Not lazy: one socket for every operation below, as a long-lived client keeps it (a lazy client would reconnect
    // with the expired token and be refused at connection_init instead).
    const ws = createWsClient({ url: t.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: false, connectionParams: { authorization: `Bearer ${token}` } });
    const run = (query: string): Promise<Ending> => untilEnd((sink) => ws.subscribe({ query }, sink));
    try {
      const before = await run('{ object(path: "expiry/keep.txt") { path } }');
      expect(before.errors).toEqual([]);
      // The socket's own live subscription ends when the token does: the expiry itself is the event to wait on.
      const live = await within(untilEnd((sink) => ws.subscribe({ query: print(StreamFragmentsDocument), variables: { stream: EXPIRY_STREAM } }, sink)), 8_000, 'the subscription to end at expiry');
      expect(live.errors.map((error) => error.extensions?.['reason'])).toEqual(['TOKEN_EXPIRED']);
      const callsBefore = t.emulator.count();
      const after = await run('mutation { deleteObject(path: "expiry/keep.txt") { path } }');
      expect(after.errors.map((error) => error.extensions)).toEqual([expect.objectContaining({ code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' })]);
      expect(t.emulator.count() - callsBefore).toBe(0);
      expect(t.emulator.readObjectDirect('expiry/keep.txt')?.toString()).toBe('still here');
    } finally {
      await ws.dispose();
    }
  });
});
