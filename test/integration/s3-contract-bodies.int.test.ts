import { Writable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, describe } from 'vitest';
import { createLogger } from '../../src/core/logger.js';
import { createS3Client } from '../../src/datasources/s3/s3.client.js';
import { S3ObjectStore } from '../../src/datasources/s3/s3.datasource.js';
import { S3Emulator } from '../../src/emulators/s3/s3.emulator.js';
import { runContractBodies } from '../contract/bodies/contract-body.js';
import { OBJECT_STORE_BODIES, type ObjectStoreContractTarget } from '../contract/bodies/object-store.bodies.js';
import { Cleanup } from '../contract/contract-env.js';

/*
 * The object-store contract bodies (test/contract/bodies) against the S3 emulator through the S3 object store, as
 * `npm run test:contract` runs them against a real bucket (CONTRACT_S3_BUCKET). The S3 store's own suite is
 * s3.datasource.int.test.ts.
 */

describe('Object store contract bodies against the S3 emulator', () => {
  let emulator: S3Emulator | undefined;
  let client: S3Client | undefined;
  let target: ObjectStoreContractTarget | undefined;
  const cleanup = new Cleanup();

  beforeAll(async () => {
    emulator = await S3Emulator.start();
    client = createS3Client({ endpoint: emulator.endpoint, region: 'us-east-1', forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: 'AKIDS3TEST', secretAccessKey: 'secret' } });
    const logger = createLogger('silent', new Writable({ write: (_chunk: Buffer, _encoding, callback) => callback() }));
    const store = new S3ObjectStore(client, { bucket: emulator.bucket, prefix: 'contract-root/', timeoutMs: 10_000, idleTimeoutMs: 10_000, logger });
    for (const name of ['a.ts', 'b.ts', 'c.ts', 'd.ts', 'e.ts', 'sub/x.ts']) {
      await store.put({ path: `vod/${name}`, body: Buffer.from(name), contentLength: undefined, contentType: 'video/mp2t', cacheControl: undefined, uploadAvailability: 'STANDARD' });
    }
    target = { store, scratch: 'contract/run-1', listed: 'vod', cleanup };
  });

  afterEach(() => cleanup.run());

  afterAll(async () => {
    client?.destroy();
    await emulator?.close();
  });

  runContractBodies(OBJECT_STORE_BODIES, {
    writes: true,
    target: () => {
      if (target === undefined) throw new Error('no target');
      return target;
    },
  });
});
