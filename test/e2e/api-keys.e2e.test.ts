import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GraphQLFormattedError } from 'graphql';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JWT_AUTH_ENV } from '../helpers/auth.js';
import { errorCodes, postGraphql, startTestGateway, type TestGateway } from '../helpers/gateway.js';

/*
 * Partner API keys end to end: `Authorization: ApiKey <key>` and `x-api-key` over HTTP and SSE, `apiKey` /
 * `x-api-key` in graphql-ws connection params; a key maps to its tenant and scopes, an unknown or expired key is
 * refused, and no key ever reaches the logs.
 */

const newKey = (): string => `mgk_${randomBytes(32).toString('base64url')}`;
const sha256 = (key: string): string => createHash('sha256').update(key).digest('hex');

const READER_KEY = newKey();
const WRITER_ONLY_KEY = newKey();
const EXPIRED_KEY = newKey();
const UNKNOWN_KEY = newKey();

const OBJECT_QUERY = 'query ($path: String!) { object(path: $path) { path contentLength } }';

describe('API keys', () => {
  let t: TestGateway;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mg-api-keys-'));
    const tenantsFile = join(dir, 'tenants.json');
    const apiKeysFile = join(dir, 'api-keys.json');
    await writeFile(
      tenantsFile,
      JSON.stringify({ tenants: { 'tenant-a': { objects: { prefixes: ['/tenant-a/'] } }, 'tenant-b': { objects: { prefixes: ['/tenant-b/'] } } } }),
    );
    await writeFile(
      apiKeysFile,
      JSON.stringify({
        keys: [
          { id: 'partner-reader', sha256: sha256(READER_KEY), tenant: 'tenant-a', scopes: ['objects:read'] },
          { id: 'partner-writer', sha256: sha256(WRITER_ONLY_KEY), tenant: 'tenant-a', scopes: ['objects:write'] },
          { id: 'partner-expired', sha256: sha256(EXPIRED_KEY), tenant: 'tenant-a', scopes: ['objects:read'], expiresAt: '2020-01-01T00:00:00Z' },
        ],
      }),
    );
    t = await startTestGateway({ ...JWT_AUTH_ENV, TENANTS_FILE: tenantsFile, AUTH_API_KEYS_FILE: apiKeysFile });
    t.emulator.putObjectDirect('tenant-a/report.txt', 'tenant-a report');
    t.emulator.putObjectDirect('tenant-b/secret.txt', 'tenant-b secret');
  });

  afterAll(async () => {
    await t.close();
    await rm(dir, { recursive: true, force: true });
  });

  const ask = (headers: Record<string, string>, path = 'tenant-a/report.txt') => postGraphql(t.graphqlUrl, { query: OBJECT_QUERY, variables: { path } }, headers);

  it('serves the key\'s tenant when the key comes as Authorization: ApiKey or as x-api-key', async () => {
    const presentations: Record<string, string>[] = [{ authorization: `ApiKey ${READER_KEY}` }, { 'x-api-key': READER_KEY }];
    for (const headers of presentations) {
      const answer = await ask(headers);
      expect(answer.errors).toBeUndefined();
      expect(answer.data).toEqual({ object: { path: 'tenant-a/report.txt', contentLength: 15 } });
    }
  });

  it('refuses another tenant\'s object and a field outside the key\'s scopes before any upstream call', async () => {
    const before = t.emulator.count();
    const foreign = await ask({ 'x-api-key': READER_KEY }, 'tenant-b/secret.txt');
    expect(errorCodes(foreign)).toEqual(['FORBIDDEN']);
    const unscoped = await ask({ 'x-api-key': WRITER_ONLY_KEY });
    expect(errorCodes(unscoped)).toEqual(['FORBIDDEN']);
    expect(unscoped.errors?.[0]?.extensions?.['scope']).toBe('objects:read');
    expect(t.emulator.count() - before).toBe(0);
  });

  it('answers 401 UNAUTHENTICATED when the key is unknown, expired or sent twice', async () => {
    const refused: Record<string, string>[] = [
      { 'x-api-key': UNKNOWN_KEY },
      { authorization: `ApiKey ${EXPIRED_KEY}` },
      { authorization: `ApiKey ${READER_KEY}`, 'x-api-key': READER_KEY },
    ];
    for (const headers of refused) {
      const answer = await ask(headers);
      expect(answer.status).toBe(401);
      expect(errorCodes(answer)).toEqual(['UNAUTHENTICATED']);
    }
  });

  it('authenticates graphql-ws with apiKey or x-api-key in the connection params and refuses a bad key with 4403', async () => {
    for (const connectionParams of [{ apiKey: READER_KEY }, { 'x-api-key': READER_KEY }]) {
      const client = createWsClient({ url: t.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams });
      try {
        const results: unknown[] = [];
        for await (const result of client.iterate({ query: OBJECT_QUERY, variables: { path: 'tenant-a/report.txt' } })) results.push(result);
        expect(results).toEqual([{ data: { object: { path: 'tenant-a/report.txt', contentLength: 15 } } }]);
      } finally {
        await client.dispose();
      }
    }
    const closeCode = await new Promise<number>((resolve, reject) => {
      const client = createWsClient({
        url: t.graphqlUrl.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        lazy: true,
        connectionParams: { apiKey: EXPIRED_KEY },
        on: { closed: (event) => resolve((event as { code: number }).code) },
      });
      client.subscribe({ query: '{ __typename }' }, { next: () => reject(new Error('served with an expired key')), error: () => undefined, complete: () => undefined });
    });
    expect(closeCode).toBe(4403);
  });

  it('authenticates SSE with x-api-key', async () => {
    const response = await fetch(`${t.gateway.url}/graphql/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': READER_KEY },
      body: JSON.stringify({ query: OBJECT_QUERY, variables: { path: 'tenant-a/report.txt' } }),
    });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('"contentLength":15');
    const refused = await fetch(`${t.gateway.url}/graphql/stream`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'x-api-key': UNKNOWN_KEY },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(refused.status).toBe(401);
    expect(errorCodes((await refused.json()) as { errors?: GraphQLFormattedError[] })).toEqual(['UNAUTHENTICATED']);
  });

  it('never writes an API key to the logs when keys were accepted and refused', () => {
    const logs = t.logs.join('');
    expect(logs.length).toBeGreaterThan(0);
    for (const key of [READER_KEY, WRITER_ONLY_KEY, EXPIRED_KEY, UNKNOWN_KEY]) {
      expect(logs).not.toContain(key);
      // Nor the part after the prefix, in case a logger cut or re-encoded it.
      expect(logs).not.toContain(key.slice(4, 24));
    }
  });
});
