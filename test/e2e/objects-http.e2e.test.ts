import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectDocument } from '../generated/graphql.js';
import { execute } from '../helpers/gateway.js';
import { STORE_KINDS, startStoreGateway, type StoreGateway } from '../helpers/object-stores.js';

/** GET or HEAD with exact headers; resolves with status, headers and the body (empty for HEAD). */
function send(url: string, method: 'GET' | 'HEAD', headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, method, path: `${target.pathname}${target.search}`, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end();
  });
}

// The byte endpoints behave as HTTP caches and players expect (RFC 9110), whichever store is behind them.
describe.each(STORE_KINDS)('Object byte endpoint HTTP semantics on %s', (kind) => {
  let t: StoreGateway;
  let url: string;
  let eTag: string;
  let lastModified: string;
  const body = randomBytes(10_000);

  beforeAll(async () => {
    t = await startStoreGateway(kind);
    await t.store.putDirect('http/clip.bin', body, { contentType: 'video/mp2t', cacheControl: 'max-age=300' });
    const described = await execute(t.graphqlUrl, GetObjectDocument, { path: 'http/clip.bin' });
    url = described.data?.object?.url ?? '';
    const head = await send(url, 'HEAD');
    eTag = String(head.headers['etag']);
    lastModified = String(head.headers['last-modified']);
  }, 60_000);

  afterAll(async () => {
    await t.close();
  });

  it('sends a quoted strong ETag equal to the API\'s eTag and Accept-Ranges: bytes on GET and HEAD', async () => {
    expect(eTag).toMatch(/^"[^"]+"$/);
    expect(eTag).toBe(t.store.eTagOf(body));
    const described = await execute(t.graphqlUrl, GetObjectDocument, { path: 'http/clip.bin' });
    expect(described.data?.object?.eTag).toBe(eTag);
    for (const method of ['GET', 'HEAD'] as const) {
      const response = await send(url, method);
      expect(response.status, method).toBe(200);
      expect(response.headers['etag'], method).toBe(eTag);
      expect(response.headers['accept-ranges'], method).toBe('bytes');
      expect(response.headers['cache-control'], method).toBe('max-age=300');
    }
  });

  it('answers 304 without reading the object when If-None-Match names the current ETag', async () => {
    for (const method of ['GET', 'HEAD'] as const) {
      t.store.resetRequests();
      const response = await send(url, method, { 'if-none-match': `"stale", ${eTag}` });
      expect(response.status, method).toBe(304);
      expect(response.body.length).toBe(0);
      expect(response.headers['etag']).toBe(eTag);
      expect(response.headers['cache-control']).toBe('max-age=300');
      expect(t.store.count('get'), method).toBe(0);
    }
    expect((await send(url, 'GET', { 'if-none-match': '"stale"' })).status).toBe(200);
  });

  it('answers 304 when If-Modified-Since is at or after Last-Modified, and 200 when it is before', async () => {
    expect((await send(url, 'GET', { 'if-modified-since': lastModified })).status).toBe(304);
    expect((await send(url, 'HEAD', { 'if-modified-since': new Date(Date.parse(lastModified) + 60_000).toUTCString() })).status).toBe(304);
    const older = await send(url, 'GET', { 'if-modified-since': new Date(Date.parse(lastModified) - 60_000).toUTCString() });
    expect(older.status).toBe(200);
    expect(older.body.equals(body)).toBe(true);
    // If-None-Match wins over If-Modified-Since (RFC 9110 13.2.2).
    expect((await send(url, 'GET', { 'if-none-match': '"stale"', 'if-modified-since': lastModified })).status).toBe(200);
  });

  it('answers 412 when If-Match does not name the current ETag and serves the object when it does', async () => {
    const refused = await send(url, 'GET', { 'if-match': '"someone-else"' });
    expect(refused.status).toBe(412);
    expect(JSON.parse(refused.body.toString())).toMatchObject({ error: { code: 'CONFLICT' } });
    const served = await send(url, 'GET', { 'if-match': eTag, range: 'bytes=0-9' });
    expect(served.status).toBe(206);
    expect(served.body.equals(body.subarray(0, 10))).toBe(true);
    expect((await send(url, 'HEAD', { 'if-unmodified-since': new Date(Date.parse(lastModified) - 60_000).toUTCString() })).status).toBe(412);
  });

  it('serves the range while If-Range still holds and the whole object once it does not', async () => {
    const current = await send(url, 'GET', { range: 'bytes=100-199', 'if-range': eTag });
    expect(current.status).toBe(206);
    expect(current.headers['content-range']).toBe('bytes 100-199/10000');
    expect(current.body.equals(body.subarray(100, 200))).toBe(true);
    const byDate = await send(url, 'GET', { range: 'bytes=100-199', 'if-range': lastModified });
    expect(byDate.status).toBe(206);
    const changed = await send(url, 'GET', { range: 'bytes=100-199', 'if-range': '"an-older-version"' });
    expect(changed.status).toBe(200);
    expect(changed.headers['content-range']).toBeUndefined();
    expect(changed.body.equals(body)).toBe(true);
  });

  it('answers 416 with Content-Range: bytes */size when the range starts past the end', async () => {
    const response = await send(url, 'GET', { range: 'bytes=10000-' });
    expect(response.status).toBe(416);
    expect(response.headers['content-range']).toBe('bytes */10000');
    expect(response.headers['accept-ranges']).toBe('bytes');
    expect(JSON.parse(response.body.toString())).toMatchObject({ error: { code: 'RANGE_NOT_SATISFIABLE', retryable: false } });
  });

  it.each(['bytes=50-10', 'bytes=0-1,5-6', 'items=0-5', 'bytes=abc', 'bytes=-'])('ignores the syntactically invalid Range %j and sends the whole object with 200', async (range) => {
    t.store.resetRequests();
    const response = await send(url, 'GET', { range });
    expect(response.status).toBe(200);
    expect(response.headers['content-length']).toBe('10000');
    expect(response.headers['content-range']).toBeUndefined();
    expect(response.body.equals(body)).toBe(true);
    expect(t.store.count('get')).toBe(1);
  });

  it('answers GET /objects with a coded JSON 404 and GET /objects/ with a coded JSON 400', async () => {
    t.store.resetRequests();
    for (const [path, status, code] of [
      ['/objects', 404, 'NOT_FOUND'],
      ['/objects?x=1', 404, 'NOT_FOUND'],
      ['/objects/', 400, 'BAD_USER_INPUT'],
    ] as const) {
      const response = await send(`${t.gateway.url}${path}`, 'GET');
      expect(response.status, path).toBe(status);
      expect(String(response.headers['content-type']), path).toMatch(/^application\/json/);
      expect(JSON.parse(response.body.toString()), path).toMatchObject({ error: { code, retryable: false } });
    }
    expect(t.store.count()).toBe(0);
  });
});
