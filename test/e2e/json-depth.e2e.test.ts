import { request as httpRequest } from 'node:http';
import type { GraphQLFormattedError } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi, type MockInstance } from 'vitest';
import WebSocket from 'ws';
import { bearer, JWT_AUTH_ENV } from '../helpers/auth.js';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** The default `GRAPHQL_JSON_MAX_DEPTH`. */
const MAX_DEPTH = 64;
/** The probe's body: 1.8 MB of nested arrays, under the 2 MiB body limit. */
const DEEP_BYTES = 1_800_000;
const JSON_HEADERS = { 'content-type': 'application/json' };
const SSE_HEADERS = { ...JSON_HEADERS, accept: 'text/event-stream' };

/** `[[[…]]]` of `levels` arrays, closed. */
function nestedArrays(levels: number): string {
  return `${'['.repeat(levels)}${']'.repeat(levels)}`;
}

/** A GraphQL request whose `extensions` nest arrays so that the whole body is exactly `depth` deep. */
function requestOfDepth(depth: number): string {
  // The body object and `extensions` are two levels; the arrays make up the rest.
  return `{"query":"{ __typename }","extensions":{"x":${nestedArrays(depth - 2)}}}`;
}

interface Answer {
  readonly status: number;
  readonly errors: readonly GraphQLFormattedError[];
  /** Whether the client had finished sending the body when the answer came. */
  readonly bodyComplete: boolean;
}

/**
 * POSTs `firstChunk` as the start of a chunked body and never ends it: an answer can only come from what the server
 * saw of that first piece, before any body was complete, let alone parsed.
 */
function postHeldOpen(url: string, headers: Record<string, string>, firstChunk: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: { ...headers, 'transfer-encoding': 'chunked' } });
    req.once('error', reject);
    req.once('response', (res) => {
      const bodyComplete = req.writableFinished;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, errors: (JSON.parse(text) as { errors?: GraphQLFormattedError[] }).errors ?? [], bodyComplete });
      });
    });
    req.write(firstChunk);
  });
}

async function post(url: string, headers: Record<string, string>, body: string): Promise<{ status: number; errors: readonly GraphQLFormattedError[]; data?: unknown }> {
  const response = await fetch(url, { method: 'POST', headers, body });
  const json = (await response.json()) as { errors?: GraphQLFormattedError[]; data?: unknown };
  return { status: response.status, errors: json.errors ?? [], data: json.data };
}

function expectDepthRefusal(errors: readonly GraphQLFormattedError[], context: string): void {
  expect(errors.map((error) => error.extensions), context).toEqual([{ code: 'BAD_REQUEST', retryable: false, limit: 'jsonDepth', max: MAX_DEPTH }]);
  expect(errors[0]?.message, context).toContain('GRAPHQL_JSON_MAX_DEPTH');
}

/** Watches JSON.parse in this process (the gateway runs in it) for any text as long as the deep bodies. */
function watchLargeParses(): { spy: MockInstance<typeof JSON.parse>; large(): number } {
  const spy = vi.spyOn(JSON, 'parse');
  return { spy, large: () => spy.mock.calls.filter(([text]) => typeof text === 'string' && text.length >= 100_000).length };
}

/** Opens a graphql-ws socket and sends `frames` in turn; resolves with the close code and reason. */
function wsCloseAfter(url: string, frames: readonly string[]): Promise<{ code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    socket.once('error', reject);
    socket.once('open', () => {
      const [first, ...rest] = frames;
      if (first !== undefined) socket.send(first);
      socket.on('message', (data: Buffer) => {
        if ((JSON.parse(data.toString('utf8')) as { type?: string }).type === 'connection_ack') for (const frame of rest) socket.send(frame);
      });
    });
    socket.once('close', (code, reason) => resolve({ code, reason: reason.toString('utf8') }));
  });
}

describe('deeply nested JSON (S16)', () => {
  describe('without authentication', () => {
    let t: TestGateway;
    let watch: ReturnType<typeof watchLargeParses> | undefined;

    beforeAll(async () => {
      t = await startTestGateway({ GRAPHQL_BATCH_MAX: '5' });
    });

    afterEach(() => {
      watch?.spy.mockRestore();
      watch = undefined;
    });

    afterAll(async () => {
      await t.close();
    });

    it('refuses a body nested past the limit with a coded 400 before the body is complete, on /graphql, a batch and /graphql/stream', async () => {
      watch = watchLargeParses();
      const deep = '['.repeat(DEEP_BYTES);
      const cases: [string, string, Record<string, string>][] = [
        ['/graphql', deep, JSON_HEADERS],
        ['/graphql batch', `[{"query":"{ __typename }","variables":{"v":${deep}`, JSON_HEADERS],
        ['/graphql/stream', deep, SSE_HEADERS],
      ];
      for (const [name, body, headers] of cases) {
        const answer = await postHeldOpen(`${t.gateway.url}${name.split(' ')[0] ?? ''}`, headers, body);
        expect(answer.status, name).toBe(400);
        expect(answer.bodyComplete, name).toBe(false);
        expectDepthRefusal(answer.errors, name);
      }
      expect(watch.large()).toBe(0);
    });

    it('refuses deep JSON in the variables and extensions of a GET with the same coded 400', async () => {
      const deep = encodeURIComponent(nestedArrays(MAX_DEPTH + 1));
      for (const [path, headers] of [
        ['/graphql', { 'apollo-require-preflight': 'true' }],
        ['/graphql/stream', { accept: 'text/event-stream' }],
      ] as const) {
        for (const parameter of ['variables', 'extensions']) {
          const response = await fetch(`${t.gateway.url}${path}?query=${encodeURIComponent('{ __typename }')}&${parameter}=${deep}`, { headers });
          expect(response.status, `${path} ${parameter}`).toBe(400);
          expectDepthRefusal(((await response.json()) as { errors: GraphQLFormattedError[] }).errors, `${path} ${parameter}`);
        }
      }
    });

    it('accepts JSON nested exactly GRAPHQL_JSON_MAX_DEPTH deep and refuses it one level deeper', async () => {
      const atLimit = await post(t.graphqlUrl, JSON_HEADERS, requestOfDepth(MAX_DEPTH));
      expect(atLimit).toMatchObject({ status: 200, data: { __typename: 'Query' } });
      const deeper = await post(t.graphqlUrl, JSON_HEADERS, requestOfDepth(MAX_DEPTH + 1));
      expect(deeper.status).toBe(400);
      expectDepthRefusal(deeper.errors, 'one level deeper');
      // Brackets inside strings are text: a query full of them is no deeper than its object.
      const bracketsInText = await post(t.graphqlUrl, JSON_HEADERS, JSON.stringify({ query: `{ __typename } # ${'['.repeat(10_000)}` }));
      expect(bracketsInText).toMatchObject({ status: 200, data: { __typename: 'Query' } });
    });

    it('closes a graphql-ws socket with 4400 naming the limit when a message nests too deep, before graphql-ws parses it', async () => {
      watch = watchLargeParses();
      // The socket's frame limit (64 KiB by default) bounds the message; the envelope counts towards the depth.
      const deep = '['.repeat(60_000);
      const atInit = await wsCloseAfter(t.graphqlUrl, [`{"type":"connection_init","payload":${deep}}`]);
      expect(atInit).toEqual({ code: 4400, reason: `JSON nested deeper than ${MAX_DEPTH} levels (GRAPHQL_JSON_MAX_DEPTH)` });
      const atSubscribe = await wsCloseAfter(t.graphqlUrl, [
        '{"type":"connection_init"}',
        `{"id":"1","type":"subscribe","payload":{"query":"{ __typename }","variables":{"v":${deep}}}}`,
      ]);
      expect(atSubscribe).toEqual({ code: 4400, reason: `JSON nested deeper than ${MAX_DEPTH} levels (GRAPHQL_JSON_MAX_DEPTH)` });
      expect(watch.spy.mock.calls.filter(([text]) => typeof text === 'string' && text.length >= 50_000)).toEqual([]);
    });

    it('refuses 20 concurrent deep bodies with coded 400s and answers a concurrent { __typename }', async () => {
      const deep = '['.repeat(DEEP_BYTES);
      const [answers, query] = await Promise.all([
        Promise.all(Array.from({ length: 20 }, () => post(t.graphqlUrl, JSON_HEADERS, deep))),
        post(t.graphqlUrl, JSON_HEADERS, JSON.stringify({ query: '{ __typename }' })),
      ]);
      for (const [index, answer] of answers.entries()) {
        expect(answer.status, String(index)).toBe(400);
        expectDepthRefusal(answer.errors, String(index));
      }
      expect(query).toMatchObject({ status: 200, data: { __typename: 'Query' } });
    });
  });

  describe('with JWT authentication', () => {
    let t: TestGateway;

    beforeAll(async () => {
      t = await startTestGateway({ ...JWT_AUTH_ENV, RATE_LIMIT_PER_SECOND: '1000', RATE_LIMIT_BURST: '1000' });
    });

    afterAll(async () => {
      await t.close();
    });

    it('answers 401 before reading the body when credentials are required and missing, on /graphql and /graphql/stream', async () => {
      for (const [path, headers] of [
        ['/graphql', JSON_HEADERS],
        ['/graphql/stream', SSE_HEADERS],
      ] as const) {
        const answer = await postHeldOpen(`${t.gateway.url}${path}`, headers, '['.repeat(DEEP_BYTES));
        expect(answer.status, path).toBe(401);
        expect(answer.bodyComplete, path).toBe(false);
        expect(answer.errors.map((error) => error.extensions?.['code']), path).toEqual(['UNAUTHENTICATED']);
        expect(answer.errors[0]?.extensions?.['retryable'], path).toBe(false);
      }
    });

    it('refuses the deep body with the coded 400 when the caller is authenticated', async () => {
      const headers = { ...(await bearer({ sub: 'deep-json' })) };
      for (const [path, extra] of [
        ['/graphql', JSON_HEADERS],
        ['/graphql/stream', SSE_HEADERS],
      ] as const) {
        const answer = await postHeldOpen(`${t.gateway.url}${path}`, { ...headers, ...extra }, '['.repeat(DEEP_BYTES));
        expect(answer.status, path).toBe(400);
        expectDepthRefusal(answer.errors, path);
      }
    });
  });
});
