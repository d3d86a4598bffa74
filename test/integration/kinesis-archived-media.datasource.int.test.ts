import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KinesisArchivedMediaDataSource } from '../../src/datasources/kinesis/kinesis-archived-media.datasource.js';
import { createKinesisClients, type KinesisClients } from '../../src/datasources/kinesis/kinesis.clients.js';
import { KinesisVideoDataSource } from '../../src/datasources/kinesis/kinesis-video.datasource.js';
import { KinesisVideoEmulator, type ListFragmentsOrder } from '../../src/emulators/kinesis/kinesis.emulator.js';
import { runContractBodies } from '../contract/bodies/contract-body.js';
import { KINESIS_BODIES, type KinesisContractTarget } from '../contract/bodies/kinesis.bodies.js';

/*
 * KinesisArchivedMediaDataSource (ListFragments) over the real SDK client against the Kinesis Video emulator, which
 * refuses a ListFragments without FragmentSelector or NextToken as the service does, and can answer in no order.
 * The Kinesis contract bodies (test/contract/bodies) run here against both orders.
 */

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const HOUR = 3_600_000;

interface Harness {
  readonly emulator: KinesisVideoEmulator;
  readonly clients: KinesisClients;
  readonly target: KinesisContractTarget;
}

/** An emulator with `contract-cam` (7 archived fragments a second apart), a second stream of the same prefix and another one. */
async function harness(order: ListFragmentsOrder, now: () => number = Date.now): Promise<Harness> {
  const emulator = await KinesisVideoEmulator.start({ listFragmentsOrder: order, now });
  for (const name of ['contract-cam', 'contract-door', 'other-cam']) emulator.createStream(name, { retentionHours: 24 });
  const start = now() - 60_000;
  for (let i = 0; i < 7; i += 1) {
    emulator.addFragment('contract-cam', { serverTimestamp: start + i * 1_000, producerTimestamp: start + i * 1_000, durationMs: 1_000, fps: 2, frameBytes: 64 });
  }
  const clients = createKinesisClients({ endpoint: emulator.endpoint, region: 'us-east-1', maxAttempts: 1, credentials: CREDENTIALS });
  const control = new KinesisVideoDataSource(clients.control, { timeoutMs: 5_000, endpointTtlMs: 600_000 });
  const archived = new KinesisArchivedMediaDataSource(control, (endpoint) => clients.archived(endpoint), { timeoutMs: 5_000, now });
  return { emulator, clients, target: { control, archived, stream: 'contract-cam', missingStream: 'contract-no-such-stream' } };
}

async function close(h: Harness | undefined): Promise<void> {
  h?.clients.destroy();
  await h?.emulator.close();
}

describe.each(['ascending', 'unordered'] as const)('Kinesis Video contract bodies against the emulator listing fragments %s', (order) => {
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await harness(order);
  });
  afterAll(() => close(h));

  runContractBodies(KINESIS_BODIES, {
    writes: true,
    target: () => {
      if (h === undefined) throw new Error('no harness');
      return h.target;
    },
  });
});

describe('KinesisArchivedMediaDataSource.listFragments', () => {
  const NOW = Date.UTC(2025, 3, 1, 12, 0, 0);
  let h: Harness | undefined;
  beforeAll(async () => {
    h = await harness('ascending', () => NOW);
  });
  afterAll(() => close(h));

  function harnessOf(): Harness {
    if (h === undefined) throw new Error('no harness');
    return h;
  }

  it('sends a SERVER_TIMESTAMP selector from the earlier of creation and retention start to now when no range is given', async () => {
    const { emulator, target } = harnessOf();
    emulator.resetRequests();
    const created = new Date(NOW - 30 * 60_000);
    const page = await target.archived.listFragments({ name: 'contract-cam' }, { pageSize: 100, token: undefined, range: undefined, stream: { creationTime: created, retentionHours: 24 } });
    expect(page.fragments).toHaveLength(7);
    const sent = emulator.requests.find((request) => request.operation === 'ListFragments')?.input;
    expect(sent?.['FragmentSelector']).toEqual({
      FragmentSelectorType: 'SERVER_TIMESTAMP',
      TimestampRange: { StartTimestamp: (NOW - 24 * HOUR) / 1000, EndTimestamp: NOW / 1000 },
    });
  });

  it('describes the stream for its creation time and retention when the caller does not pass them', async () => {
    const { emulator, target } = harnessOf();
    emulator.resetRequests();
    const page = await target.archived.listFragments({ name: 'contract-cam' }, { pageSize: 3, token: undefined, range: undefined });
    expect(page.fragments).toHaveLength(3);
    expect(emulator.count('DescribeStream')).toBe(1);
    // The next page carries only the token: the service applies the first page's selector.
    emulator.resetRequests();
    await target.archived.listFragments({ name: 'contract-cam' }, { pageSize: 3, token: page.nextToken, range: undefined });
    expect(emulator.count('DescribeStream')).toBe(0);
    expect(emulator.requests.find((request) => request.operation === 'ListFragments')?.input?.['FragmentSelector']).toBeUndefined();
  });
});
