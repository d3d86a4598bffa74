/**
 * Entry point of the benchmark's gateway process (started by `bench/objects.bench.ts` with
 * `node --import tsx --expose-gc`). Configured only through its environment, exactly as a deployment is; the
 * MediaStore endpoint is the emulator process. Besides serving, it answers CPU/RSS probes and runs the
 * peak-RSS sampler during downloads.
 */
import { loadConfig } from '../../src/config.js';
import { startGateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/core/logger.js';
import type { GatewayCommands, GatewayReady, MemorySample } from './commands.js';
import { describeError, sampleUsage, serveCommands } from './ipc.js';
import { RssSampler } from './rss-sampler.js';

/** The sampling period the benchmark asks for. */
const SAMPLE_INTERVAL_MS = 5;

const config = loadConfig(process.env);
// Logs go to stderr: the benchmark routes this process's output there and keeps its own stdout for the report.
const gateway = await startGateway(config, { logger: createLogger(config.logLevel, process.stderr) });
// Created before any baseline is taken, so the sampler thread's own memory is never counted as growth.
const sampler = await RssSampler.create(SAMPLE_INTERVAL_MS);

function collectGarbage(): void {
  if (globalThis.gc === undefined) throw new Error('gc is not exposed: start this process with --expose-gc');
  globalThis.gc();
  globalThis.gc();
}

function sampleMemory(): MemorySample {
  const memory = process.memoryUsage();
  return { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, arrayBuffersBytes: memory.arrayBuffers };
}

let stopping = false;
function shutdown(): void {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(1), Math.max(config.shutdownGraceMs, 0) + 3_000).unref();
  Promise.all([gateway.close(), sampler.dispose()]).then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`gateway close failed: ${describeError(error)}`);
      process.exit(1);
    },
  );
}

serveCommands<GatewayCommands>(
  { url: gateway.url } satisfies GatewayReady,
  {
    usage: async () => sampleUsage(),
    memory: async () => sampleMemory(),
    gc: async () => {
      collectGarbage();
      return sampleMemory();
    },
    openRssWindow: async () => ({ baselineBytes: sampler.open() }),
    closeRssWindow: async () => {
      // Read before the window closes: the split shows how much of the peak is still-uncollected buffers.
      const memory = sampleMemory();
      return { window: await sampler.close(), memory };
    },
  },
  shutdown,
);
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
