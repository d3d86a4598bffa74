import { IntrospectAndCompose, ApolloGateway } from '@apollo/gateway';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginInlineTraceDisabled } from '@apollo/server/plugin/disabled';
import { startStandaloneServer } from '@apollo/server/standalone';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGlobalId } from '../../src/resolvers/node/global-id.js';
import { postGraphql, startTestGateway, type TestGateway } from '../helpers/gateway.js';

/** A second subgraph owned by another team: reviews of media objects, which it knows only by key. */
const REVIEWS_SDL = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Review {
    stars: Int!
    body: String!
  }

  type MediaObject @key(fields: "id") {
    id: ID!
    reviews: [Review!]!
  }

  type Query {
    featuredObjects: [MediaObject!]!
  }
`);

const FEATURED = ['vod/show/master.m3u8', 'vod/show/poster.jpg'];

const REVIEWS: Readonly<Record<string, readonly { stars: number; body: string }[]>> = {
  [encodeGlobalId('MediaObject', 'vod/show/master.m3u8')]: [{ stars: 5, body: 'Plays everywhere.' }],
  [encodeGlobalId('MediaObject', 'vod/show/poster.jpg')]: [
    { stars: 3, body: 'A bit small.' },
    { stars: 4, body: 'Nice colours.' },
  ],
};

async function startReviewsSubgraph(): Promise<{ url: string; server: ApolloServer }> {
  const schema = buildSubgraphSchema({
    typeDefs: REVIEWS_SDL,
    resolvers: {
      Query: { featuredObjects: () => FEATURED.map((path) => ({ __typename: 'MediaObject', id: encodeGlobalId('MediaObject', path) })) },
      MediaObject: { reviews: (object: { id: string }) => REVIEWS[object.id] ?? [] },
    },
  });
  const server = new ApolloServer({ schema, plugins: [ApolloServerPluginInlineTraceDisabled()] });
  const { url } = await startStandaloneServer(server, { listen: { host: '127.0.0.1', port: 0 } });
  return { url, server };
}

describe('federation', () => {
  let t: TestGateway;
  let reviews: { url: string; server: ApolloServer } | undefined;
  let router: ApolloServer | undefined;
  let routerUrl: string;

  beforeAll(async () => {
    t = await startTestGateway();
    t.emulator.putObjectDirect('vod/show/master.m3u8', '#EXTM3U\n', { contentType: 'application/vnd.apple.mpegurl' });
    t.emulator.putObjectDirect('vod/show/poster.jpg', Buffer.alloc(1234, 0xff), { contentType: 'image/jpeg' });
    reviews = await startReviewsSubgraph();
    const gateway = new ApolloGateway({
      supergraphSdl: new IntrospectAndCompose({
        subgraphs: [
          { name: 'media', url: t.graphqlUrl },
          { name: 'reviews', url: reviews.url },
        ],
      }),
    });
    router = new ApolloServer({ gateway });
    routerUrl = (await startStandaloneServer(router, { listen: { host: '127.0.0.1', port: 0 } })).url;
  });

  afterAll(async () => {
    // Stopping the router also stops its ApolloGateway.
    await router?.stop();
    await reviews?.server.stop();
    await t.close();
  });

  it('publishes its SDL with the MediaObject key when asked for _service', async () => {
    const response = await postGraphql<{ _service: { sdl: string } }>(t.graphqlUrl, { query: '{ _service { sdl } }' });
    expect(response.errors).toBeUndefined();
    const sdl = response.data?._service.sdl ?? '';
    expect(sdl).toMatch(/type MediaObject[^{]*@key\(fields: "id"\)/);
  });

  it('resolves MediaObject representations through _entities when asked directly', async () => {
    const representations = [
      { __typename: 'MediaObject', id: encodeGlobalId('MediaObject', 'vod/show/poster.jpg') },
      { __typename: 'MediaObject', id: encodeGlobalId('MediaObject', 'vod/show/missing.jpg') },
    ];
    const response = await postGraphql(t.graphqlUrl, {
      query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on MediaObject { id path contentType contentLength } } }',
      variables: { r: representations },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({
      _entities: [{ id: representations[0]?.id, path: 'vod/show/poster.jpg', contentType: 'image/jpeg', contentLength: 1234 }, null],
    });
  });

  it('answers a query that crosses both subgraphs when composed with another subgraph', async () => {
    t.emulator.resetRequests();
    const response = await postGraphql(routerUrl, {
      query: '{ featuredObjects { id path contentType contentLength reviews { stars body } } }',
    });
    expect(response.status).toBe(200);
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({
      featuredObjects: [
        {
          id: encodeGlobalId('MediaObject', 'vod/show/master.m3u8'),
          path: 'vod/show/master.m3u8',
          contentType: 'application/vnd.apple.mpegurl',
          contentLength: 8,
          reviews: [{ stars: 5, body: 'Plays everywhere.' }],
        },
        {
          id: encodeGlobalId('MediaObject', 'vod/show/poster.jpg'),
          path: 'vod/show/poster.jpg',
          contentType: 'image/jpeg',
          contentLength: 1234,
          reviews: [
            { stars: 3, body: 'A bit small.' },
            { stars: 4, body: 'Nice colours.' },
          ],
        },
      ],
    });
    // Our fields came from the store through _entities: one describe per entity.
    expect(t.emulator.count('DescribeObject')).toBe(2);
  });

  it('starts a query at our Query.object and follows it into the reviews subgraph when composed', async () => {
    const response = await postGraphql(routerUrl, { query: '{ object(path: "vod/show/master.m3u8") { path reviews { stars } } }' });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ object: { path: 'vod/show/master.m3u8', reviews: [{ stars: 5 }] } });
  });
});
