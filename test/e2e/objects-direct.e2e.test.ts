import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateObjectUploadDocument, GetObjectDocument } from '../generated/graphql.js';
import { bearer, JWT_AUTH_ENV } from '../helpers/auth.js';
import { errorCodes, execute } from '../helpers/gateway.js';
import { startStoreGateway, type StoreGateway } from '../helpers/object-stores.js';

const TENANTS_YAML = ['tenants:', '  tenant-a:', '    objects: { prefixes: ["/tenant-a/"] }', ''].join('\n');
const TTL_SECONDS = 600;

// OBJECT_URLS=direct hands out presigned S3 URLs: bytes go between the client and the store, never the gateway.
// Both stores accept the URLs' form, credentials and expiry; neither computes SigV4 signatures (S3 itself answers a
// request that does not match its signed headers with 403 SignatureDoesNotMatch).
describe.each(['s3', 's3rver'] as const)('Direct object URLs on %s', (kind) => {
  let t: StoreGateway;
  let dir: string;
  const body = randomBytes(200_000);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mg-direct-'));
    const tenantsFile = join(dir, 'tenants.yaml');
    await writeFile(tenantsFile, TENANTS_YAML);
    t = await startStoreGateway(kind, { env: { OBJECT_URLS: 'direct', SIGNED_URL_TTL_SECONDS: String(TTL_SECONDS), ...JWT_AUTH_ENV, TENANTS_FILE: tenantsFile } });
    await t.store.putDirect('tenant-a/direct/clip.bin', body, { contentType: 'video/mp2t' });
  }, 60_000);

  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  const asA = (scope: string): Promise<Record<string, string>> => bearer({ sub: 'a', tenant: 'tenant-a', scope });

  it('hands out a presigned store URL as MediaObject.url, and the bytes come from the store, not the gateway', async () => {
    const response = await execute(t.graphqlUrl, GetObjectDocument, { path: 'tenant-a/direct/clip.bin' }, await asA('objects:read'));
    expect(response.errors).toBeUndefined();
    const url = new URL(response.data?.object?.url ?? '');
    expect(url.origin).not.toBe(new URL(t.gateway.url).origin);
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(url.searchParams.get('X-Amz-Expires')).toBe(String(TTL_SECONDS));
    // The SDK's default would sign checksum parameters a browser cannot honour.
    expect([...url.searchParams.keys()].filter((name) => name.toLowerCase().includes('checksum'))).toEqual([]);
    t.store.resetRequests();
    const ranged = await fetch(url, { headers: { range: 'bytes=0-99' } });
    expect(ranged.status).toBe(206);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(body.subarray(0, 100))).toBe(true);
    expect(t.store.count('get')).toBe(1);
  });

  it('returns a presigned PUT with the headers to send, which stores the object with them', async () => {
    const headers = await asA('objects:write objects:read');
    const upload = await execute(
      t.graphqlUrl,
      CreateObjectUploadDocument,
      { input: { path: 'tenant-a/direct/up.txt', contentType: 'text/plain', cacheControl: 'max-age=42' } },
      headers,
    );
    expect(upload.errors).toBeUndefined();
    const ticket = upload.data?.createObjectUpload;
    expect(ticket?.method).toBe('PUT');
    expect(ticket?.headers).toEqual([
      { name: 'Content-Type', value: 'text/plain' },
      { name: 'Cache-Control', value: 'max-age=42' },
    ]);
    expect(ticket?.maxBytes).toBe(5 * 1024 ** 3);
    const expiresIn = new Date(ticket?.expiresAt ?? 0).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan((TTL_SECONDS - 30) * 1000);
    expect(expiresIn).toBeLessThanOrEqual(TTL_SECONDS * 1000);
    expect(new URL(ticket?.url ?? '').origin).not.toBe(new URL(t.gateway.url).origin);
    const put = await fetch(ticket?.url ?? '', { method: 'PUT', body: 'sent directly', headers: Object.fromEntries((ticket?.headers ?? []).map((header) => [header.name, header.value])) });
    expect(put.status).toBe(200);
    expect((await t.store.readDirect('tenant-a/direct/up.txt'))?.toString()).toBe('sent directly');
    const described = await execute(t.graphqlUrl, GetObjectDocument, { path: 'tenant-a/direct/up.txt' }, headers);
    expect(described.data?.object).toMatchObject({ contentType: 'text/plain', cacheControl: 'max-age=42', contentLength: 13 });
  });

  it('issues no direct URL for a path outside the caller\'s tenant, and makes no upstream call', async () => {
    t.store.resetRequests();
    const upload = await execute(t.graphqlUrl, CreateObjectUploadDocument, { input: { path: 'tenant-b/direct/planted.txt' } }, await asA('objects:write'));
    expect(errorCodes(upload)).toEqual(['FORBIDDEN']);
    expect(t.store.count()).toBe(0);
  });

  it('gives a STREAMING upload the gateway URL, since a presigned PUT needs its length', async () => {
    const upload = await execute(t.graphqlUrl, CreateObjectUploadDocument, { input: { path: 'tenant-a/direct/live.ts', uploadAvailability: 'STREAMING' } }, await asA('objects:write'));
    expect(new URL(upload.data?.createObjectUpload.url ?? '').origin).toBe(new URL(t.gateway.url).origin);
  });
});
