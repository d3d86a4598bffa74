import { createServer, request as httpRequest, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BodyError } from '../../../src/server/body-errors.js';
import { jsonBody } from '../../../src/server/json-body.js';

const LIMIT = 4_096;
const MAX_DEPTH = 8;

interface Answer {
  readonly status: number;
  readonly json: { readonly body?: unknown; readonly hasBody?: boolean; readonly type?: string; readonly details?: unknown };
  /** Whether the client had finished sending the body when the answer came. */
  readonly bodyComplete: boolean;
  /** Whether the request went out on a connection an earlier request had used. */
  readonly reusedSocket: boolean;
}

describe('jsonBody', () => {
  let server: Server;
  let url: string;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });

  beforeAll(async () => {
    const app = express();
    app.use('/', jsonBody({ limitBytes: LIMIT, maxDepth: MAX_DEPTH, types: ['application/json'], queryParameters: ['variables'] }), (req, res) => {
      res.json({ body: req.body as unknown, hasBody: 'body' in req });
    });
    app.use((error: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      if (!(error instanceof BodyError)) throw error;
      res.status(error.status).json({ type: error.type, details: error.details });
    });
    server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });

  afterAll(async () => {
    agent.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  /** Sends `chunks` (written one by one), ending the body only when `end` is true. */
  function send(chunks: readonly (string | Buffer)[], headers: Record<string, string>, options: { end?: boolean; path?: string; method?: string } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = httpRequest(`${url}${options.path ?? ''}`, { method: options.method ?? 'POST', headers, agent });
      req.once('error', reject);
      req.once('response', (res) => {
        const bodyComplete = req.writableFinished;
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.once('end', () => {
          if (!bodyComplete) req.destroy();
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Answer['json'], bodyComplete, reusedSocket: req.reusedSocket });
        });
      });
      for (const chunk of chunks) req.write(chunk);
      if (options.end !== false) req.end();
    });
  }

  const json = { 'content-type': 'application/json' };

  it('parses a JSON object when the body is plain UTF-8', async () => {
    expect(await send(['{"query":"{ a }","variables":{"x":[1,[2]]}}'], json)).toMatchObject({ status: 200, json: { body: { query: '{ a }', variables: { x: [1, [2]] } } } });
  });

  it('parses the body when it is gzip-compressed or UTF-16 with a byte-order mark', async () => {
    const gzipped = await send([gzipSync('{"a":[1]}')], { ...json, 'content-encoding': 'gzip' });
    expect(gzipped).toMatchObject({ status: 200, json: { body: { a: [1] } } });
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"é":"ü"}', 'utf16le')]);
    expect(await send([utf16], { 'content-type': 'application/json; charset=utf-16le' })).toMatchObject({ status: 200, json: { body: { é: 'ü' } } });
  });

  it('reads an empty body as an empty object and leaves another media type unread', async () => {
    expect(await send([], { ...json, 'content-length': '0' })).toMatchObject({ status: 200, json: { body: {} } });
    const text = await send(['{"a":1}'], { 'content-type': 'text/plain' });
    expect(text).toMatchObject({ status: 200, json: { hasBody: true } });
    expect(text.json.body).toBeUndefined();
  });

  it('refuses a body that is not one JSON object or array as entity.parse.failed', async () => {
    for (const body of ['"text"', '   ', '{"a":', '{"a":1} x']) {
      expect(await send([body], json), body).toMatchObject({ status: 400, json: { type: 'entity.parse.failed' } });
    }
  });

  it('refuses nesting past the limit when the brackets arrive split across chunks, before the body ends', async () => {
    const answer = await send(['{"a":[[[[', '[[[[', '[1'], json, { end: false });
    expect(answer).toMatchObject({ status: 400, json: { type: 'entity.too.deep', details: { limit: 'jsonDepth', max: MAX_DEPTH } }, bodyComplete: false });
    // Exactly at the limit is accepted.
    expect(await send(['{"a":[[[[', '[[[1]]]]', ']]]}'], json)).toMatchObject({ status: 200 });
  });

  it('refuses a body over the limit at once when its declared length is too long, and when it grows too long', async () => {
    const declared = await send(['{'], { ...json, 'content-length': String(LIMIT + 1) }, { end: false });
    expect(declared).toMatchObject({ status: 413, json: { type: 'entity.too.large', details: { maxBytes: LIMIT } }, bodyComplete: false });
    const chunked = await send([`{"a":"${'x'.repeat(LIMIT)}`], { ...json, 'transfer-encoding': 'chunked' }, { end: false });
    expect(chunked).toMatchObject({ status: 413, json: { type: 'entity.too.large' }, bodyComplete: false });
    const gzipBomb = await send([gzipSync(`{"a":"${'x'.repeat(LIMIT * 10)}"}`)], { ...json, 'content-encoding': 'gzip' });
    expect(gzipBomb).toMatchObject({ status: 413, json: { type: 'entity.too.large' } });
  });

  it('refuses a charset that is not a UTF and an unknown Content-Encoding with 415', async () => {
    expect(await send(['{}'], { 'content-type': 'application/json; charset=latin1' })).toMatchObject({ status: 415, json: { type: 'charset.unsupported' } });
    expect(await send(['{}'], { ...json, 'content-encoding': 'compress' })).toMatchObject({ status: 415, json: { type: 'encoding.unsupported' } });
  });

  it('refuses deep JSON in a named query parameter and ignores other parameters', async () => {
    const deep = encodeURIComponent('['.repeat(MAX_DEPTH + 1));
    expect(await send([], {}, { method: 'GET', path: `?variables=${deep}` })).toMatchObject({ status: 400, json: { type: 'entity.too.deep' } });
    expect(await send([], {}, { method: 'GET', path: `?other=${deep}` })).toMatchObject({ status: 200 });
  });

  it('keeps a keep-alive connection usable when a refused body was still being sent', async () => {
    const refused = await send([`[${'['.repeat(MAX_DEPTH)}`, '1'.repeat(LIMIT / 2)], json, { end: true });
    expect(refused.status).toBe(400);
    expect(await send(['{"after":true}'], json)).toMatchObject({ status: 200, json: { body: { after: true } }, reusedSocket: true });
  });
});
