/**
 * Entry point of the S3 benchmark's emulator process (started by `bench/objects.bench.ts` with `node --import tsx`),
 * so that its CPU is attributable: in the bare-SDK listing it is the only server, in the GraphQL listing the
 * gateway's upstream.
 */
import { createHash } from 'node:crypto';
import { S3Emulator } from '../../src/emulators/s3/s3.emulator.js';
import { describeError, sampleUsage, serveCommands } from './ipc.js';
import { listingBody, listingName } from './payload.js';
import type { S3EmulatorCommands, S3EmulatorReady } from './s3-bench-commands.js';

const emulator = await S3Emulator.start({
  host: '127.0.0.1',
  port: 0,
  onInternalError: (error: unknown) => console.error(`S3 emulator internal error: ${describeError(error)}`),
});

let stopping = false;
function shutdown(): void {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(1), 2_000).unref();
  emulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`S3 emulator close failed: ${describeError(error)}`);
      process.exit(1);
    },
  );
}

serveCommands<S3EmulatorCommands>(
  { endpoint: emulator.endpoint, bucket: emulator.bucket } satisfies S3EmulatorReady,
  {
    usage: async () => sampleUsage(),
    seedListing: async ({ folder, count }) => {
      for (let index = 0; index < count; index += 1) {
        emulator.putObjectDirect(`${folder}/${listingName(index)}`, listingBody(index), { contentType: 'application/json' });
      }
      return { objectCount: emulator.objectCount() };
    },
    countRequests: async ({ operation }) => ({ count: emulator.count(operation) }),
    objectDigest: async ({ key }) => {
      const body = emulator.readObjectDirect(key);
      return body === undefined ? { size: null, sha256: null } : { size: body.length, sha256: createHash('sha256').update(body).digest('hex') };
    },
    uploadsInProgress: async () => ({ count: emulator.multipartUploads().length }),
  },
  shutdown,
);
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
