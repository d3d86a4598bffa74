import { connect } from 'node:net';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWT_AUTH_ENV, bearer } from '../helpers/auth.js';
import { postGraphql, startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** An answer of the byte endpoint: status and parsed JSON body (`undefined` for HEAD or an empty body). */
interface ByteAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly json: unknown;
  readonly text: string;
}

/** Sends `method target` exactly as given (no URL normalisation), with an optional body, and reads the answer. */
function send(base: string, method: string, target: string, headers: Record<string, string> = {}, body?: string): Promise<ByteAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path: target, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const json: unknown = text === '' || !(res.headers['content-type'] ?? '').includes('json') ? undefined : JSON.parse(text);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json, text });
      });
    });
    req.once('error', reject);
    req.end(body);
  });
}

/** Sends raw bytes as a request and resolves with the status line the server answers. */
function sendRaw(base: string, head: Buffer): Promise<string> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.end(head));
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('error', reject);
    socket.once('close', () => resolve(Buffer.concat(chunks).toString('latin1').split('\r\n')[0] ?? ''));
  });
}

/** The parsed log lines at level warn (40) or above. */
function warnings(t: TestGateway): Record<string, unknown>[] {
  return t.logs
    .flatMap((text) => text.split('\n'))
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => typeof line['level'] === 'number' && line['level'] >= 40);
}

describe('Object byte endpoint request targets', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway();
  });

  afterAll(async () => {
    await t.close();
  });

  it('answers a coded 400 BAD_USER_INPUT with no upstream call when the path is not valid percent-encoding', async () => {
    const targets = ['/objects/%zz%', '/objects/%', '/objects/a/%2', '/objects/a%zzb', '/objects/%E0%A4%A', '/objects/%C0%AF', '/objects/%ED%A0%80'];
    const before = warnings(t).length;
    t.emulator.resetRequests();
    for (const target of targets) {
      for (const method of ['GET', 'HEAD', 'PUT']) {
        for (const query of ['', '?X-MG-Expires=9999999999&X-MG-Signature=AAAA']) {
          const answer = await send(t.gateway.url, method, `${target}${query}`, method === 'PUT' ? { 'content-length': '0' } : {});
          expect({ target, method, query, status: answer.status }).toEqual({ target, method, query, status: 400 });
          if (method !== 'HEAD') {
            expect(answer.json, `${method} ${target}${query}`).toEqual({ error: { code: 'BAD_USER_INPUT', message: expect.stringContaining('percent-encoding') as unknown, retryable: false } });
          }
        }
      }
    }
    expect(t.emulator.count()).toBe(0);
    // A refused input is the client's mistake: nothing for an operator to look at.
    expect(warnings(t).slice(before)).toEqual([]);
  });

  it('answers a coded 400 BAD_USER_INPUT with no upstream call for dot segments, empty segments, NUL and an empty path', async () => {
    const targets = ['/objects/', '/objects/a/../b', '/objects/a/%2E%2E/b', '/objects/./a', '/objects/a//b', '/objects///a', '/objects/a%00b', '/objects/%00', '/objects/a/'];
    t.emulator.resetRequests();
    for (const target of targets) {
      for (const method of ['GET', 'HEAD', 'PUT']) {
        const answer = await send(t.gateway.url, method, target, method === 'PUT' ? { 'content-length': '0' } : {});
        expect({ target, method, status: answer.status }).toEqual({ target, method, status: 400 });
        if (method !== 'HEAD') expect(answer.json, `${method} ${target}`).toMatchObject({ error: { code: 'BAD_USER_INPUT', retryable: false } });
      }
    }
    expect(t.emulator.count()).toBe(0);
  });

  it('refuses a raw NUL byte in the request target with 400 before any route runs', async () => {
    t.emulator.resetRequests();
    const status = await sendRaw(t.gateway.url, Buffer.from('GET /objects/a\u0000b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 'latin1'));
    expect(status).toMatch(/^HTTP\/1\.1 400 /);
    expect(t.emulator.count()).toBe(0);
  });
});

describe('Object byte endpoint error bodies', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway();
    t.emulator.putObjectDirect('errors/a.txt', 'hello');
  });

  afterAll(async () => {
    await t.close();
  });

  it('carries code, message and retryable in every error body, with retryable true only where a retry may succeed', async () => {
    const signed = (path: string): string => {
      const url = new URL(t.gateway.services.urls.download(path, 600).url);
      return `${url.pathname}${url.search}`;
    };
    const missing = await send(t.gateway.url, 'GET', signed('errors/missing.txt'));
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: { code: 'NOT_FOUND', message: expect.any(String) as unknown, retryable: false } });
    // A range past the end (several ranges are ignored instead: objects-http.e2e.test.ts).
    const range = await send(t.gateway.url, 'GET', signed('errors/a.txt'), { range: 'bytes=100-' });
    expect(range.status).toBe(416);
    expect(range.json).toEqual({ error: { code: 'RANGE_NOT_SATISFIABLE', message: expect.any(String) as unknown, retryable: false, objectSize: 5 } });
    const method = await send(t.gateway.url, 'DELETE', '/objects/errors/a.txt');
    expect(method.status).toBe(405);
    expect(method.json).toEqual({ error: { code: 'BAD_USER_INPUT', message: expect.any(String) as unknown, retryable: false } });
    const tooLarge = await send(t.gateway.url, 'PUT', '/objects/errors/huge.bin', { 'content-length': String(26 * 1024 * 1024) });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json).toEqual({ error: { code: 'PAYLOAD_TOO_LARGE', message: expect.any(String) as unknown, retryable: false, maxBytes: 25 * 1024 * 1024 } });
    const unframed = await send(t.gateway.url, 'PUT', '/objects/errors/unframed.bin', { 'transfer-encoding': 'chunked' }, 'x');
    expect(unframed.status).toBe(411);
    // The HTTP status is the endpoint's business, not a detail of the error.
    expect(unframed.json).toEqual({ error: { code: 'BAD_USER_INPUT', message: expect.any(String) as unknown, retryable: false } });
    t.emulator.injectFault({ kind: 'error', status: 500, operation: 'GetObject' });
    try {
      const failing = await send(t.gateway.url, 'GET', signed('errors/a.txt'));
      expect(failing.status).toBe(502);
      expect(failing.json).toEqual({ error: { code: 'UPSTREAM_UNAVAILABLE', message: expect.any(String) as unknown, retryable: true } });
    } finally {
      t.emulator.clearFaults();
    }
  });
});

describe('Object byte endpoint without credentials in anonymous development mode', () => {
  let t: TestGateway;

  beforeAll(async () => {
    // No authentication configured: the development mode in which GraphQL is open to anonymous callers.
    t = await startTestGateway();
    t.emulator.putObjectDirect('dev/readme.txt', 'open in development', { contentType: 'text/plain' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('serves an unsigned GET, HEAD and PUT without credentials as GraphQL serves an anonymous query', async () => {
    const graphql = await postGraphql<{ object: { contentLength: number } | null }>(t.graphqlUrl, { query: '{ object(path: "dev/readme.txt") { contentLength } }' });
    expect(graphql.errors).toBeUndefined();
    expect(graphql.data?.object?.contentLength).toBe(19);
    const get = await fetch(`${t.gateway.url}/objects/dev/readme.txt`);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe('open in development');
    const head = await fetch(`${t.gateway.url}/objects/dev/readme.txt`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('19');
    const put = await fetch(`${t.gateway.url}/objects/dev/new.txt`, { method: 'PUT', body: 'written anonymously', headers: { 'content-type': 'text/plain' } });
    expect(put.status).toBe(201);
    expect(t.emulator.readObjectDirect('dev/new.txt')?.toString()).toBe('written anonymously');
  });

  it('still refuses a bad signature with 403 when it carries one', async () => {
    const answer = await send(t.gateway.url, 'GET', '/objects/dev/readme.txt?X-MG-Expires=9999999999&X-MG-Signature=AAAA');
    expect(answer.status).toBe(403);
    expect(answer.json).toMatchObject({ error: { code: 'FORBIDDEN', retryable: false } });
  });
});

describe('Object byte endpoint without credentials when authentication is configured', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ ...JWT_AUTH_ENV });
    t.emulator.putObjectDirect('auth/readme.txt', 'closed');
  });

  afterAll(async () => {
    await t.close();
  });

  it('refuses an unsigned GET, HEAD and PUT without credentials with 401 and no upstream call, as GraphQL refuses', async () => {
    const graphql = await postGraphql(t.graphqlUrl, { query: '{ object(path: "auth/readme.txt") { contentLength } }' });
    expect(graphql.status).toBe(401);
    t.emulator.resetRequests();
    for (const method of ['GET', 'HEAD', 'PUT']) {
      const answer = await send(t.gateway.url, method, '/objects/auth/readme.txt', method === 'PUT' ? { 'content-length': '1' } : {}, method === 'PUT' ? 'x' : undefined);
      expect(answer.status, method).toBe(401);
      expect(answer.headers['www-authenticate'], method).toBe('Bearer, ApiKey');
      if (method !== 'HEAD') expect(answer.json, method).toEqual({ error: { code: 'UNAUTHENTICATED', message: expect.any(String) as unknown, retryable: false } });
    }
    expect(t.emulator.count()).toBe(0);
    const withToken = await fetch(`${t.gateway.url}/objects/auth/readme.txt`, { headers: await bearer({ scope: 'objects:read' }) });
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toBe('closed');
  });
});
