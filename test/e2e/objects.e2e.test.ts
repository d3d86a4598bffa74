import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateObjectUploadDocument,
  DeleteObjectDocument,
  GetNodeDocument,
  GetObjectDocument,
  ListObjectsDocument,
  PutObjectDocument,
  type ListObjectsQuery,
} from '../generated/graphql.js';
import { errorCodes, execute, postGraphql, startTestGateway, type GraphqlResponse, type TestGateway } from '../helpers/gateway.js';

describe('Objects API over HTTP', () => {
  let t: TestGateway;
  const bigBody = randomBytes(300_000);

  beforeAll(async () => {
    // One test asks for 100 objects in one query (the DataLoader bound); that needs more aliases and root fields
    // than the defaults allow, as a deployment serving such clients would configure.
    t = await startTestGateway({ LIMIT_MAX_ALIASES: '200', LIMIT_MAX_ROOT_FIELDS: '200' });
    for (let i = 0; i < 2500; i += 1) {
      t.emulator.putObjectDirect(`many/item-${String(i).padStart(5, '0')}.ts`, `segment ${i}`, { contentType: 'video/mp2t' });
    }
    t.emulator.putObjectDirect('many/sub/inner.txt', 'inner');
    t.emulator.putObjectDirect('vod/show/master.m3u8', '#EXTM3U\n', {
      contentType: 'application/vnd.apple.mpegurl',
      cacheControl: 'max-age=60',
    });
    t.emulator.putObjectDirect('vod/show/big.bin', bigBody, { contentType: 'application/octet-stream' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('visits each of 2,500 objects exactly once when paging with first: 100', async () => {
    const seen = new Map<string, number>();
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const response: GraphqlResponse<ListObjectsQuery> = await execute(t.graphqlUrl, ListObjectsDocument, { path: 'many', first: 100, after });
      expect(response.errors).toBeUndefined();
      const connection = response.data?.objects;
      if (connection === undefined) throw new Error('no data');
      for (const edge of connection.edges) seen.set(edge.node.path, (seen.get(edge.node.path) ?? 0) + 1);
      pages += 1;
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor ?? null;
    }
    expect(seen.size).toBe(2501);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    expect(seen.get('many/sub')).toBe(1);
    expect(pages).toBe(26);
  });

  it('continues right after a middle edge when resumed from its cursor', async () => {
    const first = await execute(t.graphqlUrl, ListObjectsDocument, { path: 'many', first: 10, after: null });
    const edges = first.data?.objects.edges ?? [];
    const middle = edges[4];
    if (middle === undefined) throw new Error('missing edge');
    const resumed = await execute(t.graphqlUrl, ListObjectsDocument, { path: 'many', first: 3, after: middle.cursor });
    expect(resumed.data?.objects.edges.map((edge) => edge.node.path)).toEqual(edges.slice(5, 8).map((edge) => edge.node.path));
    expect(resumed.data?.objects.pageInfo.hasPreviousPage).toBe(true);
  });

  it('returns first edges when the provider returns fewer items per call', async () => {
    // 2,501 entries with first: 100 means pages of 101 from the store; ask for 100 starting near a page end.
    const page = await execute(t.graphqlUrl, ListObjectsDocument, { path: 'many', first: 100, after: null });
    const last = page.data?.objects.pageInfo.endCursor ?? null;
    const next = await execute(t.graphqlUrl, ListObjectsDocument, { path: 'many', first: 100, after: last });
    expect(next.data?.objects.edges).toHaveLength(100);
    expect(next.data?.objects.edges[0]?.node.path).toBe('many/item-00100.ts');
  });

  it('rejects first above the cap with BAD_USER_INPUT and no upstream call', async () => {
    t.emulator.resetRequests();
    const response = await execute(t.graphqlUrl, ListObjectsDocument, { path: 'many', first: 1_000_000, after: null });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
    expect(t.emulator.count()).toBe(0);
  });

  it('rejects tampered and foreign cursors with CURSOR_INVALID and no upstream call', async () => {
    const page = await execute(t.graphqlUrl, ListObjectsDocument, { path: 'many', first: 2, after: null });
    const cursor = page.data?.objects.pageInfo.endCursor ?? '';
    const [body, mac] = cursor.split('.');
    const forged = `${Buffer.from(JSON.stringify([1, null, 101, 50, 0])).toString('base64url')}.${mac ?? ''}`;
    t.emulator.resetRequests();
    for (const after of [forged, `${body ?? ''}.AAAA`, 'garbage', `${body ?? ''}`]) {
      const response = await execute(t.graphqlUrl, ListObjectsDocument, { path: 'many', first: 2, after });
      expect(errorCodes(response)).toEqual(['CURSOR_INVALID']);
    }
    const foreign = await execute(t.graphqlUrl, ListObjectsDocument, { path: 'vod', first: 2, after: cursor });
    expect(errorCodes(foreign)).toEqual(['CURSOR_INVALID']);
    expect(t.emulator.count()).toBe(0);
  });

  it('rejects hostile paths with BAD_USER_INPUT and no upstream call', async () => {
    t.emulator.resetRequests();
    const hostile = ['../etc/passwd', 'a/../../b', '%2e%2e/secret', '//abs', 'a\u0000b', 'a\nb', 'a\\b', `${'d/'.repeat(11)}x`, `x${'y'.repeat(900)}`, 'a//b'];
    for (const path of hostile) {
      const response = await execute(t.graphqlUrl, GetObjectDocument, { path });
      expect(errorCodes(response), path).toEqual(['BAD_USER_INPUT']);
      const list = await execute(t.graphqlUrl, ListObjectsDocument, { path, first: 1, after: null });
      expect(errorCodes(list), path).toEqual(['BAD_USER_INPUT']);
    }
    expect(t.emulator.count()).toBe(0);
  });

  it('describes each distinct path once per request however often it is asked for', async () => {
    const paths = Array.from({ length: 100 }, (_, i) => `many/item-${String(i).padStart(5, '0')}.ts`);
    const fields = paths.map((path, i) => `o${i}: object(path: "${path}") { path contentLength }`).join('\n');
    const repeats = `r1: object(path: "${paths[0] ?? ''}") { eTag } r2: object(path: "${paths[0] ?? ''}") { eTag }`;
    t.emulator.resetRequests();
    const response = await postGraphql<Record<string, { path: string } | null>>(t.graphqlUrl, { query: `{ ${fields} ${repeats} }` });
    expect(response.errors).toBeUndefined();
    expect(Object.keys(response.data ?? {})).toHaveLength(102);
    expect(t.emulator.count('DescribeObject')).toBe(100);
  });

  it('returns null for a missing object and NOT_FOUND when deleting it', async () => {
    const missing = await execute(t.graphqlUrl, GetObjectDocument, { path: 'nope/missing.txt' });
    expect(missing.errors).toBeUndefined();
    expect(missing.data?.object).toBeNull();
    const deleted = await execute(t.graphqlUrl, DeleteObjectDocument, { path: 'nope/missing.txt' });
    expect(errorCodes(deleted)).toEqual(['NOT_FOUND']);
  });

  it('round-trips an inline put, a node refetch and a delete', async () => {
    const put = await execute(t.graphqlUrl, PutObjectDocument, {
      input: { path: 'inline/hello.txt', body: Buffer.from('hello').toString('base64'), encoding: 'BASE64', contentType: 'text/plain', cacheControl: 'no-cache' },
    });
    expect(put.errors).toBeUndefined();
    const object = put.data?.putObject.object;
    expect(object).toMatchObject({ path: 'inline/hello.txt', contentLength: 5, contentType: 'text/plain', cacheControl: 'no-cache', type: 'OBJECT' });
    const node = await execute(t.graphqlUrl, GetNodeDocument, { id: object?.id ?? '' });
    expect(node.data?.node).toMatchObject({ __typename: 'MediaObject', path: 'inline/hello.txt' });
    const deleted = await execute(t.graphqlUrl, DeleteObjectDocument, { path: 'inline/hello.txt' });
    expect(deleted.data?.deleteObject.deletedObjectId).toBe(object?.id);
    const gone = await execute(t.graphqlUrl, GetNodeDocument, { id: object?.id ?? '' });
    expect(gone.data?.node).toBeNull();
  });

  it('refuses inline bodies above 1 MiB with PAYLOAD_TOO_LARGE and no upstream call', async () => {
    t.emulator.resetRequests();
    const response = await execute(t.graphqlUrl, PutObjectDocument, {
      input: { path: 'inline/big.bin', body: randomBytes(1024 * 1024 + 1).toString('base64'), encoding: 'BASE64' },
    });
    expect(errorCodes(response)).toEqual(['PAYLOAD_TOO_LARGE']);
    expect(t.emulator.count()).toBe(0);
  });

  it('downloads the exact bytes of a Range through the signed URL', async () => {
    const response = await execute(t.graphqlUrl, GetObjectDocument, { path: 'vod/show/big.bin' });
    const url = response.data?.object?.url ?? '';
    const full = await fetch(url);
    expect(full.status).toBe(200);
    expect(Buffer.from(await full.arrayBuffer()).equals(bigBody)).toBe(true);
    const ranged = await fetch(url, { headers: { Range: 'bytes=1000-1999' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 1000-1999/${bigBody.length}`);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(bigBody.subarray(1000, 2000))).toBe(true);
    const suffix = await fetch(url, { headers: { Range: 'bytes=-10' } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(bigBody.subarray(bigBody.length - 10))).toBe(true);
    const outside = await fetch(url, { headers: { Range: `bytes=${bigBody.length + 5}-` } });
    expect(outside.status).toBe(416);
    expect(((await outside.json()) as { error: { code: string } }).error.code).toBe('RANGE_NOT_SATISFIABLE');
  });

  it('passes ETag, Last-Modified and Cache-Control through on GET and HEAD', async () => {
    const response = await execute(t.graphqlUrl, GetObjectDocument, { path: 'vod/show/master.m3u8' });
    const object = response.data?.object;
    const head = await fetch(object?.url ?? '', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('etag')).toBe(object?.eTag);
    expect(head.headers.get('cache-control')).toBe('max-age=60');
    expect(head.headers.get('content-type')).toBe('application/vnd.apple.mpegurl');
    expect(head.headers.get('content-length')).toBe('8');
    expect(new Date(head.headers.get('last-modified') ?? '').getTime()).toBe(Math.floor(new Date(object?.lastModified ?? '').getTime() / 1000) * 1000);
  });

  it('refuses byte requests without a valid signature and makes no upstream call', async () => {
    const response = await execute(t.graphqlUrl, GetObjectDocument, { path: 'vod/show/master.m3u8' });
    const url = new URL(response.data?.object?.url ?? '');
    t.emulator.resetRequests();
    const unsigned = await fetch(`${url.origin}${url.pathname}`);
    expect(unsigned.status).toBe(401);
    url.searchParams.set('X-MG-Signature', 'AAAA');
    expect((await fetch(url)).status).toBe(403);
    const other = new URL(response.data?.object?.url ?? '');
    other.pathname = '/objects/vod/show/big.bin';
    expect((await fetch(other)).status).toBe(403);
    // fetch() would normalise the dot segments away, so send the raw request target.
    const traversal = await rawRequest('GET', `${url.origin}/objects/vod/%2e%2e/show/master.m3u8${url.search}`);
    expect(traversal).toBe(400);
    expect(t.emulator.count()).toBe(0);
  });

  it('streams a signed upload to the store and reads it back', async () => {
    const body = randomBytes(2 * 1024 * 1024 + 17);
    const upload = await execute(t.graphqlUrl, CreateObjectUploadDocument, {
      input: { path: 'uploads/clip.mp4', contentType: 'video/mp4', cacheControl: 'max-age=5' },
    });
    expect(upload.errors).toBeUndefined();
    const ticket = upload.data?.createObjectUpload;
    expect(ticket?.maxBytes).toBe(25 * 1024 * 1024);
    const put = await fetch(ticket?.url ?? '', { method: 'PUT', body, headers: { 'content-type': 'video/mp4' } });
    expect(put.status).toBe(201);
    expect(t.emulator.readObjectDirect('uploads/clip.mp4')?.equals(body)).toBe(true);
    const described = await execute(t.graphqlUrl, GetObjectDocument, { path: 'uploads/clip.mp4' });
    expect(described.data?.object).toMatchObject({ contentLength: body.length, contentType: 'video/mp4', cacheControl: 'max-age=5' });
  });

  it('streams a chunked STREAMING upload without a Content-Length', async () => {
    const upload = await execute(t.graphqlUrl, CreateObjectUploadDocument, {
      input: { path: 'uploads/live.ts', contentType: 'video/mp2t', uploadAvailability: 'STREAMING' },
    });
    const ticket = upload.data?.createObjectUpload;
    expect(ticket?.maxBytes).toBe(10 * 1024 * 1024);
    const parts = [randomBytes(70_000), randomBytes(90_000), randomBytes(5)];
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    });
    const put = await fetch(ticket?.url ?? '', { method: 'PUT', body: stream, duplex: 'half' } as RequestInit);
    expect(put.status).toBe(201);
    expect(t.emulator.readObjectDirect('uploads/live.ts')?.equals(Buffer.concat(parts))).toBe(true);
  });

  it('refuses oversized uploads before any upstream call', async () => {
    const standard = await execute(t.graphqlUrl, CreateObjectUploadDocument, { input: { path: 'uploads/huge.bin' } });
    t.emulator.resetRequests();
    const declared = await rawRequest('PUT', standard.data?.createObjectUpload.url ?? '', { 'content-length': String(25 * 1024 * 1024 + 1) });
    expect(declared).toBe(413);
    const streaming = await execute(t.graphqlUrl, CreateObjectUploadDocument, { input: { path: 'uploads/huge.ts', uploadAvailability: 'STREAMING' } });
    const tooLong = await rawRequest('PUT', streaming.data?.createObjectUpload.url ?? '', { 'content-length': String(10 * 1024 * 1024 + 1) });
    expect(tooLong).toBe(413);
    expect(t.emulator.count('PutObject')).toBe(0);
  });
});

/** Sends a request with an exact request target and headers, without a body, and resolves with the status. */
function rawRequest(method: string, url: string, headers: Record<string, string> = {}): Promise<number> {
  const target = new URL(url);
  return new Promise<number>((resolve, reject) => {
    const req = request({ host: target.hostname, port: target.port, method, path: url.slice(target.origin.length), headers }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    // Declared-but-unsent bodies: the server must answer from the headers alone, then we drop the socket.
    if (headers['content-length'] === undefined) req.end();
    else req.flushHeaders();
  });
}
