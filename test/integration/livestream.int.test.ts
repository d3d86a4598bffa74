import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DvrSessionsDataSource } from '../../src/datasources/livestream/dvr-sessions.datasource.js';
import type { LiveStreamClients } from '../../src/datasources/livestream/livestream.clients.js';
import { createLiveStreamClients } from '../../src/datasources/livestream/livestream.clients.js';
import { LiveStreamDataSource } from '../../src/datasources/livestream/livestream.datasource.js';
import { dvrRetention } from '../../src/datasources/livestream/livestream.mapper.js';
import type { RetryPolicy } from '../../src/datasources/livestream/livestream.retry.js';
import type { Asset, LongRunningOperation } from '../../src/datasources/livestream/livestream.types.js';
import { LiveStreamEmulator } from '../../src/emulators/livestream/livestream.emulator.js';
import { DEMO_DVR_CHANNEL, DEMO_PARENT, DEMO_PLAIN_CHANNEL, seedLiveStreamDemo } from '../../src/emulators/livestream/livestream.seed.js';
import { DomainError, type ErrorCode } from '../../src/core/domain-error.js';

const START = Date.UTC(2025, 5, 1, 12, 0, 0);
const OPERATION_MS = 5000;
const HOUR = 3600 * 1000;
const FAST_RETRY: RetryPolicy = { maxAttempts: 4, initialDelayMs: 20, maxDelayMs: 200, multiplier: 2 };
const FAST_POLL = { initialDelayMs: 10, maxDelayMs: 40, multiplier: 2 };
const REQUEST_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

let emulator: LiveStreamEmulator;
let clients: LiveStreamClients[] = [];

beforeEach(async () => {
  emulator = await LiveStreamEmulator.start({ timers: 'manual', now: () => START, operationDurationMs: OPERATION_MS });
  seedLiveStreamDemo(emulator);
});

afterEach(async () => {
  vi.restoreAllMocks();
  await Promise.all(clients.map((client) => client.close()));
  clients = [];
  await emulator.close();
});

/** Both datasources over the real SDK client and google-auth-library, built the way the gateway builds them. */
function sources(options: { timeoutMs?: number; retry?: RetryPolicy } = {}): { live: LiveStreamDataSource; dvr: DvrSessionsDataSource } {
  const connection = createLiveStreamClients({ mode: 'emulator', host: emulator.host, grpcPort: emulator.grpcPort, restEndpoint: emulator.restEndpoint });
  clients.push(connection);
  const common = { timeoutMs: options.timeoutMs ?? 5000, retry: options.retry ?? FAST_RETRY, poll: FAST_POLL };
  const live = new LiveStreamDataSource(connection.grpc, common);
  const dvr = new DvrSessionsDataSource(connection.rest, common);
  return { live, dvr };
}

async function expectCode(promise: Promise<unknown>, code: ErrorCode): Promise<DomainError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  return error as DomainError;
}

function assetResult(operation: LongRunningOperation): Asset {
  if (operation.result?.type !== 'Asset') throw new Error(`expected an Asset result, got ${JSON.stringify(operation.result)}`);
  return operation.result.asset;
}

const newAsset = { parent: DEMO_PARENT, assetId: 'fresh-video', kind: 'video', uri: 'gs://bucket/fresh.mp4', labels: { env: 'test' } } as const;

describe('LiveStreamDataSource', () => {
  it('reads seeded assets and channels, with retention only on the channel that has one', async () => {
    const { live } = sources();
    const asset = await live.getAsset(`${DEMO_PARENT}/assets/intro-bumper`);
    expect(asset).toMatchObject({ id: 'intro-bumper', kind: 'video', uri: 'gs://media-graph-demo/assets/intro-bumper.mp4', state: 'ACTIVE' });
    expect(asset.labels).toEqual({ purpose: 'bumper' });
    const broken = await live.getAsset(`${DEMO_PARENT}/assets/broken-upload`);
    expect(broken.error).toEqual({ code: 3, status: 'INVALID_ARGUMENT', message: 'The video codec is not supported.' });
    const news = await live.getChannel(DEMO_DVR_CHANNEL);
    expect(news).toMatchObject({ id: 'news-live', retentionWindowSeconds: 86_400, streamingState: 'STREAMING' });
    // Manifest.key (field 7 of the shipped protos) comes over gRPC: it is what a DVR session names.
    expect(news.manifests).toEqual([
      { key: 'manifest_hls', fileName: 'main.m3u8', type: 'HLS' },
      { key: 'manifest_dash', fileName: 'main.mpd', type: 'DASH' },
    ]);
    expect((await live.getChannel(DEMO_PLAIN_CHANNEL)).retentionWindowSeconds).toBeUndefined();
    const channels = await live.listChannels(DEMO_PARENT, { pageSize: 1 });
    const rest = await live.listChannels(DEMO_PARENT, { pageSize: 1, pageToken: channels.nextPageToken });
    expect([...channels.items, ...rest.items].map((channel) => channel.id)).toEqual(['news-live', 'sports-live']);
    expect(rest.nextPageToken).toBeUndefined();
  });

  it('visits each of 250 assets exactly once when paging with page_size 100', async () => {
    const parent = 'projects/bulk/locations/us-east1';
    for (let index = 0; index < 250; index += 1) {
      emulator.putAssetDirect({ name: `${parent}/assets/asset-${String(index).padStart(3, '0')}`, resource: { kind: 'image', uri: 'gs://b/i.png' } });
    }
    const { live } = sources();
    const seen: string[] = [];
    const sizes: number[] = [];
    let token: string | undefined;
    do {
      const page = await live.listAssets(parent, { pageSize: 100, pageToken: token });
      seen.push(...page.items.map((asset) => asset.name));
      sizes.push(page.items.length);
      token = page.nextPageToken;
    } while (token !== undefined);
    expect(sizes).toEqual([100, 100, 50]);
    expect(new Set(seen).size).toBe(250);
    expect(emulator.count('ListAssets')).toBe(3);
  });

  it('filters by label and state joined by AND and orders by create_time in both directions', async () => {
    const parent = 'projects/filter/locations/europe-west1';
    const seed = (id: string, env: string, state: 'ACTIVE' | 'ERROR', hoursAgo: number): void =>
      emulator.putAssetDirect({ name: `${parent}/assets/${id}`, resource: { kind: 'video', uri: 'gs://b/v.mp4' }, labels: { env }, state, createTime: START - hoursAgo * HOUR });
    seed('a-old-prod', 'prod', 'ACTIVE', 3);
    seed('b-new-prod', 'prod', 'ACTIVE', 1);
    seed('c-mid-prod', 'prod', 'ERROR', 2);
    seed('d-dev', 'dev', 'ACTIVE', 4);
    const { live } = sources();
    const ids = async (filter: string, orderBy?: string): Promise<string[]> =>
      (await live.listAssets(parent, { pageSize: 10, filter, orderBy })).items.map((asset) => asset.id);
    expect(await ids('labels.env=prod AND state=ACTIVE', 'create_time desc')).toEqual(['b-new-prod', 'a-old-prod']);
    expect(await ids('labels.env="prod"', 'create_time')).toEqual(['a-old-prod', 'c-mid-prod', 'b-new-prod']);
    expect(await ids('state=ERROR')).toEqual(['c-mid-prod']);
    expect(await ids('', 'name desc')).toEqual(['d-dev', 'c-mid-prod', 'b-new-prod', 'a-old-prod']);
    // AIP-160: OR binds tighter than AND, parentheses group, NOT and `-` negate.
    expect(await ids('labels.env=prod AND state=ERROR OR labels.env=dev')).toEqual(['c-mid-prod']);
    expect(await ids('(labels.env=prod AND state=ERROR) OR labels.env=dev')).toEqual(['c-mid-prod', 'd-dev']);
    expect(await ids('NOT labels.env=prod OR state=ERROR')).toEqual(['c-mid-prod', 'd-dev']);
    expect(await ids('-(labels.env=prod OR state=ERROR)')).toEqual(['d-dev']);
  });

  it('rejects a bad filter, order_by or page token with BAD_USER_INPUT when the service answers INVALID_ARGUMENT', async () => {
    const { live } = sources();
    await expectCode(live.listAssets(DEMO_PARENT, { pageSize: 10, filter: '(state=ACTIVE OR state=ERROR' }), 'BAD_USER_INPUT');
    await expectCode(live.listAssets(DEMO_PARENT, { pageSize: 10, filter: 'state=SLEEPING' }), 'BAD_USER_INPUT');
    await expectCode(live.listAssets(DEMO_PARENT, { pageSize: 10, orderBy: 'crc32c desc' }), 'BAD_USER_INPUT');
    const first = await live.listAssets(DEMO_PARENT, { pageSize: 1 });
    await expectCode(live.listAssets(DEMO_PARENT, { pageSize: 1, pageToken: first.nextPageToken, filter: 'state=ACTIVE' }), 'BAD_USER_INPUT');
    expect(emulator.count('ListAssets')).toBe(5);
  });

  it('rejects bad input with BAD_USER_INPUT before any upstream call', async () => {
    const { live } = sources();
    await expectCode(live.listAssets(DEMO_PARENT, { pageSize: 1001 }), 'BAD_USER_INPUT');
    await expectCode(live.getAsset('assets/../secret'), 'BAD_USER_INPUT');
    await expectCode(live.createAsset({ ...newAsset, assetId: 'Not_Valid' }), 'BAD_USER_INPUT');
    await expectCode(live.createAsset(newAsset, { requestId: 'not-a-uuid' }), 'BAD_USER_INPUT');
    expect(emulator.count()).toBe(0);
  });

  it('moves a created asset from CREATING to ACTIVE when its operation completes', async () => {
    const { live } = sources();
    const started = await live.createAsset(newAsset);
    expect(started).toMatchObject({ done: false, error: undefined, result: undefined });
    expect(started.metadata).toMatchObject({ verb: 'create', target: `${DEMO_PARENT}/assets/fresh-video`, requestedCancellation: false, apiVersion: 'v1' });
    expect(started.metadata?.createTime).toEqual(new Date(START));
    expect((await live.getAsset(`${DEMO_PARENT}/assets/fresh-video`)).state).toBe('CREATING');
    expect(emulator.advance(OPERATION_MS)).toBe(1);
    const done = await live.getOperation(started.name);
    expect(done).toMatchObject({ name: started.name, done: true, error: undefined });
    expect(done.metadata?.endTime).toEqual(new Date(START + OPERATION_MS));
    expect(assetResult(done)).toMatchObject({ state: 'ACTIVE', labels: { env: 'test' }, uri: 'gs://bucket/fresh.mp4' });
    expect((await live.getAsset(`${DEMO_PARENT}/assets/fresh-video`)).state).toBe('ACTIVE');
  });

  it('ends the operation with a coded error and the asset in ERROR when the operation fails (G1)', async () => {
    emulator.injectFault({ kind: 'operationFailure', operation: 'CreateAsset', status: 'FAILED_PRECONDITION', message: 'crc32c mismatch', times: 1 });
    const { live } = sources();
    const started = await live.createAsset(newAsset);
    emulator.advance(OPERATION_MS);
    const done = await live.getOperation(started.name);
    expect(done).toMatchObject({ done: true, result: undefined, error: { code: 9, status: 'FAILED_PRECONDITION', message: 'crc32c mismatch' } });
    expect(await live.getAsset(`${DEMO_PARENT}/assets/fresh-video`)).toMatchObject({ state: 'ERROR', error: { code: 9 } });
  });

  it('waits for an operation by polling with backoff until it is done', async () => {
    const { live } = sources();
    const started = await live.createAsset(newAsset);
    const waiting = live.waitForOperation(started.name, { timeoutMs: 5000 });
    await emulator.waitForRequest((request) => request.operation === 'GetOperation');
    emulator.advance(OPERATION_MS);
    const done = await waiting;
    expect(done.done).toBe(true);
    expect(assetResult(done).state).toBe('ACTIVE');
    expect(emulator.count('GetOperation')).toBeGreaterThanOrEqual(2);
  });

  it('returns the still-running operation when the wait times out', async () => {
    const { live } = sources();
    const started = await live.createAsset(newAsset);
    const last = await live.waitForOperation(started.name, { timeoutMs: 100 });
    expect(last).toMatchObject({ name: started.name, done: false });
    expect(emulator.count('GetOperation')).toBeGreaterThanOrEqual(1);
  });

  it('deletes an asset through an operation that ends with an Empty result', async () => {
    const { live } = sources();
    const name = `${DEMO_PARENT}/assets/station-slate`;
    const started = await live.deleteAsset(name);
    expect(started.metadata).toMatchObject({ verb: 'delete', target: name });
    expect((await live.getAsset(name)).state).toBe('DELETING');
    emulator.advance(OPERATION_MS);
    expect((await live.getOperation(started.name)).result).toEqual({ type: 'Empty' });
    await expectCode(live.getAsset(name), 'NOT_FOUND');
    await expectCode(live.deleteAsset(name), 'NOT_FOUND');
  });

  it('maps ALREADY_EXISTS to CONFLICT when the asset id is taken (G1)', async () => {
    const { live } = sources();
    await expectCode(live.createAsset({ ...newAsset, assetId: 'intro-bumper' }), 'CONFLICT');
  });

  it('returns the first operation when a create is repeated with the same request id', async () => {
    const { live } = sources();
    const before = emulator.assetCount;
    const first = await live.createAsset(newAsset, { requestId: REQUEST_ID });
    const again = await live.createAsset(newAsset, { requestId: REQUEST_ID });
    expect(again.name).toBe(first.name);
    expect(emulator.assetCount).toBe(before + 1);
    expect(emulator.requests.filter((request) => request.operation === 'CreateAsset').map((request) => request.requestId)).toEqual([REQUEST_ID, REQUEST_ID]);
    const other = await live.createAsset({ ...newAsset, assetId: 'other-video' });
    expect(other.name).not.toBe(first.name);
  });

  it('sends a failed create once and lets the caller retry it with the same request id', async () => {
    emulator.injectFault({ kind: 'status', status: 'UNAVAILABLE', operation: 'CreateAsset', times: 1 });
    const { live } = sources();
    await expectCode(live.createAsset(newAsset, { requestId: REQUEST_ID }), 'UPSTREAM_UNAVAILABLE');
    expect(emulator.count('CreateAsset')).toBe(1);
    const retried = await live.createAsset(newAsset, { requestId: REQUEST_ID });
    expect(retried.done).toBe(false);
    expect(emulator.count('CreateAsset')).toBe(2);
  });

  it('retries a read that fails with UNAVAILABLE and returns its result', async () => {
    emulator.injectFault({ kind: 'status', status: 'UNAVAILABLE', operation: 'GetAsset', times: 2 });
    const { live } = sources();
    expect((await live.getAsset(`${DEMO_PARENT}/assets/intro-bumper`)).state).toBe('ACTIVE');
    expect(emulator.count('GetAsset')).toBe(3);
  });

  it('reports UPSTREAM_THROTTLED after backing off when RESOURCE_EXHAUSTED persists (G2)', async () => {
    emulator.injectFault({ kind: 'status', status: 'RESOURCE_EXHAUSTED', operation: 'ListAssets' });
    const { live } = sources();
    // Full jitter draws each wait from [0, ceiling): pinned at 0.9 of the ceilings 20, 40 and 80 ms, the three waits
    // between the four attempts come to 126 ms (a few ms of slack for timers that fire early by the clock read here).
    vi.spyOn(Math, 'random').mockReturnValue(0.9);
    const started = performance.now();
    await expectCode(live.listAssets(DEMO_PARENT, { pageSize: 10 }), 'UPSTREAM_THROTTLED');
    expect(performance.now() - started).toBeGreaterThanOrEqual(120);
    expect(emulator.count('ListAssets')).toBe(FAST_RETRY.maxAttempts);
  });

  it('reports UPSTREAM_TIMEOUT when the service stalls past the deadline, without retrying the create', async () => {
    emulator.injectFault({ kind: 'stall', operation: 'GetAsset' });
    emulator.injectFault({ kind: 'latency', ms: 2000, operation: 'CreateAsset' });
    const { live } = sources({ timeoutMs: 400 });
    await expectCode(live.getAsset(`${DEMO_PARENT}/assets/intro-bumper`), 'UPSTREAM_TIMEOUT');
    await expectCode(live.createAsset(newAsset), 'UPSTREAM_TIMEOUT');
    expect(emulator.count('CreateAsset')).toBe(1);
  });

  it('maps the credential, quota and server statuses to their client codes', async () => {
    const { live } = sources({ retry: { ...FAST_RETRY, maxAttempts: 1 } });
    const name = `${DEMO_PARENT}/assets/intro-bumper`;
    const table: ReadonlyArray<readonly ['PERMISSION_DENIED' | 'UNAUTHENTICATED' | 'INTERNAL' | 'DEADLINE_EXCEEDED' | 'RESOURCE_EXHAUSTED', ErrorCode]> = [
      ['PERMISSION_DENIED', 'UPSTREAM_UNAVAILABLE'],
      ['UNAUTHENTICATED', 'UPSTREAM_UNAVAILABLE'],
      ['INTERNAL', 'INTERNAL_SERVER_ERROR'],
      ['DEADLINE_EXCEEDED', 'UPSTREAM_TIMEOUT'],
      ['RESOURCE_EXHAUSTED', 'UPSTREAM_THROTTLED'],
    ];
    for (const [status, code] of table) {
      emulator.injectFault({ kind: 'status', status, message: 'secret-project-42', times: 1 });
      const error = await expectCode(live.getAsset(name), code);
      expect(error.message).not.toContain('secret-project-42');
    }
    await expectCode(live.getAsset(`${DEMO_PARENT}/assets/missing`), 'NOT_FOUND');
    await expectCode(live.getOperation(`${DEMO_PARENT}/operations/missing`), 'NOT_FOUND');
  });

  it('leaves retries to the datasource: gax sends each read once when the datasource retries nothing', async () => {
    emulator.injectFault({ kind: 'status', status: 'UNAVAILABLE', operation: 'GetOperation', times: 1 });
    emulator.injectFault({ kind: 'status', status: 'UNAVAILABLE', operation: 'ListChannels', times: 1 });
    const { live } = sources({ retry: { ...FAST_RETRY, maxAttempts: 1 } });
    await expectCode(live.getOperation(`${DEMO_PARENT}/operations/any`), 'UPSTREAM_UNAVAILABLE');
    await expectCode(live.listChannels(DEMO_PARENT, { pageSize: 10 }), 'UPSTREAM_UNAVAILABLE');
    expect(emulator.count('GetOperation')).toBe(1);
    expect(emulator.count('ListChannels')).toBe(1);
  });

  it('cancels the call and rejects with AbortError when the caller aborts', async () => {
    emulator.injectFault({ kind: 'stall', operation: 'GetChannel' });
    const { live } = sources();
    const controller = new AbortController();
    const pending = live.getChannel(DEMO_DVR_CHANNEL, { signal: controller.signal });
    await emulator.waitForRequest((request) => request.operation === 'GetChannel');
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('DvrSessionsDataSource', () => {
  const sessionName = (id: string): string => `${DEMO_DVR_CHANNEL}/dvrSessions/${id}`;
  const windows = [{ startTime: new Date(START + HOUR), endTime: new Date(START + 2 * HOUR) }];
  const newSession = { channelName: DEMO_DVR_CHANNEL, dvrSessionId: 'late-show', manifestKey: 'manifest_hls', windows, labels: { show: 'late' } };

  it('lists a channel\'s sessions with states, derived start and end, and no channel read', async () => {
    const { dvr, live } = sources();
    const page = await dvr.listDvrSessions(DEMO_DVR_CHANNEL, { pageSize: 10, orderBy: 'create_time' });
    expect(page.items.map((session) => [session.id, session.state])).toEqual([
      ['morning-show', 'FINISHED'],
      ['midday-update', 'LIVE'],
      ['evening-news', 'SCHEDULED'],
    ]);
    const morning = page.items[0];
    expect(morning?.startTime).toEqual(new Date(START - 6 * HOUR));
    expect(morning?.endTime).toEqual(new Date(START - 4 * HOUR));
    // The retention view is derived by the caller from the channel, which the DVR datasource does not read.
    expect(emulator.count('GetChannel')).toBe(0);
    expect(morning === undefined ? undefined : dvrRetention(morning, await live.getChannel(DEMO_DVR_CHANNEL))).toEqual({
      windowSeconds: 86_400,
      completeUntil: new Date(START - 6 * HOUR + 86_400_000),
      expiresAt: new Date(START - 4 * HOUR + 86_400_000),
    });
    expect(morning?.manifests).toEqual([{ manifestKey: 'manifest_hls', outputUri: 'gs://media-graph-demo/outputs/news-live/dvr/morning-show/main.m3u8' }]);
    expect(page.nextPageToken).toBeUndefined();
  });

  it('pages, filters and orders DVR sessions', async () => {
    const { dvr } = sources();
    const first = await dvr.listDvrSessions(DEMO_DVR_CHANNEL, { pageSize: 2 });
    const second = await dvr.listDvrSessions(DEMO_DVR_CHANNEL, { pageSize: 2, pageToken: first.nextPageToken });
    expect([...first.items, ...second.items].map((session) => session.id)).toEqual(['evening-news', 'midday-update', 'morning-show']);
    expect(second.nextPageToken).toBeUndefined();
    const live = await dvr.listDvrSessions(DEMO_DVR_CHANNEL, { pageSize: 10, filter: 'state=LIVE AND labels.show=midday-update' });
    expect(live.items.map((session) => session.id)).toEqual(['midday-update']);
    const newest = await dvr.listDvrSessions(DEMO_DVR_CHANNEL, { pageSize: 1, orderBy: 'createTime desc' });
    expect(newest.items.map((session) => session.id)).toEqual(['evening-news']);
    await expectCode(dvr.listDvrSessions(DEMO_DVR_CHANNEL, { pageSize: 10, filter: 'state=' }), 'BAD_USER_INPUT');
    expect((await dvr.listDvrSessions(DEMO_PLAIN_CHANNEL, { pageSize: 10 })).items).toEqual([]);
  });

  it('creates a DVR session through an operation read over REST, with the output URI the API derives', async () => {
    const { dvr } = sources();
    const started = await dvr.createDvrSession(newSession, { requestId: REQUEST_ID });
    expect(started).toMatchObject({ done: false, metadata: { verb: 'create', target: sessionName('late-show') } });
    const created = emulator.requests.find((request) => request.operation === 'CreateDvrSession');
    expect(new URLSearchParams(created?.query)).toEqual(new URLSearchParams({ dvrSessionId: 'late-show', requestId: REQUEST_ID }));
    expect((await dvr.getDvrSession(sessionName('late-show'))).state).toBe('PENDING');
    const again = await dvr.createDvrSession(newSession, { requestId: REQUEST_ID });
    expect(again.name).toBe(started.name);
    const waiting = dvr.waitForOperation(started.name, { timeoutMs: 5000 });
    await emulator.waitForRequest((request) => request.operation === 'GetOperation' && request.transport === 'rest');
    emulator.advance(OPERATION_MS);
    const done = await waiting;
    if (done.result?.type !== 'DvrSession') throw new Error(`unexpected result ${JSON.stringify(done.result)}`);
    expect(done.result.dvrSession).toMatchObject({
      id: 'late-show',
      state: 'SCHEDULED',
      labels: { show: 'late' },
      windows,
      manifests: [{ manifestKey: 'manifest_hls', outputUri: 'gs://media-graph-demo/outputs/news-live/dvr/late-show/main.m3u8' }],
    });
    emulator.advance(HOUR);
    expect((await dvr.getDvrSession(sessionName('late-show'))).state).toBe('LIVE');
  });

  it('replaces the windows through patch with updateMask=dvrWindows', async () => {
    const { dvr } = sources();
    const next = [{ startTime: new Date(START + 3 * HOUR), endTime: new Date(START + 4 * HOUR) }];
    const started = await dvr.updateDvrSessionWindows(sessionName('evening-news'), next);
    expect(started.metadata?.verb).toBe('update');
    const patch = emulator.requests.find((request) => request.operation === 'UpdateDvrSession');
    expect(new URLSearchParams(patch?.query).get('updateMask')).toBe('dvrWindows');
    expect((await dvr.getDvrSession(sessionName('evening-news'))).state).toBe('UPDATING');
    emulator.advance(OPERATION_MS);
    const session = await dvr.getDvrSession(sessionName('evening-news'));
    expect(session.windows).toEqual(next);
    expect(session.startTime).toEqual(next[0]?.startTime);
  });

  it('deletes a session through an operation that ends with an Empty result', async () => {
    const { dvr } = sources();
    const started = await dvr.deleteDvrSession(sessionName('morning-show'));
    expect((await dvr.getDvrSession(sessionName('morning-show'))).state).toBe('DELETING');
    emulator.advance(OPERATION_MS);
    expect((await dvr.getOperation(started.name)).result).toEqual({ type: 'Empty' });
    await expectCode(dvr.getDvrSession(sessionName('morning-show')), 'NOT_FOUND');
  });

  it('ends the create operation with a coded error and the session FAILED when the operation fails', async () => {
    emulator.injectFault({ kind: 'operationFailure', operation: 'CreateDvrSession', status: 'INTERNAL', message: 'recorder crashed', times: 1 });
    const { dvr } = sources();
    const started = await dvr.createDvrSession(newSession);
    emulator.advance(OPERATION_MS);
    expect(await dvr.getOperation(started.name)).toMatchObject({ done: true, result: undefined, error: { code: 13, status: 'INTERNAL' } });
    expect(await dvr.getDvrSession(sessionName('late-show'))).toMatchObject({ state: 'FAILED', error: { code: 13, message: 'recorder crashed' } });
  });

  it('maps REST errors: 409 to CONFLICT, 400 to BAD_USER_INPUT, 404 to NOT_FOUND', async () => {
    const { dvr } = sources();
    await expectCode(dvr.createDvrSession({ ...newSession, dvrSessionId: 'evening-news' }), 'CONFLICT');
    await expectCode(dvr.createDvrSession({ ...newSession, manifestKey: 'no-such-manifest' }), 'BAD_USER_INPUT');
    await expectCode(dvr.createDvrSession({ ...newSession, channelName: DEMO_PLAIN_CHANNEL }), 'BAD_USER_INPUT');
    await expectCode(dvr.createDvrSession({ ...newSession, channelName: `${DEMO_PARENT}/channels/gone` }), 'NOT_FOUND');
    await expectCode(dvr.updateDvrSessionWindows(sessionName('missing'), windows), 'NOT_FOUND');
    await expectCode(dvr.deleteDvrSession(sessionName('missing')), 'NOT_FOUND');
    await expectCode(dvr.getOperation(`${DEMO_PARENT}/operations/missing`), 'NOT_FOUND');
    expect(emulator.count(undefined, 'rest')).toBe(7);
    await expectCode(dvr.createDvrSession({ ...newSession, windows: [] }), 'BAD_USER_INPUT');
    expect(emulator.count(undefined, 'rest')).toBe(7);
  });

  it('retries a GET on 503 but sends a POST once', async () => {
    emulator.injectFault({ kind: 'status', status: 'UNAVAILABLE', operation: 'GetDvrSession', times: 1 });
    emulator.injectFault({ kind: 'status', status: 'UNAVAILABLE', operation: 'CreateDvrSession', times: 1 });
    const { dvr } = sources();
    expect((await dvr.getDvrSession(sessionName('midday-update'))).state).toBe('LIVE');
    expect(emulator.count('GetDvrSession')).toBe(2);
    await expectCode(dvr.createDvrSession(newSession), 'UPSTREAM_UNAVAILABLE');
    expect(emulator.count('CreateDvrSession')).toBe(1);
  });

  it('reports UPSTREAM_THROTTLED when 429 persists on a GET, and credential errors as UPSTREAM_UNAVAILABLE', async () => {
    emulator.injectFault({ kind: 'status', status: 'RESOURCE_EXHAUSTED', operation: 'ListDvrSessions', transport: 'rest' });
    const { dvr } = sources();
    await expectCode(dvr.listDvrSessions(DEMO_DVR_CHANNEL, { pageSize: 10 }), 'UPSTREAM_THROTTLED');
    expect(emulator.count('ListDvrSessions')).toBe(FAST_RETRY.maxAttempts);
    emulator.injectFault({ kind: 'status', status: 'PERMISSION_DENIED', operation: 'GetDvrSession', times: 1 });
    await expectCode(dvr.getDvrSession(sessionName('midday-update')), 'UPSTREAM_UNAVAILABLE');
    // A 401 is not answered with a token refresh and a repeat: the fixed-token client has nothing to refresh.
    emulator.injectFault({ kind: 'status', status: 'UNAUTHENTICATED', operation: 'DeleteDvrSession', times: 1 });
    await expectCode(dvr.deleteDvrSession(sessionName('midday-update')), 'UPSTREAM_UNAVAILABLE');
    expect(emulator.count('DeleteDvrSession')).toBe(1);
  });

  it('reports UPSTREAM_TIMEOUT when a REST call stalls past the deadline', async () => {
    emulator.injectFault({ kind: 'stall', transport: 'rest' });
    const { dvr } = sources({ timeoutMs: 400 });
    await expectCode(dvr.getOperation(`${DEMO_PARENT}/operations/any`), 'UPSTREAM_TIMEOUT');
    await expectCode(dvr.deleteDvrSession(sessionName('morning-show')), 'UPSTREAM_TIMEOUT');
    expect(emulator.count('DeleteDvrSession')).toBe(1);
  });
});
