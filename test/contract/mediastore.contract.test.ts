import { afterAll, beforeAll, describe } from 'vitest';
import type { MediaStoreDataClient } from '@aws-sdk/client-mediastore-data';
import { loadConfig } from '../../src/config.js';
import { createMediaStoreClient } from '../../src/datasources/mediastore/mediastore.client.js';
import { MediaStoreDataSource } from '../../src/datasources/mediastore/mediastore.datasource.js';
import { runContractBodies } from './bodies/contract-body.js';
import { OBJECT_STORE_BODIES, type ObjectStoreContractTarget } from './bodies/object-store.bodies.js';
import { CONTRACT_ALLOW_WRITES, CONTRACT_RUN_ID, CONTRACT_TIMEOUT_MS, Cleanup, env, skipUnless } from './contract-env.js';

/*
 * The object-store contract bodies against a real MediaStore container (legacy: AWS retired MediaStore on 2025-11-13,
 * so this runs only where a container still answers): CONTRACT_MEDIASTORE_ENDPOINT is the container's data endpoint,
 * MEDIASTORE_REGION as for the gateway, credentials from the AWS SDK's default chain. Writes go below
 * `media-graph-contract/<run id>/` and are deleted after the run.
 */

const skip = skipUnless('mediastore', ['CONTRACT_MEDIASTORE_ENDPOINT'], "a container's data endpoint, plus AWS credentials");

describe.skipIf(skip)('MediaStore contract (real container)', () => {
  const cleanup = new Cleanup();
  let client: MediaStoreDataClient | undefined;
  let target: ObjectStoreContractTarget | undefined;

  beforeAll(() => {
    const config = loadConfig();
    client = createMediaStoreClient({ endpoint: env('CONTRACT_MEDIASTORE_ENDPOINT') ?? '', region: config.mediastore.region, maxAttempts: config.upstream.maxAttempts });
    const store = new MediaStoreDataSource(client, { timeoutMs: config.upstream.timeoutMs, idleTimeoutMs: config.upstream.idleTimeoutMs });
    target = { store, scratch: `media-graph-contract/${CONTRACT_RUN_ID}`, listed: env('CONTRACT_MEDIASTORE_FOLDER') ?? '', cleanup };
  });

  afterAll(async () => {
    try {
      await cleanup.run();
    } finally {
      client?.destroy();
    }
  });

  runContractBodies(OBJECT_STORE_BODIES, {
    writes: CONTRACT_ALLOW_WRITES,
    timeoutMs: CONTRACT_TIMEOUT_MS,
    target: () => {
      if (target === undefined) throw new Error('no target');
      return target;
    },
  });
});
