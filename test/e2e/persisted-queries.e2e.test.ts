import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, JWT_AUTH_ENV } from '../helpers/auth.js';
import { errorCodes, postGraphql, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { upstreamCalls } from '../helpers/probes.js';

/*
 * Automatic persisted queries: on by default, and a hash sent alone runs only what the same text sent in full
 * would run for this caller. The text behind a hash was registered by someone else (a router with the secret, a
 * caller with more scopes), so the limits that depend on the caller or the variables (router secret, `_entities`
 * cap, cost, scopes) are checked again on the text the hash resolves to.
 */

const ROUTER_SECRET = 'router-secret-for-the-apq-tests-01';
const ENTITIES_MAX = 3;

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The body of an automatic persisted query: with `text`, registers it; without, asks for it by hash. */
function apq(text: string, withText: boolean, variables?: Record<string, unknown>): Record<string, unknown> {
  return {
    ...(withText ? { query: text } : {}),
    ...(variables === undefined ? {} : { variables }),
    extensions: { persistedQuery: { version: 1, sha256Hash: sha256(text) } },
  };
}

describe('automatic persisted queries', () => {
  let t: TestGateway;
  let reader: Record<string, string>;
  let streamsOnly: Record<string, string>;
  const router = { 'x-router-secret': ROUTER_SECRET };

  beforeAll(async () => {
    t = await startTestGateway({ ...JWT_AUTH_ENV, SUBGRAPH_ROUTER_SECRET: ROUTER_SECRET, ENTITIES_MAX_REPRESENTATIONS: String(ENTITIES_MAX) });
    t.emulator.putObjectDirect('apq/item.txt', 'persisted');
    reader = await bearer({ sub: 'reader', scope: 'objects:read' });
    streamsOnly = await bearer({ sub: 'watcher', scope: 'streams:read' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('runs a query by hash alone when its text was registered before', async () => {
    const text = 'query ApqObject($path: String!) { object(path: $path) { path contentLength } }';
    const unknown = await postGraphql(t.graphqlUrl, apq(text, false, { path: 'apq/item.txt' }), reader);
    expect(errorCodes(unknown)).toEqual(['PERSISTED_QUERY_NOT_FOUND']);
    const registered = await postGraphql(t.graphqlUrl, apq(text, true, { path: 'apq/item.txt' }), reader);
    expect(registered.errors).toBeUndefined();
    const byHash = await postGraphql(t.graphqlUrl, apq(text, false, { path: 'apq/item.txt' }), reader);
    expect(byHash.errors).toBeUndefined();
    expect(byHash.data).toEqual({ object: { path: 'apq/item.txt', contentLength: 9 } });
  });

  it('refuses a hash to a caller without the scope its text needs, with no upstream call', async () => {
    const text = 'query ApqScoped($path: String!) { object(path: $path) { path } }';
    const registered = await postGraphql(t.graphqlUrl, apq(text, true, { path: 'apq/item.txt' }), reader);
    expect(registered.errors).toBeUndefined();
    const before = upstreamCalls(t);
    const byHash = await postGraphql(t.graphqlUrl, apq(text, false, { path: 'apq/item.txt' }), streamsOnly);
    expect(byHash.status).toBe(403);
    expect(errorCodes(byHash)).toEqual(['FORBIDDEN']);
    expect(byHash.data ?? undefined).toBeUndefined();
    expect(upstreamCalls(t) - before).toBe(0);
  });

  it('refuses the federation fields by hash to a caller without the router secret when the router registered them', async () => {
    const text = 'query ApqService { _service { sdl } }';
    const registered = await postGraphql(t.graphqlUrl, apq(text, true), { ...reader, ...router });
    expect(registered.errors).toBeUndefined();
    const byHash = await postGraphql(t.graphqlUrl, apq(text, false), reader);
    expect(byHash.status).toBe(403);
    expect(errorCodes(byHash)).toEqual(['FORBIDDEN']);
    expect(JSON.stringify(byHash)).not.toContain('sdl');
    const routerByHash = await postGraphql(t.graphqlUrl, apq(text, false), { ...reader, ...router });
    expect(routerByHash.errors).toBeUndefined();
  });

  it('caps _entities representations by hash when the variables hold more than the cap', async () => {
    const text = 'query ApqEntities($r: [_Any!]!) { _entities(representations: $r) { __typename } }';
    const one = [{ __typename: 'MediaObject', id: 'x' }];
    const registered = await postGraphql(t.graphqlUrl, apq(text, true, { r: one }), { ...reader, ...router });
    expect(errorCodes(registered)).not.toContain('BAD_USER_INPUT');
    const many = Array.from({ length: ENTITIES_MAX + 7 }, () => one[0]);
    const byHash = await postGraphql(t.graphqlUrl, apq(text, false, { r: many }), { ...reader, ...router });
    expect(byHash.status).toBe(400);
    expect(errorCodes(byHash)).toEqual(['BAD_USER_INPUT']);
  });

  it('refuses by hash what the cost limit refuses with these variables', async () => {
    // Nested lists: the estimate multiplies their sizes, 100 x 100 streams' fragments is far past the default cost.
    const text = 'query ApqCost($n: Int!) { streams(first: $n) { edges { node { fragments(first: $n) { edges { node { fragmentNumber } } } } } } }';
    const registered = await postGraphql(t.graphqlUrl, apq(text, true, { n: 1 }), streamsOnly);
    expect(errorCodes(registered)).not.toContain('BAD_USER_INPUT');
    const before = upstreamCalls(t);
    const byHash = await postGraphql(t.graphqlUrl, apq(text, false, { n: 100 }), streamsOnly);
    expect(byHash.status).toBe(400);
    expect(byHash.errors?.[0]?.extensions?.['limit']).toBe('cost');
    expect(upstreamCalls(t) - before).toBe(0);
  });
});
