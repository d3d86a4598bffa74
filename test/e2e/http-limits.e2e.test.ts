import { request } from 'node:http';
import { print, type GraphQLFormattedError } from 'graphql';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveSigningKeys } from '../../src/auth/signing-keys.js';
import { EMULATOR_CREDENTIALS } from '../../src/server/providers/emulator-credentials.js';
import { CreateObjectUploadDocument, GetObjectDocument } from '../generated/graphql.js';
import { bearer as bearerFor, JWT_AUTH_ENV, mintToken, TEST_JWT_SECRET } from '../helpers/auth.js';
import { fullGc } from '../helpers/probes.js';
import { errorCodes, execute, postGraphql, startTestGateway, TEST_SIGNING_SECRET, type TestGateway } from '../helpers/gateway.js';

/**
 * GRAPHQL_BODY_LIMIT_BYTES for these tests. Small on purpose: 50 concurrent bodies just above it move ~16 MB, so
 * allocator noise stays well under the 5 MB RSS figure while a server that kept the bodies would exceed it.
 */
const BODY_LIMIT = 256 * 1024;
const JSON_HEADERS = { 'content-type': 'application/json' };

/** A query that makes exactly one upstream call (DescribeObject) when it executes. */
const DESCRIBE_QUERY = '{ object(path: "guarded/target.txt") { path } }';
/** A mutation that deletes the guarded object when it executes. */
const DELETE_MUTATION = 'mutation { deleteObject(input: { path: "guarded/target.txt" }) { path } }';


/** POSTs `body` on a fresh connection with a declared Content-Length and resolves with the status and body text. */
function postRaw(url: string, body: Buffer, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: 'POST',
        agent: false,
        headers: { ...headers, 'content-length': String(body.length) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('error', reject);
        res.once('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    req.once('error', reject);
    req.end(body);
  });
}

function errorsOf(text: string): readonly GraphQLFormattedError[] {
  return (JSON.parse(text) as { errors?: GraphQLFormattedError[] }).errors ?? [];
}

describe('GraphQL HTTP limits', () => {
  let t: TestGateway;
  let base: string;

  beforeAll(async () => {
    t = await startTestGateway({ GRAPHQL_BODY_LIMIT_BYTES: String(BODY_LIMIT) });
    base = t.gateway.url;
  });

  afterAll(async () => {
    await t.close();
  });

  /** (Re)creates the object the CSRF and GET-mutation cases try to touch, and clears the request log. */
  function resetTarget(): void {
    t.emulator.putObjectDirect('guarded/target.txt', 'keep me');
    t.emulator.resetRequests();
  }

  it('answers 413 PAYLOAD_TOO_LARGE without parsing when the body exceeds GRAPHQL_BODY_LIMIT_BYTES (S6)', async () => {
    // Not JSON at all: a parser that ran would answer 400, an executor something else.
    const oversized = Buffer.alloc(BODY_LIMIT + 1, 0x7b);
    t.emulator.resetRequests();
    for (const path of ['/graphql', '/graphql/stream']) {
      const response = await postRaw(`${base}${path}`, oversized, { ...JSON_HEADERS, accept: 'text/event-stream' });
      expect(response.status, path).toBe(413);
      expect(errorsOf(response.text).map((error) => error.extensions?.['code']), path).toEqual(['PAYLOAD_TOO_LARGE']);
    }
    // The same malformed bytes within the limit are parsed and refused as malformed: the 413 came first.
    const small = await postRaw(`${base}/graphql`, Buffer.alloc(BODY_LIMIT, 0x7b), JSON_HEADERS);
    expect(small.status).toBe(400);
    expect(t.emulator.count()).toBe(0);
  });

  it('keeps RSS growth under 5 MB when 50 oversized requests arrive at once (S6)', async () => {
    const gc = fullGc();
    const oversized = Buffer.alloc(BODY_LIMIT + BODY_LIMIT / 4, 0x20);
    const burst = async (path: string): Promise<number[]> =>
      Promise.all(
        Array.from({ length: 50 }, async () => (await postRaw(`${base}${path}`, oversized, { ...JSON_HEADERS, accept: 'text/event-stream' })).status),
      );
    for (const path of ['/graphql', '/graphql/stream']) {
      // Unmeasured bursts first: sockets, parser and allocator arenas reach their steady size.
      for (let warmUp = 0; warmUp < 2; warmUp += 1) expect(new Set(await burst(path))).toEqual(new Set([413]));
      gc();
      const before = process.memoryUsage().rss;
      const growth: number[] = [];
      for (let round = 0; round < 3; round += 1) {
        expect(new Set(await burst(path))).toEqual(new Set([413]));
        gc();
        growth.push(process.memoryUsage().rss - before);
      }
      // The allocator returns memory to the OS unevenly; the median of three bursts ignores one outlier.
      const median = [...growth].sort((a, b) => a - b)[1] ?? Number.POSITIVE_INFINITY;
      console.info(`S6 ${path}: RSS growth after 3 x 50 oversized requests (MB): ${growth.map((bytes) => (bytes / 1e6).toFixed(1)).join(', ')}`);
      expect(median, path).toBeLessThan(5 * 1024 * 1024);
    }
  });

  it('refuses with 400 and executes nothing when a GET carries no preflight header (S9)', async () => {
    resetTarget();
    const url = `${base}/graphql?query=${encodeURIComponent(DESCRIBE_QUERY)}`;
    const blocked = await fetch(url);
    expect(blocked.status).toBe(400);
    expect(errorCodes((await blocked.json()) as { errors?: GraphQLFormattedError[] })).toEqual(['BAD_REQUEST']);
    expect(t.emulator.count()).toBe(0);
    // The same GET with either preflight-forcing header executes and calls the store once each.
    for (const headers of [{ 'apollo-require-preflight': 'true' }, JSON_HEADERS]) {
      const allowed = await fetch(url, { headers });
      expect(allowed.status).toBe(200);
      expect(await allowed.json()).toEqual({ data: { object: { path: 'guarded/target.txt' } } });
    }
    expect(t.emulator.count('DescribeObject')).toBe(2);
  });

  it('refuses with 400 and executes nothing when a POST has a content type a foreign page may send (S9)', async () => {
    resetTarget();
    const simpleTypes = [
      'text/plain',
      'text/plain;charset=UTF-8',
      'text/plain; x=application/json',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ];
    for (const contentType of simpleTypes) {
      const response = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: JSON.stringify({ query: DELETE_MUTATION }),
      });
      expect(response.status, contentType).toBe(400);
      expect(errorCodes((await response.json()) as { errors?: GraphQLFormattedError[] }), contentType).toEqual(['BAD_REQUEST']);
    }
    expect(t.emulator.count()).toBe(0);
    expect(t.emulator.readObjectDirect('guarded/target.txt')?.toString('utf8')).toBe('keep me');
  });

  it('refuses with 415 and executes nothing when such a POST targets the SSE endpoint (S9)', async () => {
    resetTarget();
    for (const contentType of ['text/plain', 'text/plain; x=application/json', 'application/x-www-form-urlencoded']) {
      const response = await fetch(`${base}/graphql/stream`, {
        method: 'POST',
        headers: { 'content-type': contentType, accept: 'text/event-stream' },
        body: JSON.stringify({ query: DELETE_MUTATION }),
      });
      expect(response.status, contentType).toBe(415);
      await response.body?.cancel();
    }
    expect(t.emulator.count()).toBe(0);
    expect(t.emulator.readObjectDirect('guarded/target.txt')?.toString('utf8')).toBe('keep me');
  });

  it('answers 405 and changes nothing when a mutation arrives over GET (S10)', async () => {
    resetTarget();
    const query = encodeURIComponent(DELETE_MUTATION);
    const http = await fetch(`${base}/graphql?query=${query}`, { headers: { 'apollo-require-preflight': 'true' } });
    expect(http.status).toBe(405);
    expect(errorCodes((await http.json()) as { errors?: GraphQLFormattedError[] })).toEqual(['BAD_REQUEST']);
    const sse = await fetch(`${base}/graphql/stream?query=${query}`, { headers: { accept: 'text/event-stream' } });
    expect(sse.status).toBe(405);
    await sse.body?.cancel();
    expect(t.emulator.count()).toBe(0);
    expect(t.emulator.readObjectDirect('guarded/target.txt')?.toString('utf8')).toBe('keep me');
  });

  it('refuses and executes none of them when a JSON array batches 500 operations (S8)', async () => {
    resetTarget();
    const batch = Array.from({ length: 500 }, (_, i) => ({ query: `{ object(path: "guarded/item-${i}.txt") { path } }` }));
    const http = await fetch(`${base}/graphql`, { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(batch) });
    expect(http.status).toBe(400);
    expect(errorCodes((await http.json()) as { errors?: GraphQLFormattedError[] })).toEqual(['BAD_REQUEST']);
    const sse = await fetch(`${base}/graphql/stream`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, accept: 'text/event-stream' },
      body: JSON.stringify(batch),
    });
    expect(sse.status).toBe(400);
    await sse.body?.cancel();
    expect(t.emulator.count()).toBe(0);
  });
});

/** What the injected upstream failure says: an ARN and a secret the answers must never carry. */
const PROVIDER_ARN = 'arn:aws:mediastore:us-east-1:123456789012:container/media-graph-private';
const PROVIDER_SECRET = 'wJalrXUtnFEMI-provider-secret';

describe('error masking in production', () => {
  let t: TestGateway;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await startTestGateway({ NODE_ENV: 'production', ...JWT_AUTH_ENV });
    t.emulator.putObjectDirect('prod/object.txt', 'x');
    auth = await bearerFor({ scope: 'admin' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('returns no stack trace, exception or debug message in any error when in production (S11)', async () => {
    const bodies: string[] = [];
    const post = async (body: unknown): Promise<void> => {
      const response = await fetch(t.graphqlUrl, { method: 'POST', headers: { ...JSON_HEADERS, ...auth }, body: JSON.stringify(body) });
      bodies.push(await response.text());
    };
    // An unexpected (non-domain) error thrown inside the federation entity resolver.
    const unexpected = { query: '{ _entities(representations: [{ __typename: "Nope", id: "x" }]) { __typename } }' };
    await post(unexpected);
    // An upstream failure whose provider message, with an ARN and a secret in it, must stay in the logs.
    t.emulator.injectFault({ kind: 'error', status: 500, operation: 'DescribeObject', message: `Internal error for ${PROVIDER_ARN}: key ${PROVIDER_SECRET}` });
    await post({ query: '{ object(path: "prod/object.txt") { path } }' });
    t.emulator.clearFaults();
    await post({ query: '{ objects(path: "prod", first: -1) { edges { cursor } } }' });
    await post({ query: '{ objects(path: "prod", first: 1, after: "forged") { edges { cursor } } }' });
    await post({ query: 'query Q($f: Int!) { objects(path: "prod", first: $f) { edges { cursor } } }', variables: { f: 'abc' } });
    await post({ query: '{ nope }' });
    await post({ query: '{' });
    await post({ query: DELETE_MUTATION });
    await post([{ query: '{ __typename }' }]);
    const viaSse = await fetch(`${t.gateway.url}/graphql/stream`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, ...auth, accept: 'text/event-stream' },
      body: JSON.stringify(unexpected),
    });
    bodies.push(await viaSse.text());
    const ws = createWsClient({
      url: t.graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: { authorization: auth['authorization'] },
    });
    try {
      for await (const result of ws.iterate(unexpected)) bodies.push(JSON.stringify(result));
    } finally {
      await ws.dispose();
    }

    const all = bodies.join('\n');
    for (const code of ['INTERNAL_SERVER_ERROR', 'UPSTREAM_UNAVAILABLE', 'BAD_USER_INPUT', 'CURSOR_INVALID', 'GRAPHQL_PARSE_FAILED', 'NOT_FOUND']) {
      expect(all, code).toContain(`"${code}"`);
    }
    expect(all.match(/"INTERNAL_SERVER_ERROR"/g)?.length).toBe(3);
    for (const leak of ['stacktrace', 'exception', 'debugMessage', '    at ', 'Nope', 'arn:', PROVIDER_SECRET]) expect(all, leak).not.toContain(leak);
    // The provider did answer with that message: the masking above is what kept it out of the answers.
    expect(t.emulator.count('DescribeObject')).toBeGreaterThan(0);
  });
});

describe('gateway logs', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ ...JWT_AUTH_ENV });
    t.emulator.putObjectDirect('logs/object.txt', 'log me not');
  });

  afterAll(async () => {
    await t.close();
  });

  it('never contain the signing secret, URL signatures, Authorization values or AWS secret keys when signed URLs were used', async () => {
    const token = await mintToken({ scope: 'objects:read objects:write' });
    const bearer = `Bearer ${token}`;
    const signatures: string[] = [];
    const track = (url: string): URL => {
      const parsed = new URL(url);
      signatures.push(parsed.searchParams.get('X-MG-Signature') ?? '');
      return parsed;
    };

    const described = await execute(t.graphqlUrl, GetObjectDocument, { path: 'logs/object.txt' }, { authorization: bearer });
    const download = track(described.data?.object?.url ?? '');
    expect((await fetch(download, { headers: { authorization: bearer } })).status).toBe(200);
    expect((await fetch(download, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(download, { headers: { range: 'bytes=0-2' } })).status).toBe(206);
    const forged = new URL(download);
    forged.searchParams.set('X-MG-Signature', 'AAAA');
    expect((await fetch(forged)).status).toBe(403);

    const ticket = await execute(t.graphqlUrl, CreateObjectUploadDocument, { input: { path: 'logs/upload.txt', contentType: 'text/plain' } }, { authorization: bearer });
    const upload = track(ticket.data?.createObjectUpload.url ?? '');
    expect((await fetch(upload, { method: 'PUT', body: 'uploaded', headers: { 'content-type': 'text/plain', authorization: bearer } })).status).toBe(201);

    // Failures are what get logged: an upstream error during a byte request and a masked unexpected error.
    t.emulator.injectFault({ kind: 'error', status: 500 });
    expect((await fetch(download)).status).toBe(502);
    expect(errorCodes(await execute(t.graphqlUrl, GetObjectDocument, { path: 'logs/object.txt' }, { authorization: bearer }))).toEqual(['UPSTREAM_UNAVAILABLE']);
    t.emulator.clearFaults();
    await postGraphql(t.graphqlUrl, { query: '{ _entities(representations: [{ __typename: "Nope", id: "x" }]) { __typename } }' }, { authorization: bearer });
    await postGraphql(t.graphqlUrl, { query: print(GetObjectDocument), variables: { path: `../${download.search}` } }, { authorization: bearer });

    // Refused credentials are logged by code only: an expired token, and one signed with another secret.
    const expired = await mintToken({ expiresInSeconds: -3600 });
    const foreign = await mintToken({ secret: 'another-secret-that-is-also-long-enough-9876543210' });
    for (const token of [expired, foreign]) {
      expect(errorCodes(await execute(t.graphqlUrl, GetObjectDocument, { path: 'logs/object.txt' }, { authorization: `Bearer ${token}` }))).toEqual(['UNAUTHENTICATED']);
    }

    const logs = t.logs.join('');
    expect(logs).toContain('unexpected error masked');
    expect(logs).toContain('"errorCodes":["UPSTREAM_UNAVAILABLE"]');
    const keys = deriveSigningKeys(TEST_SIGNING_SECRET);
    const secrets: Record<string, string> = {
      'signing secret': TEST_SIGNING_SECRET,
      'cursor key': keys.cursor.toString('hex'),
      'url key (hex)': keys.url.toString('hex'),
      'url key (base64url)': keys.url.toString('base64url'),
      'signature parameter': 'X-MG-Signature=',
      'authorization value': bearer,
      'authorization token': bearer.slice('Bearer '.length),
      'token signature': token.split('.')[2] ?? 'unset',
      'expired token': expired,
      'foreign token': foreign,
      'JWT secret': TEST_JWT_SECRET,
      'SigV4 authorization': 'AWS4-HMAC-SHA256',
      'AWS secret key': process.env['AWS_SECRET_ACCESS_KEY'] ?? 'unset-aws-secret',
      'embedded emulator secret key': EMULATOR_CREDENTIALS.secretAccessKey,
    };
    signatures.forEach((signature, i) => {
      expect(signature.length, `signature ${i}`).toBeGreaterThan(10);
      secrets[`signature ${i}`] = signature;
    });
    // Asserted as booleans so a failure names the leak without printing the secret.
    for (const [name, secret] of Object.entries(secrets)) expect(logs.includes(secret), name).toBe(false);
  });
});

describe('GraphQL HTTP batching when enabled', () => {
  let t: TestGateway;
  let auth: Record<string, string>;
  const BATCH_MAX = 5;

  beforeAll(async () => {
    // Burst 6: one batch of 5 fits, a second does not, so the batch is charged per operation.
    t = await startTestGateway({ ...JWT_AUTH_ENV, GRAPHQL_BATCH_MAX: String(BATCH_MAX), RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '6' });
    for (let i = 0; i < BATCH_MAX; i += 1) t.emulator.putObjectDirect(`batch/item-${i}.txt`, `item ${i}`);
    auth = await bearerFor({ sub: 'batcher', scope: 'objects:read' });
  });

  afterAll(async () => {
    await t.close();
  });

  const batchOf = (length: number): { query: string }[] =>
    Array.from({ length }, (_, i) => ({ query: `{ object(path: "batch/item-${i % BATCH_MAX}.txt") { path } }` }));

  it('refuses a batch longer than GRAPHQL_BATCH_MAX and executes none of it (S8)', async () => {
    const before = t.emulator.count();
    const response = await fetch(t.graphqlUrl, { method: 'POST', headers: { ...JSON_HEADERS, ...auth }, body: JSON.stringify(batchOf(500)) });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { errors?: GraphQLFormattedError[]; extensions?: unknown };
    expect(errorCodes(body)).toEqual(['BAD_USER_INPUT']);
    expect(t.emulator.count() - before).toBe(0);
  });

  it('runs a batch within the cap and charges the rate limit once per operation', async () => {
    const first = await fetch(t.graphqlUrl, { method: 'POST', headers: { ...JSON_HEADERS, ...auth }, body: JSON.stringify(batchOf(BATCH_MAX)) });
    expect(first.status).toBe(200);
    const results = (await first.json()) as { data?: { object: { path: string } | null } }[];
    expect(results.map((result) => result.data?.object?.path)).toEqual(batchOf(BATCH_MAX).map((_, i) => `batch/item-${i}.txt`));
    // The refused 500-operation batch cost 1 and this one 5: the burst of 6 is spent, and another 5 would take 5 s
    // of refill at 1 per second.
    const second = await fetch(t.graphqlUrl, { method: 'POST', headers: { ...JSON_HEADERS, ...auth }, body: JSON.stringify(batchOf(BATCH_MAX)) });
    expect(second.status).toBe(429);
    await second.body?.cancel();
  });
});
