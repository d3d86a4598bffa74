import type { GraphQLFormattedError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { bearer, JWT_AUTH_ENV, mintToken } from '../helpers/auth.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/**
 * The error contract (issue 12, defect 7): every error a client can meet, request-level refusals included, carries
 * `extensions.code` and `extensions.retryable`, over HTTP, graphql-ws and SSE alike, and a retryable `RATE_LIMITED`
 * also carries `retryAfterMs`. Each case below is one error path.
 */

/** The codes a client may retry unchanged; every other code must say `retryable: false`. */
const RETRYABLE_CODES = new Set(['RATE_LIMITED', 'UPSTREAM_THROTTLED', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_TIMEOUT']);
const ROUTER_SECRET = 'contract-router-secret-0123456789';
const STREAM = 'contract-stream';
const JSON_HEADERS = { 'content-type': 'application/json' };
const SSE_HEADERS = { ...JSON_HEADERS, accept: 'text/event-stream' };
const ALIASES = `{ ${Array.from({ length: 31 }, (_, index) => `a${index}: __typename`).join(' ')} }`;
const BAD_VARIABLE = { query: 'query ($first: Int) { objects(path: "/", first: $first) { edges { cursor } } }', variables: { first: 'many' } };
const FOREIGN_CURSOR = { query: '{ objects(path: "/", first: 1, after: "not-a-cursor") { edges { cursor } } }' };
const UNKNOWN_HASH = { extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } } };
const LIVE_SUBSCRIPTION = `subscription { streamFragments(stream: "${STREAM}") { __typename } }`;

/** Checks both keys of every error, and `retryAfterMs` where the code promises one. */
function expectContract(errors: readonly GraphQLFormattedError[] | undefined, code: string, context: string): void {
  expect(errors?.length ?? 0, `${context}: errors`).toBeGreaterThan(0);
  for (const error of errors ?? []) {
    expect(error.extensions?.['code'], context).toBe(code);
    expect(error.extensions?.['retryable'], context).toBe(RETRYABLE_CODES.has(code));
    if (code === 'RATE_LIMITED') expect(typeof error.extensions?.['retryAfterMs'], `${context}: retryAfterMs`).toBe('number');
  }
}

interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly errors?: readonly GraphQLFormattedError[];
}

async function http(url: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<HttpAnswer> {
  const response = await fetch(url, { method: init.method ?? (init.body === undefined ? 'GET' : 'POST'), headers: init.headers, body: init.body });
  const text = await response.text();
  // Event streams (an accepted SSE request) have no errors to read here.
  const json = response.headers.get('content-type')?.includes('json') === true && text !== '';
  const errors = json ? (JSON.parse(text) as { errors?: GraphQLFormattedError[] }).errors : undefined;
  return { status: response.status, headers: response.headers, ...(errors === undefined ? {} : { errors }) };
}

/** The errors of every `next` event of an SSE response body (distinct connections mode). */
function sseErrors(text: string): GraphQLFormattedError[] {
  return text
    .split('\n\n')
    .filter((event) => event.startsWith('event: next'))
    .flatMap((event) => (JSON.parse(event.slice(event.indexOf('data: ') + 'data: '.length)) as { errors?: GraphQLFormattedError[] }).errors ?? []);
}

async function sseInStream(url: string, body: unknown, headers: Record<string, string> = {}): Promise<GraphQLFormattedError[]> {
  const response = await fetch(url, { method: 'POST', headers: { ...SSE_HEADERS, ...headers }, body: JSON.stringify(body) });
  expect(response.status).toBe(200);
  return sseErrors(await response.text());
}

/** A graphql-ws connection spoken frame by frame, so error messages are seen exactly as sent. */
class WsSession {
  private readonly frames: { id?: string; type: string; payload?: unknown }[] = [];
  private wake: (() => void) | undefined;

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data: Buffer) => {
      this.frames.push(JSON.parse(data.toString('utf8')) as { id?: string; type: string; payload?: unknown });
      this.wake?.();
    });
    socket.on('close', () => this.wake?.());
  }

  static async open(url: string, payload: Record<string, unknown> = {}): Promise<WsSession> {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const session = new WsSession(socket);
    socket.send(JSON.stringify({ type: 'connection_init', payload }));
    await session.next((frame) => frame.type === 'connection_ack');
    return session;
  }

  /** Starts operation `id` without waiting for it. */
  start(id: string, payload: unknown): void {
    this.socket.send(JSON.stringify({ id, type: 'subscribe', payload }));
  }

  /** Runs operation `id` to its end; the errors of its `error` message or of its `next` messages. */
  async run(id: string, payload: unknown): Promise<{ readonly via: 'error' | 'next'; readonly errors: GraphQLFormattedError[] }> {
    this.start(id, payload);
    const end = await this.next((frame) => frame.id === id && (frame.type === 'error' || frame.type === 'complete'));
    if (end.type === 'error') return { via: 'error', errors: end.payload as GraphQLFormattedError[] };
    const nexts = this.frames.filter((frame) => frame.id === id && frame.type === 'next');
    return { via: 'next', errors: nexts.flatMap((frame) => (frame.payload as { errors?: GraphQLFormattedError[] }).errors ?? []) };
  }

  close(): void {
    this.socket.close();
  }

  private async next(match: (frame: { id?: string; type: string; payload?: unknown }) => boolean): Promise<{ id?: string; type: string; payload?: unknown }> {
    for (;;) {
      const found = this.frames.find(match);
      if (found !== undefined) return found;
      if (this.socket.readyState !== WebSocket.OPEN) throw new Error(`socket closed while waiting; frames: ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

describe('error contract', () => {
  describe('without authentication', () => {
    let t: TestGateway;
    let base: string;

    beforeAll(async () => {
      t = await startTestGateway({
        GRAPHQL_BATCH_MAX: '2',
        GRAPHQL_BODY_LIMIT_BYTES: '65536',
        SUBGRAPH_ROUTER_SECRET: ROUTER_SECRET,
        WS_MAX_SUBSCRIPTIONS_PER_SOCKET: '1',
      });
      base = t.gateway.url;
      t.gateway.emulators.kinesis?.createStream(STREAM);
    });

    afterAll(async () => {
      await t.close();
    });

    it('carries code and retryable on every refusal and error over HTTP', async () => {
      const graphql = `${base}/graphql`;
      const post = (body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> =>
        http(graphql, { headers: { ...JSON_HEADERS, ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
      const cases: [string, () => Promise<HttpAnswer>, number, string][] = [
        ['malformed JSON', () => post('{"query":'), 400, 'BAD_REQUEST'],
        ['a JSON string instead of an object', () => post('"{ __typename }"'), 400, 'BAD_REQUEST'],
        ['a body over GRAPHQL_BODY_LIMIT_BYTES', () => post(`{"query":"${' '.repeat(70_000)}"}`), 413, 'PAYLOAD_TOO_LARGE'],
        ['JSON nested past GRAPHQL_JSON_MAX_DEPTH', () => post('['.repeat(1_000)), 400, 'BAD_REQUEST'],
        ['a charset that is not a UTF', () => post({ query: '{ __typename }' }, { 'content-type': 'application/json; charset=latin1' }), 415, 'BAD_REQUEST'],
        ['an unsupported Content-Encoding', () => post({ query: '{ __typename }' }, { 'content-encoding': 'compress' }), 415, 'BAD_REQUEST'],
        ['no query', () => post({}), 400, 'BAD_REQUEST'],
        ['a GET without a CSRF preflight header', () => http(`${graphql}?query=${encodeURIComponent('{ __typename }')}`), 400, 'BAD_REQUEST'],
        [
          'a mutation over GET',
          () => http(`${graphql}?query=${encodeURIComponent('mutation { deleteObject(input: { path: "x.txt" }) { path } }')}`, { headers: { 'apollo-require-preflight': 'true' } }),
          405,
          'BAD_REQUEST',
        ],
        ['deep JSON in GET variables', () => http(`${graphql}?query=${encodeURIComponent('{ __typename }')}&variables=${'['.repeat(100)}`, { headers: { 'apollo-require-preflight': 'true' } }), 400, 'BAD_REQUEST'],
        ['a syntax error', () => post({ query: '{' }), 400, 'GRAPHQL_PARSE_FAILED'],
        ['an unknown field', () => post({ query: '{ nope }' }), 400, 'GRAPHQL_VALIDATION_FAILED'],
        ['an operation limit', () => post({ query: ALIASES }), 400, 'GRAPHQL_VALIDATION_FAILED'],
        ['a variable that does not coerce', () => post(BAD_VARIABLE), 400, 'BAD_USER_INPUT'],
        ['a batch over GRAPHQL_BATCH_MAX', () => post([{ query: '{ __typename }' }, { query: '{ __typename }' }, { query: '{ __typename }' }]), 400, 'BAD_USER_INPUT'],
        ['an unknown persisted-query hash', () => post(UNKNOWN_HASH), 200, 'PERSISTED_QUERY_NOT_FOUND'],
        ['an operation name the document lacks', () => post({ query: 'query A { __typename }', operationName: 'B' }), 400, 'OPERATION_RESOLUTION_FAILURE'],
        ['a subscription over plain HTTP', () => post({ query: 'subscription { streamFragments(stream: "s") { __typename } }' }), 400, 'BAD_REQUEST'],
        ['_service without the router secret', () => post({ query: '{ _service { sdl } }' }), 403, 'FORBIDDEN'],
        ['a domain error from a resolver', () => post(FOREIGN_CURSOR), 200, 'CURSOR_INVALID'],
        ['first above the cap', () => post({ query: '{ objects(path: "/", first: 1000) { edges { cursor } } }' }), 200, 'BAD_USER_INPUT'],
      ];
      for (const [name, send, status, code] of cases) {
        const answer = await send();
        expect(answer.status, name).toBe(status);
        expectContract(answer.errors, code, `HTTP: ${name}`);
      }
    });

    it('carries code and retryable on every refusal and in-stream error over SSE', async () => {
      const stream = `${base}/graphql/stream`;
      const refusals: [string, () => Promise<HttpAnswer>, number, string][] = [
        ['a POST without Accept: text/event-stream', () => http(stream, { headers: JSON_HEADERS, body: JSON.stringify({ query: '{ __typename }' }) }), 406, 'BAD_REQUEST'],
        ['a GET without Accept: text/event-stream', () => http(`${stream}?query=${encodeURIComponent('{ __typename }')}`), 406, 'BAD_REQUEST'],
        ['a POST that is not JSON', () => http(stream, { headers: { 'content-type': 'text/plain', accept: 'text/event-stream' }, body: '{}' }), 415, 'BAD_REQUEST'],
        ['malformed JSON', () => http(stream, { headers: SSE_HEADERS, body: '{"query":' }), 400, 'BAD_REQUEST'],
        ['a body over GRAPHQL_BODY_LIMIT_BYTES', () => http(stream, { headers: SSE_HEADERS, body: `{"query":"${' '.repeat(70_000)}"}` }), 413, 'PAYLOAD_TOO_LARGE'],
        ['JSON nested past GRAPHQL_JSON_MAX_DEPTH', () => http(stream, { headers: SSE_HEADERS, body: '['.repeat(1_000) }), 400, 'BAD_REQUEST'],
        [
          'a mutation over GET',
          () => http(`${stream}?query=${encodeURIComponent('mutation { deleteObject(input: { path: "x.txt" }) { path } }')}`, { headers: { accept: 'text/event-stream' } }),
          405,
          'BAD_REQUEST',
        ],
        ['a persisted-query hash without its text', () => http(stream, { headers: SSE_HEADERS, body: JSON.stringify(UNKNOWN_HASH) }), 400, 'BAD_REQUEST'],
        [
          'an operation on an unreserved single-connection token',
          () => http(stream, { headers: { ...JSON_HEADERS, 'x-graphql-event-stream-token': 'never-reserved' }, body: JSON.stringify({ query: '{ __typename }', extensions: { operationId: '1' } }) }),
          404,
          'NOT_FOUND',
        ],
      ];
      for (const [name, send, status, code] of refusals) {
        const answer = await send();
        expect(answer.status, name).toBe(status);
        expectContract(answer.errors, code, `SSE: ${name}`);
      }
      const notAccepted = await http(stream, { headers: JSON_HEADERS, body: JSON.stringify({ query: '{ __typename }' }) });
      expect(notAccepted.errors?.[0]?.message).toContain('Accept: text/event-stream');
      const unreserved = await http(stream, { headers: { ...JSON_HEADERS, 'x-graphql-event-stream-token': 'never-reserved' }, body: '{}' });
      expect(unreserved.errors?.[0]?.message).not.toBe('Stream not found');

      const inStream: [string, unknown, string][] = [
        ['a syntax error', { query: '{' }, 'GRAPHQL_PARSE_FAILED'],
        ['an unknown field', { query: '{ nope }' }, 'GRAPHQL_VALIDATION_FAILED'],
        ['an operation limit', { query: ALIASES }, 'GRAPHQL_VALIDATION_FAILED'],
        ['a variable that does not coerce', BAD_VARIABLE, 'BAD_USER_INPUT'],
        ['_service without the router secret', { query: '{ _service { sdl } }' }, 'FORBIDDEN'],
        ['a domain error from a resolver', FOREIGN_CURSOR, 'CURSOR_INVALID'],
      ];
      for (const [name, body, code] of inStream) expectContract(await sseInStream(stream, body), code, `SSE stream: ${name}`);
    });

    it('answers a coded 406 naming the Accept header when an SSE request does not ask for an event stream, and streams when Accept lists it among others', async () => {
      const stream = `${base}/graphql/stream`;
      for (const accept of [undefined, '*/*', 'application/json', 'text/event-stream;q=0, application/json']) {
        const answer = await http(stream, { headers: { ...JSON_HEADERS, ...(accept === undefined ? {} : { accept }) }, body: JSON.stringify({ query: '{ __typename }' }) });
        expect(answer.status, String(accept)).toBe(406);
        expectContract(answer.errors, 'BAD_REQUEST', `SSE with Accept: ${String(accept)}`);
        expect(answer.errors?.[0]?.message, String(accept)).toBe('This endpoint streams Server-Sent Events: send the header `Accept: text/event-stream`.');
        expect(answer.errors?.[0]?.extensions?.['header']).toBe('accept');
      }
      const listed = await fetch(stream, {
        method: 'POST',
        headers: { ...JSON_HEADERS, accept: 'application/json;q=0.5, text/event-stream' },
        body: JSON.stringify({ query: '{ __typename }' }),
      });
      expect(listed.status).toBe(200);
      expect(listed.headers.get('content-type')).toContain('text/event-stream');
      expect(await listed.text()).toContain('{"data":{"__typename":"Query"}}');
    });

    it('carries code and retryable on every error message over graphql-ws', async () => {
      const session = await WsSession.open(t.graphqlUrl);
      try {
        const cases: [string, unknown, 'error' | 'next', string][] = [
          ['a syntax error', { query: '{' }, 'error', 'GRAPHQL_PARSE_FAILED'],
          ['an unknown field', { query: '{ nope }' }, 'error', 'GRAPHQL_VALIDATION_FAILED'],
          ['an operation limit', { query: ALIASES }, 'error', 'GRAPHQL_VALIDATION_FAILED'],
          ['a variable that does not coerce', BAD_VARIABLE, 'next', 'BAD_USER_INPUT'],
          // graphql-ws itself closes the socket (4400) on a subscribe without a query string.
          ['a hash without its text', { query: '', ...UNKNOWN_HASH }, 'error', 'PERSISTED_QUERY_NOT_SUPPORTED'],
          ['_service (reserved for the router)', { query: '{ _service { sdl } }' }, 'error', 'FORBIDDEN'],
          ['a domain error from a resolver', FOREIGN_CURSOR, 'next', 'CURSOR_INVALID'],
        ];
        for (const [index, [name, payload, via, code]] of cases.entries()) {
          const result = await session.run(String(index), payload);
          expect(result.via, name).toBe(via);
          expectContract(result.errors, code, `graphql-ws: ${name}`);
        }
        // WS_MAX_SUBSCRIPTIONS_PER_SOCKET is 1: with a live subscription open, the next operation is refused.
        session.start('hold', { query: LIVE_SUBSCRIPTION });
        const refused = await session.run('over-cap', { query: '{ __typename }' });
        expect(refused.via).toBe('error');
        expectContract(refused.errors, 'RATE_LIMITED', 'graphql-ws: the per-socket operation cap');
      } finally {
        session.close();
      }
    });
  });

  describe('with JWT authentication and a small rate limit', () => {
    let t: TestGateway;
    let base: string;

    beforeAll(async () => {
      t = await startTestGateway({ ...JWT_AUTH_ENV, RATE_LIMIT_PER_SECOND: '1', RATE_LIMIT_BURST: '3' });
      base = t.gateway.url;
    });

    afterAll(async () => {
      await t.close();
    });

    const query = JSON.stringify({ query: '{ objects(path: "/", first: 1) { edges { cursor } } }' });

    it('carries code and retryable on authentication, scope and rate-limit refusals over HTTP and SSE', async () => {
      for (const [path, headers] of [
        ['/graphql', JSON_HEADERS],
        ['/graphql/stream', SSE_HEADERS],
      ] as const) {
        const missing = await http(`${base}${path}`, { headers, body: query });
        expect(missing.status, path).toBe(401);
        expectContract(missing.errors, 'UNAUTHENTICATED', `${path}: no credentials`);
        const invalid = await http(`${base}${path}`, { headers: { ...headers, authorization: 'Bearer not.a.jwt' }, body: query });
        expect(invalid.status, path).toBe(401);
        expectContract(invalid.errors, 'UNAUTHENTICATED', `${path}: an invalid token`);
      }
      const forbidden = await http(`${base}/graphql`, { headers: { ...JSON_HEADERS, ...(await bearer({ sub: 'scoped', scope: 'streams:read' })) }, body: query });
      expect(forbidden.status).toBe(403);
      expectContract(forbidden.errors, 'FORBIDDEN', 'HTTP: a missing scope');
      const forbiddenInStream = await sseInStream(`${base}/graphql/stream`, JSON.parse(query), await bearer({ sub: 'scoped-sse', scope: 'streams:read' }));
      expectContract(forbiddenInStream, 'FORBIDDEN', 'SSE: a missing scope');

      for (const [path, headers] of [
        ['/graphql', JSON_HEADERS],
        ['/graphql/stream', SSE_HEADERS],
      ] as const) {
        const credentials = await bearer({ sub: `spender${path}`, scope: 'objects:read' });
        let limited: HttpAnswer | undefined;
        // A burst of 3 at 1 per second: the fifth request in a row is refused at the latest.
        for (let attempt = 0; attempt < 5 && limited === undefined; attempt += 1) {
          const answer = await http(`${base}${path}`, { headers: { ...headers, ...credentials }, body: query });
          if (answer.status === 429) limited = answer;
        }
        expect(limited?.status, path).toBe(429);
        expect(limited?.headers.get('retry-after'), path).toMatch(/^\d+$/);
        expectContract(limited?.errors, 'RATE_LIMITED', `${path}: the tenant's rate`);
      }
    });

    it('carries code and retryable on scope and rate-limit errors over graphql-ws', async () => {
      const scoped = await WsSession.open(t.graphqlUrl, { authorization: `Bearer ${await mintToken({ sub: 'scoped-ws', scope: 'streams:read' })}` });
      try {
        const result = await scoped.run('scope', JSON.parse(query));
        expect(result.via).toBe('error');
        expectContract(result.errors, 'FORBIDDEN', 'graphql-ws: a missing scope');
      } finally {
        scoped.close();
      }
      const spender = await WsSession.open(t.graphqlUrl, { authorization: `Bearer ${await mintToken({ sub: 'spender-ws' })}` });
      try {
        let limited: GraphQLFormattedError[] | undefined;
        for (let attempt = 0; attempt < 5 && limited === undefined; attempt += 1) {
          const result = await spender.run(`op-${attempt}`, { query: '{ __typename }' });
          if (result.via === 'error') limited = result.errors;
        }
        expectContract(limited, 'RATE_LIMITED', "graphql-ws: the tenant's rate");
      } finally {
        spender.close();
      }
    });

    it('carries code and retryable in the byte endpoints\u2019 error body', async () => {
      const unauthenticated = await fetch(`${base}/objects/contract/missing.txt`);
      expect(unauthenticated.status).toBe(401);
      expect(((await unauthenticated.json()) as { error: unknown }).error).toMatchObject({ code: 'UNAUTHENTICATED', retryable: false });
      const missing = await fetch(`${base}/objects/contract/missing.txt`, { headers: await bearer({ sub: 'reader', scope: 'objects:read' }) });
      expect(missing.status).toBe(404);
      expect(((await missing.json()) as { error: unknown }).error).toMatchObject({ code: 'NOT_FOUND', retryable: false });
    });
  });
});
