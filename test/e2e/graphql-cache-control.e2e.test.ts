import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../helpers/gateway.js';

let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway();
});

afterAll(async () => {
  await t.close();
});

describe('GraphQL over HTTP', () => {
  it('answers Cache-Control: no-store when queried with POST or GET, successfully or not', async () => {
    const post = (query: string): Promise<Response> =>
      fetch(t.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
    const get = (query: string): Promise<Response> => fetch(`${t.graphqlUrl}?query=${encodeURIComponent(query)}`, { headers: { 'apollo-require-preflight': 'true' } });
    for (const response of [await post('{ __typename }'), await get('{ __typename }'), await post('{ noSuchField }'), await post('{ objects(path: "/", first: 1) { pageInfo { hasNextPage } } }')]) {
      await response.arrayBuffer();
      expect(response.headers.get('cache-control')).toBe('no-store');
    }
  });
});
