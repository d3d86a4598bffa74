/**
 * What OpenTelemetry tracing costs one gateway process, measured by switching it on and off inside that process
 * (`ops-tracing-toggle.child.ts`) from window to window, for a shared machine too noisy for `ops-tracing-pair.ts`:
 * there, two processes of the same code differ by more than the effect sought, and a burst of other work lands on one
 * configuration's window; here every mode runs in the same process, in short windows that rotate. The load is
 * `bench:ops`'s (`ListObjects`, `first: 10`, 16 keep-alive connections against one S3 emulator process; OTLP/HTTP
 * protobuf, always_on, to a receiver process that counts and discards). Prints each round and, per mode, the median
 * of the per-round CPU-per-request ratios against `off` with its interval, and the main-thread GC pause per answer
 * by GC kind. Writes no results file.
 *
 * A switched-off window is not quite a gateway without traces: the SDK is loaded, its batch processor may still
 * export spans of the previous window, and the tracing middleware still runs its first check. It measures what
 * recording spans (and the context manager) costs, not what loading the SDK costs; `bench:ops` measures the whole.
 *
 * Run: `node --import tsx bench/support/ops-tracing-toggle.ts`. Environment: `OPS_TOGGLE_ROUNDS` (default 30),
 * `OPS_TOGGLE_WINDOW_MS` (default 1500), `OPS_TOGGLE_MODES` (comma-separated, default `off,on`; `off` = no spans and no
 * context manager, `on` = both, `spans` = spans without the context manager, `context` = the context manager alone;
 * `server`, `internal`, `client` = the context manager and only the spans of that kind).
 */
import { loadavg } from 'node:os';
import { createBenchAuth } from './bench-auth.js';
import { startBenchChild, positiveInteger } from './children.js';
import { benchGatewayEnv } from './gateway-env.js';
import { pidOf, requireLoopback, runSupervised, type ChildServer, type CommandMap } from './ipc.js';
import { LIST_OBJECTS_OPERATION, listObjectsQuery, verifyListingPage } from './listing-request.js';
import { measureLoadRound, roundFigures, warmUp, type LoadedServer } from './load-round.js';
import type { OtlpReceiverCommands, OtlpReceiverReady } from './ops-commands.js';
import { spanTotal } from './ops-otlp.js';
import type { TracingMode, TracingToggleCommands, TracingToggleReady } from './ops-toggle-commands.js';
import type { S3EmulatorCommands, S3EmulatorReady } from './s3-bench-commands.js';
import { median, pairedRatio } from './stats.js';

const CONCURRENCY = 16;
const FIRST_WARMUP_MS = 3_000;
const ROUND_WARMUP_MS = 300;
const PAGE_SIZE = 10;
const FOLDER = 'ops-listing';
const DEADLINE_MS = 20 * 60_000;

const MODES: Readonly<Record<string, TracingMode>> = {
  off: { spans: 'none', contextManager: false },
  on: { spans: 'all', contextManager: true },
  spans: { spans: 'all', contextManager: false },
  context: { spans: 'none', contextManager: true },
  server: { spans: 'server', contextManager: true },
  internal: { spans: 'internal', contextManager: true },
  client: { spans: 'client', contextManager: true },
};


const children = new Set<ChildServer<CommandMap>>();

async function startChild<M extends CommandMap>(name: string, entry: string, env: Record<string, string>): Promise<{ child: ChildServer<M>; info: unknown }> {
  const { server, info } = await startBenchChild<M>({ name, entry, env });
  children.add(server as unknown as ChildServer<CommandMap>);
  return { child: server, info };
}

async function run(): Promise<boolean> {
  const rounds = positiveInteger('OPS_TOGGLE_ROUNDS', 30);
  const windowMs = positiveInteger('OPS_TOGGLE_WINDOW_MS', 1_500);
  const modes = (process.env['OPS_TOGGLE_MODES'] ?? 'off,on').split(',').map((mode) => mode.trim());
  for (const mode of modes) if (MODES[mode] === undefined) throw new Error(`OPS_TOGGLE_MODES: unknown mode ${mode} (known: ${Object.keys(MODES).join(', ')})`);
  if (!modes.includes('off')) throw new Error('OPS_TOGGLE_MODES must include off, the reference');
  const loadStart = loadavg()[0] ?? 0;
  const auth = await createBenchAuth('ops-toggle', ['objects:read']);
  const { child: s3, info } = await startChild<S3EmulatorCommands>('s3-emulator', 's3-emulator.child.ts', {});
  const s3Ready = info as S3EmulatorReady;
  await s3.request('seedListing', { folder: FOLDER, count: 100 });
  const s3Pid = pidOf(s3, 's3 emulator');
  const { child: receiver, info: receiverInfo } = await startChild<OtlpReceiverCommands>('otlp-receiver', 'ops-otlp-receiver.child.ts', {});
  const otlpEndpoint = requireLoopback('otlp receiver', (receiverInfo as OtlpReceiverReady).endpoint);
  const { child: gatewayChild, info: ready } = await startChild<TracingToggleCommands>('gateway', 'ops-tracing-toggle.child.ts', {
    ...benchGatewayEnv(auth),
    OBJECT_STORE: 's3',
    S3_ENDPOINT: requireLoopback('s3 emulator', s3Ready.endpoint),
    S3_BUCKET: s3Ready.bucket,
    S3_REGION: 'us-east-1',
    OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
    OTEL_TRACES_SAMPLER: 'always_on',
  });
  const toggleReady = ready as TracingToggleReady;
  const url = requireLoopback('gateway', toggleReady.url);
  const gateway: LoadedServer = {
    name: 'gateway',
    pid: pidOf(gatewayChild, 'gateway'),
    target: {
      url: `${url}/graphql`,
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization: auth.authorization },
      body: JSON.stringify({ query: listObjectsQuery(), operationName: LIST_OBJECTS_OPERATION, variables: { path: `/${FOLDER}`, first: PAGE_SIZE } }),
    },
    verify: (text) => verifyListingPage('gateway', text, PAGE_SIZE),
  };
  for (const mode of modes) {
    await gatewayChild.request('mode', MODES[mode] as TracingMode);
    await warmUp(gateway, CONCURRENCY, FIRST_WARMUP_MS);
  }
  const cpu = new Map<string, number[]>(modes.map((mode) => [mode, []]));
  const other: number[] = [];
  // Main-thread GC pause per answer of each round (warm-up included), µs, by mode and GC kind.
  const gcPerAnswer = new Map<string, Map<string, number[]>>(modes.map((mode) => [mode, new Map()]));
  const answered = new Map<string, number>(modes.map((mode) => [mode, 0]));
  for (let round = 0; round < rounds; round += 1) {
    const order = modes.map((_, index) => modes[(index + round) % modes.length] as string);
    const line: string[] = [];
    for (const mode of order) {
      await gatewayChild.request('mode', MODES[mode] as TracingMode);
      const gc0 = await gatewayChild.request('gc', {});
      const measured = await measureLoadRound(gateway, s3Pid, { concurrency: CONCURRENCY, warmupMs: ROUND_WARMUP_MS, windowMs });
      const gc1 = await gatewayChild.request('gc', {});
      const byKind = gcPerAnswer.get(mode);
      for (const [kind, ms] of Object.entries(gc1)) {
        const list = byKind?.get(kind) ?? [];
        list.push(((ms - (gc0[kind] ?? 0)) * 1000) / measured.answered);
        byKind?.set(kind, list);
      }
      answered.set(mode, (answered.get(mode) ?? 0) + measured.answered);
      const figures = roundFigures(measured.round);
      cpu.get(mode)?.push(figures.cpuUs);
      other.push(figures.otherCores);
      line.push(`${mode} ${figures.reqPerSec.toFixed(0)} req/s ${figures.cpuUs.toFixed(0)} µs/req`);
    }
    console.error(`round ${round + 1}/${rounds} (load ${(loadavg()[0] ?? 0).toFixed(2)}): ${line.join('; ')}`);
  }
  await gatewayChild.stop();
  children.delete(gatewayChild as unknown as ChildServer<CommandMap>);
  const received = await receiver.request('received', {});
  const off = cpu.get('off') ?? [];
  const lines = [
    `1-minute load average: ${loadStart.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at end; other processes during the windows: median ${(median(other) * 100).toFixed(0)}% of a core`,
    `the SDK registered a context manager: ${String(toggleReady.contextManager)}`,
    `off: median ${median(off).toFixed(0)} µs CPU per request`,
  ];
  for (const mode of modes.filter((name) => name !== 'off')) {
    const values = cpu.get(mode) ?? [];
    const ratio = pairedRatio(values, off);
    lines.push(`${mode}: median ${median(values).toFixed(0)} µs CPU per request; / off ${ratio.ratio.toFixed(3)} (${ratio.low.toFixed(3)} – ${ratio.high.toFixed(3)}, ${(ratio.coverage * 100).toFixed(1)}%)`);
  }
  for (const mode of modes) {
    const kinds = [...(gcPerAnswer.get(mode) ?? new Map<string, number[]>())].map(([kind, values]) => `kind ${kind} ${median(values).toFixed(1)}`);
    lines.push(`${mode}: main-thread GC pause per answer (median of rounds, µs): ${kinds.join(', ')}`);
  }
  const traced = modes.filter((mode) => MODES[mode]?.spans !== 'none').reduce((sum, mode) => sum + (answered.get(mode) ?? 0), 0);
  lines.push(`spans: ${spanTotal(received.spans)} received; answers in span-recording windows (warm-ups excluded): ${traced}; ${received.refused} refused`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return true;
}

await runSupervised(
  children,
  DEADLINE_MS,
  run,
  async () => {
    for (const child of [...children].reverse()) {
      await child.stop();
      children.delete(child);
    }
  },
);
