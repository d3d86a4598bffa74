import { Readable } from 'node:stream';
import { GetMediaCommand, KinesisVideoMediaClient } from '@aws-sdk/client-kinesis-video-media';
import type { GetMediaCommandOutput } from '@aws-sdk/client-kinesis-video-media';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KinesisVideoEmulator } from '../../src/emulators/kinesis/kinesis.emulator.js';
import type { EmulatorStats, FragmentListing, OpenSessionListing } from '../../src/emulators/kinesis/kinesis.emulator.js';
import { readFragments } from '../../src/mkv/index.js';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const SMALL = { durationMs: 200, fps: 20, frameBytes: 256 } as const;

let clock = Date.UTC(2025, 0, 15, 12, 0, 0);
let emulator: KinesisVideoEmulator;
let media: KinesisVideoMediaClient;

function getMedia(stream: string, type: 'NOW' | 'EARLIEST'): Promise<GetMediaCommandOutput> {
  return media.send(new GetMediaCommand({ StreamName: stream, StartSelector: { StartSelectorType: type } }));
}

function payloadOf(output: GetMediaCommandOutput): Readable {
  const payload = output.Payload;
  if (!(payload instanceof Readable)) throw new Error('GetMedia Payload is not a Node Readable');
  return payload;
}

async function getJson<T>(path: string, init?: RequestInit): Promise<{ status: number; body: T; contentType: string | null }> {
  const response = await fetch(new URL(path, emulator.endpoint), init);
  return { status: response.status, body: (await response.json()) as T, contentType: response.headers.get('content-type') };
}

beforeEach(async () => {
  emulator = await KinesisVideoEmulator.start({ now: () => clock, idleEndMs: 5_000 });
  media = new KinesisVideoMediaClient({ endpoint: emulator.endpoint, region: 'us-east-1', credentials: CREDENTIALS, maxAttempts: 1 });
});

afterEach(async () => {
  media.destroy();
  await emulator.close();
});

describe('KinesisVideoEmulator /_emulator/stats', () => {
  it('reports open, most-open and total GetMedia calls per stream when sessions open, fail and close', async () => {
    emulator.createStream('cam');
    emulator.createStream('idle');
    const first = await Promise.all([getMedia('cam', 'NOW'), getMedia('cam', 'NOW'), getMedia('cam', 'NOW')]);
    // A fourth concurrent call is refused (ConnectionLimitExceededException) but still counts as a call.
    await expect(getMedia('cam', 'NOW')).rejects.toThrow(/connections/i);
    for (const output of first.slice(1)) payloadOf(output).destroy();
    await emulator.waitForActiveGetMedia('cam', 1);

    const { status, body, contentType } = await getJson<EmulatorStats>('/_emulator/stats');
    expect(status).toBe(200);
    expect(contentType).toBe('application/json');
    expect(body).toEqual({
      streams: {
        cam: { openGetMedia: 1, maxOpenGetMedia: 3, getMediaCalls: 4 },
        idle: { openGetMedia: 0, maxOpenGetMedia: 0, getMediaCalls: 0 },
      },
    });
    expect(emulator.stats()).toEqual(body);
    payloadOf(first[0] as GetMediaCommandOutput).destroy();
    await emulator.waitForActiveGetMedia('cam', 0);
  });

  it('keeps its lifetime counters when the request log is reset', async () => {
    emulator.createStream('cam');
    payloadOf(await getMedia('cam', 'NOW')).destroy();
    await emulator.waitForActiveGetMedia('cam', 0);
    emulator.resetRequests();
    expect(emulator.getMediaCalls('cam')).toEqual([]);
    expect((await getJson<EmulatorStats>('/_emulator/stats')).body.streams['cam']).toEqual({ openGetMedia: 0, maxOpenGetMedia: 1, getMediaCalls: 1 });
  });

  it('answers without a signature and stays out of the request log when polled', async () => {
    emulator.createStream('cam');
    await getJson('/_emulator/stats');
    await getJson('/_emulator/fragments?stream=cam');
    await getJson('/_emulator/sessions');
    expect(emulator.count()).toBe(0);
  });
});

describe('KinesisVideoEmulator /_emulator/fragments', () => {
  it('lists the fragments in the order GetMedia delivers them when a stream has some', async () => {
    emulator.createStream('cam');
    for (let index = 0; index < 6; index += 1) {
      clock += 200;
      emulator.addFragment('cam', SMALL);
    }
    // A streaming reader sees a fragment once the next one starts: six added, the first five read at once.
    const delivered: string[] = [];
    const output = await getMedia('cam', 'EARLIEST');
    for await (const fragment of readFragments(payloadOf(output))) {
      delivered.push(fragment.fragmentNumber ?? 'none');
      if (delivered.length === 5) break;
    }
    delivered.push(emulator.fragments('cam')[5]?.fragmentNumber ?? 'none');
    const { status, body } = await getJson<FragmentListing>('/_emulator/fragments?stream=cam');
    expect(status).toBe(200);
    expect(body.stream).toBe('cam');
    expect(body.evictedThrough).toBeNull();
    expect(body.fragments.map((fragment) => fragment.fragmentNumber)).toEqual(delivered);
    expect(body.fragments.map((fragment) => fragment.serverTimestamp)).toEqual(emulator.fragments('cam').map((fragment) => fragment.serverTimestamp));
    expect(body.fragments[0]).toEqual({ fragmentNumber: delivered[0], serverTimestamp: expect.any(Number), producerTimestamp: expect.any(Number), durationMs: 200 });
  });

  it('lists only the fragments numbered above after when after is given', async () => {
    emulator.createStream('cam');
    const added = [0, 1, 2, 3].map(() => emulator.addFragment('cam', SMALL));
    const after = added[1]?.fragmentNumber ?? '';
    const { body } = await getJson<FragmentListing>(`/_emulator/fragments?stream=cam&after=${after}`);
    expect(body.fragments.map((fragment) => fragment.fragmentNumber)).toEqual(added.slice(2).map((fragment) => fragment.fragmentNumber));
    expect(emulator.fragmentListing('cam', after)).toEqual(body);
  });

  it('names the newest evicted fragment when the per-stream bound dropped the oldest', async () => {
    const bounded = await KinesisVideoEmulator.start({ maxFragmentsPerStream: 2 });
    try {
      bounded.createStream('cam');
      const added = [0, 1, 2].map(() => bounded.addFragment('cam', SMALL));
      const response = await fetch(new URL('/_emulator/fragments?stream=cam', bounded.endpoint));
      const body = (await response.json()) as FragmentListing;
      expect(body.evictedThrough).toBe(added[0]?.fragmentNumber);
      expect(body.fragments).toHaveLength(2);
    } finally {
      await bounded.close();
    }
  });

  it('answers 400, 404 and 405 with a JSON message when the request is wrong', async () => {
    emulator.createStream('cam');
    const missing = await getJson<{ message: string }>('/_emulator/fragments');
    expect(missing.status).toBe(400);
    expect(missing.body.message).toMatch(/stream/);
    expect((await getJson('/_emulator/fragments?stream=cam&after=abc')).status).toBe(400);
    expect((await getJson('/_emulator/fragments?stream=nope')).status).toBe(404);
    expect((await getJson('/_emulator/nothing-here')).status).toBe(404);
    const post = await fetch(new URL('/_emulator/stats', emulator.endpoint), { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    await post.arrayBuffer();
  });
});

describe('KinesisVideoEmulator /_emulator/sessions', () => {
  it('names the caller port of every open GetMedia session when sessions are open', async () => {
    emulator.createStream('cam');
    const output = await getMedia('cam', 'NOW');
    const payload = payloadOf(output) as Readable & { socket?: { localPort?: number } };
    const { body } = await getJson<OpenSessionListing>('/_emulator/sessions');
    expect(body.sessions).toHaveLength(1);
    expect(body.sessions[0]).toMatchObject({ stream: 'cam', selector: 'NOW', remoteAddress: '127.0.0.1', remotePort: payload.socket?.localPort });
    payload.destroy();
    await emulator.waitForActiveGetMedia('cam', 0);
    expect((await getJson<OpenSessionListing>('/_emulator/sessions')).body.sessions).toEqual([]);
  });
});
