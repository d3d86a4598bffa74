/**
 * `npm run bench:fanout`: live fragment fan-out over graphql-ws at 1,000, 2,500 and 5,000 subscribers of one
 * stream at 10 events/s, on our gateway and on a stock graphql-ws + graphql-js server (the baseline).
 *
 * Processes, all on 127.0.0.1: the Kinesis Video emulator with a producer appending a small fragment every
 * 100 ms (`support/kinesis-emulator.child.ts`); the server (`support/fanout-server.child.ts`: our gateway
 * pointed at the emulator through `KINESIS_ENDPOINT`, or `support/baseline-server.ts`); and load-client
 * processes holding the graphql-ws clients (`support/fanout-client.child.ts`). This process orchestrates over
 * IPC (the emulator's open GetMedia connections, what the server holds, the clients' latency histograms and
 * per-client event counts after each window) and reads every process's CPU time and RSS from /proc
 * (`support/proc-usage.ts`), which needs nothing from a server too busy to answer.
 *
 * Prints the tables on stdout and replaces this benchmark's section of `bench/RESULTS.md`. Exit status 0 when
 * every target was met, 1 otherwise (a missed target, a failure, or the hard deadline); children are always
 * ended. Targets: server CPU per delivery at most half the baseline's at every tier where the baseline
 * sustains the rate; at 5,000 subscribers every event reaches every subscriber with p99 < 250 ms; at most one
 * upstream GetMedia connection at any time.
 *
 * Environment, for investigations only (a run that sets any of them prints its tables but leaves
 * `bench/RESULTS.md` alone): `FANOUT_TIERS` (e.g. `5000`), `FANOUT_SERVERS` (`gateway`, `baseline` or both,
 * comma-separated), `FANOUT_CLIENTS_PER_PROCESS` (default 2500), `FANOUT_CPU_PROF_DIR` (the server process
 * records V8 CPU profiles of the connection phase and of the measurement window and writes them there as
 * `<server>-<subscribers>-connect.cpuprofile` and `<server>-<subscribers>-window.cpuprofile`).
 *
 * The load clients are lean graphql-transport-ws clients by default; `FANOUT_CLIENT=graphql-ws` runs the graphql-ws
 * package's `createClient` instead (see `FanoutClientKind`), and such a full run writes its own section of the
 * results file. The lean clients are the default because they share the machine's cores with the server they
 * measure: at 5,000 subscribers the package clients need more than a core of a two-core machine, and the latency
 * the server then shows is the clients' contention, not its own.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  ClientStatus,
  ClientWindowReport,
  ConnectResult,
  FanoutClientCommands,
  FanoutServerCommands,
  FanoutClientKind,
  FanoutServerKind,
  FanoutServerReady,
  KinesisEmulatorCommands,
  KinesisEmulatorReady,
  EventSchedule,
  LoopDelay,
} from './support/fanout-commands.js';
import { fanoutSubscription, type FanoutSubscription } from './support/fanout-document.js';
import { fanoutSectionHeading, formatSection, formatTables, missedTargets, type FanoutResults, type TierRun } from './support/fanout-report.js';
import { histogramCount, histogramPercentile, histogramRange, mergeHistograms } from './support/histogram.js';
import { createBenchAuth, type BenchAuth } from './support/bench-auth.js';
import { cpuMs, REPO_ROOT, startBenchChild } from './support/children.js';
import { kinesisGatewayEnv } from './support/gateway-env.js';
import { describeError, pidOf, requireLoopback, runSupervised, type ChildServer, type CommandMap } from './support/ipc.js';
import { describeMachine, formatMachine } from './support/machine.js';
import { readMachineCpu, readProcessUsage, type ProcessUsage } from './support/proc-usage.js';
import { writeResultsSection } from './support/results-file.js';

/** What the benchmark measures and for how long. */
const PLAN = {
  tiers: [1_000, 2_500, 5_000],
  servers: ['gateway', 'baseline'] as readonly FanoutServerKind[],
  stream: 'fanout-bench',
  /** One event every 100 ms: 10 events/s. */
  eventIntervalMs: 100,
  /** Small synthetic fragments (one 200-byte frame per 100 ms fragment) keep the emulator cheap. */
  fps: 10,
  frameBytes: 200,
  clientsPerProcess: 2_500,
  /** Sockets each client process opens at once. */
  connectConcurrency: 100,
  /** How long a client process may take to open and acknowledge all its connections. */
  connectDeadlineMs: 60_000,
  /** How long every client may take to receive its first fragment after connecting. */
  activeTimeoutMs: 120_000,
  /** Longest any IPC request may take (a saturated server answers late, which must not fail the run). */
  requestTimeoutMs: 120_000,
  warmupMs: 10_000,
  windowMs: 20_000,
  /** After the window, time for events stamped inside it to arrive before counting them. */
  drainMs: 2_000,
  sampleEveryMs: 250,
  /** Before each tier: how quiet the rest of the machine must be (% of one core), measured over how long, waited for how long. */
  quietOtherCpuPercent: 25,
  quietProbeMs: 2_000,
  quietWaitMs: 120_000,
  /** A server probe (stats, event-loop delay) not answered within this long counts as not answered. */
  sampleDeadlineMs: 5_000,
  targets: { cpuRatio: 0.5, p99Ms: 250, p99AtSubscribers: 5_000, upstreamMax: 1 },
  /** The whole benchmark is abandoned (children killed, exit 1) after this long. */
  deadlineMs: 40 * 60_000,
} as const;

const RESULTS_PATH = join(REPO_ROOT, 'bench', 'RESULTS.md');
const OPERATIONS_PATH = join(REPO_ROOT, 'schema', 'operations', 'streams.graphql');

interface Overrides {
  readonly tiers: readonly number[];
  readonly servers: readonly FanoutServerKind[];
  readonly clientsPerProcess: number;
  readonly cpuProfileDir: string | undefined;
  /** `FANOUT_CLIENT`: the load clients' implementation; each writes its own section of the results file. */
  readonly client: FanoutClientKind;
  /** True when anything differs from {@link PLAN}: such a run does not write the results file. */
  readonly partial: boolean;
}

function readOverrides(env: NodeJS.ProcessEnv): Overrides {
  const tiers = env['FANOUT_TIERS']?.split(',').map((value) => Number(value.trim())) ?? [...PLAN.tiers];
  if (tiers.length === 0 || tiers.some((tier) => !Number.isSafeInteger(tier) || tier <= 0)) throw new Error(`FANOUT_TIERS must list positive integers, got ${String(env['FANOUT_TIERS'])}`);
  const servers = env['FANOUT_SERVERS']?.split(',').map((value) => value.trim()) ?? [...PLAN.servers];
  const known = servers.filter((server): server is FanoutServerKind => server === 'gateway' || server === 'baseline');
  if (known.length === 0 || known.length !== servers.length) throw new Error(`FANOUT_SERVERS must list gateway and/or baseline, got ${String(env['FANOUT_SERVERS'])}`);
  const clientsPerProcess = env['FANOUT_CLIENTS_PER_PROCESS'] === undefined ? PLAN.clientsPerProcess : Number(env['FANOUT_CLIENTS_PER_PROCESS']);
  if (!Number.isSafeInteger(clientsPerProcess) || clientsPerProcess <= 0) throw new Error(`FANOUT_CLIENTS_PER_PROCESS must be a positive integer, got ${String(env['FANOUT_CLIENTS_PER_PROCESS'])}`);
  const cpuProfileDir = env['FANOUT_CPU_PROF_DIR'] === undefined ? undefined : resolve(env['FANOUT_CPU_PROF_DIR']);
  const client = env['FANOUT_CLIENT'] ?? 'lean';
  if (client !== 'graphql-ws' && client !== 'lean') throw new Error(`FANOUT_CLIENT must be graphql-ws or lean, got ${client}`);
  const partial =
    env['FANOUT_TIERS'] !== undefined || env['FANOUT_SERVERS'] !== undefined || env['FANOUT_CLIENTS_PER_PROCESS'] !== undefined || cpuProfileDir !== undefined;
  return { tiers, servers: known, clientsPerProcess, cpuProfileDir, client, partial };
}

/** What this process needs of a child to end it; every child started is in {@link children} until it has stopped. */
interface Stoppable {
  stop(): Promise<void>;
  kill(): void;
}

const children = new Set<Stoppable>();

async function startChild<M extends CommandMap>(name: string, entry: string, env: Record<string, string>): Promise<{ child: ChildServer<M>; info: unknown }> {
  const { server, info } = await startBenchChild<M>({ name, entry, env, requestTimeoutMs: PLAN.requestTimeoutMs });
  children.add(server);
  return { child: server, info };
}

async function stopChild(child: Stoppable): Promise<void> {
  await child.stop();
  children.delete(child);
}

/**
 * The soft limit on open files of this process (children inherit it). Each client socket costs one descriptor in
 * a client process and one in the server; Node cannot raise the limit itself, so a low one fails the run early.
 */
function openFileLimit(): number | null {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  if (match?.[1] === undefined) return null;
  return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
}

type Emulator = ChildServer<KinesisEmulatorCommands>;
type Server = ChildServer<FanoutServerCommands>;
type Clients = ChildServer<FanoutClientCommands>;

async function startServer(kind: FanoutServerKind, emulatorEndpoint: string, auth: BenchAuth): Promise<{ server: Server; wsUrl: string; schedule: EventSchedule | null }> {
  const common = { FANOUT_SERVER: kind, FANOUT_STREAM: PLAN.stream };
  const env =
    kind === 'baseline'
      ? { ...common, FANOUT_INTERVAL_MS: String(PLAN.eventIntervalMs) }
      : { ...common, ...kinesisGatewayEnv(auth, emulatorEndpoint) };
  const { child, info } = await startChild<FanoutServerCommands>(kind, 'fanout-server.child.ts', env);
  const ready = info as FanoutServerReady;
  return { server: child, wsUrl: requireLoopback(kind, ready.wsUrl), schedule: ready.schedule };
}

/**
 * Polls the clients until every connected one has received a fragment or has been closed. Gives up after
 * {@link PLAN.activeTimeoutMs} with a warning rather than an error: a server too slow to deliver a first event
 * to everyone is measured as it is, and the window's counts show it.
 */
async function waitUntilActive(label: string, clients: readonly Clients[], connected: number): Promise<void> {
  const deadline = Date.now() + PLAN.activeTimeoutMs;
  for (;;) {
    const statuses = await Promise.all(clients.map((client) => client.request('status', {})));
    const active = statuses.reduce((sum, status) => sum + status.active, 0);
    const closed = statuses.reduce((sum, status) => sum + status.closed, 0);
    if (active + closed >= connected) {
      if (closed > 0) console.error(`${label}: ${closed} clients were closed before the window; ${statuses.map(describeStatus).join(' | ')}`);
      return;
    }
    if (Date.now() > deadline) {
      console.error(`${label}: only ${active} of ${connected} clients received a fragment within ${PLAN.activeTimeoutMs / 1000} s; measuring anyway`);
      return;
    }
    await sleep(PLAN.sampleEveryMs);
  }
}

function describeStatus(status: ClientStatus): string {
  return `${status.clients} clients, ${status.connected} connected, ${status.active} active, ${status.errors} errors, ${status.closed} closed; first error: ${status.firstError ?? 'none'}`;
}

/**
 * Resolves with `request`'s result, or with undefined when it is not back within `ms`. The request itself is
 * not cancelled: its late result is dropped, and its failure is logged rather than left unhandled.
 */
async function within<T>(request: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  const settled = request.then(
    (value) => ({ value }),
    (error: unknown) => {
      console.error(`a late request failed: ${describeError(error)}`);
      return undefined;
    },
  );
  const result = await Promise.race([settled, late]);
  clearTimeout(timer);
  return result?.value;
}

/** The number of events due in `[fromMs, toMs)` on `schedule`. */
function dueBetween(schedule: EventSchedule, fromMs: number, toMs: number): number {
  const firstIndex = Math.max(0, Math.ceil((fromMs - schedule.firstDueAtMs) / schedule.intervalMs));
  const endIndex = Math.max(0, Math.ceil((toMs - schedule.firstDueAtMs) / schedule.intervalMs));
  return Math.max(0, endIndex - firstIndex);
}

/**
 * Background sampling during a tier, every {@link PLAN.sampleEveryMs}: the emulator's open GetMedia connections
 * (from server start to the end of the tier), what the server holds, and the server's RSS inside the window.
 * The emulator and the server are polled by separate loops, so a busy server answering late does not thin out
 * the upstream samples.
 */
class TierSampler {
  upstreamMax = 0;
  hubSessionsMax = 0;
  sourceSubscribersMax = 0;
  rssMaxBytes = 0;
  inWindow = false;
  private stopped = false;
  private failure: unknown;
  private readonly loops: Promise<void>[];

  constructor(server: Server, emulator: Emulator | undefined) {
    const pid = pidOf(server, 'server');
    this.loops = [
      this.every(async () => {
        if (this.inWindow) this.rssMaxBytes = Math.max(this.rssMaxBytes, readProcessUsage(pid).rssBytes);
      }),
      this.every(async () => {
        // A busy server answers late; a sample that is not back in time is skipped rather than waited for.
        const stats = await within(server.request('stats', {}), PLAN.sampleDeadlineMs);
        if (stats === undefined) return;
        this.sourceSubscribersMax = Math.max(this.sourceSubscribersMax, stats.sourceSubscribers);
        this.hubSessionsMax = Math.max(this.hubSessionsMax, stats.upstreamSessions ?? 0);
      }),
    ];
    if (emulator !== undefined) {
      this.loops.push(
        this.every(async () => {
          this.upstreamMax = Math.max(this.upstreamMax, (await emulator.request('getMedia', {})).active);
        }),
      );
    }
  }

  private async every(sample: () => Promise<void>): Promise<void> {
    try {
      while (!this.stopped) {
        await sample();
        await sleep(PLAN.sampleEveryMs);
      }
    } catch (error) {
      // Kept for stop(): a rejection nobody awaits yet would end the process as unhandled.
      this.failure ??= error;
    }
  }

  /** Stops sampling. @throws the first sampling failure. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.loops);
    if (this.failure !== undefined) throw this.failure;
  }
}

/** Stops the server's profiler and writes `<dir>/<name>.cpuprofile`. */
async function writeProfile(server: Server, dir: string, name: string): Promise<void> {
  const path = join(dir, `${name}.cpuprofile`);
  const { bytes } = await server.request('stopProfile', { path });
  console.error(`CPU profile written to ${path} (${bytes} bytes)`);
}

/** The Kinesis emulator process and its endpoint. */
interface Upstream {
  readonly emulator: Emulator;
  readonly endpoint: string;
  /** What our gateway is configured with and what its subscribers present (the baseline server has no auth). */
  readonly auth: BenchAuth;
}

/**
 * On a shared machine, waits (up to {@link PLAN.quietWaitMs}) until other processes use less than
 * {@link PLAN.quietOtherCpuPercent} of a core, measured over {@link PLAN.quietProbeMs}: a tier started while
 * something else compiles or tests would measure that instead. Proceeds anyway after the wait; the window's own
 * measure of other processes' CPU goes into the report either way.
 */
async function waitForQuietMachine(label: string, emulator: Emulator): Promise<void> {
  const emulatorPid = pidOf(emulator, 'kinesis emulator');
  const deadline = Date.now() + PLAN.quietWaitMs;
  for (;;) {
    const machine0 = readMachineCpu();
    const emulator0 = readProcessUsage(emulatorPid);
    const self0 = process.cpuUsage();
    await sleep(PLAN.quietProbeMs);
    const self1 = process.cpuUsage(self0);
    const emulator1 = readProcessUsage(emulatorPid);
    const machine1 = readMachineCpu();
    const otherMs = (machine1.busyUs - machine0.busyUs) / 1000 - cpuMs(emulator0, emulator1) - (self1.user + self1.system) / 1000;
    const otherPercent = (otherMs / (machine1.atMs - machine0.atMs)) * 100;
    if (otherPercent < PLAN.quietOtherCpuPercent) return;
    if (Date.now() > deadline) {
      console.error(`${label}: other processes still use ${otherPercent.toFixed(0)}% of a core after ${PLAN.quietWaitMs / 1000} s; starting anyway`);
      return;
    }
    console.error(`${label}: other processes use ${otherPercent.toFixed(0)}% of a core; waiting for a quieter machine`);
  }
}

async function runTier(kind: FanoutServerKind, subscribers: number, upstream: Upstream, subscription: FanoutSubscription, overrides: Overrides): Promise<TierRun> {
  const label = `${kind} @ ${subscribers}`;
  const emulator = upstream.emulator;
  await waitForQuietMachine(label, emulator);
  const mediaBefore = await emulator.request('getMedia', {});
  const { server, wsUrl, schedule } = await startServer(kind, upstream.endpoint, upstream.auth);
  const processes = Math.ceil(subscribers / overrides.clientsPerProcess);
  const clients: Clients[] = [];
  // Sampling starts before any client connects: a burst of subscriptions must not open a second upstream.
  const sampler = new TierSampler(server, kind === 'gateway' ? emulator : undefined);
  try {
    for (let index = 0; index < processes; index += 1) clients.push((await startChild<FanoutClientCommands>(`clients-${index + 1}`, 'fanout-client.child.ts', {})).child);
    const counts = clients.map((_, index) => Math.min(overrides.clientsPerProcess, subscribers - index * overrides.clientsPerProcess));
    if (overrides.cpuProfileDir !== undefined) await server.request('startProfile', {});
    // Progress on stderr while thousands of sockets open: a slow ramp is itself a finding.
    const progress = setInterval(() => {
      Promise.all(clients.map((client) => client.request('status', {}))).then(
        (statuses) => console.error(`${label}: connecting: ${statuses.map((status) => `${status.connected}/${status.clients} acknowledged, ${status.active} receiving`).join('; ')}`),
        (error: unknown) => console.error(`${label}: progress probe failed: ${describeError(error)}`),
      );
    }, 5_000);
    let connected: ConnectResult[];
    try {
      connected = await Promise.all(
        clients.map((client, index) =>
          client.request('connect', {
            url: wsUrl,
            count: counts[index] as number,
            firstIndex: index * overrides.clientsPerProcess,
            concurrency: PLAN.connectConcurrency,
            deadlineMs: PLAN.connectDeadlineMs,
            query: subscription.query,
            operationName: subscription.operationName,
            variables: subscription.variables,
            connectionParams: kind === 'baseline' ? {} : { authorization: upstream.auth.authorization },
            client: overrides.client,
          }),
        ),
      );
    } finally {
      clearInterval(progress);
      if (overrides.cpuProfileDir !== undefined) await writeProfile(server, overrides.cpuProfileDir, `${kind}-${subscribers}-connect`);
    }
    const connectMs = Math.max(...connected.map((result) => result.elapsedMs));
    const connection = {
      connected: connected.reduce((sum, result) => sum + result.connected, 0),
      failed: connected.reduce((sum, result) => sum + result.failed, 0),
      pending: connected.reduce((sum, result) => sum + result.pending, 0),
      firstFailure: connected.find((result) => result.firstFailure !== null)?.firstFailure ?? null,
    };
    if (connection.connected === 0) throw new Error(`${label}: no client could connect; first failure: ${connection.firstFailure ?? 'none'}`);
    if (connection.connected < subscribers) {
      // A server that cannot even accept the tier is measured with the subscribers it did accept: the row says
      // so, and the tier counts as not sustained.
      console.error(
        `${label}: only ${connection.connected} of ${subscribers} clients connected within ${PLAN.connectDeadlineMs / 1000} s (${connection.failed} failed, ${connection.pending} given up; first failure: ${connection.firstFailure ?? 'none'}); measuring those`,
      );
    }
    await waitUntilActive(label, clients, connection.connected);
    console.error(`${label}: ${connection.connected} clients connected in ${(connectMs / 1000).toFixed(1)} s and receiving; warming up`);
    await sleep(PLAN.warmupMs);

    const pids = { server: pidOf(server, label), emulator: pidOf(emulator, 'kinesis emulator'), clients: clients.map((client, index) => pidOf(client, `clients-${index + 1}`)) };
    const probe = (): [ProcessUsage, ProcessUsage, ProcessUsage[]] => [
      readProcessUsage(pids.server),
      readProcessUsage(pids.emulator),
      pids.clients.map((pid) => readProcessUsage(pid)),
    ];
    if (overrides.cpuProfileDir !== undefined) await server.request('startProfile', {});
    sampler.inWindow = true;
    const fromMs = Date.now();
    const machine0 = readMachineCpu();
    const self0 = process.cpuUsage();
    const [server0, emulator0, clients0] = probe();
    // Answered late by a busy server, the reset would cover only part of the window: then there is no figure.
    const resetInTime = (await within(server.request('loopDelay', { reset: true }), PLAN.sampleDeadlineMs)) !== undefined && Date.now() - fromMs < 1_000;
    await sleep(Math.max(0, fromMs + PLAN.windowMs - Date.now()));
    const toMs = Date.now();
    const [server1, emulator1, clients1] = probe();
    const self1 = process.cpuUsage(self0);
    const machine1 = readMachineCpu();
    // Everything the machine did in the window that none of this benchmark's processes did.
    const ours = cpuMs(server0, server1) + cpuMs(emulator0, emulator1) + clients0.reduce((sum, before, index) => sum + cpuMs(before, clients1[index] as ProcessUsage), 0);
    const otherCpuPercent = Math.max(0, ((machine1.busyUs - machine0.busyUs) / 1000 - ours - (self1.user + self1.system) / 1000) / (machine1.atMs - machine0.atMs)) * 100;
    const loopDelay = resetInTime ? ((await within(server.request('loopDelay', { reset: false }), PLAN.sampleDeadlineMs)) ?? null) : null;
    sampler.inWindow = false;
    if (overrides.cpuProfileDir !== undefined) await writeProfile(server, overrides.cpuProfileDir, `${kind}-${subscribers}-window`);
    console.error(`${label}: window done; draining`);
    await sleep(PLAN.drainMs);

    const window = { fromMs, toMs };
    const reports = await Promise.all(clients.map((client) => client.request('report', window)));
    const statuses = await Promise.all(clients.map((client) => client.request('status', {})));
    const sourceEvents = schedule === null ? (await emulator.request('sourceEvents', window)).count : dueBetween(schedule, fromMs, toMs);
    await sampler.stop();
    const mediaAfter = await emulator.request('getMedia', {});
    return summarise({
      kind,
      subscribers,
      processes,
      window,
      reports,
      statuses,
      sourceEvents,
      server: [server0, server1],
      emulator: [emulator0, emulator1],
      clients: clients0.map((before, index) => [before, clients1[index] as ProcessUsage] as const),
      sampler,
      getMediaCalls: kind === 'gateway' ? mediaAfter.calls - mediaBefore.calls : null,
      connectMs,
      connection,
      loopDelay,
      otherCpuPercent,
    });
  } finally {
    await sampler.stop().catch((error: unknown) => console.error(`${label}: sampling failed: ${describeError(error)}`));
    // Clients first, so the server sees ordinary closes rather than its own shutdown racing them.
    await Promise.all(
      clients.map(async (client) => {
        await client.request('disconnect', {}).catch((error: unknown) => console.error(`${label}: disconnect failed: ${describeError(error)}`));
        await stopChild(client);
      }),
    );
    await stopChild(server);
  }
}

interface TierData {
  readonly kind: FanoutServerKind;
  readonly subscribers: number;
  readonly processes: number;
  readonly window: { readonly fromMs: number; readonly toMs: number };
  readonly reports: readonly ClientWindowReport[];
  readonly statuses: readonly ClientStatus[];
  readonly sourceEvents: number;
  readonly server: readonly [ProcessUsage, ProcessUsage];
  readonly emulator: readonly [ProcessUsage, ProcessUsage];
  readonly clients: readonly (readonly [ProcessUsage, ProcessUsage])[];
  readonly sampler: TierSampler;
  readonly getMediaCalls: number | null;
  readonly connectMs: number;
  readonly connection: { readonly connected: number; readonly failed: number; readonly pending: number; readonly firstFailure: string | null };
  /** Null when the server did not answer the probes in time (its loop was blocked for seconds). */
  readonly loopDelay: LoopDelay | null;
  readonly otherCpuPercent: number;
}

function summarise(data: TierData): TierRun {
  const latency = mergeHistograms(data.reports.map((report) => report.latencyHistogram));
  const perClient = mergeHistograms(data.reports.map((report) => report.stampedPerClient));
  if (histogramCount(perClient) !== data.connection.connected) {
    throw new Error(`clients reported ${histogramCount(perClient)} subscribers, expected the ${data.connection.connected} connected`);
  }
  const sum = (pick: (report: ClientWindowReport) => number): number => data.reports.reduce((total, report) => total + pick(report), 0);
  const deliveries = sum((report) => report.deliveries);
  const range = deliveries === 0 ? undefined : histogramRange(latency);
  const [server0, server1] = data.server;
  const clientCpu = data.clients.map(([before, after]) => ({ ms: cpuMs(before, after), wallMs: after.atMs - before.atMs }));
  return {
    subscribers: data.subscribers,
    connectedSubscribers: data.connection.connected,
    connectFailed: data.connection.failed,
    connectGivenUp: data.connection.pending,
    connectFirstFailure: data.connection.firstFailure,
    nominalEventsPerSecond: 1000 / PLAN.eventIntervalMs,
    server: data.kind,
    clientProcesses: data.processes,
    windowMs: data.window.toMs - data.window.fromMs,
    sourceEvents: data.sourceEvents,
    deliveries,
    latency:
      range === undefined ? null : { min: range.min, p50: histogramPercentile(latency, 50), p99: histogramPercentile(latency, 99), max: range.max },
    serverCpuMs: cpuMs(server0, server1),
    serverSystemCpuMs: (server1.systemUs - server0.systemUs) / 1000,
    serverCpuWallMs: server1.atMs - server0.atMs,
    serverRssMaxBytes: Math.max(data.sampler.rssMaxBytes, server0.rssBytes, server1.rssBytes),
    clientCpuMs: clientCpu.reduce((total, client) => total + client.ms, 0),
    busiestClientCorePercent: Math.max(...clientCpu.map((client) => (client.ms / client.wallMs) * 100)),
    emulatorCpuMs: cpuMs(data.emulator[0], data.emulator[1]),
    // The emulator's count is what the service would see; the hub's own count is a cross-check. The larger wins.
    upstreamMax: data.kind === 'gateway' ? Math.max(data.sampler.upstreamMax, data.sampler.hubSessionsMax) : null,
    getMediaCalls: data.getMediaCalls,
    sourceSubscribersMax: data.sampler.sourceSubscribersMax,
    clientsWithEveryEvent: perClient.filter(([count]) => count >= data.sourceEvents).reduce((total, [, clients]) => total + clients, 0),
    fewestEventsPerClient: perClient[0]?.[0] ?? 0,
    gaps: sum((report) => report.gaps),
    errors: sum((report) => report.errors),
    closed: sum((report) => report.closed),
    duplicates: sum((report) => report.duplicates),
    outOfOrder: sum((report) => report.outOfOrder),
    payloadChars: data.reports.find((report) => report.payloadChars !== null)?.payloadChars ?? null,
    connectMs: data.connectMs,
    otherCpuPercent: data.otherCpuPercent,
    loopDelayP99Ms: data.loopDelay?.p99Ms ?? null,
    loopDelayMaxMs: data.loopDelay?.maxMs ?? null,
    firstError: data.statuses.find((status) => status.firstError !== null)?.firstError ?? null,
  };
}

async function run(overrides: Overrides): Promise<boolean> {
  const machine = describeMachine();
  const limit = openFileLimit();
  const needed = Math.max(...overrides.tiers) + 1_000;
  if (limit !== null && limit < needed) {
    throw new Error(`the open-file limit is ${limit}; the server needs about ${needed} descriptors at ${Math.max(...overrides.tiers)} subscribers (raise it with ulimit -n)`);
  }
  const subscription = fanoutSubscription(OPERATIONS_PATH, PLAN.stream);
  const { child: emulator, info } = await startChild<KinesisEmulatorCommands>('kinesis-emulator', 'kinesis-emulator.child.ts', {
    FANOUT_STREAM: PLAN.stream,
    FANOUT_INTERVAL_MS: String(PLAN.eventIntervalMs),
    FANOUT_FPS: String(PLAN.fps),
    FANOUT_FRAME_BYTES: String(PLAN.frameBytes),
  });
  const upstream: Upstream = {
    emulator,
    endpoint: requireLoopback('kinesis emulator', (info as KinesisEmulatorReady).endpoint),
    // One identity with a live viewer's scopes for every subscriber.
    auth: await createBenchAuth('fanout-bench', ['streams:read', 'streams:subscribe']),
  };
  console.error(`kinesis emulator ${upstream.endpoint} (pid ${String(emulator.pid)}), stream ${PLAN.stream}, a fragment every ${PLAN.eventIntervalMs} ms`);

  const runs: TierRun[] = [];
  for (const subscribers of overrides.tiers) {
    // Ours then the baseline at each tier, so a drifting machine load affects both sides of a ratio alike.
    for (const kind of overrides.servers) {
      const result = await runTier(kind, subscribers, upstream, subscription, overrides);
      runs.push(result);
      console.error(
        `${kind} @ ${subscribers}: ${result.deliveries} deliveries, p50 ${String(result.latency?.p50)} ms, p99 ${String(result.latency?.p99)} ms, server CPU ${result.serverCpuMs.toFixed(0)} ms${result.firstError === null ? '' : `, first client error: ${result.firstError}`}`,
      );
    }
  }

  const results: FanoutResults = {
    date: new Date().toISOString().slice(0, 10),
    machine: formatMachine(machine),
    cores: machine.cores,
    loadAverage: machine.loadAverage,
    command: overrides.client === 'lean' ? 'npm run bench:fanout' : 'FANOUT_CLIENT=graphql-ws npm run bench:fanout',
    eventIntervalMs: PLAN.eventIntervalMs,
    producer: `one fragment every ${PLAN.eventIntervalMs} ms (${PLAN.fps} fps x ${PLAN.frameBytes}-byte synthetic H.264 frames)`,
    clientsPerProcess: overrides.clientsPerProcess,
    client: overrides.client,
    connectConcurrency: PLAN.connectConcurrency,
    connectDeadlineMs: PLAN.connectDeadlineMs,
    warmupMs: PLAN.warmupMs,
    windowMs: PLAN.windowMs,
    drainMs: PLAN.drainMs,
    runs,
    targets: PLAN.targets,
  };
  process.stdout.write(`Machine: ${results.machine}\n\n${formatTables(results)}`);
  const missed = missedTargets(results);
  if (overrides.partial) {
    console.error('partial run (FANOUT_* overrides set): bench/RESULTS.md left unchanged');
  } else {
    const heading = fanoutSectionHeading(overrides.client);
    writeResultsSection(RESULTS_PATH, heading, formatSection(results));
    console.error(`wrote the "${heading.slice(3)}" section of ${RESULTS_PATH}`);
  }
  for (const line of missed) console.error(`FAIL: ${line}`);
  return missed.length === 0;
}

async function stopChildren(): Promise<void> {
  // Servers and clients of a tier are stopped by the tier; what is left is the emulator (or a failed tier's children).
  for (const child of [...children].reverse()) await stopChild(child);
}

await runSupervised(children, PLAN.deadlineMs, () => run(readOverrides(process.env)), stopChildren);
