/**
 * Entry point of the live fan-out benchmark's Kinesis Video emulator process (started by
 * `bench/fanout.bench.ts` with `node --import tsx`). It creates one stream and runs a producer on it; the
 * gateway under test reads the stream through GetMedia. In its own process so its CPU is not the gateway's, and
 * so the connection count it reports is what the service would see.
 *
 * Environment: `FANOUT_STREAM` (stream name), `FANOUT_INTERVAL_MS` (ms between fragments), `FANOUT_FPS` and
 * `FANOUT_FRAME_BYTES` (synthetic frames per second and bytes per frame).
 */
import { KinesisVideoEmulator } from '../../src/emulators/kinesis/kinesis.emulator.js';
import type { KinesisEmulatorCommands, KinesisEmulatorReady } from './fanout-commands.js';
import { describeError, serveCommands } from './ipc.js';

function requiredNumber(name: string): number {
  const value = Number(process.env[name]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got ${String(process.env[name])}`);
  return value;
}

const stream = process.env['FANOUT_STREAM'];
if (stream === undefined || stream === '') throw new Error('FANOUT_STREAM is not set');
const intervalMs = requiredNumber('FANOUT_INTERVAL_MS');
const fps = requiredNumber('FANOUT_FPS');
const frameBytes = requiredNumber('FANOUT_FRAME_BYTES');

const emulator = await KinesisVideoEmulator.start({
  host: '127.0.0.1',
  port: 0,
  onInternalError: (error: unknown) => console.error(`kinesis emulator internal error: ${describeError(error)}`),
});
emulator.createStream(stream);
emulator.startProducer(stream, { fragmentIntervalMs: intervalMs, fps, frameBytes });

let stopping = false;
function shutdown(): void {
  if (stopping) return;
  stopping = true;
  // A hung close must not leave an orphan: the process goes within two seconds either way.
  setTimeout(() => process.exit(1), 2_000).unref();
  emulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`kinesis emulator close failed: ${describeError(error)}`);
      process.exit(1);
    },
  );
}

serveCommands<KinesisEmulatorCommands>(
  { endpoint: emulator.endpoint, stream } satisfies KinesisEmulatorReady,
  {
    getMedia: async () => ({ active: emulator.activeGetMedia(stream), calls: emulator.getMediaCalls(stream).length }),
    sourceEvents: async ({ fromMs, toMs }) => ({
      count: emulator.fragments(stream).filter((fragment) => fragment.serverTimestamp >= fromMs && fragment.serverTimestamp < toMs).length,
    }),
  },
  shutdown,
);
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
