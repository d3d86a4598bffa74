import { print, type GraphQLFormattedError } from 'graphql';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_READ_RETRY } from '../../src/datasources/livestream/livestream.retry.js';
import type { LiveStreamEmulator } from '../../src/emulators/livestream/livestream.emulator.js';
import { DEMO_DVR_CHANNEL, DEMO_PARENT, DEMO_PLAIN_CHANNEL, seedLiveStreamDemo } from '../../src/emulators/livestream/livestream.seed.js';
import { encodeGlobalId } from '../../src/resolvers/node/global-id.js';
import {
  CreateAssetDocument,
  CreateDvrSessionDocument,
  DeleteAssetDocument,
  DeleteDvrSessionDocument,
  GetAssetDocument,
  GetDvrSessionDocument,
  GetOperationDocument,
  ListAssetsDocument,
  ListChannelsDocument,
  ListDvrSessionsDocument,
  OperationUpdatesDocument,
  UpdateDvrSessionDocument,
  type ListAssetsQuery,
  type OperationFieldsFragment,
  type OperationUpdatesSubscription,
} from '../generated/graphql.js';
import { errorCodes, execute, postGraphql, startTestGateway, type GraphqlResponse, type TestGateway } from '../helpers/gateway.js';
import { within } from '../helpers/within.js';

/*
 * The Live Stream API end to end: a test gateway with its embedded (unseeded, real-timer) Live Stream emulator,
 * seeded here, queried over HTTP and subscribed to over graphql-ws. The emulator's operation timers are paused
 * for the whole suite: a long-running operation stays running until a test finishes it with
 * `completePendingOperations()`, so what a test sees of a running operation never depends on how fast the machine
 * is, and nothing waits for the emulator's operation duration.
 */

/** A location of its own for the pagination test, so other tests' assets do not change its count. */
const PAGED_PARENT = 'projects/e2e-paging/locations/europe-west1';
const PAGED_COUNT = 250;
const MINUTE = 60_000;

/** The data of a response that must not carry errors. */
function dataOf<T>(response: GraphqlResponse<T>): T {
  expect(response.errors).toBeUndefined();
  if (response.data === undefined || response.data === null) throw new Error('no data');
  return response.data;
}

/** The next result of a graphql-ws subscription, or the errors it ended with. */
async function nextResult<T>(
  iterator: AsyncIterableIterator<{ readonly data?: T | null; readonly errors?: readonly GraphQLFormattedError[] }>,
  what: string,
): Promise<{ readonly done: boolean; readonly data?: T | null; readonly errors?: readonly GraphQLFormattedError[] }> {
  try {
    const result = await within(iterator.next(), 10_000, what);
    if (result.done === true) return { done: true };
    return { done: false, data: result.value.data, errors: result.value.errors };
  } catch (error) {
    // graphql-ws rejects with the GraphQL errors of an `error` message.
    if (Array.isArray(error)) return { done: true, errors: error as GraphQLFormattedError[] };
    throw error;
  }
}

describe('Live Stream API over HTTP and graphql-ws', () => {
  let t: TestGateway;
  let emulator: LiveStreamEmulator;
  let wsUrl: string;

  beforeAll(async () => {
    t = await startTestGateway();
    const embedded = t.gateway.emulators.livestream;
    if (embedded === undefined) throw new Error('the test gateway has no embedded Live Stream emulator');
    emulator = embedded;
    emulator.pauseOperations();
    seedLiveStreamDemo(emulator);
    const createdAt = emulator.now() - 60 * MINUTE;
    for (let i = 0; i < PAGED_COUNT; i += 1) {
      emulator.putAssetDirect({
        name: `${PAGED_PARENT}/assets/clip-${String(i).padStart(3, '0')}`,
        resource: { kind: i % 5 === 0 ? 'image' : 'video', uri: `gs://e2e-bucket/clips/${i}.mp4` },
        labels: { parity: i % 2 === 0 ? 'even' : 'odd' },
        createTime: createdAt + i * 1_000,
      });
    }
    wsUrl = t.graphqlUrl.replace(/^http/, 'ws');
  });

  afterAll(async () => {
    await t.close();
  });

  function wsClient(): WsClient {
    return createWsClient({ url: wsUrl, webSocketImpl: WebSocket, retryAttempts: 0, lazy: true });
  }

  /** Reads the operation with `wait`, finishing the emulator's pending operations as soon as the gateway polls. */
  async function finish(name: string): Promise<OperationFieldsFragment> {
    const polled = emulator.waitForRequest((request) => request.operation === 'GetOperation' && request.resource === name);
    const response = execute(t.graphqlUrl, GetOperationDocument, { name, wait: 20 });
    await within(polled, 10_000, 'the gateway to read the operation');
    emulator.completePendingOperations();
    const operation = dataOf(await response).operation;
    if (operation === null || operation === undefined) throw new Error(`operation ${name} not found`);
    expect(operation.done).toBe(true);
    return operation;
  }

  /** Starts creating an asset in the demo location and returns the running operation. */
  async function createAsset(assetId: string): Promise<OperationFieldsFragment> {
    const created = await execute(t.graphqlUrl, CreateAssetDocument, {
      input: { assetId, uri: `gs://e2e-bucket/${assetId}.mp4`, type: 'VIDEO', labels: [{ key: 'suite', value: 'e2e' }] },
    });
    return dataOf(created).createAsset;
  }

  it('visits each of 250 assets exactly once when paging with first: 100', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    emulator.resetRequests();
    for (;;) {
      const page: GraphqlResponse<ListAssetsQuery> = await execute(t.graphqlUrl, ListAssetsDocument, { parent: PAGED_PARENT, first: 100, after });
      const connection = dataOf(page).assets;
      expect(connection.edges.length).toBeLessThanOrEqual(100);
      seen.push(...connection.edges.map((edge) => edge.node.assetId));
      pages += 1;
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor ?? null;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(PAGED_COUNT);
    expect([...seen].sort()).toEqual(Array.from({ length: PAGED_COUNT }, (_, i) => `clip-${String(i).padStart(3, '0')}`));
    // One provider page per window, as when paging the provider directly.
    expect(emulator.count('ListAssets')).toBe(3);
  });

  it('passes filter and orderBy through to Live Stream when listing assets', async () => {
    const response = await execute(t.graphqlUrl, ListAssetsDocument, {
      parent: PAGED_PARENT,
      first: 5,
      after: null,
      filter: 'labels.parity=odd',
      orderBy: 'create_time desc',
    });
    const connection = dataOf(response).assets;
    expect(connection.edges.map((edge) => edge.node.assetId)).toEqual(['clip-249', 'clip-247', 'clip-245', 'clip-243', 'clip-241']);
    expect(connection.pageInfo.hasNextPage).toBe(true);
    const request = emulator.requests.filter((entry) => entry.operation === 'ListAssets').at(-1);
    expect(request?.resource).toBe(PAGED_PARENT);

    // A cursor is bound to its list: the same cursor with another filter is refused before any call.
    emulator.resetRequests();
    const foreign = await execute(t.graphqlUrl, ListAssetsDocument, {
      parent: PAGED_PARENT,
      first: 5,
      after: connection.pageInfo.endCursor ?? null,
      filter: 'labels.parity=even',
      orderBy: 'create_time desc',
    });
    expect(errorCodes(foreign)).toEqual(['CURSOR_INVALID']);
    expect(emulator.count()).toBe(0);

    const invalid = await execute(t.graphqlUrl, ListAssetsDocument, { parent: PAGED_PARENT, first: 5, after: null, filter: 'labels.parity=odd OR' });
    expect(errorCodes(invalid)).toEqual(['BAD_USER_INPUT']);
  });

  it('evaluates AIP-160 OR, parentheses and negation in asset filters, with OR binding tighter than AND', async () => {
    const ids = async (filter: string): Promise<string[]> => {
      const response = await execute(t.graphqlUrl, ListAssetsDocument, { parent: PAGED_PARENT, first: 100, after: null, filter, orderBy: 'name' });
      return dataOf(response).assets.edges.map((edge) => edge.node.assetId);
    };
    const odd = (from: number, to: number): string[] =>
      Array.from({ length: to - from + 1 }, (_, i) => from + i)
        .filter((i) => i % 2 === 1)
        .map((i) => `clip-${String(i).padStart(3, '0')}`);
    const grouped = await ids('labels.parity=odd AND (name="*/clip-00*" OR name="*/clip-24*")');
    expect(grouped).toEqual([...odd(0, 9), ...odd(240, 249)]);
    // Without parentheses AIP-160 reads `a AND b OR c` as `a AND (b OR c)`: the same ten assets. Read the common
    // way, `(a AND b) OR c`, it would also return the even clips 240-248.
    expect(await ids('labels.parity=odd AND name="*/clip-00*" OR name="*/clip-24*"')).toEqual(grouped);
    expect(await ids('(labels.parity=odd AND name="*/clip-00*") OR name="*/clip-24*"')).toEqual([...odd(0, 9), ...Array.from({ length: 10 }, (_, i) => `clip-${240 + i}`)]);
    // NOT and `-` negate a restriction or a group.
    expect(await ids('name="*/clip-00*" AND NOT labels.parity=odd')).toEqual(['clip-000', 'clip-002', 'clip-004', 'clip-006', 'clip-008']);
    expect(await ids('name="*/clip-00*" AND -(labels.parity=odd OR image.uri:*)')).toEqual(['clip-002', 'clip-004', 'clip-006', 'clip-008']);
  });

  it('lists the demo assets of the default location when no parent is given', async () => {
    const response = await execute(t.graphqlUrl, ListAssetsDocument, { first: 100, after: null });
    const names = dataOf(response).assets.edges.map((edge) => edge.node.name);
    expect(names).toEqual(expect.arrayContaining([`${DEMO_PARENT}/assets/station-slate`, `${DEMO_PARENT}/assets/broken-upload`]));
  });

  it('returns an asset by name and deduplicates lookups in one request', async () => {
    const name = `${DEMO_PARENT}/assets/ad-break-slate`;
    emulator.resetRequests();
    const response = await postGraphql<{ a: { assetId: string } | null; b: { name: string; type: string } | null }>(t.graphqlUrl, {
      query: 'query ($n: String!) { a: asset(name: $n) { assetId } b: asset(name: $n) { name type } }',
      variables: { n: name },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ a: { assetId: 'ad-break-slate' }, b: { name, type: 'IMAGE' } });
    expect(emulator.count('GetAsset')).toBe(1);

    const asset = dataOf(await execute(t.graphqlUrl, GetAssetDocument, { name })).asset;
    expect(asset).toMatchObject({
      id: encodeGlobalId('Asset', name),
      name,
      assetId: 'ad-break-slate',
      type: 'IMAGE',
      uri: 'gs://media-graph-demo/assets/ad-break.png',
      state: 'ACTIVE',
      error: null,
      labels: [{ key: 'purpose', value: 'ad' }],
    });
    expect(asset?.createTime).toEqual(expect.any(String));
  });

  it('reports an asset in ERROR with a coded error and no provider message', async () => {
    const asset = dataOf(await execute(t.graphqlUrl, GetAssetDocument, { name: `${DEMO_PARENT}/assets/broken-upload` })).asset;
    expect(asset?.state).toBe('ERROR');
    expect(asset?.error).toMatchObject({ code: 'BAD_USER_INPUT', providerStatus: 'INVALID_ARGUMENT' });
    expect(asset?.error?.message).not.toContain('codec');
  });

  it('returns null for an unknown asset name', async () => {
    const response = await execute(t.graphqlUrl, GetAssetDocument, { name: `${DEMO_PARENT}/assets/no-such-asset` });
    expect(dataOf(response).asset).toBeNull();
  });

  it('resolves an Asset through node(id) and federation _entities', async () => {
    const name = `${DEMO_PARENT}/assets/station-slate`;
    const id = encodeGlobalId('Asset', name);
    const node = await postGraphql<{ node: { __typename: string; id: string; name?: string } | null }>(t.graphqlUrl, {
      query: 'query ($id: ID!) { node(id: $id) { __typename id ... on Asset { name } } }',
      variables: { id },
    });
    expect(node.errors).toBeUndefined();
    expect(node.data?.node).toEqual({ __typename: 'Asset', id, name });

    const missing = encodeGlobalId('Asset', `${DEMO_PARENT}/assets/missing`);
    const entities = await postGraphql<{ _entities: unknown[] }>(t.graphqlUrl, {
      query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on Asset { id assetId state } } }',
      variables: { r: [{ __typename: 'Asset', id }, { __typename: 'Asset', id: missing }] },
    });
    expect(entities.errors).toBeUndefined();
    expect(entities.data?._entities).toEqual([{ id, assetId: 'station-slate', state: 'ACTIVE' }, null]);
  });

  it('creates an asset and sees the finished operation with the ACTIVE asset when reading it with wait', async () => {
    const operation = await createAsset('e2e-created');
    const name = `${DEMO_PARENT}/assets/e2e-created`;
    expect(operation).toMatchObject({
      done: false,
      error: null,
      result: null,
      metadata: { verb: 'create', target: name, requestedCancellation: false, apiVersion: 'v1' },
    });
    expect(operation.name).toMatch(new RegExp(`^${DEMO_PARENT}/operations/`));
    expect(operation.id).toBe(encodeGlobalId('Operation', operation.name));

    const finished = await finish(operation.name);
    expect(finished.error).toBeNull();
    expect(finished.metadata?.endTime).toEqual(expect.any(String));
    expect(finished.result).toMatchObject({
      __typename: 'Asset',
      name,
      assetId: 'e2e-created',
      type: 'VIDEO',
      uri: 'gs://e2e-bucket/e2e-created.mp4',
      state: 'ACTIVE',
      labels: [{ key: 'suite', value: 'e2e' }],
    });
    expect(dataOf(await execute(t.graphqlUrl, GetAssetDocument, { name })).asset?.state).toBe('ACTIVE');
  });

  it('returns the first operation again when a create is retried with the same request id', async () => {
    const requestId = '1b4e28ba-2fa1-41d2-883f-0016d3cca427';
    const input = { assetId: 'e2e-idempotent', uri: 'gs://e2e-bucket/idempotent.mp4', type: 'IMAGE' as const, requestId };
    const first = dataOf(await execute(t.graphqlUrl, CreateAssetDocument, { input })).createAsset;
    const again = dataOf(await execute(t.graphqlUrl, CreateAssetDocument, { input })).createAsset;
    expect(again.name).toBe(first.name);
    expect(emulator.requests.filter((request) => request.operation === 'CreateAsset').slice(-2).map((request) => request.requestId)).toEqual([
      requestId,
      requestId,
    ]);
    await finish(first.name);
  });

  it('pushes CREATING then ACTIVE over the operation subscription and completes when done', async () => {
    const operation = await createAsset('e2e-watched');
    // Operation timers are paused: the asset stays CREATING until the test completes it below, however long the
    // subscription takes to start.
    expect(emulator.pendingOperations).toBeGreaterThan(0);
    const client = wsClient();
    try {
      const iterator = client.iterate<OperationUpdatesSubscription>({ query: print(OperationUpdatesDocument), variables: { name: operation.name } });
      const first = await nextResult(iterator, 'the running operation');
      expect(first.errors).toBeUndefined();
      expect(first.data?.operation).toMatchObject({
        name: operation.name,
        done: false,
        result: null,
        resource: { __typename: 'Asset', assetState: 'CREATING' },
      });

      emulator.completePendingOperations();
      const second = await nextResult(iterator, 'the finished operation');
      expect(second.errors).toBeUndefined();
      expect(second.data?.operation).toMatchObject({
        done: true,
        error: null,
        result: { __typename: 'Asset', assetId: 'e2e-watched', state: 'ACTIVE' },
        resource: { __typename: 'Asset', assetState: 'ACTIVE' },
      });

      const end = await nextResult(iterator, 'the subscription to complete');
      expect(end).toEqual({ done: true });
    } finally {
      await client.dispose();
    }
  });

  it('returns a still-running operation with done false within the bound when read with wait: 1', async () => {
    const operation = await createAsset('e2e-waited');
    emulator.resetRequests();
    const started = performance.now();
    const response = await execute(t.graphqlUrl, GetOperationDocument, { name: operation.name, wait: 1 });
    const elapsed = performance.now() - started;
    expect(dataOf(response).operation).toMatchObject({ name: operation.name, done: false, error: null, result: null });
    // It waited: polled again after the first read, until the 1 s deadline (the poller stops only once it passed).
    expect(emulator.count('GetOperation')).toBeGreaterThan(1);
    expect(elapsed).toBeGreaterThanOrEqual(990);
    // And no longer than the bound plus slack for the last poll and the HTTP round trip.
    expect(elapsed).toBeLessThan(3_000);
    await finish(operation.name);
  });

  it('fails a subscription to an unknown operation with NOT_FOUND', async () => {
    const client = wsClient();
    try {
      const iterator = client.iterate<OperationUpdatesSubscription>({
        query: print(OperationUpdatesDocument),
        variables: { name: `${DEMO_PARENT}/operations/operation-0-00000000000000` },
      });
      const result = await nextResult(iterator, 'the subscription to fail');
      expect(errorCodes(result)).toEqual(['NOT_FOUND']);
    } finally {
      await client.dispose();
    }
  });

  it('answers CONFLICT when creating an asset whose id exists', async () => {
    const response = await execute(t.graphqlUrl, CreateAssetDocument, {
      input: { assetId: 'station-slate', uri: 'gs://e2e-bucket/again.png', type: 'IMAGE' },
    });
    expect(errorCodes(response)).toEqual(['CONFLICT']);
  });

  it('ends a failing operation with a coded error and leaves the asset in ERROR', async () => {
    emulator.injectFault({ kind: 'operationFailure', operation: 'CreateAsset', status: 'PERMISSION_DENIED', message: 'bucket access denied' });
    const operation = await createAsset('e2e-failing');
    const finished = await finish(operation.name);
    expect(finished.result).toBeNull();
    expect(finished.error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', providerStatus: 'PERMISSION_DENIED' });
    expect(finished.error?.message).not.toContain('bucket');
    const asset = dataOf(await execute(t.graphqlUrl, GetAssetDocument, { name: `${DEMO_PARENT}/assets/e2e-failing` })).asset;
    expect(asset).toMatchObject({ state: 'ERROR', error: { providerStatus: 'PERMISSION_DENIED' } });
  });

  it('deletes an asset through an operation that ends with an EmptyResult', async () => {
    const name = `${DEMO_PARENT}/assets/intro-bumper`;
    const deleting = dataOf(await execute(t.graphqlUrl, DeleteAssetDocument, { input: { name } })).deleteAsset;
    expect(deleting).toMatchObject({ done: false, metadata: { verb: 'delete', target: name } });
    const finished = await finish(deleting.name);
    expect(finished.result).toEqual({ __typename: 'EmptyResult', target: name });
    expect(dataOf(await execute(t.graphqlUrl, GetAssetDocument, { name })).asset).toBeNull();

    const again = await execute(t.graphqlUrl, DeleteAssetDocument, { input: { name } });
    expect(errorCodes(again)).toEqual(['NOT_FOUND']);
  });

  it('lists channels with their streaming state and retention', async () => {
    const response = await execute(t.graphqlUrl, ListChannelsDocument, { first: 10, after: null, orderBy: 'name' });
    const channels = dataOf(response).channels.edges.map((edge) => edge.node);
    expect(channels.map((channel) => [channel.name, channel.streamingState, channel.retentionWindowSeconds])).toEqual([
      [DEMO_DVR_CHANNEL, 'STREAMING', 86_400],
      [DEMO_PLAIN_CHANNEL, 'STOPPED', null],
    ]);
    expect(channels[0]).toMatchObject({
      id: encodeGlobalId('Channel', DEMO_DVR_CHANNEL),
      channelId: 'news-live',
      labels: [{ key: 'team', value: 'news' }],
      outputUri: 'gs://media-graph-demo/outputs/news-live/',
      manifests: [
        { key: 'manifest_hls', fileName: 'main.m3u8', type: 'HLS' },
        { key: 'manifest_dash', fileName: 'main.mpd', type: 'DASH' },
      ],
    });
  });

  it('lists DVR sessions with the derived times and retention of the channel', async () => {
    emulator.resetRequests();
    const response = await execute(t.graphqlUrl, ListDvrSessionsDocument, { channel: DEMO_DVR_CHANNEL, first: 10, after: null, orderBy: 'name' });
    // The channel read for `channel(name)` serves every listed session's retention fields.
    expect(emulator.count('GetChannel')).toBe(1);
    const channel = dataOf(response).channel;
    const sessions = channel?.dvrSessions.edges.map((edge) => edge.node) ?? [];
    expect(sessions.map((session) => [session.dvrSessionId, session.state])).toEqual([
      ['evening-news', 'SCHEDULED'],
      ['midday-update', 'LIVE'],
      ['morning-show', 'FINISHED'],
    ]);
    for (const session of sessions) {
      const window = session.dvrWindows[0];
      expect(session.startTime).toBe(window?.startTime);
      expect(session.endTime).toBe(window?.endTime);
      expect(session.retentionWindowSeconds).toBe(86_400);
      expect(Date.parse(session.completeUntil ?? '')).toBe(Date.parse(session.startTime ?? '') + 86_400_000);
      expect(Date.parse(session.dvrEndTime ?? '')).toBe(Date.parse(session.endTime ?? '') + 86_400_000);
      expect(session.dvrManifests).toEqual([
        { manifestKey: 'manifest_hls', outputUri: `gs://media-graph-demo/outputs/news-live/dvr/${session.dvrSessionId}/main.m3u8` },
      ]);
    }

    const filtered = await execute(t.graphqlUrl, ListDvrSessionsDocument, { channel: DEMO_DVR_CHANNEL, first: 10, after: null, filter: 'state=LIVE' });
    expect(dataOf(filtered).channel?.dvrSessions.edges.map((edge) => edge.node.dvrSessionId)).toEqual(['midday-update']);
  });

  it('reads the channel once when one DVR session asks for its retention fields and its channel', async () => {
    const name = `${DEMO_DVR_CHANNEL}/dvrSessions/morning-show`;
    emulator.resetRequests();
    const response = await postGraphql<{ dvrSession: Record<string, unknown> | null }>(t.graphqlUrl, {
      query: 'query ($n: String!) { dvrSession(name: $n) { name retentionWindowSeconds completeUntil dvrEndTime channel { name retentionWindowSeconds } } }',
      variables: { n: name },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data?.dvrSession).toMatchObject({ name, retentionWindowSeconds: 86_400, channel: { name: DEMO_DVR_CHANNEL, retentionWindowSeconds: 86_400 } });
    expect(response.data?.dvrSession?.['dvrEndTime']).toEqual(expect.any(String));
    expect(emulator.count('GetDvrSession')).toBe(1);
    expect(emulator.count('GetChannel')).toBe(1);
  });

  it('reads the channel once for several of its DVR sessions fetched through nodes', async () => {
    const ids = ['morning-show', 'midday-update', 'evening-news'].map((id) => encodeGlobalId('DvrSession', `${DEMO_DVR_CHANNEL}/dvrSessions/${id}`));
    emulator.resetRequests();
    const response = await postGraphql<{ nodes: Array<Record<string, unknown> | null> }>(t.graphqlUrl, {
      query: 'query ($ids: [ID!]!) { nodes(ids: $ids) { ... on DvrSession { dvrSessionId retentionWindowSeconds completeUntil dvrEndTime channel { name } } } }',
      variables: { ids },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data?.nodes.map((node) => [node?.['dvrSessionId'], node?.['retentionWindowSeconds'], node?.['channel']])).toEqual(
      ['morning-show', 'midday-update', 'evening-news'].map((id) => [id, 86_400, { name: DEMO_DVR_CHANNEL }]),
    );
    expect(emulator.count('GetDvrSession')).toBe(3);
    expect(emulator.count('GetChannel')).toBe(1);
  });

  it('reads no channel for the retention of sessions listed under a listed channel', async () => {
    emulator.resetRequests();
    const response = await postGraphql<{ channels: { edges: Array<{ node: { dvrSessions: { edges: Array<{ node: { retentionWindowSeconds: number | null } }> } } }> } }>(
      t.graphqlUrl,
      { query: '{ channels(first: 10) { edges { node { dvrSessions(first: 10) { edges { node { retentionWindowSeconds } } } } } } }' },
    );
    expect(response.errors).toBeUndefined();
    const retention = response.data?.channels.edges.flatMap((edge) => edge.node.dvrSessions.edges.map((session) => session.node.retentionWindowSeconds));
    expect(retention).toEqual([86_400, 86_400, 86_400]);
    expect(emulator.count('ListChannels')).toBe(1);
    expect(emulator.count('GetChannel')).toBe(0);
  });

  it('nulls only the derived retention fields, each with a coded error, when the channel cannot be read', async () => {
    const name = `${DEMO_DVR_CHANNEL}/dvrSessions/morning-show`;
    emulator.resetRequests();
    emulator.injectFault({ kind: 'status', status: 'UNAVAILABLE', operation: 'GetChannel' });
    let response: GraphqlResponse<{ dvrSession: Record<string, unknown> | null }>;
    try {
      response = await postGraphql(t.graphqlUrl, {
        query: 'query ($n: String!) { dvrSession(name: $n) { name state startTime endTime retentionWindowSeconds completeUntil dvrEndTime } }',
        variables: { n: name },
      });
    } finally {
      emulator.clearFaults();
    }
    // The session itself is read and returned: only what depends on the channel is missing.
    expect(response.data?.dvrSession).toMatchObject({ name, state: 'FINISHED', retentionWindowSeconds: null, completeUntil: null, dvrEndTime: null });
    expect(response.data?.dvrSession?.['startTime']).toEqual(expect.any(String));
    expect(response.data?.dvrSession?.['endTime']).toEqual(expect.any(String));
    const fieldErrors = (response.errors ?? []).map((error) => [error.path?.join('.'), error.extensions?.['code']]);
    expect(fieldErrors.sort()).toEqual([
      ['dvrSession.completeUntil', 'UPSTREAM_UNAVAILABLE'],
      ['dvrSession.dvrEndTime', 'UPSTREAM_UNAVAILABLE'],
      ['dvrSession.retentionWindowSeconds', 'UPSTREAM_UNAVAILABLE'],
    ]);
    // One failed channel read (its own retries included) is shared by the three fields, not repeated per field.
    expect(emulator.count('GetChannel')).toBeGreaterThanOrEqual(1);
    expect(emulator.count('GetChannel')).toBeLessThanOrEqual(DEFAULT_READ_RETRY.maxAttempts);
    expect(emulator.count('GetDvrSession')).toBe(1);
  });

  it('creates, reads, updates and deletes a DVR session through operations', async () => {
    const name = `${DEMO_DVR_CHANNEL}/dvrSessions/e2e-recording`;
    const now = emulator.now();
    const windows = [
      { startTime: new Date(now + 60 * MINUTE).toISOString(), endTime: new Date(now + 90 * MINUTE).toISOString() },
      { startTime: new Date(now + 120 * MINUTE).toISOString(), endTime: new Date(now + 150 * MINUTE).toISOString() },
    ];
    const created = await execute(t.graphqlUrl, CreateDvrSessionDocument, {
      input: { channel: DEMO_DVR_CHANNEL, dvrSessionId: 'e2e-recording', manifestKey: 'manifest_hls', windows, labels: [{ key: 'show', value: 'e2e' }] },
    });
    const creating = dataOf(created).createDvrSession;
    expect(creating).toMatchObject({ done: false, metadata: { verb: 'create', target: name } });

    const finished = await finish(creating.name);
    expect(finished.error).toBeNull();
    expect(finished.result).toMatchObject({
      __typename: 'DvrSession',
      name,
      sessionState: 'SCHEDULED',
      startTime: windows[0]?.startTime,
      endTime: windows[1]?.endTime,
      retentionWindowSeconds: 86_400,
      completeUntil: new Date(now + 60 * MINUTE + 86_400_000).toISOString(),
      dvrEndTime: new Date(now + 150 * MINUTE + 86_400_000).toISOString(),
    });

    const read = dataOf(await execute(t.graphqlUrl, GetDvrSessionDocument, { name })).dvrSession;
    expect(read).toMatchObject({
      id: encodeGlobalId('DvrSession', name),
      dvrSessionId: 'e2e-recording',
      channelName: DEMO_DVR_CHANNEL,
      channel: { name: DEMO_DVR_CHANNEL },
      state: 'SCHEDULED',
      labels: [{ key: 'show', value: 'e2e' }],
      dvrWindows: windows,
      startTime: windows[0]?.startTime,
      endTime: windows[1]?.endTime,
    });

    const newWindows = [{ startTime: new Date(now - 10 * MINUTE).toISOString(), endTime: new Date(now + 20 * MINUTE).toISOString() }];
    const updating = dataOf(await execute(t.graphqlUrl, UpdateDvrSessionDocument, { input: { name, windows: newWindows } })).updateDvrSession;
    expect(updating.metadata).toMatchObject({ verb: 'update', target: name });
    const updated = await finish(updating.name);
    expect(updated.result).toMatchObject({
      __typename: 'DvrSession',
      sessionState: 'LIVE',
      dvrWindows: newWindows,
      dvrEndTime: new Date(now + 20 * MINUTE + 86_400_000).toISOString(),
    });
    expect(dataOf(await execute(t.graphqlUrl, GetDvrSessionDocument, { name })).dvrSession).toMatchObject({ state: 'LIVE', dvrWindows: newWindows });

    const deleting = dataOf(await execute(t.graphqlUrl, DeleteDvrSessionDocument, { input: { name } })).deleteDvrSession;
    const deleted = await finish(deleting.name);
    expect(deleted.result).toEqual({ __typename: 'EmptyResult', target: name });
    expect(dataOf(await execute(t.graphqlUrl, GetDvrSessionDocument, { name })).dvrSession).toBeNull();
  });

  it('refuses a DVR session on a channel without retention config', async () => {
    const now = emulator.now();
    const response = await execute(t.graphqlUrl, CreateDvrSessionDocument, {
      input: {
        channel: DEMO_PLAIN_CHANNEL,
        dvrSessionId: 'no-retention',
        manifestKey: 'manifest_hls',
        windows: [{ startTime: new Date(now + MINUTE).toISOString(), endTime: new Date(now + 2 * MINUTE).toISOString() }],
      },
    });
    expect(errorCodes(response)).toEqual(['BAD_USER_INPUT']);
  });

  it('answers NOT_FOUND for mutations on unknown names and null for unknown lookups', async () => {
    const unknownSession = `${DEMO_DVR_CHANNEL}/dvrSessions/no-such-session`;
    const update = await execute(t.graphqlUrl, UpdateDvrSessionDocument, {
      input: { name: unknownSession, windows: [{ startTime: '2030-01-01T00:00:00.000Z', endTime: '2030-01-01T01:00:00.000Z' }] },
    });
    expect(errorCodes(update)).toEqual(['NOT_FOUND']);
    const remove = await execute(t.graphqlUrl, DeleteDvrSessionDocument, { input: { name: unknownSession } });
    expect(errorCodes(remove)).toEqual(['NOT_FOUND']);
    const create = await execute(t.graphqlUrl, CreateDvrSessionDocument, {
      input: {
        channel: `${DEMO_PARENT}/channels/no-such-channel`,
        dvrSessionId: 'x',
        manifestKey: 'manifest_hls',
        windows: [{ startTime: '2030-01-01T00:00:00.000Z', endTime: '2030-01-01T01:00:00.000Z' }],
      },
    });
    expect(errorCodes(create)).toEqual(['NOT_FOUND']);
    const operation = await execute(t.graphqlUrl, GetOperationDocument, { name: `${DEMO_PARENT}/operations/operation-1-00000000000000` });
    expect(dataOf(operation).operation).toBeNull();
    expect(dataOf(await execute(t.graphqlUrl, GetDvrSessionDocument, { name: unknownSession })).dvrSession).toBeNull();
  });

  it('refuses malformed names and a wait above 30 s with BAD_USER_INPUT before any upstream call', async () => {
    emulator.resetRequests();
    const responses = [
      await execute(t.graphqlUrl, GetAssetDocument, { name: 'assets/not-a-resource-name' }),
      await execute(t.graphqlUrl, GetAssetDocument, { name: `${DEMO_DVR_CHANNEL}` }),
      await execute(t.graphqlUrl, GetDvrSessionDocument, { name: `${DEMO_PARENT}/assets/station-slate` }),
      await execute(t.graphqlUrl, ListDvrSessionsDocument, { channel: 'news-live', first: 10, after: null }),
      await execute(t.graphqlUrl, GetOperationDocument, { name: 'operation-123' }),
      await execute(t.graphqlUrl, GetOperationDocument, { name: `${DEMO_PARENT}/operations/operation-1-00000000000000`, wait: 31 }),
      await execute(t.graphqlUrl, GetOperationDocument, { name: `${DEMO_PARENT}/operations/operation-1-00000000000000`, wait: -1 }),
      await execute(t.graphqlUrl, ListAssetsDocument, { parent: 'projects/only', first: 10, after: null }),
      await execute(t.graphqlUrl, ListAssetsDocument, { first: 101, after: null }),
      await execute(t.graphqlUrl, DeleteAssetDocument, { input: { name: 'station-slate' } }),
      await execute(t.graphqlUrl, CreateAssetDocument, { input: { assetId: 'Bad_Id', uri: 'gs://b/o.mp4', type: 'VIDEO' } }),
      await execute(t.graphqlUrl, CreateAssetDocument, { input: { assetId: 'ok-id', uri: 'https://example.com/o.mp4', type: 'VIDEO' } }),
      await execute(t.graphqlUrl, CreateAssetDocument, { input: { assetId: 'ok-id', uri: 'gs://b/o.mp4', type: 'VIDEO', requestId: 'not-a-uuid' } }),
      await execute(t.graphqlUrl, CreateAssetDocument, {
        input: { assetId: 'ok-id', uri: 'gs://b/o.mp4', type: 'VIDEO', labels: [{ key: 'a', value: '1' }, { key: 'a', value: '2' }] },
      }),
      await execute(t.graphqlUrl, UpdateDvrSessionDocument, {
        input: { name: `${DEMO_DVR_CHANNEL}/dvrSessions/morning-show`, windows: [{ startTime: '2030-01-01T01:00:00.000Z', endTime: '2030-01-01T00:00:00.000Z' }] },
      }),
    ];
    expect(responses.map((response) => errorCodes(response))).toEqual(responses.map(() => ['BAD_USER_INPUT']));
    expect(emulator.count()).toBe(0);

    const client = wsClient();
    try {
      const iterator = client.iterate<OperationUpdatesSubscription>({ query: print(OperationUpdatesDocument), variables: { name: 'not/an/operation' } });
      expect(errorCodes(await nextResult(iterator, 'the subscription to fail'))).toEqual(['BAD_USER_INPUT']);
    } finally {
      await client.dispose();
    }
    expect(emulator.count()).toBe(0);
  });
});

describe('Live Stream API on a gateway without Live Stream', () => {
  let t: TestGateway;

  beforeAll(async () => {
    // No LIVESTREAM_PROJECT and no embedded emulators: Live Stream is neither configured nor emulated.
    t = await startTestGateway({ EMULATORS: 'off' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('fails every Live Stream field with UPSTREAM_UNAVAILABLE when Live Stream is not configured', async () => {
    expect(t.gateway.emulators.livestream).toBeUndefined();
    const operationName = `${DEMO_PARENT}/operations/operation-1-00000000000000`;
    const responses = [
      await execute(t.graphqlUrl, ListAssetsDocument, { first: 10, after: null }),
      await execute(t.graphqlUrl, GetAssetDocument, { name: `${DEMO_PARENT}/assets/station-slate` }),
      await execute(t.graphqlUrl, ListChannelsDocument, { first: 10, after: null }),
      await execute(t.graphqlUrl, GetDvrSessionDocument, { name: `${DEMO_DVR_CHANNEL}/dvrSessions/morning-show` }),
      await execute(t.graphqlUrl, GetOperationDocument, { name: operationName }),
      await execute(t.graphqlUrl, CreateAssetDocument, { input: { assetId: 'x', uri: 'gs://b/o.mp4', type: 'VIDEO' } }),
      await execute(t.graphqlUrl, DeleteDvrSessionDocument, { input: { name: `${DEMO_DVR_CHANNEL}/dvrSessions/morning-show` } }),
      await postGraphql(t.graphqlUrl, {
        query: 'query ($id: ID!) { node(id: $id) { id } }',
        variables: { id: encodeGlobalId('Asset', `${DEMO_PARENT}/assets/station-slate`) },
      }),
    ];
    expect(responses.map((response) => errorCodes(response))).toEqual(responses.map(() => ['UPSTREAM_UNAVAILABLE']));
    expect(responses[0]?.errors?.[0]?.message).toContain('LIVESTREAM_PROJECT');
  });
});
