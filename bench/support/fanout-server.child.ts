/**
 * Entry point of the live fan-out benchmark's server process (started by `bench/fanout.bench.ts` with
 * `node --import tsx`): our gateway or the stock baseline, chosen by `FANOUT_SERVER` (`gateway` | `baseline`),
 * on 127.0.0.1 with an ephemeral port. Besides serving, it reports what it holds for the benchmark's stream
 * (`FANOUT_STREAM`) and its event-loop delay. Its CPU and RSS are read from /proc by the benchmark.
 *
 * The gateway is configured only through its environment, exactly as a deployment is (`KINESIS_ENDPOINT` points
 * at the emulator process, AWS credentials come from the SDK's default chain). The baseline takes
 * `FANOUT_INTERVAL_MS`, the period of its event timer. On request it records a V8 CPU profile of a window.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadConfig } from '../../src/config.js';
import { GRAPHQL_PATH, startGateway } from '../../src/server/gateway.js';
import { createLogger } from '../../src/core/logger.js';
import { startBaselineServer } from './baseline-server.js';
import type { EventSchedule, FanoutServerCommands, FanoutServerKind, FanoutServerReady } from './fanout-commands.js';
import { describeError, serveCommands, type CommandHandlers } from './ipc.js';

interface RunningServer {
  readonly wsUrl: string;
  readonly handlers: Pick<CommandHandlers<FanoutServerCommands>, 'stats'>;
  readonly schedule: EventSchedule | null;
  close(): Promise<void>;
}

const stream = process.env['FANOUT_STREAM'];
if (stream === undefined || stream === '') throw new Error('FANOUT_STREAM is not set');
const kind = process.env['FANOUT_SERVER'];
if (kind !== 'gateway' && kind !== 'baseline') throw new Error(`FANOUT_SERVER must be gateway or baseline, got ${String(kind)}`);

async function startOurs(streamName: string): Promise<RunningServer> {
  const config = loadConfig(process.env);
  // Logs go to stderr: the benchmark routes this process's output there and keeps its stdout for the report.
  const gateway = await startGateway(config, { logger: createLogger(config.logLevel, process.stderr) });
  const url = new URL(gateway.url);
  return {
    wsUrl: `ws://${url.host}${GRAPHQL_PATH}`,
    handlers: {
      stats: async () => {
        const stats = gateway.services.hub.stats(streamName);
        return { sourceSubscribers: stats.subscribers, upstreamSessions: stats.upstreamSessions };
      },
    },
    schedule: null,
    close: () => gateway.close(),
  };
}

async function startBaseline(streamName: string): Promise<RunningServer> {
  const intervalMs = Number(process.env['FANOUT_INTERVAL_MS']);
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) throw new Error(`FANOUT_INTERVAL_MS must be a positive number, got ${String(process.env['FANOUT_INTERVAL_MS'])}`);
  const baseline = await startBaselineServer({ host: '127.0.0.1', port: 0, stream: streamName, intervalMs });
  return {
    wsUrl: baseline.wsUrl,
    handlers: {
      stats: async () => ({ sourceSubscribers: baseline.subscriptions, upstreamSessions: null }),
    },
    schedule: { firstDueAtMs: baseline.firstDueAtMs, intervalMs },
    close: () => baseline.close(),
  };
}

const server = kind === 'gateway' ? await startOurs(stream) : await startBaseline(stream);
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();

// Connected only when a profile is asked for, so an ordinary run carries no inspector session.
let profiler: Session | undefined;

async function startProfile(): Promise<{ started: true }> {
  if (profiler !== undefined) throw new Error('a profile is already running');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  profiler = session;
  return { started: true };
}

async function stopProfile(path: string): Promise<{ bytes: number }> {
  const session = profiler;
  if (session === undefined) throw new Error('no profile is running');
  profiler = undefined;
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  const text = JSON.stringify(profile);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return { bytes: Buffer.byteLength(text) };
}

let stopping = false;
function shutdown(): void {
  if (stopping) return;
  stopping = true;
  setTimeout(() => process.exit(1), 10_000).unref();
  server.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`${kind} close failed: ${describeError(error)}`);
      process.exit(1);
    },
  );
}

serveCommands<FanoutServerCommands>(
  { kind: kind satisfies FanoutServerKind, wsUrl: server.wsUrl, schedule: server.schedule } satisfies FanoutServerReady,
  {
    loopDelay: async ({ reset }) => {
      const result = { p99Ms: loopDelay.percentile(99) / 1e6, maxMs: loopDelay.max / 1e6 };
      if (reset) loopDelay.reset();
      return result;
    },
    startProfile,
    stopProfile: ({ path }) => stopProfile(path),
    ...server.handlers,
  },
  shutdown,
);
process.once('SIGTERM', shutdown);
process.once('SIGINT', shutdown);
