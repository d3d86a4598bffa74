import { createPublicKey } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { OciMediaServicesDataSource } from '../../src/datasources/oci/oci-media-services.datasource.js';
import { OciMediaStreamsDataSource } from '../../src/datasources/oci/oci-media-streams.datasource.js';
import { createOciClients, ociEmulatorClientsOptions, type OciClients } from '../../src/datasources/oci/oci.clients.js';
import type { DashManifest, HlsMasterPlaylist } from '../../src/datasources/oci/oci.types.js';
import { generateOciApiKey, type OciApiKeyPair } from '../../src/emulators/oci/oci.api-keys.js';
import { OciMediaEmulator } from '../../src/emulators/oci/oci.emulator.js';
import { seedOciDemo, type OciDemoSeed } from '../../src/emulators/oci/oci.seed.js';
import { DomainError } from '../../src/core/domain-error.js';
import { createLogger } from '../../src/core/logger.js';

const PAGED_COMPARTMENT = 'ocid1.compartment.oc1..aaaaaaaapagination';
const PAGED_ASSETS = 13;

let emulator: OciMediaEmulator;
let seed: OciDemoSeed;
/** A key the emulator does not know. */
let strangerKey: OciApiKeyPair;
const openClients: OciClients[] = [];
const logLines: string[] = [];
/** Every session token a test obtained: none may reach a log line. */
const issuedTokens: string[] = [];
const logger = createLogger(
  'debug',
  new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logLines.push(chunk.toString('utf8'));
      callback();
    },
  }),
);

interface SourceOptions {
  readonly privateKeyPem?: string;
  readonly fingerprint?: string;
  readonly maxAttempts?: number;
  readonly timeoutMs?: number;
  readonly endpoint?: string;
}

interface Sources {
  readonly clients: OciClients;
  readonly services: OciMediaServicesDataSource;
  readonly streams: OciMediaStreamsDataSource;
}

/** The datasources over the real SDK clients, built the way the gateway builds them in emulator mode. */
function sources(options: SourceOptions = {}): Sources {
  const base = ociEmulatorClientsOptions(
    emulator,
    {
      tenancyId: seed.tenancyId,
      userId: seed.userId,
      fingerprint: options.fingerprint ?? seed.apiKey.fingerprint,
      privateKeyPem: options.privateKeyPem ?? seed.apiKey.privateKeyPem,
    },
    options.maxAttempts ?? 1,
  );
  const clients = createOciClients({ ...base, endpoint: options.endpoint ?? base.endpoint, retryBaseDelayMs: 1, retryMaxDelayMs: 5 });
  openClients.push(clients);
  const settings = { timeoutMs: options.timeoutMs ?? 10_000, logger, keyFingerprint: clients.keyFingerprint };
  const services = new OciMediaServicesDataSource(clients.mediaServices, settings);
  const streams = new OciMediaStreamsDataSource(
    { channels: services, endpointFor: clients.mediaStreamsEndpoint, clientFor: clients.mediaStream },
    settings,
  );
  return { clients, services, streams };
}

/** Resolves with the DomainError `promise` rejects with; fails the test when it resolves or throws anything else. */
async function domainErrorOf(promise: Promise<unknown>): Promise<DomainError> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(DomainError);
  return error as DomainError;
}

function playlistRequest(format: 'HLS' | 'DASH', token?: string) {
  return {
    distributionChannelId: seed.distributionChannelId,
    packagingConfigId: format === 'HLS' ? seed.hlsPackagingConfigId : seed.dashPackagingConfigId,
    mediaAssetId: seed.mediaAssetIds[1] ?? '',
    token,
  };
}

beforeAll(async () => {
  emulator = await OciMediaEmulator.start();
  seed = seedOciDemo(emulator);
  strangerKey = generateOciApiKey();
  const start = Date.UTC(2025, 1, 1);
  for (let index = 0; index < PAGED_ASSETS; index += 1) {
    emulator.addMediaAsset({
      compartmentId: PAGED_COMPARTMENT,
      displayName: `clip ${String(index).padStart(2, '0')}`,
      lifecycleState: index % 4 === 0 ? 'FAILED' : 'ACTIVE',
      timeCreated: new Date(start + index * 60_000),
    });
  }
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(() => {
  emulator.resetRequests();
  emulator.clearFaults();
});

afterEach(() => {
  for (const clients of openClients.splice(0)) clients.close();
  vi.restoreAllMocks();
});

describe('OciMediaServicesDataSource', () => {
  it('follows opc-next-page across several pages when listing media assets', async () => {
    const { services } = sources();
    const pages: string[][] = [];
    let page: string | undefined;
    do {
      const result = await services.listMediaAssets({ compartmentId: PAGED_COMPARTMENT, limit: 5, page });
      pages.push(result.items.map((asset) => asset.displayName ?? ''));
      page = result.nextPage;
    } while (page !== undefined);

    expect(pages.map((names) => names.length)).toEqual([5, 5, 3]);
    const expected = Array.from({ length: PAGED_ASSETS }, (_, index) => `clip ${String(PAGED_ASSETS - 1 - index).padStart(2, '0')}`);
    expect(pages.flat()).toEqual(expected); // newest first, each once
    const wire = emulator.requests.filter((request) => request.operation === 'ListMediaAssets');
    expect(wire).toHaveLength(3);
    expect(new URLSearchParams(wire[0]?.query).has('page')).toBe(false);
    expect(new URLSearchParams(wire[1]?.query).get('page')).not.toBeNull();
  });

  it('sorts and filters media assets when sortBy, sortOrder and lifecycleState are given', async () => {
    const { services } = sources();
    const failed = await services.listMediaAssets({
      compartmentId: PAGED_COMPARTMENT,
      limit: 100,
      page: undefined,
      lifecycleState: 'FAILED',
      sortBy: 'displayName',
      sortOrder: 'ASC',
    });
    expect(failed.items.map((asset) => asset.displayName)).toEqual(['clip 00', 'clip 04', 'clip 08', 'clip 12']);
    expect(failed.items.every((asset) => asset.lifecycleState === 'FAILED')).toBe(true);
    expect(failed.nextPage).toBeUndefined();
  });

  it('maps a media asset with its timestamps and object location when getting it', async () => {
    const { services } = sources();
    const asset = await services.getMediaAsset(seed.mediaAssetIds[4] ?? '');
    expect(asset).toMatchObject({
      id: seed.mediaAssetIds[4],
      compartmentId: seed.compartmentId,
      displayName: 'Big Buck Bunny',
      type: 'VIDEO',
      lifecycleState: 'ACTIVE',
      bucketName: 'media-graph-demo',
      objectName: 'titles/big-buck-bunny.mp4',
      freeformTags: { source: 'demo' },
    });
    expect(asset.timeCreated).toEqual(new Date(Date.UTC(2025, 0, 10, 10, 0, 0)));
  });

  it('lists and gets packaging configurations with their format', async () => {
    const { services } = sources();
    const list = await services.listPackagingConfigs({ distributionChannelId: seed.distributionChannelId, limit: 1, page: undefined });
    expect(list.items).toHaveLength(1);
    expect(list.nextPage).toBeDefined();
    const rest = await services.listPackagingConfigs({ distributionChannelId: seed.distributionChannelId, limit: 1, page: list.nextPage });
    expect([...list.items, ...rest.items].map((config) => config.id).sort()).toEqual([seed.dashPackagingConfigId, seed.hlsPackagingConfigId].sort());
    expect(rest.nextPage).toBeUndefined();

    const hls = await services.getPackagingConfig(seed.hlsPackagingConfigId);
    const dash = await services.getPackagingConfig(seed.dashPackagingConfigId);
    expect(hls).toMatchObject({ format: 'HLS', segmentTimeInSeconds: 6, encryption: 'NONE', distributionChannelId: seed.distributionChannelId });
    expect(dash).toMatchObject({ format: 'DASH', segmentTimeInSeconds: 4 });
  });

  it('lists and gets distribution channels with their domain name', async () => {
    const { services } = sources();
    const list = await services.listDistributionChannels({ compartmentId: seed.compartmentId, limit: 10, page: undefined });
    expect(list.items.map((channel) => channel.id)).toEqual([seed.distributionChannelId]);
    const channel = await services.getDistributionChannel(seed.distributionChannelId);
    expect(channel).toMatchObject({ displayName: 'media-graph demo channel', domainName: seed.domainName, lifecycleState: 'ACTIVE' });
  });

  it('refuses a page size out of range with BAD_USER_INPUT before any upstream call', async () => {
    const { services } = sources();
    const error = await domainErrorOf(services.listMediaAssets({ compartmentId: seed.compartmentId, limit: 1001, page: undefined }));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(emulator.count()).toBe(0);
  });
});

describe('OciMediaStreamsDataSource', () => {
  it('parses the variants, renditions and I-frame playlists of the HLS master playlist', async () => {
    const { streams } = sources();
    const playlist = await streams.generatePlaylist(playlistRequest('HLS'));
    expect(playlist.contentType).toBe('application/vnd.apple.mpegurl');
    const hls = playlist.parsed as HlsMasterPlaylist;
    expect(hls.format).toBe('HLS');
    expect(hls.variants.map((variant) => variant.resolution?.height)).toEqual([1080, 720, 480, 360]);
    expect(hls.variants[0]).toMatchObject({
      bandwidth: 6_128_000,
      averageBandwidth: 5_128_000,
      codecs: 'avc1.640028,mp4a.40.2',
      frameRate: 29.97,
      audioGroupId: 'aac-stereo-128k',
      subtitlesGroupId: 'webvtt',
    });
    expect(hls.renditions.map((rendition) => [rendition.type, rendition.language, rendition.isDefault])).toEqual([
      ['AUDIO', 'en', true],
      ['AUDIO', 'es', false],
      ['SUBTITLES', 'en', false],
      ['SUBTITLES', 'es', false],
    ]);
    expect(hls.iFrameVariants).toHaveLength(4);
    expect(hls.iFrameVariants[0]).toMatchObject({ bandwidth: 600_000, codecs: 'avc1.640028', resolution: { width: 1920, height: 1080 } });
    expect(hls.variants[0]?.uri.startsWith(`https://${seed.domainName}/`)).toBe(true);
  });

  it('parses the representations of the DASH MPD of a DASH packaging configuration', async () => {
    const { streams } = sources();
    const playlist = await streams.generatePlaylist(playlistRequest('DASH'));
    expect(playlist.contentType).toBe('application/dash+xml');
    const dash = playlist.parsed as DashManifest;
    expect(dash).toMatchObject({ format: 'DASH', live: false, durationSeconds: 653 });
    expect(dash.representations.map((representation) => [representation.id, representation.contentType, representation.language])).toEqual([
      ['video_1080p', 'video', undefined],
      ['video_720p', 'video', undefined],
      ['video_480p', 'video', undefined],
      ['video_360p', 'video', undefined],
      ['audio_en', 'audio', 'en'],
      ['audio_es', 'audio', 'es'],
      ['subs_en', 'text', 'en'],
      ['subs_es', 'text', 'es'],
    ]);
    expect(dash.representations[4]).toMatchObject({ isDefault: true, bandwidth: 128_000, codecs: 'mp4a.40.2', segmentCount: 164 });
  });

  it('issues a session token with the requested expiry that the playlist endpoint accepts', async () => {
    const { streams } = sources();
    const expiresAt = new Date(Date.now() + 10 * 60_000);
    const session = await streams.generateSessionToken({
      distributionChannelId: seed.distributionChannelId,
      packagingConfigId: seed.hlsPackagingConfigId,
      mediaAssetIds: [seed.mediaAssetIds[1] ?? ''],
      scopes: ['PLAYLIST', 'EDGE'],
      expiresAt,
    });
    issuedTokens.push(session.token);
    expect(session.expiresAt).toEqual(expiresAt);
    expect(session.token.length).toBeGreaterThan(20);

    const playlist = await streams.generatePlaylist(playlistRequest('HLS', session.token));
    const hls = playlist.parsed as HlsMasterPlaylist;
    const tokenParam = `token=${encodeURIComponent(session.token)}`;
    expect(hls.variants.every((variant) => variant.uri.endsWith(tokenParam))).toBe(true);
    expect(hls.renditions.every((rendition) => rendition.uri?.endsWith(tokenParam))).toBe(true);
  });

  it('looks the channel endpoint up once for many playlist and token calls', async () => {
    const { streams } = sources();
    await Promise.all([streams.generatePlaylist(playlistRequest('HLS')), streams.generatePlaylist(playlistRequest('DASH'))]);
    for (let index = 0; index < 5; index += 1) await streams.generatePlaylist(playlistRequest(index % 2 === 0 ? 'HLS' : 'DASH'));
    const session = await streams.generateSessionToken({
      distributionChannelId: seed.distributionChannelId,
      packagingConfigId: seed.dashPackagingConfigId,
      scopes: ['PLAYLIST'],
    });
    issuedTokens.push(session.token);

    expect(emulator.count('GetStreamDistributionChannel')).toBe(1);
    expect(emulator.count('GeneratePlaylist')).toBe(7);
    const streamRequests = emulator.requests.filter((request) => request.channelDomain !== undefined);
    expect(streamRequests.every((request) => request.channelDomain === seed.domainName)).toBe(true);
  });

  it('looks a channel up again when the previous lookup failed', async () => {
    const { streams } = sources();
    emulator.injectFault({ kind: 'error', status: 503, operation: 'GetStreamDistributionChannel', times: 1 });
    const first = await domainErrorOf(streams.generatePlaylist(playlistRequest('HLS')));
    expect(first.code).toBe('UPSTREAM_UNAVAILABLE');
    await streams.generatePlaylist(playlistRequest('HLS'));
    expect(emulator.count('GetStreamDistributionChannel')).toBe(2);
  });

  it('reports NOT_FOUND when the distribution channel does not exist', async () => {
    const { streams } = sources();
    const error = await domainErrorOf(streams.generatePlaylist({ ...playlistRequest('HLS'), distributionChannelId: 'ocid1.streamdistributionchannel.oc1.iad.none' }));
    expect(error.code).toBe('NOT_FOUND');
    expect(emulator.count('GeneratePlaylist')).toBe(0);
  });
});

describe('OCI request signatures (RELIABILITY O1)', () => {
  it('surfaces a signature made with the wrong private key as UPSTREAM_UNAVAILABLE with a clear log line', async () => {
    const { services } = sources({ privateKeyPem: strangerKey.privateKeyPem });
    const error = await domainErrorOf(services.getMediaAsset(seed.mediaAssetIds[0] ?? ''));
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.retryable).toBe(false);
    const [request] = emulator.requests;
    expect(request).toMatchObject({ authenticated: false, authFailure: 'bad-signature', keyId: `${seed.tenancyId}/${seed.userId}/${seed.apiKey.fingerprint}` });
    const line = logLines.find((text) => text.includes('OCI refused the gateway credentials'));
    expect(line).toBeDefined();
    expect(JSON.parse(line ?? '{}')).toMatchObject({ level: 50, operation: 'GetMediaAsset', status: 401, serviceCode: 'NotAuthenticated', keyFingerprint: seed.apiKey.fingerprint });
  });

  it('rejects a key the emulator does not know with 401 NotAuthenticated', async () => {
    const { services } = sources({ privateKeyPem: strangerKey.privateKeyPem, fingerprint: strangerKey.fingerprint });
    const error = await domainErrorOf(services.listDistributionChannels({ compartmentId: seed.compartmentId, limit: 10, page: undefined }));
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.cause).toMatchObject({ status: 401, serviceCode: 'NotAuthenticated' });
    expect(emulator.requests[0]?.authFailure).toBe('unknown-key');
  });

  it('rejects the old key and accepts the new one when the key is rotated', async () => {
    const rotated = generateOciApiKey();
    const newKeyId = emulator.registerApiKey({ tenancyId: seed.tenancyId, userId: seed.userId, publicKeyPem: rotated.publicKeyPem });
    const oldKeyId = `${seed.tenancyId}/${seed.userId}/${seed.apiKey.fingerprint}`;
    expect(emulator.revokeApiKey(oldKeyId)).toBe(true);
    try {
      const stale = sources();
      const error = await domainErrorOf(stale.services.getDistributionChannel(seed.distributionChannelId));
      expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
      const fresh = sources({ privateKeyPem: rotated.privateKeyPem, fingerprint: rotated.fingerprint });
      await expect(fresh.services.getDistributionChannel(seed.distributionChannelId)).resolves.toMatchObject({ id: seed.distributionChannelId });
    } finally {
      emulator.revokeApiKey(newKeyId);
      emulator.registerApiKey({ tenancyId: seed.tenancyId, userId: seed.userId, publicKeyPem: seedPublicKey() });
    }
  });

  it('rejects requests whose date is more than five minutes off the service clock', async () => {
    const skewed = await OciMediaEmulator.start({ now: () => Date.now() + 6 * 60_000 });
    try {
      const key = generateOciApiKey();
      skewed.registerApiKey({ tenancyId: seed.tenancyId, userId: seed.userId, publicKeyPem: key.publicKeyPem });
      const { services } = sources({ privateKeyPem: key.privateKeyPem, fingerprint: key.fingerprint, endpoint: skewed.endpoint });
      const error = await domainErrorOf(services.listDistributionChannels({ compartmentId: seed.compartmentId, limit: 1, page: undefined }));
      expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(skewed.requests[0]?.authFailure).toBe('stale-date');
    } finally {
      await skewed.close();
    }
  });

  it('answers an unsigned request 401 with the OCI error body and an opc-request-id', async () => {
    const response = await fetch(`${emulator.endpoint}/20211101/mediaAssets?compartmentId=${seed.compartmentId}`);
    expect(response.status).toBe(401);
    expect(response.headers.get('opc-request-id')).toMatch(/^[0-9A-F]{32}$/);
    expect(await response.json()).toEqual({
      code: 'NotAuthenticated',
      message: 'The required information to complete authentication was not provided or was incorrect.',
    });
    expect(emulator.requests[0]?.authFailure).toBe('missing-authorization');
  });
});

describe('OCI error table', () => {
  it('maps 404 NotAuthorizedOrNotFound to NOT_FOUND', async () => {
    const { services } = sources();
    const error = await domainErrorOf(services.getMediaAsset('ocid1.mediaasset.oc1.iad.missing'));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toBe('The media resource does not exist.');
  });

  it('maps 400 to BAD_USER_INPUT when the service refuses a page token', async () => {
    const { services } = sources();
    const error = await domainErrorOf(services.listMediaAssets({ compartmentId: seed.compartmentId, limit: 2, page: 'forged-page-token' }));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.cause).toMatchObject({ status: 400, serviceCode: 'InvalidParameter' });
  });

  it('maps 409 Conflict to CONFLICT when the asset is not ACTIVE', async () => {
    const { streams } = sources();
    const error = await domainErrorOf(streams.generatePlaylist({ ...playlistRequest('HLS'), mediaAssetId: seed.mediaAssetIds[0] ?? '' }));
    expect(error.code).toBe('CONFLICT');
  });

  it('maps 429 TooManyRequests to UPSTREAM_THROTTLED when retries are exhausted', async () => {
    const { services } = sources({ maxAttempts: 2 });
    emulator.injectFault({ kind: 'throttle', operation: 'ListMediaAssets' });
    const error = await domainErrorOf(services.listMediaAssets({ compartmentId: seed.compartmentId, limit: 1, page: undefined }));
    expect(error.code).toBe('UPSTREAM_THROTTLED');
    expect(emulator.count('ListMediaAssets')).toBe(2);
  });

  it.each([500, 502, 503, 504] as const)('maps %i to UPSTREAM_UNAVAILABLE', async (status) => {
    const { services } = sources();
    emulator.injectFault({ kind: 'error', status, times: 1 });
    const error = await domainErrorOf(services.getPackagingConfig(seed.hlsPackagingConfigId));
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(error.retryable).toBe(true);
  });

  it('succeeds when a retried 5xx clears before the attempts run out', async () => {
    const { services } = sources({ maxAttempts: 3 });
    emulator.injectFault({ kind: 'error', status: 500, operation: 'GetMediaAsset', times: 2 });
    await expect(services.getMediaAsset(seed.mediaAssetIds[2] ?? '')).resolves.toMatchObject({ displayName: 'Tears of Steel' });
    expect(emulator.count('GetMediaAsset')).toBe(3);
  });

  it('maps an injected 401 to UPSTREAM_UNAVAILABLE without retrying', async () => {
    const { services } = sources({ maxAttempts: 3 });
    emulator.injectFault({ kind: 'error', status: 401, times: 1 });
    const error = await domainErrorOf(services.getDistributionChannel(seed.distributionChannelId));
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(emulator.count()).toBe(1);
  });

  it('reports UPSTREAM_TIMEOUT when the service does not answer before the deadline', async () => {
    const { services } = sources({ timeoutMs: 300, maxAttempts: 3 });
    emulator.injectFault({ kind: 'stall', operation: 'GetMediaAsset' });
    const error = await domainErrorOf(services.getMediaAsset(seed.mediaAssetIds[2] ?? ''));
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    // The aborted attempt is not retried behind the caller's back.
    expect(emulator.count('GetMediaAsset')).toBe(1);
  });

  it("rejects with the caller's AbortError, not an upstream code, when the caller aborts", async () => {
    const { services } = sources();
    emulator.injectFault({ kind: 'stall', operation: 'GetMediaAsset' });
    const controller = new AbortController();
    const pending = services.getMediaAsset(seed.mediaAssetIds[2] ?? '', { signal: controller.signal });
    await emulator.waitForRequest((request) => request.operation === 'GetMediaAsset');
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('maps a refused connection to UPSTREAM_UNAVAILABLE', async () => {
    const closed = await OciMediaEmulator.start();
    const endpoint = closed.endpoint;
    await closed.close();
    const { services } = sources({ endpoint });
    const error = await domainErrorOf(services.getDistributionChannel(seed.distributionChannelId));
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('keeps session tokens and the private key out of logs, messages and causes when calls fail', async () => {
    const warnings = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const good = sources();
    const session = await good.streams.generateSessionToken({
      distributionChannelId: seed.distributionChannelId,
      packagingConfigId: seed.hlsPackagingConfigId,
      scopes: ['PLAYLIST'],
    });
    issuedTokens.push(session.token);
    emulator.injectFault({ kind: 'error', status: 500, operation: 'GeneratePlaylist', times: 1 });
    const failures = [
      await domainErrorOf(good.streams.generatePlaylist(playlistRequest('HLS', session.token))),
      // A token for the HLS configuration does not cover the DASH one: 400 from the service.
      await domainErrorOf(good.streams.generatePlaylist(playlistRequest('DASH', session.token))),
      await domainErrorOf(sources({ privateKeyPem: strangerKey.privateKeyPem }).streams.generatePlaylist(playlistRequest('HLS', session.token))),
    ];
    emulator.injectFault({ kind: 'error', status: 401, operation: 'GeneratePlaylist', times: 1 });
    failures.push(await domainErrorOf(good.streams.generatePlaylist(playlistRequest('HLS', session.token))));
    expect(failures.map((error) => error.code)).toEqual(['UPSTREAM_UNAVAILABLE', 'BAD_USER_INPUT', 'UPSTREAM_UNAVAILABLE', 'UPSTREAM_UNAVAILABLE']);

    const privateKeyBody = seed.apiKey.privateKeyPem.split('\n')[1] ?? 'unreachable';
    const strangerKeyBody = strangerKey.privateKeyPem.split('\n')[1] ?? 'unreachable';
    const surfaces = [
      ...logLines,
      ...failures.flatMap((error) => [error.message, String(error.cause), JSON.stringify(error)]),
      ...warnings.mock.calls.map((call) => call.map(String).join(' ')),
    ].join('\n');
    for (const token of issuedTokens) {
      expect(surfaces).not.toContain(token);
      expect(surfaces).not.toContain(encodeURIComponent(token));
    }
    expect(surfaces).not.toContain(privateKeyBody);
    expect(surfaces).not.toContain(strangerKeyBody);
    // The refused credentials were logged, for the channel lookup and for the playlist call itself.
    const refused = logLines.filter((line) => line.includes('OCI refused the gateway credentials')).map((line) => String(JSON.parse(line).operation));
    expect(refused).toEqual(expect.arrayContaining(['GetStreamDistributionChannel', 'GeneratePlaylist']));
  });
});

/** The PEM public key of the seeded user's key (derived from its private key, to register it again). */
function seedPublicKey(): string {
  return createPublicKey(seed.apiKey.privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
}
