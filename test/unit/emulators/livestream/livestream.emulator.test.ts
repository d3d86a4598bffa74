import type { LivestreamServiceClient } from '@google-cloud/livestream';
import { protos } from '@google-cloud/livestream';
import { afterEach, describe, expect, it } from 'vitest';
import type { LiveStreamClients } from '../../../../src/datasources/livestream/livestream.clients.js';
import { createLiveStreamClients } from '../../../../src/datasources/livestream/livestream.clients.js';
import { LiveStreamDataSource } from '../../../../src/datasources/livestream/livestream.datasource.js';
import type { LiveStreamEmulatorOptions } from '../../../../src/emulators/livestream/livestream.emulator.js';
import { LiveStreamEmulator } from '../../../../src/emulators/livestream/livestream.emulator.js';
import { DEMO_DVR_CHANNEL, DEMO_PARENT, seedLiveStreamDemo } from '../../../../src/emulators/livestream/livestream.seed.js';

const started: LiveStreamEmulator[] = [];
const clients: LiveStreamClients[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await Promise.all(started.splice(0).map((emulator) => emulator.close()));
});

async function start(options: LiveStreamEmulatorOptions = { timers: 'manual' }): Promise<{ emulator: LiveStreamEmulator; grpc: LivestreamServiceClient }> {
  const emulator = await LiveStreamEmulator.start(options);
  started.push(emulator);
  seedLiveStreamDemo(emulator);
  const connection = createLiveStreamClients({ mode: 'emulator', host: emulator.host, grpcPort: emulator.grpcPort, restEndpoint: emulator.restEndpoint });
  clients.push(connection);
  return { emulator, grpc: connection.grpc };
}

async function rest(emulator: LiveStreamEmulator, path: string, init: RequestInit = {}, token: string | null = 'tok'): Promise<{ status: number; body: unknown }> {
  const headers = new Headers(init.headers);
  if (token !== null) headers.set('authorization', `Bearer ${token}`);
  const response = await fetch(`${emulator.restEndpoint}${path}`, { ...init, headers });
  return { status: response.status, body: (await response.json()) as unknown };
}

function grpcCode(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => 'resolved',
    (error: unknown) => (error as { code?: unknown }).code,
  );
}

const createRequest = { parent: DEMO_PARENT, assetId: 'clip', asset: { video: { uri: 'gs://b/clip.mp4' } } };

describe('LiveStreamEmulator', () => {
  it('answers REST calls without a bearer token with 401 in Google\'s JSON error format', async () => {
    const { emulator } = await start();
    const answer = await rest(emulator, `/v1/${DEMO_DVR_CHANNEL}/dvrSessions`, {}, null);
    expect(answer.status).toBe(401);
    expect(answer.body).toMatchObject({ error: { code: 401, status: 'UNAUTHENTICATED' } });
    expect(emulator.count('ListDvrSessions', 'rest')).toBe(1);
  });

  it('rejects malformed bodies, unknown fields and unknown routes', async () => {
    const { emulator } = await start();
    const post = (body: string): Promise<{ status: number; body: unknown }> =>
      rest(emulator, `/v1/${DEMO_DVR_CHANNEL}/dvrSessions?dvrSessionId=x1`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(await post('{not json')).toMatchObject({ status: 400, body: { error: { status: 'INVALID_ARGUMENT' } } });
    expect(await post('{"colour":"red"}')).toMatchObject({ status: 400, body: { error: { status: 'INVALID_ARGUMENT' } } });
    const missingWindows = await post('{"dvrManifests":[{"manifestKey":"manifest_hls"}]}');
    expect(missingWindows).toMatchObject({ status: 400, body: { error: { status: 'INVALID_ARGUMENT' } } });
    expect(await rest(emulator, '/v1/projects/p/locations/l/inputs')).toMatchObject({ status: 404, body: { error: { status: 'NOT_FOUND' } } });
    expect(emulator.count('Unknown', 'rest')).toBe(1);
  });

  it('cancels a running operation, undoing its effect, and lists and deletes operations', async () => {
    const { emulator, grpc } = await start();
    const [operation] = await grpc.createAsset(createRequest);
    await grpc.cancelOperation(protos.google.longrunning.CancelOperationRequest.create({ name: operation.name }));
    const [cancelled] = await grpc.getOperation(protos.google.longrunning.GetOperationRequest.create({ name: operation.name }));
    expect(cancelled).toMatchObject({ done: true, error: { code: 1 } });
    expect(await grpcCode(grpc.getAsset({ name: `${DEMO_PARENT}/assets/clip` }))).toBe(5);
    const listed = await rest(emulator, `/v1/${DEMO_PARENT}/operations?filter=${encodeURIComponent('done=true AND metadata.verb=create')}`);
    expect(listed).toMatchObject({ status: 200, body: { operations: [{ name: operation.name, done: true, error: { code: 1 } }] } });
    await grpc.deleteOperation(protos.google.longrunning.DeleteOperationRequest.create({ name: operation.name }));
    expect(await grpcCode(grpc.getOperation(protos.google.longrunning.GetOperationRequest.create({ name: operation.name })))).toBe(5);
    expect(emulator.pendingOperations).toBe(0);
  });

  it('serves a gRPC-started operation over REST too, with its packed result as JSON', async () => {
    const { emulator, grpc } = await start();
    const [operation] = await grpc.createAsset(createRequest);
    expect(await rest(emulator, `/v1/${operation.name}`)).toMatchObject({ status: 200, body: { name: operation.name, metadata: { verb: 'create' } } });
    emulator.completePendingOperations();
    const answer = await rest(emulator, `/v1/${operation.name}`);
    expect(answer.body).toMatchObject({ done: true, response: { '@type': 'type.googleapis.com/google.cloud.video.livestream.v1.Asset', state: 'ACTIVE' } });
  });

  it('answers UNIMPLEMENTED for LivestreamService methods it does not emulate', async () => {
    const { grpc } = await start();
    expect(await grpcCode(grpc.listInputs({ parent: DEMO_PARENT }, { autoPaginate: false }))).toBe(12);
  });

  it('rejects busy resources and bad ids the way the API documents', async () => {
    const { grpc } = await start();
    expect(await grpcCode(grpc.createAsset({ ...createRequest, assetId: '-bad-' }))).toBe(3);
    expect(await grpcCode(grpc.createAsset({ ...createRequest, requestId: '00000000-0000-0000-0000-000000000000' }))).toBe(3);
    expect(await grpcCode(grpc.createAsset({ ...createRequest, asset: {} }))).toBe(3);
    await grpc.createAsset(createRequest);
    expect(await grpcCode(grpc.deleteAsset({ name: `${DEMO_PARENT}/assets/clip` }))).toBe(9);
    expect(await grpcCode(grpc.listAssets({ parent: 'projects/p' }, { autoPaginate: false }))).toBe(3);
  });

  it('completes operations on real timers when timers are real', async () => {
    const { emulator, grpc } = await start({ timers: 'real', operationDurationMs: 20 });
    expect(() => emulator.advance(1)).toThrow(/manual/);
    const live = new LiveStreamDataSource(grpc, { timeoutMs: 2000, poll: { initialDelayMs: 5, maxDelayMs: 20, multiplier: 2 } });
    const operation = await live.createAsset({ parent: DEMO_PARENT, assetId: 'timed', kind: 'image', uri: 'gs://b/i.png' });
    const done = await live.waitForOperation(operation.name, { timeoutMs: 2000 });
    expect(done.done).toBe(true);
  });

  it('keeps real-timer operations running past their due time while paused and completes them when resumed', async () => {
    const { emulator, grpc } = await start({ timers: 'real', operationDurationMs: 20 });
    const live = new LiveStreamDataSource(grpc, { timeoutMs: 2000, poll: { initialDelayMs: 5, maxDelayMs: 20, multiplier: 2 } });
    const before = await live.createAsset({ parent: DEMO_PARENT, assetId: 'before-pause', kind: 'image', uri: 'gs://b/i.png' });
    emulator.pauseOperations();
    emulator.pauseOperations();
    const during = await live.createAsset({ parent: DEMO_PARENT, assetId: 'during-pause', kind: 'image', uri: 'gs://b/i.png' });
    // Ten times the operation duration of polling: both would long be done on their timers.
    const polled = await live.waitForOperation(during.name, { timeoutMs: 200 });
    expect(polled.done).toBe(false);
    expect((await live.getOperation(before.name)).done).toBe(false);
    expect((await live.getAsset(`${DEMO_PARENT}/assets/during-pause`)).state).toBe('CREATING');
    expect(emulator.pendingOperations).toBe(2);

    emulator.resumeOperations();
    expect((await live.waitForOperation(before.name, { timeoutMs: 2000 })).done).toBe(true);
    expect((await live.waitForOperation(during.name, { timeoutMs: 2000 })).done).toBe(true);
    expect(emulator.pendingOperations).toBe(0);
    // Resumed: a new operation completes on its timer again.
    const after = await live.createAsset({ parent: DEMO_PARENT, assetId: 'after-pause', kind: 'image', uri: 'gs://b/i.png' });
    expect((await live.waitForOperation(after.name, { timeoutMs: 2000 })).done).toBe(true);
  });

  it('completes paused operations only on request', async () => {
    const { emulator, grpc } = await start({ timers: 'real', operationDurationMs: 20 });
    emulator.pauseOperations();
    const live = new LiveStreamDataSource(grpc, { timeoutMs: 2000 });
    const operation = await live.createAsset({ parent: DEMO_PARENT, assetId: 'on-request', kind: 'image', uri: 'gs://b/i.png' });
    expect(emulator.completePendingOperations()).toBe(1);
    expect(await live.getOperation(operation.name)).toMatchObject({ done: true, result: { type: 'Asset', asset: { state: 'ACTIVE' } } });
  });

  it('requires gRPC authorization metadata only when asked to', async () => {
    const { grpc } = await start({ timers: 'manual', requireGrpcAuthorization: true });
    expect(await grpcCode(grpc.getChannel({ name: DEMO_DVR_CHANNEL }))).toBe(16);
    expect(await grpcCode(grpc.getChannel({ name: DEMO_DVR_CHANNEL }, { otherArgs: { headers: { authorization: 'Bearer tok' } } }))).toBe('resolved');
  });
});
