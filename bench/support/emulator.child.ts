/**
 * Entry point of the benchmark's MediaStore emulator process (started by `bench/objects.bench.ts` with
 * `node --import tsx`). Running the emulator in its own process makes its CPU attributable: in the direct-SDK
 * listing it is the only server, and in the GraphQL listing it is the gateway's upstream.
 */
import { MediaStoreEmulator } from '../../src/emulators/mediastore/mediastore.emulator.js';
import type { EmulatorCommands, EmulatorReady } from './commands.js';
import { describeError, sampleUsage, serveCommands } from './ipc.js';
import { listingBody, listingName, payloadBytes } from './payload.js';

const emulator = await MediaStoreEmulator.start({
  host: '127.0.0.1',
  port: 0,
  onInternalError: (error: unknown) => console.error(`emulator internal error: ${describeError(error)}`),
});

let stopping = false;
function shutdown(): void {
  if (stopping) return;
  stopping = true;
  // A hung close must not keep an orphan around: the process goes within two seconds either way.
  setTimeout(() => process.exit(1), 2_000).unref();
  emulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`emulator close failed: ${describeError(error)}`);
      process.exit(1);
    },
  );
}

serveCommands<EmulatorCommands>(
  { endpoint: emulator.endpoint } satisfies EmulatorReady,
  {
    usage: async () => sampleUsage(),
    seedListing: async ({ folder, count }) => {
      for (let index = 0; index < count; index += 1) {
        emulator.putObjectDirect(`${folder}/${listingName(index)}`, listingBody(index), { contentType: 'application/json' });
      }
      return { objectCount: emulator.objectCount };
    },
    putPayload: async ({ path, size, seed }) => {
      emulator.putObjectDirect(path, payloadBytes(size, seed), { contentType: 'application/octet-stream' });
      return { stored: size };
    },
    countRequests: async ({ operation }) => ({ count: emulator.count(operation) }),
  },
  shutdown,
);
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
