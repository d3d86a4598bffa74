import { once } from 'node:events';
import { connect } from 'node:net';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient as createSseClient, type Client as SseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectDocument, ListObjectsDocument, PutObjectDocument } from '../generated/graphql.js';
import { execute, postGraphql, startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** What one operation produced on any transport: the data, or the (formatted) errors. */
interface Outcome {
  readonly data?: unknown;
  readonly errors?: readonly GraphQLFormattedError[];
}

interface Operation {
  readonly query: string;
  readonly variables?: Record<string, unknown>;
}

/** Runs a single-result operation over graphql-ws; an `error` message (parse/validation) becomes `errors`. */
async function overWs(client: WsClient, operation: Operation): Promise<Outcome> {
  const results: Outcome[] = [];
  try {
    for await (const result of client.iterate(operation)) results.push(result);
  } catch (error) {
    if (Array.isArray(error)) return { errors: error as GraphQLFormattedError[] };
    throw error;
  }
  expect(results).toHaveLength(1);
  return results[0] ?? {};
}

/** Runs a single-result operation over graphql-sse (distinct connections mode). */
async function overSse(client: SseClient, operation: Operation): Promise<Outcome> {
  const results: Outcome[] = [];
  for await (const result of client.iterate(operation)) results.push(result);
  expect(results).toHaveLength(1);
  return results[0] ?? {};
}

/** Opens a graphql-transport-ws socket and resolves once the server acknowledged `connection_init`. */
async function openAckedSocket(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  await once(socket, 'open');
  const acked = once(socket, 'message');
  socket.send(JSON.stringify({ type: 'connection_init' }));
  const [frame] = (await acked) as [Buffer];
  expect(JSON.parse(frame.toString('utf8'))).toEqual({ type: 'connection_ack' });
  return socket;
}

/** Resolves with the error code a fresh TCP connection to `url`'s port gets (or 'connected'). */
function tryConnect(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

describe('gateway server', () => {
  let t: TestGateway;
  let ws: WsClient;
  let sse: SseClient;

  beforeAll(async () => {
    t = await startTestGateway();
    t.emulator.putObjectDirect('vod/show/master.m3u8', '#EXTM3U\n', { contentType: 'application/vnd.apple.mpegurl' });
    t.emulator.putObjectDirect('vod/show/seg-1.ts', 'segment one', { contentType: 'video/mp2t' });
    ws = createWsClient({ url: t.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
    sse = createSseClient({ url: `${t.gateway.url}/graphql/stream`, retryAttempts: 0 });
  });

  afterAll(async () => {
    sse.dispose();
    await ws.dispose();
    await t.close();
  });

  it('answers /healthz with 200 when the process is up', async () => {
    const response = await fetch(`${t.gateway.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 when the object store is reachable', async () => {
    const response = await fetch(`${t.gateway.url}/readyz`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; checks: Record<string, string> };
    expect(body).toMatchObject({ status: 'ready', checks: { mediastore: 'ok' } });
    expect(Object.values(body.checks).every((status) => status === 'ok')).toBe(true);
  });

  it('returns the same data over graphql-ws and SSE as over HTTP when running a query', async () => {
    // Only fields that do not change between calls (signed URLs carry a fresh expiry).
    const query = print(ListObjectsDocument);
    const variables = { path: 'vod/show', first: 10, after: null };
    const http = await postGraphql(t.graphqlUrl, { query, variables });
    expect(http.errors).toBeUndefined();
    expect(JSON.stringify(http.data)).toContain('seg-1.ts');
    const viaWs = await overWs(ws, { query, variables });
    const viaSse = await overSse(sse, { query, variables });
    // Cursors are deterministic for a position in a list, so they compare equal too.
    expect(viaWs).toEqual({ data: http.data });
    expect(viaSse).toEqual({ data: http.data });
  });

  it('returns the same object over graphql-ws as HTTP describes when running a mutation', async () => {
    const mutation = await overWs(ws, {
      query: print(PutObjectDocument),
      variables: { input: { path: 'ws/hello.txt', body: 'hello over ws', contentType: 'text/plain' } },
    });
    expect(mutation.errors).toBeUndefined();
    expect(t.emulator.readObjectDirect('ws/hello.txt')?.toString('utf8')).toBe('hello over ws');
    const http = await execute(t.graphqlUrl, GetObjectDocument, { path: 'ws/hello.txt' });
    const { cacheControl: _cacheControl, url: _url, ...described } = http.data?.object ?? {};
    expect(mutation.data).toEqual({ putObject: { contentSha256: expect.any(String) as unknown, object: { ...described, cacheControl: null } } });
  });

  it('formats errors over graphql-ws and SSE exactly like over HTTP when operations fail', async () => {
    const failing: Record<string, Operation> = {
      resolverInput: { query: '{ objects(path: "vod", first: -1) { edges { cursor } } }' },
      variableCoercion: { query: 'query Q($f: Int!) { objects(path: "vod", first: $f) { edges { cursor } } }', variables: { f: 'abc' } },
      missingVariable: { query: 'query Q($f: Int!) { objects(path: "vod", first: $f) { edges { cursor } } }', variables: {} },
      validation: { query: '{ nope }' },
      parse: { query: '{ objects(' },
      cursor: { query: '{ objects(path: "vod", first: 1, after: "forged") { edges { cursor } } }' },
    };
    const expectedCodes: Record<string, string> = {
      resolverInput: 'BAD_USER_INPUT',
      variableCoercion: 'BAD_USER_INPUT',
      missingVariable: 'BAD_USER_INPUT',
      validation: 'GRAPHQL_VALIDATION_FAILED',
      parse: 'GRAPHQL_PARSE_FAILED',
      cursor: 'CURSOR_INVALID',
    };
    for (const [name, operation] of Object.entries(failing)) {
      const http = await postGraphql(t.graphqlUrl, operation);
      expect(http.errors?.map((error) => error.extensions?.['code']), name).toEqual([expectedCodes[name]]);
      expect((await overWs(ws, operation)).errors, `${name} over graphql-ws`).toEqual(http.errors);
      expect((await overSse(sse, operation)).errors, `${name} over SSE`).toEqual(http.errors);
    }
  });
});

describe('gateway readiness', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway();
  });

  afterAll(async () => {
    await t.close();
  });

  it('answers /readyz with 503 naming the store when the emulator has gone away', async () => {
    expect((await fetch(`${t.gateway.url}/readyz`)).status).toBe(200);
    await t.emulator.close();
    const response = await fetch(`${t.gateway.url}/readyz`);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'not-ready', checks: { mediastore: 'unreachable' } });
    // Liveness does not depend on the store.
    expect((await fetch(`${t.gateway.url}/healthz`)).status).toBe(200);
  });
});

describe('gateway graceful shutdown', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway();
    t.emulator.putObjectDirect('slow/object.txt', 'slow');
    t.gateway.emulators.kinesis?.createStream('shutdown-stream', { retentionHours: 1, mediaType: 'video/h264' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('finishes an in-flight request, refuses new connections and closes sockets with 1001 when closed', async () => {
    const socket = await openAckedSocket(t.graphqlUrl.replace(/^http/, 'ws'));
    const socketClosed = once(socket, 'close') as Promise<[number, Buffer]>;
    // A socket with a live subscription must see only the 1001 (so its client resubscribes elsewhere), never a
    // `complete` that would end the subscription for good.
    const subscribed = await openAckedSocket(t.graphqlUrl.replace(/^http/, 'ws'));
    const subscribedClosed = once(subscribed, 'close') as Promise<[number, Buffer]>;
    const firstEvent = once(subscribed, 'message') as Promise<[Buffer]>;
    subscribed.send(
      JSON.stringify({ id: 'live', type: 'subscribe', payload: { query: 'subscription { streamFragments(stream: "shutdown-stream") { __typename } }' } }),
    );
    expect(JSON.parse((await firstEvent)[0].toString('utf8'))).toMatchObject({ id: 'live', type: 'next' });
    const afterFirst: unknown[] = [];
    subscribed.on('message', (frame: Buffer) => afterFirst.push(JSON.parse(frame.toString('utf8'))));
    t.emulator.injectFault({ kind: 'latency', ms: 500, operation: 'DescribeObject' });
    const inFlight = execute(t.graphqlUrl, GetObjectDocument, { path: 'slow/object.txt' });
    await t.emulator.waitForRequest((request) => request.operation === 'DescribeObject');

    const closing = t.gateway.close();
    const [code] = await socketClosed;
    expect(code).toBe(1001);
    const [subscribedCode] = await subscribedClosed;
    expect(subscribedCode).toBe(1001);
    expect(afterFirst.filter((frame) => (frame as { type?: string }).type !== 'next')).toEqual([]);
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data?.object).toMatchObject({ path: 'slow/object.txt', contentLength: 4 });
    expect(await tryConnect(t.gateway.url)).toBe('ECONNREFUSED');
    await closing;
  });
});
