import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createS3Client } from '../../src/datasources/s3/s3.client.js';
import { S3ObjectStore } from '../../src/datasources/s3/s3.datasource.js';
import { runContractBodies } from './bodies/contract-body.js';
import { OBJECT_STORE_BODIES, type ObjectStoreContractTarget } from './bodies/object-store.bodies.js';
import { CONTRACT_ALLOW_WRITES, CONTRACT_RUN_ID, CONTRACT_TIMEOUT_MS, Cleanup, env, skipUnless } from './contract-env.js';

/*
 * The object-store contract bodies against a real S3 bucket (or an S3-compatible store): CONTRACT_S3_BUCKET, with
 * CONTRACT_S3_REGION (default us-east-1), CONTRACT_S3_ENDPOINT for an S3-compatible store (path-style addressing)
 * and CONTRACT_S3_PREFIX (default `media-graph-contract/`) under which everything is read and written; credentials
 * from the AWS SDK's default chain. Writes go below `<prefix><run id>/` and are deleted after the run.
 */

const skip = skipUnless('s3', ['CONTRACT_S3_BUCKET'], 'a bucket the credentials may list, plus AWS credentials');

describe.skipIf(skip)('S3 contract (real bucket)', () => {
  const cleanup = new Cleanup();
  let client: S3Client | undefined;
  let target: ObjectStoreContractTarget | undefined;

  beforeAll(() => {
    const config = loadConfig();
    const endpoint = env('CONTRACT_S3_ENDPOINT');
    client = createS3Client({ endpoint, region: env('CONTRACT_S3_REGION') ?? 'us-east-1', forcePathStyle: endpoint !== undefined, maxAttempts: config.upstream.maxAttempts });
    const prefix = env('CONTRACT_S3_PREFIX') ?? 'media-graph-contract/';
    const store = new S3ObjectStore(client, {
      bucket: env('CONTRACT_S3_BUCKET') ?? '',
      prefix: prefix.endsWith('/') ? prefix : `${prefix}/`,
      timeoutMs: config.upstream.timeoutMs,
      idleTimeoutMs: config.upstream.idleTimeoutMs,
      logger: createLogger('warn'),
    });
    target = { store, scratch: CONTRACT_RUN_ID, listed: '', cleanup };
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
