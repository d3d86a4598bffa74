import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKinesisClients, type KinesisClients } from '../../src/datasources/kinesis/kinesis.clients.js';
import { KinesisVideoDataSource } from '../../src/datasources/kinesis/kinesis-video.datasource.js';
import { KinesisVideoEmulator } from '../../src/emulators/kinesis/kinesis.emulator.js';

/* KinesisVideoDataSource.listStreams over the real SDK client against the Kinesis Video emulator. */

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
