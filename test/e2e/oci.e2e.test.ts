import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ociKeyId } from '../../src/emulators/oci/oci.api-keys.js';
import type { OciMediaEmulator } from '../../src/emulators/oci/oci.emulator.js';
import { seedOciDemo, type OciDemoSeed } from '../../src/emulators/oci/oci.seed.js';
import { encodeGlobalId } from '../../src/resolvers/node/global-id.js';
import {
  GenerateSessionTokenDocument,
  GetMediaAssetDocument,
  GetPlaylistDocument,
  ListDistributionChannelsDocument,
  ListMediaAssetsDocument,
  type ListMediaAssetsQuery,
} from '../generated/graphql.js';
import { errorCodes, execute, postGraphql, startTestGateway, type GraphqlResponse, type TestGateway } from '../helpers/gateway.js';

/*
 * The OCI API end to end: a test gateway with its embedded OCI emulator (unseeded at startup, seeded
 * here with the demo content plus a compartment of numbered assets), queried over HTTP with the typed
 * operations of schema/operations/oci.graphql.
 */

const DEMO_COMPARTMENT = 'ocid1.compartment.oc1..aaaaaaaamediagraphdemo';
const PAGED_COMPARTMENT = 'ocid1.compartment.oc1..aaaaaaaaplaybackpaging';
const PAGED_ASSETS = 7;
const UNKNOWN_ASSET = 'ocid1.mediaasset.oc1.iad.amaaaaaanosuchasset';
const UNKNOWN_CONFIG = 'ocid1.streampackagingconfig.oc1.iad.amaaaaaanosuchconfig';

/** The embedded OCI emulator of a test gateway. */
function ociOf(t: TestGateway): OciMediaEmulator {
  const oci = t.gateway.emulators.oci;
  if (oci === undefined) throw new Error('the test gateway has no embedded OCI emulator');
  return oci.emulator;
}

describe('OCI API over HTTP', () => {
  let t: TestGateway;
  let oci: OciMediaEmulator;
  let demo: OciDemoSeed;
  /** The paged compartment's asset OCIDs, newest first. */
  const paged: string[] = [];

  beforeAll(async () => {
    t = await startTestGateway({ OCI_COMPARTMENT_ID: DEMO_COMPARTMENT });
    oci = ociOf(t);
    demo = seedOciDemo(oci);
    const t0 = Date.UTC(2025, 5, 1);
    for (let index = 0; index < PAGED_ASSETS; index += 1) {
      const asset = oci.addMediaAsset({
        compartmentId: PAGED_COMPARTMENT,
        displayName: `Paged ${index}`,
        timeCreated: new Date(t0 + index * 60_000),
        freeformTags: { index: String(index) },
      });
      paged.unshift(asset.id);
    }
  });

  afterAll(async () => {
    await t.close();
  });

  it('returns every asset once, newest first, when paging with first and endCursor', async () => {
    oci.resetRequests();
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const response: GraphqlResponse<ListMediaAssetsQuery> = await execute(t.graphqlUrl, ListMediaAssetsDocument, {
        compartmentId: PAGED_COMPARTMENT,
        first: 3,
        after,
      });
      expect(response.errors).toBeUndefined();
      const connection = response.data?.mediaAssets;
      if (connection === undefined) throw new Error('no mediaAssets in the response');
      pages += 1;
      expect(connection.edges.length).toBeLessThanOrEqual(3);
      seen.push(...connection.edges.map((edge) => edge.node.ocid));
      for (const edge of connection.edges) {
        expect(edge.node.id).toBe(encodeGlobalId('MediaAsset', edge.node.ocid));
        expect(edge.node.compartmentId).toBe(PAGED_COMPARTMENT);
      }
      if (!connection.pageInfo.hasNextPage) break;
      after = connection.pageInfo.endCursor ?? null;
    }
    expect(pages).toBe(3);
    expect(seen).toEqual(paged);
    // One ListMediaAssets per window: a page-end cursor carries the next OCI page token.
    expect(oci.count('ListMediaAssets')).toBe(3);
  });

  it('resumes after a middle edge when given that edge\'s cursor', async () => {
    const first = await execute(t.graphqlUrl, ListMediaAssetsDocument, { compartmentId: PAGED_COMPARTMENT, first: 3 });
    const middle = first.data?.mediaAssets.edges[1]?.cursor;
    expect(middle).toBeDefined();
    const next = await execute(t.graphqlUrl, ListMediaAssetsDocument, { compartmentId: PAGED_COMPARTMENT, first: 2, after: middle ?? null });
    expect(next.errors).toBeUndefined();
    expect(next.data?.mediaAssets.edges.map((edge) => edge.node.ocid)).toEqual(paged.slice(2, 4));
  });

  it('lists the default compartment and filters by lifecycle state when compartmentId is omitted', async () => {
    const all = await execute(t.graphqlUrl, ListMediaAssetsDocument, { first: 20 });
    expect(all.errors).toBeUndefined();
    expect(all.data?.mediaAssets.edges.map((edge) => edge.node.ocid)).toEqual(demo.mediaAssetIds);
    const active = await execute(t.graphqlUrl, ListMediaAssetsDocument, { first: 20, lifecycleState: 'ACTIVE' });
    expect(active.errors).toBeUndefined();
    const nodes = active.data?.mediaAssets.edges.map((edge) => edge.node) ?? [];
    expect(nodes).toHaveLength(4);
    expect(nodes.every((node) => node.lifecycleState === 'ACTIVE')).toBe(true);
  });

  it('returns a media asset with its storage location when fetched by global id or OCID', async () => {
    const ocid = demo.mediaAssetIds[4] ?? '';
    for (const id of [ocid, encodeGlobalId('MediaAsset', ocid)]) {
      const response = await execute(t.graphqlUrl, GetMediaAssetDocument, { id });
      expect(response.errors).toBeUndefined();
      expect(response.data?.mediaAsset).toEqual({
        id: encodeGlobalId('MediaAsset', ocid),
        ocid,
        displayName: 'Big Buck Bunny',
        compartmentId: DEMO_COMPARTMENT,
        type: 'VIDEO',
        lifecycleState: 'ACTIVE',
        timeCreated: '2025-01-10T10:00:00.000Z',
        timeUpdated: '2025-01-10T10:00:00.000Z',
        parentMediaAssetId: null,
        masterMediaAssetId: null,
        bucketName: 'media-graph-demo',
        namespaceName: 'mediagraph',
        objectName: 'titles/big-buck-bunny.mp4',
        freeformTags: [{ key: 'source', value: 'demo' }],
      });
    }
  });

  it('makes one GetMediaAsset per distinct asset when one request asks for the same assets several times', async () => {
    const [a, b] = [demo.mediaAssetIds[0] ?? '', demo.mediaAssetIds[1] ?? ''];
    oci.resetRequests();
    const response = await postGraphql<Record<string, { ocid: string; objectName: string | null }>>(t.graphqlUrl, {
      query: `query ($a: ID!, $aGlobal: ID!, $b: ID!) {
        one: mediaAsset(id: $a) { ocid objectName }
        two: mediaAsset(id: $aGlobal) { ocid objectName }
        three: mediaAsset(id: $b) { ocid objectName }
        four: mediaAsset(id: $a) { ocid displayName }
      }`,
      variables: { a, aGlobal: encodeGlobalId('MediaAsset', a), b },
    });
    expect(response.errors).toBeUndefined();
    expect([response.data?.['one']?.ocid, response.data?.['two']?.ocid, response.data?.['three']?.ocid, response.data?.['four']?.ocid]).toEqual([a, a, b, a]);
    expect(oci.count('GetMediaAsset')).toBe(2);
  });

  it('returns null for a media asset that does not exist', async () => {
    const response = await execute(t.graphqlUrl, GetMediaAssetDocument, { id: UNKNOWN_ASSET });
    expect(response.errors).toBeUndefined();
    expect(response.data?.mediaAsset).toBeNull();
  });

  it('resolves a MediaAsset through node(id) and federation _entities', async () => {
    const ocid = demo.mediaAssetIds[0] ?? '';
    const id = encodeGlobalId('MediaAsset', ocid);
    const node = await postGraphql(t.graphqlUrl, {
      query: 'query ($id: ID!) { node(id: $id) { __typename id ... on MediaAsset { ocid displayName } } }',
      variables: { id },
    });
    expect(node.errors).toBeUndefined();
    expect(node.data).toEqual({ node: { __typename: 'MediaAsset', id, ocid, displayName: 'Cosmos Laundromat' } });

    const representations = [
      { __typename: 'MediaAsset', id },
      { __typename: 'MediaAsset', id: encodeGlobalId('MediaAsset', UNKNOWN_ASSET) },
    ];
    const entities = await postGraphql(t.graphqlUrl, {
      query: 'query ($r: [_Any!]!) { _entities(representations: $r) { ... on MediaAsset { id ocid lifecycleState } } }',
      variables: { r: representations },
    });
    expect(entities.errors).toBeUndefined();
    expect(entities.data).toEqual({ _entities: [{ id, ocid, lifecycleState: 'CREATING' }, null] });
  });

  it('lists distribution channels with their packaging configurations and formats', async () => {
    const response = await execute(t.graphqlUrl, ListDistributionChannelsDocument, { first: 10 });
    expect(response.errors).toBeUndefined();
    const channels = response.data?.streamDistributionChannels.edges.map((edge) => edge.node) ?? [];
    expect(channels).toHaveLength(1);
    expect(channels[0]).toMatchObject({
      id: encodeGlobalId('StreamDistributionChannel', demo.distributionChannelId),
      ocid: demo.distributionChannelId,
      domainName: demo.domainName,
      lifecycleState: 'ACTIVE',
    });
    const configs = channels[0]?.packagingConfigs.edges.map((edge) => edge.node) ?? [];
    expect(configs.map((config) => [config.ocid, config.format, config.segmentTimeInSeconds, config.encryption]).sort()).toEqual(
      [
        [demo.dashPackagingConfigId, 'DASH', 4, 'NONE'],
        [demo.hlsPackagingConfigId, 'HLS', 6, 'NONE'],
      ].sort(),
    );
  });

  it('returns a parsed HLS master playlist with variants, renditions and I-frame variants', async () => {
    const asset = demo.mediaAssetIds[4] ?? '';
    const response = await execute(t.graphqlUrl, GetPlaylistDocument, { streamPackagingConfigId: demo.hlsPackagingConfigId, mediaAssetId: asset });
    expect(response.errors).toBeUndefined();
    const playlist = response.data?.playlist;
    expect(playlist?.id).toBe(encodeGlobalId('Playlist', `${demo.hlsPackagingConfigId}/${asset}`));
    expect(playlist?.format).toBe('HLS');
    expect(playlist?.contentType).toBe('application/vnd.apple.mpegurl');
    expect(playlist?.content.startsWith('#EXTM3U')).toBe(true);
    expect(playlist?.dash).toBeNull();
    const hls = playlist?.hls;
    expect(hls?.independentSegments).toBe(true);
    expect(hls?.variants.map((variant) => variant.resolution)).toEqual([
      { width: 1920, height: 1080 },
      { width: 1280, height: 720 },
      { width: 854, height: 480 },
      { width: 640, height: 360 },
    ]);
    for (const variant of hls?.variants ?? []) {
      expect(variant.bandwidth).toBeGreaterThan(0);
      expect(variant.averageBandwidth).toBeGreaterThan(0);
      expect(variant.codecs).toMatch(/^avc1\..+,mp4a\.40\.2$/);
      expect(variant.frameRate).toBeCloseTo(29.97, 2);
      expect(variant.audioGroup).toBe('aac-stereo-128k');
      expect(variant.subtitlesGroup).toBe('webvtt');
      expect(variant.uri).toContain(demo.domainName);
    }
    expect(hls?.renditions.map((rendition) => [rendition.type, rendition.groupId, rendition.language, rendition.isDefault])).toEqual([
      ['AUDIO', 'aac-stereo-128k', 'en', true],
      ['AUDIO', 'aac-stereo-128k', 'es', false],
      ['SUBTITLES', 'webvtt', 'en', expect.any(Boolean)],
      ['SUBTITLES', 'webvtt', 'es', false],
    ]);
    expect(hls?.iFrameVariants).toHaveLength(4);
  });

  it('returns a parsed DASH manifest with video, audio and text representations', async () => {
    const asset = demo.mediaAssetIds[4] ?? '';
    const response = await execute(t.graphqlUrl, GetPlaylistDocument, { streamPackagingConfigId: demo.dashPackagingConfigId, mediaAssetId: asset });
    expect(response.errors).toBeUndefined();
    const playlist = response.data?.playlist;
    expect(playlist?.format).toBe('DASH');
    expect(playlist?.contentType).toBe('application/dash+xml');
    expect(playlist?.hls).toBeNull();
    const dash = playlist?.dash;
    expect(dash?.live).toBe(false);
    expect(dash?.durationSeconds).toBe(596);
    const representations = dash?.representations ?? [];
    expect(representations.map((representation) => representation.contentType)).toEqual(['VIDEO', 'VIDEO', 'VIDEO', 'VIDEO', 'AUDIO', 'AUDIO', 'TEXT', 'TEXT']);
    expect(representations.filter((representation) => representation.contentType === 'AUDIO').map((r) => [r.language, r.isDefault])).toEqual([
      ['en', true],
      ['es', false],
    ]);
    for (const representation of representations.filter((r) => r.contentType === 'VIDEO')) {
      expect(representation.resolution?.height).toBeGreaterThan(0);
      expect(representation.segmentCount).toBeGreaterThan(0);
    }
  });

  it('fetches a playlist again through node(id) without a session token', async () => {
    const asset = demo.mediaAssetIds[3] ?? '';
    const id = encodeGlobalId('Playlist', `${demo.hlsPackagingConfigId}/${asset}`);
    const response = await postGraphql(t.graphqlUrl, {
      query: 'query ($id: ID!) { node(id: $id) { __typename id ... on Playlist { format mediaAsset { ocid } packagingConfig { ocid } } } }',
      variables: { id },
    });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({
      node: { __typename: 'Playlist', id, format: 'HLS', mediaAsset: { ocid: asset }, packagingConfig: { ocid: demo.hlsPackagingConfigId } },
    });
  });

  it('issues a session token that playlists accept, and never logs it', async () => {
    const asset = demo.mediaAssetIds[4] ?? '';
    const expiresAt = new Date(Date.now() + 10 * 60_000).toISOString();
    const issued = await execute(t.graphqlUrl, GenerateSessionTokenDocument, {
      input: {
        packagingConfigId: encodeGlobalId('StreamPackagingConfig', demo.hlsPackagingConfigId),
        assetIds: [asset],
        scopes: ['PLAYLIST', 'EDGE'],
        expiresAt,
      },
    });
    expect(issued.errors).toBeUndefined();
    const token = issued.data?.generateSessionToken.token ?? '';
    expect(token.length).toBeGreaterThan(16);
    expect(issued.data?.generateSessionToken.expiresAt).toBe(expiresAt);

    const playlist = await execute(t.graphqlUrl, GetPlaylistDocument, {
      streamPackagingConfigId: demo.hlsPackagingConfigId,
      mediaAssetId: asset,
      sessionToken: token,
    });
    expect(playlist.errors).toBeUndefined();
    expect(playlist.data?.playlist.content).toContain(`token=${token}`);
    // The id names the configuration and asset only.
    expect(playlist.data?.playlist.id).toBe(encodeGlobalId('Playlist', `${demo.hlsPackagingConfigId}/${asset}`));

    // A token for another asset is refused by the service: a client error, whose message does not echo it.
    const other = await execute(t.graphqlUrl, GetPlaylistDocument, {
      streamPackagingConfigId: demo.hlsPackagingConfigId,
      mediaAssetId: demo.mediaAssetIds[3] ?? '',
      sessionToken: token,
    });
    expect(errorCodes(other)).toEqual(['BAD_USER_INPUT']);
    expect(JSON.stringify(other)).not.toContain(token);

    expect(t.logs.length).toBeGreaterThan(0);
    expect(t.logs.filter((line) => line.includes(token))).toEqual([]);
  });

  it('answers NOT_FOUND when a playlist or session token names an unknown configuration or asset', async () => {
    const unknownConfig = await execute(t.graphqlUrl, GetPlaylistDocument, { streamPackagingConfigId: UNKNOWN_CONFIG, mediaAssetId: demo.mediaAssetIds[4] ?? '' });
    expect(errorCodes(unknownConfig)).toEqual(['NOT_FOUND']);
    const unknownAsset = await execute(t.graphqlUrl, GetPlaylistDocument, { streamPackagingConfigId: demo.hlsPackagingConfigId, mediaAssetId: UNKNOWN_ASSET });
    expect(errorCodes(unknownAsset)).toEqual(['NOT_FOUND']);
    const token = await execute(t.graphqlUrl, GenerateSessionTokenDocument, { input: { packagingConfigId: UNKNOWN_CONFIG, scopes: ['PLAYLIST'] } });
    expect(errorCodes(token)).toEqual(['NOT_FOUND']);
  });

  it('answers CONFLICT when the asset is not ACTIVE yet', async () => {
    const response = await execute(t.graphqlUrl, GetPlaylistDocument, { streamPackagingConfigId: demo.hlsPackagingConfigId, mediaAssetId: demo.mediaAssetIds[0] ?? '' });
    expect(errorCodes(response)).toEqual(['CONFLICT']);
  });

  it('refuses bad input with BAD_USER_INPUT when it makes no upstream call', async () => {
    oci.resetRequests();
    const asset = demo.mediaAssetIds[4] ?? '';
    const cases = [
      execute(t.graphqlUrl, GetMediaAssetDocument, { id: 'not-an-id' }),
      execute(t.graphqlUrl, GetMediaAssetDocument, { id: encodeGlobalId('MediaObject', 'vod/show/master.m3u8') }),
      execute(t.graphqlUrl, ListMediaAssetsDocument, { first: 101 }),
      execute(t.graphqlUrl, ListMediaAssetsDocument, { first: -1 }),
      execute(t.graphqlUrl, ListMediaAssetsDocument, { compartmentId: 'my compartment', first: 5 }),
      execute(t.graphqlUrl, ListDistributionChannelsDocument, { compartmentId: '', first: 5 }),
      execute(t.graphqlUrl, GetPlaylistDocument, { streamPackagingConfigId: '', mediaAssetId: asset }),
      execute(t.graphqlUrl, GetPlaylistDocument, { streamPackagingConfigId: demo.hlsPackagingConfigId, mediaAssetId: encodeGlobalId('Stream', 'arn:x') }),
      execute(t.graphqlUrl, GetPlaylistDocument, { streamPackagingConfigId: demo.hlsPackagingConfigId, mediaAssetId: asset, sessionToken: '' }),
      execute(t.graphqlUrl, GenerateSessionTokenDocument, { input: { packagingConfigId: demo.hlsPackagingConfigId, scopes: [] } }),
      execute(t.graphqlUrl, GenerateSessionTokenDocument, {
        input: { packagingConfigId: demo.hlsPackagingConfigId, scopes: ['PLAYLIST'], expiresAt: new Date(Date.now() - 60_000).toISOString() },
      }),
      execute(t.graphqlUrl, GenerateSessionTokenDocument, { input: { packagingConfigId: demo.hlsPackagingConfigId, scopes: ['EDGE'], assetIds: ['nope'] } }),
      execute(t.graphqlUrl, GenerateSessionTokenDocument, {
        input: { packagingConfigId: demo.hlsPackagingConfigId, scopes: ['EDGE'], assetIds: Array.from({ length: 101 }, () => asset) },
      }),
    ];
    const responses = await Promise.all(cases);
    expect(responses.map((response) => errorCodes(response))).toEqual(responses.map(() => ['BAD_USER_INPUT']));
    const foreign = await execute(t.graphqlUrl, ListMediaAssetsDocument, { first: 5, after: 'bm90LWEtY3Vyc29y.AAAAAAAAAAAAAAAAAAAAAA' });
    expect(errorCodes(foreign)).toEqual(['CURSOR_INVALID']);
    expect(oci.count()).toBe(0);
  });
});

describe('OCI API without OCI configured', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ EMULATORS: 'off' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('fails every OCI field with UPSTREAM_UNAVAILABLE when OCI is neither configured nor emulated', async () => {
    const asset = 'ocid1.mediaasset.oc1.iad.amaaaaaaanything';
    const responses = await Promise.all([
      execute(t.graphqlUrl, ListMediaAssetsDocument, { first: 5 }),
      execute(t.graphqlUrl, GetMediaAssetDocument, { id: asset }),
      execute(t.graphqlUrl, GetPlaylistDocument, { streamPackagingConfigId: UNKNOWN_CONFIG, mediaAssetId: asset }),
      execute(t.graphqlUrl, GenerateSessionTokenDocument, { input: { packagingConfigId: UNKNOWN_CONFIG, scopes: ['PLAYLIST'] } }),
      postGraphql(t.graphqlUrl, { query: `{ node(id: "${encodeGlobalId('MediaAsset', asset)}") { id } }` }),
    ]);
    expect(responses.map((response) => errorCodes(response))).toEqual(responses.map(() => ['UPSTREAM_UNAVAILABLE']));
    expect(responses[0]?.errors?.[0]?.message).toContain('OCI Media Services is not configured');
  });
});

describe('OCI API with a refused request signature', () => {
  let t: TestGateway;

  beforeAll(async () => {
    t = await startTestGateway({ OCI_COMPARTMENT_ID: DEMO_COMPARTMENT });
  });

  afterAll(async () => {
    await t.close();
  });

  it('fails with UPSTREAM_UNAVAILABLE and logs no secret when the emulator no longer knows the gateway key', async () => {
    const embedded = t.gateway.emulators.oci;
    if (embedded === undefined) throw new Error('the test gateway has no embedded OCI emulator');
    const oci = embedded.emulator;
    seedOciDemo(oci);
    expect(oci.revokeApiKey(ociKeyId(embedded.tenancyId, embedded.userId, embedded.fingerprint))).toBe(true);
    oci.resetRequests();

    const response = await execute(t.graphqlUrl, ListMediaAssetsDocument, { first: 5 });
    expect(errorCodes(response)).toEqual(['UPSTREAM_UNAVAILABLE']);
    expect(response.errors?.[0]?.extensions?.['retryable']).toBe(false);
    expect(response.data).toBeNull();
    expect(oci.rejectedSignatures).toBeGreaterThanOrEqual(1);
    expect(oci.requests.every((request) => request.authFailure === 'unknown-key')).toBe(true);

    const logs = t.logs.join('');
    // The credentials line names the key by fingerprint only.
    expect(logs).toContain('OCI refused the gateway credentials');
    expect(logs).toContain(embedded.fingerprint);
    const keyBody = embedded.privateKeyPem.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
    expect(keyBody.length).toBeGreaterThan(0);
    for (const line of keyBody) expect(logs).not.toContain(line);
    expect(logs).not.toContain('PRIVATE KEY');
    expect(logs).not.toMatch(/signature="/i);
    expect(JSON.stringify(response)).not.toContain(embedded.fingerprint);
  });
});
