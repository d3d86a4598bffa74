import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { afterEach, describe, expect, it } from 'vitest';
import { GRAPHQL_CACHE_CONTROL, uncacheableResponses } from '../../../src/server/uncacheable-responses.js';

const servers: ApolloServer[] = [];

const TYPE_DEFS = 'type Query { hello: String! }';
/** Says whether Apollo's cache-control plugin ran for the field: it sets `info.cacheControl` on every field. */
const RESOLVERS = { Query: { hello: (_root: unknown, _args: unknown, _context: unknown, info: { cacheControl?: unknown }) => (info.cacheControl === undefined ? 'plain' : 'hinted') } };

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

/** A plugin that sets `value` as the response's Cache-Control before ours runs, as another plugin could. */
function presetHeader(value: string): ApolloServerPlugin {
  return { async requestDidStart() {
    return { async willSendResponse({ response }) {
      response.http.headers.set('cache-control', value);
    } };
  } };
}

async function cacheControlOf(query: string, plugins: ApolloServerPlugin[] = []): Promise<string | undefined> {
  const server = new ApolloServer({
    typeDefs: TYPE_DEFS,
    resolvers: RESOLVERS,
    plugins: [...plugins, ...uncacheableResponses()],
  });
  servers.push(server);
  await server.start();
  const response = await server.executeHTTPGraphQLRequest({
    httpGraphQLRequest: { method: 'POST', headers: new HeaderMap([['content-type', 'application/json']]), search: '', body: { query } },
    context: async () => ({}),
  });
  return response.headers.get('cache-control');
}

describe('uncacheableResponses', () => {
  it('answers no-store when the operation succeeds or fails', async () => {
    expect(await cacheControlOf('{ hello }')).toBe(GRAPHQL_CACHE_CONTROL);
    expect(await cacheControlOf('{ nope }')).toBe(GRAPHQL_CACHE_CONTROL);
  });

  it('replaces a cacheable policy another plugin set', async () => {
    expect(await cacheControlOf('{ hello }', [presetHeader('max-age=60, public')])).toBe(GRAPHQL_CACHE_CONTROL);
  });

  it('keeps a header another plugin set when it is not a plain max-age policy', async () => {
    expect(await cacheControlOf('{ hello }', [presetHeader('no-cache')])).toBe('no-cache');
  });

  it('turns Apollo cache-control plugin off when the plugins are installed', async () => {
    const server = new ApolloServer({
      typeDefs: TYPE_DEFS,
      resolvers: RESOLVERS,
      plugins: uncacheableResponses(),
    });
    servers.push(server);
    await server.start();
    const result = await server.executeOperation({ query: '{ hello }' });
    expect(result.body.kind === 'single' ? result.body.singleResult.data : undefined).toEqual({ hello: 'plain' });
  });
});
