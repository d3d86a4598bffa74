import { afterAll, beforeAll, describe } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { KinesisArchivedMediaDataSource } from '../../src/datasources/kinesis/kinesis-archived-media.datasource.js';
import { createKinesisClients, type KinesisClients } from '../../src/datasources/kinesis/kinesis.clients.js';
import { KinesisVideoDataSource } from '../../src/datasources/kinesis/kinesis-video.datasource.js';
import { runContractBodies } from './bodies/contract-body.js';
import { KINESIS_BODIES, type KinesisContractTarget } from './bodies/kinesis.bodies.js';
import { CONTRACT_ALLOW_WRITES, CONTRACT_RUN_ID, CONTRACT_TIMEOUT_MS, env, skipUnless } from './contract-env.js';

/*
 * The Kinesis Video contract bodies against a real account: CONTRACT_KINESIS_STREAM names an existing stream with
 * at least three retained fragments; KINESIS_REGION (and KINESIS_ENDPOINT) as for the gateway; credentials from the
 * AWS SDK's default chain. Read-only: the bodies create nothing.
 */

const skip = skipUnless('kinesis', ['CONTRACT_KINESIS_STREAM'], 'an existing stream with at least 3 retained fragments, plus AWS credentials');

describe.skipIf(skip)('Kinesis Video contract (real account)', () => {
  let clients: KinesisClients | undefined;
  let target: KinesisContractTarget | undefined;

  beforeAll(() => {
    const config = loadConfig();
    clients = createKinesisClients({ endpoint: config.kinesis.endpoint, region: config.kinesis.region, maxAttempts: config.upstream.maxAttempts });
    const control = new KinesisVideoDataSource(clients.control, { timeoutMs: config.upstream.timeoutMs, endpointTtlMs: 600_000 });
    const archived = new KinesisArchivedMediaDataSource(control, (endpoint) => (clients as KinesisClients).archived(endpoint), { timeoutMs: config.upstream.timeoutMs });
    target = { control, archived, stream: env('CONTRACT_KINESIS_STREAM') ?? '', missingStream: `${CONTRACT_RUN_ID}-absent` };
  });

  afterAll(() => {
    clients?.destroy();
  });

  runContractBodies(KINESIS_BODIES, {
    writes: CONTRACT_ALLOW_WRITES,
    timeoutMs: CONTRACT_TIMEOUT_MS,
    target: () => {
      if (target === undefined) throw new Error('no target');
      return target;
    },
  });
});
