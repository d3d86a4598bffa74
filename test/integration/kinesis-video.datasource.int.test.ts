import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKinesisClients, type KinesisClients } from '../../src/datasources/kinesis/kinesis.clients.js';
import { KinesisVideoDataSource } from '../../src/datasources/kinesis/kinesis-video.datasource.js';
import { KinesisVideoEmulator } from '../../src/emulators/kinesis/kinesis.emulator.js';

/* KinesisVideoDataSource (listStreams, the data-endpoint cache) over the real SDK client against the Kinesis Video emulator. */

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

describe('KinesisVideoDataSource.listStreams', () => {
  let emulator: KinesisVideoEmulator;
  let clients: KinesisClients;
  let control: KinesisVideoDataSource;

  beforeAll(async () => {
    emulator = await KinesisVideoEmulator.start();
    for (const name of ['a-cam', 'a-door', 'a-yard', 'ab-cam', 'b-cam', 'b-door']) emulator.createStream(name);
    clients = createKinesisClients({ endpoint: emulator.endpoint, region: 'us-east-1', maxAttempts: 1, credentials: CREDENTIALS });
    control = new KinesisVideoDataSource(clients.control, { timeoutMs: 2_000, endpointTtlMs: 600_000 });
  });

  afterAll(async () => {
    clients.destroy();
    await emulator.close();
  });

  async function listAll(namePrefix: string | undefined, pageSize: number): Promise<{ names: string[]; pages: number }> {
    const names: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await control.listStreams({ pageSize, token, namePrefix });
      names.push(...page.streams.map((stream) => stream.name));
      token = page.nextToken;
      pages += 1;
    } while (token !== undefined);
    return { names, pages };
  }

  it('lists every stream when no prefix is given', async () => {
    expect((await listAll(undefined, 100)).names).toEqual(['a-cam', 'a-door', 'a-yard', 'ab-cam', 'b-cam', 'b-door']);
  });

  it('asks the provider for names beginning with the prefix and pages within them when a prefix is given', async () => {
    const listed = await listAll('a-', 2);
    expect(listed.names).toEqual(['a-cam', 'a-door', 'a-yard']);
    // Two pages of two: the provider never returned another tenant's stream, so no page came back short.
    expect(listed.pages).toBe(2);
  });

  it('treats an empty prefix as no prefix', async () => {
    expect((await listAll('', 100)).names).toHaveLength(6);
  });
});

describe('KinesisVideoDataSource.dataEndpoint', () => {
  let emulator: KinesisVideoEmulator;
  let clients: KinesisClients;

  beforeAll(async () => {
    emulator = await KinesisVideoEmulator.start();
    for (const name of ['in-use', 'idle', 'newcomer']) emulator.createStream(name);
    clients = createKinesisClients({ endpoint: emulator.endpoint, region: 'us-east-1', maxAttempts: 1, credentials: CREDENTIALS });
  });

  afterAll(async () => {
    clients.destroy();
    await emulator.close();
  });

  /** GetDataEndpoint calls the emulator has answered since `before`. */
  function lookups(before: number): number {
    return emulator.count('GetDataEndpoint') - before;
  }

  it('keeps the endpoint in use and forgets the least recently used one when the cache is full', async () => {
    const control = new KinesisVideoDataSource(clients.control, { timeoutMs: 2_000, endpointTtlMs: 600_000, maxCachedEndpoints: 2 });
    const before = emulator.count('GetDataEndpoint');
    await control.dataEndpoint({ name: 'in-use' }, 'GET_MEDIA');
    await control.dataEndpoint({ name: 'idle' }, 'GET_MEDIA');
    // The oldest entry, but the most recently used.
    await control.dataEndpoint({ name: 'in-use' }, 'GET_MEDIA');
    expect(lookups(before)).toBe(2);
    await control.dataEndpoint({ name: 'newcomer' }, 'GET_MEDIA');
    expect(lookups(before)).toBe(3);
    await control.dataEndpoint({ name: 'in-use' }, 'GET_MEDIA');
    expect(lookups(before)).toBe(3);
    await control.dataEndpoint({ name: 'idle' }, 'GET_MEDIA');
    expect(lookups(before)).toBe(4);
  });

  it('asks again once the TTL has passed when an endpoint is reused', async () => {
    let now = 1_000_000;
    const control = new KinesisVideoDataSource(clients.control, { timeoutMs: 2_000, endpointTtlMs: 60_000, now: () => now });
    const before = emulator.count('GetDataEndpoint');
    const first = await control.dataEndpoint({ name: 'in-use' }, 'LIST_FRAGMENTS');
    now += 59_000;
    expect(await control.dataEndpoint({ name: 'in-use' }, 'LIST_FRAGMENTS')).toBe(first);
    expect(lookups(before)).toBe(1);
    now += 2_000;
    expect(await control.dataEndpoint({ name: 'in-use' }, 'LIST_FRAGMENTS')).toBe(first);
    expect(lookups(before)).toBe(2);
  });

  it('shares one lookup between concurrent callers and does not remember a failed one', async () => {
    const control = new KinesisVideoDataSource(clients.control, { timeoutMs: 2_000, endpointTtlMs: 600_000 });
    const before = emulator.count('GetDataEndpoint');
    const [a, b] = await Promise.all([control.dataEndpoint({ name: 'idle' }, 'LIST_FRAGMENTS'), control.dataEndpoint({ name: 'idle' }, 'LIST_FRAGMENTS')]);
    expect(a).toBe(b);
    expect(lookups(before)).toBe(1);
    await expect(control.dataEndpoint({ name: 'no-such-stream' }, 'GET_MEDIA')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(control.dataEndpoint({ name: 'no-such-stream' }, 'GET_MEDIA')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(lookups(before)).toBe(3);
  });
});
