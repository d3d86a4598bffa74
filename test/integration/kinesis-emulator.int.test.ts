import { request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetDataEndpointCommand,
  KinesisVideoClient,
  KinesisVideoServiceException,
  ListStreamsCommand,
  ResourceInUseException,
  ResourceNotFoundException,
} from '@aws-sdk/client-kinesis-video';
import {
  KinesisVideoArchivedMediaClient,
  KinesisVideoArchivedMediaServiceException,
  ListFragmentsCommand,
  ResourceNotFoundException as ArchivedResourceNotFoundException,
} from '@aws-sdk/client-kinesis-video-archived-media';
import type { Fragment as ListedFragment } from '@aws-sdk/client-kinesis-video-archived-media';
import {
  ClientLimitExceededException,
  ConnectionLimitExceededException,
  GetMediaCommand,
  InvalidArgumentException,
  InvalidEndpointException,
  KinesisVideoMediaClient,
  KinesisVideoMediaServiceException,
  NotAuthorizedException,
  ResourceNotFoundException as MediaResourceNotFoundException,
} from '@aws-sdk/client-kinesis-video-media';
import type { GetMediaCommandOutput, StartSelector } from '@aws-sdk/client-kinesis-video-media';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KinesisVideoEmulator } from '../../src/emulators/kinesis/kinesis.emulator.js';
import type { EmulatedFragment, KinesisVideoEmulatorOptions } from '../../src/emulators/kinesis/kinesis.emulator.js';
import { GET_MEDIA_ERROR_IDS } from '../../src/emulators/kinesis/kinesis.faults.js';
import { DEMO_IDLE_STREAMS, DEMO_LIVE_STREAM, seedKinesisDemo } from '../../src/emulators/kinesis/kinesis.seed.js';
import type { Fragment } from '../../src/mkv/index.js';
import { compareFragmentNumbers, GET_MEDIA_ERRORS, parseFragments, readFragments } from '../../src/mkv/index.js';
import { kvsFixtures } from '../helpers/fixtures.js';

const START_CLOCK = Date.UTC(2025, 0, 15, 12, 0, 0);
const HOUR = 3_600_000;
const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SMALL = { durationMs: 200, fps: 20, frameBytes: 256 } as const;

let clock = START_CLOCK;
let emulator: KinesisVideoEmulator;
const emulators: KinesisVideoEmulator[] = [];
const clients: { destroy(): void }[] = [];

async function startEmulator(options: KinesisVideoEmulatorOptions = {}): Promise<KinesisVideoEmulator> {
  const started = await KinesisVideoEmulator.start({ now: () => clock, idleEndMs: 150, ...options });
  emulators.push(started);
  return started;
}

function sdkConfig(target: KinesisVideoEmulator): { endpoint: string; region: string; credentials: typeof CREDENTIALS; maxAttempts: number } {
  return { endpoint: target.endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 };
}

function controlClient(target = emulator): KinesisVideoClient {
  const client = new KinesisVideoClient(sdkConfig(target));
  clients.push(client);
  return client;
}

function mediaClient(target = emulator): KinesisVideoMediaClient {
  const client = new KinesisVideoMediaClient(sdkConfig(target));
  clients.push(client);
  return client;
}

function archivedClient(target = emulator): KinesisVideoArchivedMediaClient {
  const client = new KinesisVideoArchivedMediaClient(sdkConfig(target));
  clients.push(client);
  return client;
}

function getMedia(stream: string, selector: StartSelector, target = emulator): Promise<GetMediaCommandOutput> {
  return mediaClient(target).send(new GetMediaCommand({ StreamName: stream, StartSelector: selector }));
}

function payloadOf(output: GetMediaCommandOutput): Readable {
  const payload = output.Payload;
  if (!(payload instanceof Readable)) throw new Error('GetMedia Payload is not a Node Readable');
  return payload;
}

/** Reads a GetMedia payload to its end; a payload that fails (dropped connection) reports its error. */
async function collect(output: GetMediaCommandOutput): Promise<{ fragments: Fragment[]; error: unknown }> {
  const fragments: Fragment[] = [];
  try {
    for await (const fragment of readFragments(payloadOf(output))) fragments.push(fragment);
  } catch (error: unknown) {
    return { fragments, error };
  }
  return { fragments, error: undefined };
}

/**
 * Reads raw payload chunks into `chunks` until the bytes so far parse into fragments satisfying `enough`.
 * (A streaming reader only emits a fragment once the next document starts, because GetMedia Segments have an
 * unknown size; parsing the bytes received so far shows what has arrived without waiting for that.)
 */
async function readUntil(iterator: AsyncIterator<unknown>, chunks: Buffer[], enough: (fragments: Fragment[]) => boolean): Promise<Fragment[]> {
  for (;;) {
    const fragments = parseFragments(Buffer.concat(chunks));
    if (enough(fragments)) return fragments;
    const next = await iterator.next();
    if (next.done === true) throw new Error('the payload ended first');
    chunks.push(Buffer.from(next.value as Uint8Array));
  }
}

/** Reads raw payload bytes until the payload ends or fails; returns them with the failure, if any. */
async function rawPayload(output: GetMediaCommandOutput): Promise<{ bytes: Buffer; error: unknown }> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of payloadOf(output)) chunks.push(Buffer.from(chunk as Uint8Array));
  } catch (error: unknown) {
    return { bytes: Buffer.concat(chunks), error };
  }
  return { bytes: Buffer.concat(chunks), error: undefined };
}

/** Awaits `promise`, expecting a service error of `name` and `status`, and returns it. */
async function expectServiceError(promise: Promise<unknown>, name: string, status: number): Promise<Error> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(Error);
  const error = outcome as Error & { $metadata?: { httpStatusCode?: number } };
  expect(error.name).toBe(name);
  expect(error.$metadata?.httpStatusCode).toBe(status);
  return error;
}

/** Adds `count` small fragments, advancing the clock by `stepMs` before each. */
function addFragments(stream: string, count: number, stepMs = 200): EmulatedFragment[] {
  const added: EmulatedFragment[] = [];
  for (let index = 0; index < count; index += 1) {
    clock += stepMs;
    added.push(emulator.addFragment(stream, SMALL));
  }
  return added;
}

const numbers = (fragments: readonly { fragmentNumber: string | null }[]): (string | null)[] => fragments.map((f) => f.fragmentNumber);

beforeEach(async () => {
  clock = START_CLOCK;
  emulator = await startEmulator();
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(emulators.splice(0).map((started) => started.close()));
});

describe('KinesisVideoEmulator control plane', () => {
  it('describes a stream by name and by ARN when it was created through the SDK', async () => {
    const client = controlClient();
    const created = await client.send(new CreateStreamCommand({ StreamName: 'cam-1', DataRetentionInHours: 2, MediaType: 'video/h264' }));
    expect(created.StreamARN).toBe(`arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam-1/${START_CLOCK}`);
    const byName = await client.send(new DescribeStreamCommand({ StreamName: 'cam-1' }));
    const byArn = await client.send(new DescribeStreamCommand({ StreamARN: created.StreamARN }));
    expect(byArn.StreamInfo).toEqual(byName.StreamInfo);
    expect(byName.StreamInfo).toMatchObject({
      StreamName: 'cam-1',
      StreamARN: created.StreamARN,
      MediaType: 'video/h264',
      Status: 'ACTIVE',
      DataRetentionInHours: 2,
      CreationTime: new Date(START_CLOCK),
      KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:alias/aws/kinesisvideo',
    });
  });

  it('rejects with ResourceInUseException when the stream name is taken', async () => {
    emulator.createStream('taken');
    const error = await expectServiceError(controlClient().send(new CreateStreamCommand({ StreamName: 'taken' })), 'ResourceInUseException', 400);
    expect(error).toBeInstanceOf(ResourceInUseException);
  });

  it('rejects with ResourceNotFoundException 404 when the stream does not exist', async () => {
    const error = await expectServiceError(controlClient().send(new DescribeStreamCommand({ StreamName: 'nope' })), 'ResourceNotFoundException', 404);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
  });

  it('pages through every stream in name order when ListStreams has a small MaxResults', async () => {
    for (const name of ['e', 'b', 'd', 'a', 'c']) emulator.createStream(name);
    const client = controlClient();
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await client.send(new ListStreamsCommand({ MaxResults: 2, NextToken: token }));
      seen.push(...(page.StreamInfoList ?? []).map((info) => info.StreamName ?? ''));
      token = page.NextToken;
      pages += 1;
    } while (token !== undefined);
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(pages).toBe(3);
  });

  it('lists only matching streams when a BEGINS_WITH condition is given', async () => {
    for (const name of ['cam-a', 'cam-b', 'door-a']) emulator.createStream(name);
    const page = await controlClient().send(
      new ListStreamsCommand({ StreamNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'cam-' } }),
    );
    expect((page.StreamInfoList ?? []).map((info) => info.StreamName)).toEqual(['cam-a', 'cam-b']);
    expect(page.NextToken).toBeUndefined();
  });

  it('rejects with InvalidArgumentException when the ListStreams token is forged', async () => {
    await expectServiceError(controlClient().send(new ListStreamsCommand({ NextToken: 'Zm9yZ2Vk' })), 'InvalidArgumentException', 400);
  });

  it('returns its own endpoint from GetDataEndpoint so media clients come back to it', async () => {
    emulator.createStream('cam');
    const client = controlClient();
    for (const APIName of ['GET_MEDIA', 'LIST_FRAGMENTS'] as const) {
      const out = await client.send(new GetDataEndpointCommand({ StreamName: 'cam', APIName }));
      expect(out.DataEndpoint).toBe(emulator.endpoint);
    }
    await expectServiceError(client.send(new GetDataEndpointCommand({ StreamName: 'nope', APIName: 'GET_MEDIA' })), 'ResourceNotFoundException', 404);
  });
});

describe('KinesisVideoEmulator GetMedia', () => {
  beforeEach(() => {
    emulator.createStream('cam');
  });

  it('streams every fragment with its Kinesis tags when the selector is EARLIEST', async () => {
    const added = addFragments('cam', 3);
    clock += 5_000;
    const out = await getMedia('cam', { StartSelectorType: 'EARLIEST' });
    expect(out.ContentType).toBe('video/webm');
    const { fragments, error } = await collect(out);
    expect(error).toBeUndefined();
    expect(numbers(fragments)).toEqual(numbers(added));
    fragments.forEach((fragment, index) => {
      const source = added[index];
      expect(fragment.serverTimestamp).toBe(source?.serverTimestamp);
      expect(fragment.producerTimestamp).toBe(source?.producerTimestamp);
      expect(fragment.continuationToken).toBe(fragment.fragmentNumber);
      expect(fragment.millisBehindNow).toBe(clock - (source?.serverTimestamp ?? 0));
      expect(fragment.frameCount).toBe(4);
      expect(fragment.keyframeCount).toBe(1);
      expect(fragment.tracks[0]?.codecId).toBe('V_MPEG4/ISO/AVC');
      expect(fragment.errorId).toBeNull();
    });
    const session = await emulator.waitForGetMediaEnd();
    expect(session).toMatchObject({ stream: 'cam', selector: 'EARLIEST', reason: 'idle', fragmentsSent: 3 });
  });

  it('uses fragment numbers above 2^53 that strictly increase', () => {
    const added = addFragments('cam', 4);
    for (const fragment of added) expect(BigInt(fragment.fragmentNumber) > BigInt(Number.MAX_SAFE_INTEGER)).toBe(true);
    for (let index = 1; index < added.length; index += 1) {
      expect(compareFragmentNumbers(added[index - 1]?.fragmentNumber ?? '0', added[index]?.fragmentNumber ?? '0')).toBeLessThan(0);
    }
  });

  it('starts with the latest fragment when the selector is NOW', async () => {
    const added = addFragments('cam', 3);
    const { fragments } = await collect(await getMedia('cam', { StartSelectorType: 'NOW' }));
    expect(numbers(fragments)).toEqual([added[2]?.fragmentNumber]);
  });

  it('starts right after the given fragment when the selector is FRAGMENT_NUMBER', async () => {
    const added = addFragments('cam', 4);
    const out = await getMedia('cam', { StartSelectorType: 'FRAGMENT_NUMBER', AfterFragmentNumber: added[1]?.fragmentNumber });
    expect(numbers((await collect(out)).fragments)).toEqual(numbers(added.slice(2)));
  });

  it('resumes right after the fragment the token was issued for when the selector is CONTINUATION_TOKEN', async () => {
    const added = addFragments('cam', 4);
    const first = await collect(await getMedia('cam', { StartSelectorType: 'EARLIEST' }));
    const token = first.fragments[0]?.continuationToken ?? '';
    const resumed = await collect(await getMedia('cam', { StartSelectorType: 'CONTINUATION_TOKEN', ContinuationToken: token }));
    expect(numbers(resumed.fragments)).toEqual(numbers(added.slice(1)));
  });

  it('starts with the fragment containing the time when the selector is SERVER_TIMESTAMP', async () => {
    const added = addFragments('cam', 4, 1_000);
    const inSecond = (added[1]?.serverTimestamp ?? 0) + 50;
    const out = await getMedia('cam', { StartSelectorType: 'SERVER_TIMESTAMP', StartTimestamp: new Date(inSecond) });
    expect(numbers((await collect(out)).fragments)).toEqual(numbers(added.slice(1)));
  });

  it('starts with the fragment containing the time when the selector is PRODUCER_TIMESTAMP', async () => {
    const base = START_CLOCK - 60_000;
    const added = [0, 1, 2].map((index) => emulator.addFragment('cam', { ...SMALL, producerTimestamp: base + index * 200 }));
    const out = await getMedia('cam', { StartSelectorType: 'PRODUCER_TIMESTAMP', StartTimestamp: new Date(base + 250) });
    const { fragments } = await collect(out);
    expect(numbers(fragments)).toEqual(numbers(added.slice(1)));
    expect(fragments[0]?.producerTimestamp).toBe(base + 200);
  });

  it('streams fragments added after the call started, then ends the payload when idle', async () => {
    const live = await startEmulator({ idleEndMs: 400 });
    live.createStream('cam');
    const out = await getMedia('cam', { StartSelectorType: 'NOW' }, live);
    await live.waitForActiveGetMedia('cam', 1);
    const iterator = payloadOf(out)[Symbol.asyncIterator]();
    const chunks: Buffer[] = [];
    const first = live.addFragment('cam', SMALL);
    const afterFirst = await readUntil(iterator, chunks, (fragments) => fragments[0]?.complete === true);
    expect(numbers(afterFirst)).toEqual([first.fragmentNumber]);
    const second = live.addFragment('cam', SMALL);
    const afterSecond = await readUntil(iterator, chunks, (fragments) => fragments.length === 2 && fragments[1]?.complete === true);
    expect(numbers(afterSecond)).toEqual([first.fragmentNumber, second.fragmentNumber]);
    expect(afterSecond[1]?.continuationToken).toBe(second.fragmentNumber);
    expect((await iterator.next()).done).toBe(true);
    expect(await live.waitForGetMediaEnd()).toMatchObject({ reason: 'idle', fragmentsSent: 2 });
    await live.waitForActiveGetMedia('cam', 0);
  });

  it('ends an empty payload after idleEndMs when no fragment arrives', async () => {
    const quiet = await startEmulator({ idleEndMs: 50 });
    quiet.createStream('empty');
    const started = performance.now();
    const { fragments, error } = await collect(await getMedia('empty', { StartSelectorType: 'NOW' }, quiet));
    expect(error).toBeUndefined();
    expect(fragments).toEqual([]);
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(await quiet.waitForGetMediaEnd()).toMatchObject({ reason: 'idle', fragmentsSent: 0, bytesSent: 0 });
  });

  it('rejects with ResourceNotFoundException 404 when the stream does not exist', async () => {
    const error = await expectServiceError(getMedia('nope', { StartSelectorType: 'NOW' }), 'ResourceNotFoundException', 404);
    expect(error).toBeInstanceOf(MediaResourceNotFoundException);
  });

  it('rejects with InvalidArgumentException when the selector lacks its required member', async () => {
    const error = await expectServiceError(getMedia('cam', { StartSelectorType: 'FRAGMENT_NUMBER' }), 'InvalidArgumentException', 400);
    expect(error).toBeInstanceOf(InvalidArgumentException);
    await expectServiceError(getMedia('cam', { StartSelectorType: 'CONTINUATION_TOKEN', ContinuationToken: 'abc' }), 'InvalidArgumentException', 400);
  });
});

describe('KinesisVideoEmulator GetMedia limits', () => {
  beforeEach(() => {
    emulator.createStream('cam');
  });

  it('rejects the 6th call within one second with ClientLimitExceededException', async () => {
    const roomy = await startEmulator({ limits: { maxConnectionsPerStream: 20 } });
    roomy.createStream('cam');
    const outputs = await Promise.all([0, 1, 2, 3, 4].map(() => getMedia('cam', { StartSelectorType: 'NOW' }, roomy)));
    const error = await expectServiceError(getMedia('cam', { StartSelectorType: 'NOW' }, roomy), 'ClientLimitExceededException', 400);
    expect(error).toBeInstanceOf(ClientLimitExceededException);
    clock += 1_000;
    outputs.push(await getMedia('cam', { StartSelectorType: 'NOW' }, roomy));
    for (const output of outputs) payloadOf(output).destroy();
    expect(roomy.getMediaCalls('cam')).toHaveLength(7);
    await roomy.waitForActiveGetMedia('cam', 0);
  });

  it('rejects the 4th concurrent connection with ConnectionLimitExceededException', async () => {
    const outputs = await Promise.all([0, 1, 2].map(() => getMedia('cam', { StartSelectorType: 'NOW' })));
    expect(emulator.activeGetMedia('cam')).toBe(3);
    const error = await expectServiceError(getMedia('cam', { StartSelectorType: 'NOW' }), 'ConnectionLimitExceededException', 400);
    expect(error).toBeInstanceOf(ConnectionLimitExceededException);
    payloadOf(outputs[0] as GetMediaCommandOutput).destroy();
    await emulator.waitForActiveGetMedia('cam', 2);
    clock += 1_000;
    outputs.push(await getMedia('cam', { StartSelectorType: 'NOW' }));
    for (const output of outputs.slice(1)) payloadOf(output).destroy();
    await emulator.waitForActiveGetMedia('cam', 0);
  });

  it('throttles the payload to bytesPerSecond', async () => {
    const slow = await startEmulator({ limits: { bytesPerSecond: 100_000 } });
    slow.createStream('cam');
    slow.addFragment('cam', { durationMs: 1000, fps: 25, frameBytes: 4000 });
    const started = performance.now();
    const { fragments } = await collect(await getMedia('cam', { StartSelectorType: 'EARLIEST' }, slow));
    const elapsedMs = performance.now() - started;
    const record = await slow.waitForGetMediaEnd();
    expect(fragments).toHaveLength(1);
    // ~100 kB at 100 kB/s with a 16 KiB burst: at least ~0.8 s before the idle wait.
    expect(record.bytesSent).toBeGreaterThan(100_000);
    expect(elapsedMs).toBeGreaterThanOrEqual(((record.bytesSent - 16 * 1024) / 100_000) * 1000 - 20);
  });
});

describe('KinesisVideoEmulator retention', () => {
  it('sends an error 4000 document then the earliest fragment when the start is beyond retention', async () => {
    emulator.createStream('cam', { retentionHours: 1 });
    const [old] = addFragments('cam', 1);
    clock += 2 * HOUR;
    const fresh = addFragments('cam', 2);
    for (const selector of [
      { StartSelectorType: 'FRAGMENT_NUMBER', AfterFragmentNumber: old?.fragmentNumber },
      { StartSelectorType: 'CONTINUATION_TOKEN', ContinuationToken: old?.fragmentNumber },
      { StartSelectorType: 'SERVER_TIMESTAMP', StartTimestamp: new Date(old?.serverTimestamp ?? 0) },
    ] as const) {
      clock += 1_000;
      const { fragments } = await collect(await getMedia('cam', selector));
      expect(fragments[0]).toMatchObject({ fragmentNumber: null, errorId: 4000, errorCode: GET_MEDIA_ERRORS.get(4000), clusterCount: 0 });
      expect(numbers(fragments.slice(1))).toEqual(numbers(fresh));
    }
    expect(emulator.fragments('cam').map((fragment) => fragment.fragmentNumber)).toEqual(numbers(fresh));
  });

  it('ends after the 4000 document when expiredStart is end', async () => {
    const strict = await startEmulator({ expiredStart: 'end' });
    strict.createStream('cam', { retentionHours: 1 });
    const old = strict.addFragment('cam', SMALL);
    clock += 2 * HOUR;
    strict.addFragment('cam', SMALL);
    const { fragments } = await collect(await getMedia('cam', { StartSelectorType: 'FRAGMENT_NUMBER', AfterFragmentNumber: old.fragmentNumber }, strict));
    expect(fragments.map((fragment) => fragment.errorId)).toEqual([4000]);
    expect(await strict.waitForGetMediaEnd()).toMatchObject({ reason: 'error-tag', errorIds: [4000] });
  });

  it('sends 4000 and ends when the fragment number never existed', async () => {
    emulator.createStream('cam');
    const [last] = addFragments('cam', 2);
    const unknown = (BigInt(last?.fragmentNumber ?? '0') + 10n ** 30n).toString();
    const { fragments } = await collect(await getMedia('cam', { StartSelectorType: 'FRAGMENT_NUMBER', AfterFragmentNumber: unknown }));
    expect(fragments.map((fragment) => fragment.errorId)).toEqual([4000]);
  });
});

describe('KinesisVideoEmulator session faults', () => {
  beforeEach(() => {
    emulator.createStream('cam');
  });

  it('drops the connection after K fragments and a continuation-token resume loses nothing', async () => {
    const added = addFragments('cam', 4);
    emulator.injectFault({ kind: 'drop', afterFragments: 2, times: 1 });
    const first = await rawPayload(await getMedia('cam', { StartSelectorType: 'EARLIEST' }));
    expect(first.error).toBeInstanceOf(Error);
    const received = parseFragments(first.bytes);
    expect(numbers(received)).toEqual(numbers(added.slice(0, 2)));
    expect(received.every((fragment) => fragment.complete)).toBe(true);
    expect(await emulator.waitForGetMediaEnd()).toMatchObject({ reason: 'dropped', fragmentsSent: 2 });
    const token = received[1]?.continuationToken ?? '';
    const resumed = await collect(await getMedia('cam', { StartSelectorType: 'CONTINUATION_TOKEN', ContinuationToken: token }));
    expect(numbers(resumed.fragments)).toEqual(numbers(added.slice(2)));
  });

  it('drops the connection after exactly N payload bytes', async () => {
    addFragments('cam', 2);
    emulator.injectFault({ kind: 'drop', afterBytes: 1_500, stream: 'cam' });
    const payload = payloadOf(await getMedia('cam', { StartSelectorType: 'EARLIEST' }));
    let received = 0;
    const failure = await (async () => {
      for await (const chunk of payload) received += (chunk as Uint8Array).length;
    })().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(received).toBe(1_500);
  });

  it('stalls after the headers until the client gives up', async () => {
    addFragments('cam', 1);
    emulator.injectFault({ kind: 'stall' });
    const out = await getMedia('cam', { StartSelectorType: 'EARLIEST' });
    expect(out.ContentType).toBe('video/webm');
    expect(emulator.activeGetMedia('cam')).toBe(1);
    payloadOf(out).destroy();
    expect(await emulator.waitForGetMediaEnd()).toMatchObject({ reason: 'client-closed', bytesSent: 0 });
    await emulator.waitForActiveGetMedia('cam', 0);
  });

  it('stalls after K fragments without ending the payload', async () => {
    const added = addFragments('cam', 3);
    emulator.injectFault({ kind: 'stall', afterFragments: 1 });
    const iterator = payloadOf(await getMedia('cam', { StartSelectorType: 'EARLIEST' }))[Symbol.asyncIterator]();
    const received = await readUntil(iterator, [], (fragments) => fragments[0]?.complete === true);
    expect(numbers(received)).toEqual([added[0]?.fragmentNumber]);
    expect(emulator.activeGetMedia('cam')).toBe(1);
    const next = iterator.next();
    await emulator.close();
    await expect(next).rejects.toThrow();
    expect(emulator.getMediaSessions[0]).toMatchObject({ reason: 'emulator-closed', fragmentsSent: 1 });
  });

  it('sends each documented error id as an error document and ends the payload', async () => {
    const added = addFragments('cam', 2);
    for (const errorId of GET_MEDIA_ERROR_IDS) {
      clock += 1_000;
      emulator.injectFault({ kind: 'errorTag', errorId, afterFragments: 1, times: 1 });
      const { fragments, error } = await collect(await getMedia('cam', { StartSelectorType: 'EARLIEST' }));
      expect(error).toBeUndefined();
      expect(fragments.map((fragment) => [fragment.fragmentNumber, fragment.errorId])).toEqual([
        [added[0]?.fragmentNumber, null],
        [null, errorId],
      ]);
      expect(fragments[1]?.errorCode).toBe(GET_MEDIA_ERRORS.get(errorId));
    }
    expect(emulator.getMediaSessions.every((session) => session.reason === 'error-tag')).toBe(true);
  });

  it('continues after the error document when the errorTag fault has end false', async () => {
    const added = addFragments('cam', 2);
    emulator.injectFault({ kind: 'errorTag', errorId: 5000, afterFragments: 1, end: false });
    const { fragments } = await collect(await getMedia('cam', { StartSelectorType: 'EARLIEST' }));
    expect(fragments.map((fragment) => fragment.fragmentNumber ?? fragment.errorId)).toEqual([added[0]?.fragmentNumber, 5000, added[1]?.fragmentNumber]);
  });
});

describe('KinesisVideoEmulator request faults', () => {
  beforeEach(() => {
    emulator.createStream('cam');
    emulator.createStream('other');
  });

  it('answers ClientLimitExceededException for the next N calls when throttled', async () => {
    emulator.injectFault({ kind: 'throttle', operation: 'DescribeStream', times: 2 });
    const client = controlClient();
    for (let attempt = 0; attempt < 2; attempt += 1) {
      await expectServiceError(client.send(new DescribeStreamCommand({ StreamName: 'cam' })), 'ClientLimitExceededException', 400);
    }
    expect((await client.send(new DescribeStreamCommand({ StreamName: 'cam' }))).StreamInfo?.StreamName).toBe('cam');
  });

  it('answers ConnectionLimitExceededException when a connectionLimit fault is injected', async () => {
    emulator.injectFault({ kind: 'connectionLimit', operation: 'GetMedia', times: 1 });
    const error = await expectServiceError(getMedia('cam', { StartSelectorType: 'NOW' }), 'ConnectionLimitExceededException', 400);
    expect(error).toBeInstanceOf(ConnectionLimitExceededException);
  });

  it('answers InvalidEndpointException to media calls only when invalidEndpoint is injected', async () => {
    emulator.injectFault({ kind: 'invalidEndpoint' });
    const error = await expectServiceError(getMedia('cam', { StartSelectorType: 'NOW' }), 'InvalidEndpointException', 400);
    expect(error).toBeInstanceOf(InvalidEndpointException);
    const listed = await expectServiceError(archivedClient().send(new ListFragmentsCommand({ StreamName: 'cam' })), 'InvalidEndpointException', 400);
    expect(listed).toBeInstanceOf(KinesisVideoArchivedMediaServiceException);
    expect((await controlClient().send(new DescribeStreamCommand({ StreamName: 'cam' }))).StreamInfo).toBeDefined();
  });

  it('answers NotAuthorizedException 401 when notAuthorized is injected', async () => {
    emulator.injectFault({ kind: 'notAuthorized', operation: 'GetMedia', times: 1 });
    const error = await expectServiceError(getMedia('cam', { StartSelectorType: 'NOW' }), 'NotAuthorizedException', 401);
    expect(error).toBeInstanceOf(NotAuthorizedException);
  });

  it('answers InternalFailure 500 and ServiceUnavailable 503 when error faults are injected', async () => {
    emulator.injectFault({ kind: 'error', status: 500, operation: 'ListStreams', times: 1 });
    emulator.injectFault({ kind: 'error', status: 503, operation: 'GetMedia', times: 1 });
    const listed = await expectServiceError(controlClient().send(new ListStreamsCommand({})), 'InternalFailure', 500);
    expect(listed).toBeInstanceOf(KinesisVideoServiceException);
    const media = await expectServiceError(getMedia('cam', { StartSelectorType: 'NOW' }), 'ServiceUnavailable', 503);
    expect(media).toBeInstanceOf(KinesisVideoMediaServiceException);
  });

  it('delays the answer when latency is injected', async () => {
    emulator.injectFault({ kind: 'latency', ms: 120, operation: 'DescribeStream', times: 1 });
    const started = performance.now();
    await controlClient().send(new DescribeStreamCommand({ StreamName: 'cam' }));
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);
  });

  it('applies a stream-scoped fault only to requests naming that stream', async () => {
    emulator.injectFault({ kind: 'throttle', stream: 'cam' });
    await expectServiceError(getMedia('cam', { StartSelectorType: 'NOW' }), 'ClientLimitExceededException', 400);
    payloadOf(await getMedia('other', { StartSelectorType: 'NOW' })).destroy();
    emulator.clearFaults();
    payloadOf(await getMedia('cam', { StartSelectorType: 'NOW' })).destroy();
  });
});

describe('KinesisVideoEmulator ListFragments', () => {
  /** A selector holding every fragment these tests add (server timestamps within an hour of the start clock). */
  const EVERYTHING = {
    FragmentSelectorType: 'SERVER_TIMESTAMP',
    TimestampRange: { StartTimestamp: new Date(START_CLOCK - HOUR), EndTimestamp: new Date(START_CLOCK + HOUR) },
  } as const;

  beforeEach(() => {
    emulator.createStream('cam');
  });

  /** Every page of a listing, following NextToken. */
  async function listAll(target: KinesisVideoEmulator, maxResults: number): Promise<ListedFragment[][]> {
    const client = archivedClient(target);
    const pages: ListedFragment[][] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListFragmentsCommand({ StreamName: 'cam', MaxResults: maxResults, NextToken: token, FragmentSelector: token === undefined ? EVERYTHING : undefined }),
      );
      pages.push(page.Fragments ?? []);
      token = page.NextToken;
    } while (token !== undefined);
    return pages;
  }

  it('pages through every fragment without repeats when MaxResults is small', async () => {
    const added = addFragments('cam', 5);
    const listed = (await listAll(emulator, 2)).flat();
    expect(listed.map((fragment) => fragment.FragmentNumber)).toEqual(numbers(added));
    expect(listed[0]).toEqual({
      FragmentNumber: added[0]?.fragmentNumber,
      FragmentSizeInBytes: added[0]?.sizeBytes,
      ProducerTimestamp: new Date(added[0]?.producerTimestamp ?? 0),
      ServerTimestamp: new Date(added[0]?.serverTimestamp ?? 0),
      FragmentLengthInMilliseconds: 200,
    });
  });

  it('returns the fragments whose timestamp lies in the inclusive range', async () => {
    const added = addFragments('cam', 5, 1_000);
    const client = archivedClient();
    const server = await client.send(
      new ListFragmentsCommand({
        StreamName: 'cam',
        FragmentSelector: {
          FragmentSelectorType: 'SERVER_TIMESTAMP',
          TimestampRange: { StartTimestamp: new Date(added[1]?.serverTimestamp ?? 0), EndTimestamp: new Date(added[3]?.serverTimestamp ?? 0) },
        },
      }),
    );
    expect((server.Fragments ?? []).map((fragment) => fragment.FragmentNumber)).toEqual(numbers(added.slice(1, 4)));
    const producer = await client.send(
      new ListFragmentsCommand({
        StreamName: 'cam',
        MaxResults: 1,
        FragmentSelector: {
          FragmentSelectorType: 'PRODUCER_TIMESTAMP',
          TimestampRange: { StartTimestamp: new Date((added[3]?.producerTimestamp ?? 0) - 1), EndTimestamp: new Date(START_CLOCK + HOUR) },
        },
      }),
    );
    expect((producer.Fragments ?? []).map((fragment) => fragment.FragmentNumber)).toEqual([added[3]?.fragmentNumber]);
    const next = await client.send(new ListFragmentsCommand({ StreamName: 'cam', NextToken: producer.NextToken }));
    expect((next.Fragments ?? []).map((fragment) => fragment.FragmentNumber)).toEqual([added[4]?.fragmentNumber]);
    expect(next.NextToken).toBeUndefined();
  });

  it('rejects an unknown stream and a token issued for another stream', async () => {
    emulator.createStream('other');
    addFragments('other', 3);
    const client = archivedClient();
    const missing = await expectServiceError(client.send(new ListFragmentsCommand({ StreamName: 'nope', FragmentSelector: EVERYTHING })), 'ResourceNotFoundException', 404);
    expect(missing).toBeInstanceOf(ArchivedResourceNotFoundException);
    const page = await client.send(new ListFragmentsCommand({ StreamName: 'other', MaxResults: 1, FragmentSelector: EVERYTHING }));
    await expectServiceError(client.send(new ListFragmentsCommand({ StreamName: 'cam', NextToken: page.NextToken })), 'InvalidArgumentException', 400);
  });

  it('refuses a request with neither FragmentSelector nor NextToken with InvalidArgumentException', async () => {
    // The reference: the selector "is only required when the NextToken isn't passed", i.e. required without one.
    addFragments('cam', 2);
    const error = await expectServiceError(archivedClient().send(new ListFragmentsCommand({ StreamName: 'cam' })), 'InvalidArgumentException', 400);
    expect(error.message).toBe('FragmentSelector is required when NextToken is not passed');
  });

  it('answers in one fixed order mixed across pages, each fragment once, when listFragmentsOrder is unordered', async () => {
    const unordered = await startEmulator({ listFragmentsOrder: 'unordered' });
    unordered.createStream('cam');
    const added = Array.from({ length: 12 }, (_, i) =>
      unordered.addFragment('cam', { ...SMALL, serverTimestamp: START_CLOCK + i * 200, producerTimestamp: START_CLOCK + i * 200 }),
    );
    const pages = await listAll(unordered, 5);
    const listed = pages.flat().map((fragment) => fragment.FragmentNumber ?? '');
    expect([...listed].sort(compareFragmentNumbers)).toEqual(numbers(added));
    expect(listed).not.toEqual(numbers(added));
    // Not merely shuffled within pages: some page holds a fragment older than one on an earlier page.
    const firstPageNewest = pages[0]?.map((fragment) => BigInt(fragment.FragmentNumber ?? '0')).reduce((a, b) => (a > b ? a : b)) ?? 0n;
    expect(pages.slice(1).flat().some((fragment) => BigInt(fragment.FragmentNumber ?? '0') < firstPageNewest)).toBe(true);
    // The same request answers the same page.
    expect((await listAll(unordered, 5)).flat().map((fragment) => fragment.FragmentNumber)).toEqual(listed);
  });
});

describe('KinesisVideoEmulator producers', () => {
  it('adds fragments at the configured cadence and stops when asked', async () => {
    emulator.createStream('live');
    const stop = emulator.startProducer('live', { fragmentIntervalMs: 20, fps: 50, frameBytes: 128 });
    await emulator.waitForFragment((fragment) => emulator.fragments('live').length >= 5 && fragment.stream === 'live');
    stop();
    const fragments = emulator.fragments('live');
    for (let index = 1; index < fragments.length; index += 1) {
      expect(BigInt(fragments[index]?.fragmentNumber ?? '0') > BigInt(fragments[index - 1]?.fragmentNumber ?? '0')).toBe(true);
      expect(fragments[index]?.producerTimestamp).toBe((fragments[index - 1]?.producerTimestamp ?? 0) + 20);
    }
    expect(fragments.every((fragment) => fragment.serverTimestamp === START_CLOCK && fragment.frameCount === 1)).toBe(true);
  });

  it('keeps memory bounded by evicting the oldest fragments beyond maxFragmentsPerStream', async () => {
    const bounded = await startEmulator({ maxFragmentsPerStream: 3 });
    bounded.createStream('cam');
    const added = [0, 1, 2, 3, 4].map(() => bounded.addFragment('cam', SMALL));
    expect(bounded.fragments('cam').map((fragment) => fragment.fragmentNumber)).toEqual(numbers(added.slice(2)));
  });

  it('seeds a live demo stream and enough idle streams for ListStreams to paginate', async () => {
    const demo = await startEmulator({ now: Date.now });
    seedKinesisDemo(demo);
    const client = controlClient(demo);
    const first = await client.send(new ListStreamsCommand({ MaxResults: 4 }));
    const second = await client.send(new ListStreamsCommand({ MaxResults: 4, NextToken: first.NextToken }));
    const names = [...(first.StreamInfoList ?? []), ...(second.StreamInfoList ?? [])].map((info) => info.StreamName);
    expect(names).toEqual([...DEMO_IDLE_STREAMS, DEMO_LIVE_STREAM].sort());
    expect(demo.fragments(DEMO_LIVE_STREAM).length).toBeGreaterThanOrEqual(1);
    expect(demo.fragments(DEMO_IDLE_STREAMS[0] ?? '')).toHaveLength(3);
  });
});

const fixtures = kvsFixtures();

describe.skipIf(fixtures.skip)('KinesisVideoEmulator capture feed', () => {
  it('replays a real capture with new fragment numbers, keeping its frames, tracks and tags', async () => {
    emulator.createStream('replay');
    const stop = emulator.feedCapture('replay', fixtures.file('output_get_media.mkv'), { loop: true, fragmentIntervalMs: 10 });
    await emulator.waitForFragment(() => emulator.fragments('replay').length >= 6);
    stop();
    const { fragments } = await collect(await getMedia('replay', { StartSelectorType: 'EARLIEST' }));
    expect(fragments.length).toBeGreaterThanOrEqual(6);
    for (const fragment of fragments) {
      expect(fragment.frameCount).toBe(60);
      expect(fragment.tracks[0]).toMatchObject({ codecId: 'V_MPEG4/ISO/AVC', pixelWidth: 640, pixelHeight: 360 });
      expect(fragment.tags.map((tag) => tag.name)).toEqual([
        'COMPATIBLE_BRANDS',
        'MAJOR_BRAND',
        'MINOR_VERSION',
        'ENCODER',
        'HANDLER_NAME',
        'ENCODER',
        'DURATION',
      ]);
      expect(fragment.fragmentNumber?.startsWith('913438523')).toBe(true);
    }
    // The sixth fragment is the first one again (loop), with a new number.
    expect(fragments[5]?.payloadBytes).toBe(fragments[0]?.payloadBytes);
    expect(new Set(numbers(fragments)).size).toBe(fragments.length);
  });
});

describe('KinesisVideoEmulator request log', () => {
  it('records each request with its operation and stream before processing it', async () => {
    emulator.createStream('cam');
    const waiting = emulator.waitForRequest((request) => request.operation === 'GetMedia');
    payloadOf(await getMedia('cam', { StartSelectorType: 'NOW' })).destroy();
    const request = await waiting;
    expect(request).toMatchObject({ operation: 'GetMedia', method: 'POST', path: '/getMedia', stream: 'cam', at: START_CLOCK });
    expect(request.input?.StartSelector).toEqual({ StartSelectorType: 'NOW' });
    expect(emulator.count('GetMedia')).toBe(1);
    emulator.resetRequests();
    expect(emulator.requests).toEqual([]);
  });

  it('answers MissingAuthenticationToken 403 when the request is not signed', async () => {
    const url = new URL(emulator.endpoint);
    const answer = await new Promise<{ status: number; type: string | string[] | undefined }>((resolve, reject) => {
      const req = httpRequest({ host: url.hostname, port: url.port, method: 'POST', path: '/listStreams', headers: { connection: 'close' } }, (res) => {
        res.resume();
        res.once('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['x-amzn-errortype'] }));
      });
      req.once('error', reject);
      req.end('{}');
    });
    expect(answer).toEqual({ status: 403, type: 'MissingAuthenticationToken' });
  });
});
