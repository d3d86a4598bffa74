/**
 * `npm run bench:fleet`: live fragment fan-out from a fleet of gateways sharing one upstream reader through Redis
 * (`LIVE_HUB=redis`), beside a single gateway with the in-process hub, on one Kinesis stream at 10 fragments/s.
 *
 * Processes, all on 127.0.0.1: `media-graph emulate` with `EMULATOR_DEMO_FRAGMENT_MS=100` (its `demo-stream` gets a
 * fragment every 100 ms; GetMedia counters, fragment list and open sessions are read over its `/_emulator/` HTTP
 * endpoints); a `redis-server` of the benchmark's own (the installed binary, no persistence), so its command and CPU
 * counters hold this run's traffic only; the gateways, each a `media-graph serve` configured only through its
 * environment as a deployment is; and the lean graphql-transport-ws load clients of `bench:fanout`
 * (`support/fanout-client.child.ts`, 1,000 per process). CPU of every process is read from /proc.
 *
 * Tiers, each with fresh gateways and clients: `fleet-100` and `fleet-1000` (three gateways in fleet mode, 100 and
 * 1,000 subscribers on each, one stream) and `single-3000` (one gateway, in-process hub, 3,000 subscribers). Each
 * waits until every subscriber receives fragments, warms up, then measures a window: deliveries and latency (receive
 * time minus the fragment's server timestamp, which the emulator stamps when it produces the fragment), gateway CPU
 * per delivery, the emulator's GetMedia calls and most open connections, and Redis commands and CPU per fragment
 * (`INFO commandstats` / `INFO cpu` deltas). After `fleet-1000`'s window it measures the memory of the stream's
 * Redis keys, then failover F2: the gateway holding the GetMedia (found from the emulator's open session and the
 * kernel's socket table) is SIGKILLed, and the benchmark times the new GetMedia and the survivors' first new
 * fragments, and checks the survivors' fragments around the kill against the emulator's own list.
 *
 * Prints the tables on stdout and appends them, with date and machine, to bench/RESULTS.md, unless other processes
 * used more than half a core in some window (the figures would then measure them; `FLEET_RECORD_BUSY=1` records such a
 * run anyway, saying so). Exit status 0 when every
 * target was met. Targets: one GetMedia per fleet tier; p99 at most 10 ms above the single instance; gateway CPU per
 * delivery at most 1.2x the single instance's; Redis commands and CPU per fragment within 1.25x from 100 to 1,000
 * subscribers per instance; after the holder dies, every survivor receives new fragments within the lease TTL + 2 s,
 * with nothing missing or duplicated, and never more than one GetMedia open.
 *
 * Environment, for investigations only (a run that sets any of them prints its tables but leaves bench/RESULTS.md
 * alone): `FLEET_HUB=local` runs the fleet tiers with the in-process hub (each instance its own reader: the harness
 * without fleet mode), `FLEET_TIERS` (subscribers per instance, e.g. `100,1000`), `FLEET_SINGLE` (subscribers of the
 * single gateway; 0 skips it), `FLEET_WINDOW_MS`, `FLEET_FRAGMENT_MS` (the emulator's cadence, e.g. 2000 for the realistic
 * one: Redis work per stream that does not follow fragments, such as lease ticks, then shows in the per-fragment figures),
 * `FLEET_CLUSTER=<masters>` (at least 3: also runs the smallest fleet tier again on a Redis Cluster of that many masters,
 * right after it, and compares the two: gateway CPU per delivery, p99, and Redis commands and CPU per fragment summed
 * over the masters).
 */
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createBenchAuth, type BenchAuth } from './support/bench-auth.js';
import { summariseReports } from './support/client-reports.js';
import { histogramCount, mergeHistograms } from './support/histogram.js';
import { BENCH_AWS_ENV, cpuMs, REPO_ROOT, startBenchChild } from './support/children.js';
import { CliChild } from './support/cli-child.js';
import { fragmentList, getMediaStats, openSessions } from './support/emulator-http.js';
import { freePort } from './support/free-port.js';
import type { ClientWindowReport, FanoutClientCommands } from './support/fanout-commands.js';
import { fanoutSubscription, type FanoutSubscription } from './support/fanout-document.js';
import { formatSection, formatTables, missedTargets, type FailoverResult, type FleetResults, type FleetTargets, type FleetTierResult, type StreamMemory } from './support/fleet-report.js';
import { describeError, pidOf, requireLoopback, runSupervised, type ChildServer } from './support/ipc.js';
import { describeMachine, formatMachine } from './support/machine.js';
import { readMachineCpu, readProcessUsage, type ProcessUsage } from './support/proc-usage.js';
import { measureOpCosts } from './support/redis-op-cost.js';
import { startBenchRedisCluster, type BenchRedisCluster } from './support/redis-cluster.js';
import { keyMemory, redisDelta, sampleRedis, sampleRedisNodes, type RedisSample } from './support/redis-stats.js';
import { pidHoldingLocalPort } from './support/socket-owner.js';

const PLAN = {
  stream: 'demo-stream',
  fragmentMs: 100,
  instances: 3,
  perInstance: [100, 1_000],
  single: 3_000,
  clientsPerProcess: 1_000,
  connectConcurrency: 100,
  connectDeadlineMs: 180_000,
  activeTimeoutMs: 120_000,
  requestTimeoutMs: 120_000,
  warmupMs: 10_000,
  windowMs: 20_000,
  drainMs: 2_000,
  sampleEveryMs: 250,
  /** The gateways' defaults, stated so the report can name them. */
  leaseTtlMs: 5_000,
  windowFragments: 150,
  /** Before the kill and after it: the window whose fragments every survivor must have exactly once. */
  failoverCheckBeforeMs: 5_000,
  failoverCheckAfterMs: 15_000,
  failoverPollMs: 50,
  quietOtherCpuPercent: 25,
  /** A run in which other processes used more than this (% of one core) in some window is printed but not recorded. */
  recordOtherCpuPercentMax: 50,
  quietProbeMs: 2_000,
  /** How long a Redis deployment's idle CPU is measured for (`FLEET_CLUSTER` runs). */
  idleProbeMs: 5_000,
  quietWaitMs: 120_000,
  startTimeoutMs: 120_000,
  /** The per-operation Redis cost measurement: streams, instances, operations in flight. */
  opCost: { streams: 1_000, instances: 3, concurrency: 200 },
  targets: { upstream: 1, addedP99Ms: 10, cpuRatio: 1.2, flatRatio: 1.25, failoverSlackMs: 2_000 } satisfies FleetTargets,
  deadlineMs: 40 * 60_000,
} as const;

const RESULTS_PATH = join(REPO_ROOT, 'bench', 'RESULTS.md');
const OPERATIONS_PATH = join(REPO_ROOT, 'schema', 'operations', 'streams.graphql');
/** The Objects API is not exercised: its endpoint is a port nothing listens on. */
const UNUSED_MEDIASTORE_ENDPOINT = 'http://127.0.0.1:9';
const READY_LINE = /^media-graph: GraphQL at (http:\/\/\S+)\/graphql\b/;

interface Overrides {
  readonly hub: 'redis' | 'local';
  readonly fragmentMs: number;
  readonly perInstance: readonly number[];
  readonly single: number;
  readonly windowMs: number;
  readonly partial: boolean;
  /** `FLEET_RECORD_BUSY=1`: record even when other processes were busy (the section then says so). */
  readonly recordBusy: boolean;
  /** `FLEET_CLUSTER=<masters>`: also run the smallest fleet tier on a Redis Cluster of that many masters (0: not). */
  readonly clusterMasters: number;
}

function readOverrides(env: NodeJS.ProcessEnv): Overrides {
  const hub = env['FLEET_HUB'] ?? 'redis';
  if (hub !== 'redis' && hub !== 'local') throw new Error(`FLEET_HUB must be redis or local, got ${hub}`);
  const perInstance = env['FLEET_TIERS']?.split(',').map((value) => Number(value.trim())) ?? [...PLAN.perInstance];
  if (perInstance.some((value) => !Number.isSafeInteger(value) || value <= 0)) throw new Error(`FLEET_TIERS must list positive integers, got ${String(env['FLEET_TIERS'])}`);
  const single = env['FLEET_SINGLE'] === undefined ? PLAN.single : Number(env['FLEET_SINGLE']);
  if (!Number.isSafeInteger(single) || single < 0) throw new Error(`FLEET_SINGLE must be a whole number, got ${String(env['FLEET_SINGLE'])}`);
  const windowMs = env['FLEET_WINDOW_MS'] === undefined ? PLAN.windowMs : Number(env['FLEET_WINDOW_MS']);
  if (!Number.isSafeInteger(windowMs) || windowMs < 1_000) throw new Error(`FLEET_WINDOW_MS must be at least 1000, got ${String(env['FLEET_WINDOW_MS'])}`);
  const fragmentMs = env['FLEET_FRAGMENT_MS'] === undefined ? PLAN.fragmentMs : Number(env['FLEET_FRAGMENT_MS']);
  if (!Number.isSafeInteger(fragmentMs) || fragmentMs < 10) throw new Error(`FLEET_FRAGMENT_MS must be a whole number of at least 10, got ${String(env['FLEET_FRAGMENT_MS'])}`);
  const clusterMasters = env['FLEET_CLUSTER'] === undefined ? 0 : Number(env['FLEET_CLUSTER']);
  // redis-cli --cluster create refuses fewer than three masters.
  if (!Number.isSafeInteger(clusterMasters) || (clusterMasters !== 0 && clusterMasters < 3)) throw new Error(`FLEET_CLUSTER must be 0 or a number of masters of at least 3, got ${String(env['FLEET_CLUSTER'])}`);
  if (clusterMasters > 0 && hub !== 'redis') throw new Error('FLEET_CLUSTER needs FLEET_HUB=redis');
  const partial = ['FLEET_HUB', 'FLEET_TIERS', 'FLEET_SINGLE', 'FLEET_WINDOW_MS', 'FLEET_FRAGMENT_MS', 'FLEET_CLUSTER'].some((name) => env[name] !== undefined);
  return { hub, fragmentMs, perInstance, single, windowMs, partial, recordBusy: env['FLEET_RECORD_BUSY'] === '1', clusterMasters };
}

/** Every child still running; runSupervised kills them if the benchmark dies. */
interface Stoppable {
  stop(): Promise<void>;
  kill(): void;
}
const children = new Set<Stoppable>();

type Clients = ChildServer<FanoutClientCommands>;

/** What every tier shares. */
interface Context {
  readonly emulator: CliChild;
  readonly emulatorEndpoint: string;
  readonly redis: CliChild;
  readonly redisUrl: string;
  readonly redisClient: Redis;
  /** The Redis Cluster of `FLEET_CLUSTER`'s tier; undefined without it. */
  readonly cluster: BenchRedisCluster | undefined;
  readonly auth: BenchAuth;
  readonly signingSecret: string;
  readonly subscription: FanoutSubscription;
  readonly runId: string;
}

/** One tier to run. */
interface TierSpec {
  readonly label: string;
  readonly kind: 'fleet' | 'single';
  readonly hub: 'redis' | 'local';
  readonly instances: number;
  readonly perInstance: number;
  /** Measure Redis memory and then failover at the end of this tier. */
  readonly last: boolean;
  /** The gateways coordinate through the Redis Cluster instead of the one server. */
  readonly cluster: boolean;
}

async function startCli(options: Parameters<typeof CliChild.start>[0]): Promise<{ child: CliChild; match: RegExpExecArray }> {
  const started = await CliChild.start(options);
  children.add(started.child);
  return started;
}

async function stopChild(child: Stoppable): Promise<void> {
  await child.stop();
  children.delete(child);
}

/** The environment of one gateway: production, authenticated, pointed at the emulator process, its hub chosen. */
function gatewayEnv(ctx: Context, spec: TierSpec): Record<string, string> {
  const redisUrl = spec.cluster ? ctx.cluster?.url : ctx.redisUrl;
  if (redisUrl === undefined) throw new Error(`${spec.label}: no Redis Cluster was started`);
  const fleet: Record<string, string> = spec.hub === 'redis' ? { LIVE_HUB: 'redis', REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `bench-fleet-${ctx.runId}-${spec.label}:` } : {};
  return {
    NODE_ENV: 'production',
    ...ctx.auth.env,
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    SIGNING_SECRET: ctx.signingSecret,
    KINESIS_ENDPOINT: ctx.emulatorEndpoint,
    KINESIS_REGION: 'us-east-1',
    MEDIASTORE_ENDPOINT: UNUSED_MEDIASTORE_ENDPOINT,
    EMULATORS: 'off',
    SHUTDOWN_GRACE_MS: '2000',
    ...BENCH_AWS_ENV,
    ...fleet,
  };
}

async function startGateway(ctx: Context, spec: TierSpec, index: number): Promise<{ child: CliChild; wsUrl: string }> {
  const name = `${spec.label}-gateway-${index + 1}`;
  const { child, match } = await startCli({ name, ...CliChild.mediaGraph(['serve']), env: gatewayEnv(ctx, spec), ready: READY_LINE, readyTimeoutMs: PLAN.startTimeoutMs });
  const url = new URL(requireLoopback(name, match[1] ?? ''));
  return { child, wsUrl: `ws://${url.host}/graphql` };
}

/** Samples the emulator's open GetMedia count every 250 ms, keeping the maximum since a moment. */
class UpstreamSampler {
  private readonly samples: { readonly atMs: number; readonly open: number }[] = [];
  private stopped = false;
  private failure: unknown;
  private readonly loop: Promise<void>;

  constructor(private readonly endpoint: string) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    try {
      while (!this.stopped) {
        const stats = await getMediaStats(this.endpoint, PLAN.stream);
        this.samples.push({ atMs: Date.now(), open: stats.openGetMedia });
        await sleep(PLAN.sampleEveryMs);
      }
    } catch (error) {
      this.failure ??= error;
    }
  }

  /** Most connections open at once in samples taken at or after `fromMs` (and before `toMs`). */
  maxOpen(fromMs = 0, toMs = Number.POSITIVE_INFINITY): number {
    return this.samples.filter((sample) => sample.atMs >= fromMs && sample.atMs < toMs).reduce((max, sample) => Math.max(max, sample.open), 0);
  }

  /** @throws the first sampling failure. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    if (this.failure !== undefined) throw this.failure;
  }
}

/** The processes of the tier's Redis: the one server, or the Cluster's masters. */
function redisPids(ctx: Context, cluster: boolean): number[] {
  if (!cluster) return [pidOf(ctx.redis, 'redis')];
  return (ctx.cluster?.nodes ?? []).map((node) => pidOf(node, node.name));
}

/** Samples the counters of the tier's Redis (summed over the Cluster's masters). */
function sampleTierRedis(ctx: Context, spec: TierSpec): Promise<RedisSample> {
  return spec.cluster ? sampleRedisNodes(ctx.cluster?.statsClients ?? []) : sampleRedis(ctx.redisClient);
}

/** CPU of the tier's Redis over {@link PLAN.idleProbeMs} with nothing of the tier running, ms per second. */
async function idleCpuMsPerS(ctx: Context, spec: TierSpec): Promise<number> {
  const before = await sampleTierRedis(ctx, spec);
  await sleep(PLAN.idleProbeMs);
  const delta = redisDelta(before, await sampleTierRedis(ctx, spec));
  return delta.cpuMs / (delta.wallMs / 1000);
}

/** Polls until every client has received a fragment or closed; measures anyway after the timeout. */
async function waitUntilActive(label: string, clients: readonly Clients[], connected: number): Promise<void> {
  const deadline = Date.now() + PLAN.activeTimeoutMs;
  for (;;) {
    const statuses = await Promise.all(clients.map((client) => client.request('status', {})));
    const active = statuses.reduce((sum, status) => sum + status.active, 0);
    const closed = statuses.reduce((sum, status) => sum + status.closed, 0);
    if (active + closed >= connected) return;
    if (Date.now() > deadline) {
      console.error(`${label}: only ${active} of ${connected} clients received a fragment within ${PLAN.activeTimeoutMs / 1000} s; measuring anyway`);
      return;
    }
    await sleep(PLAN.sampleEveryMs);
  }
}

/**
 * Waits (up to {@link PLAN.quietWaitMs}) until processes other than the emulator and Redis use less than a quarter of
 * a core: a tier started while something else compiles or tests would measure that instead.
 */
async function waitForQuietMachine(label: string, ctx: Context): Promise<void> {
  const pids = [pidOf(ctx.emulator, 'emulator'), ...redisPids(ctx, false), ...(ctx.cluster === undefined ? [] : redisPids(ctx, true))];
  const deadline = Date.now() + PLAN.quietWaitMs;
  for (;;) {
    const machine0 = readMachineCpu();
    const ours0 = pids.map((pid) => readProcessUsage(pid));
    const self0 = process.cpuUsage();
    await sleep(PLAN.quietProbeMs);
    const self1 = process.cpuUsage(self0);
    const ours1 = pids.map((pid) => readProcessUsage(pid));
    const machine1 = readMachineCpu();
    const oursMs = ours0.reduce((sum, before, index) => sum + cpuMs(before, ours1[index] as ProcessUsage), 0) + (self1.user + self1.system) / 1000;
    const otherPercent = (((machine1.busyUs - machine0.busyUs) / 1000 - oursMs) / (machine1.atMs - machine0.atMs)) * 100;
    if (otherPercent < PLAN.quietOtherCpuPercent) return;
    if (Date.now() > deadline) {
      console.error(`${label}: other processes still use ${otherPercent.toFixed(0)}% of a core; starting anyway`);
      return;
    }
    console.error(`${label}: other processes use ${otherPercent.toFixed(0)}% of a core; waiting for a quieter machine`);
  }
}

/** Fragments of the stream whose server timestamp falls in `[fromMs, toMs)`. */
async function fragmentsBetween(ctx: Context, fromMs: number, toMs: number): Promise<number> {
  const listing = await fragmentList(ctx.emulatorEndpoint, PLAN.stream);
  return listing.fragments.filter((fragment) => fragment.serverTimestamp >= fromMs && fragment.serverTimestamp < toMs).length;
}

/** A real fragment entry's payload (`d`) from the tier's log, or undefined when the log has none. */
async function samplePayload(ctx: Context, spec: TierSpec): Promise<string | undefined> {
  const entries = await ctx.redisClient.xrevrange(`bench-fleet-${ctx.runId}-${spec.label}:{${PLAN.stream}}:log`, '+', '-', 'COUNT', 20);
  for (const [, fields] of entries) {
    const kind = fields[fields.indexOf('k') + 1];
    const payload = fields[fields.indexOf('d') + 1];
    if (kind === 'f' && payload !== undefined && fields.includes('d')) return payload;
  }
  return undefined;
}

/** The memory of the stream's keys under the tier's prefix, by role (`lease`, `log`, ...). */
async function streamMemory(ctx: Context, spec: TierSpec): Promise<StreamMemory> {
  const prefix = `bench-fleet-${ctx.runId}-${spec.label}:`;
  const keys = await keyMemory(ctx.redisClient, `${prefix}{${PLAN.stream}}:*`);
  const clients = await ctx.redisClient.info('clients');
  const memory = await ctx.redisClient.info('memory');
  const field = (info: string, name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return {
    tier: spec.label,
    windowFragments: PLAN.windowFragments,
    connectedClients: field(clients, 'connected_clients'),
    clientMemoryBytes: field(memory, 'mem_clients_normal'),
    keys: keys.map((key) => ({ role: key.key.slice(key.key.lastIndexOf(':') + 1), type: key.type, entries: key.entries, bytes: key.bytes })),
  };
}

/** Sums the client reports of a window: deliveries, latency, per-client completeness. */
/**
 * F2: SIGKILLs the gateway holding the GetMedia and measures how the survivors' subscribers fare. The holder is the
 * gateway owning the caller port of the stream's one open GetMedia session.
 */
async function failover(ctx: Context, spec: TierSpec, gateways: readonly CliChild[], clientsOf: readonly (readonly Clients[])[], sampler: UpstreamSampler): Promise<FailoverResult> {
  const sessions = (await openSessions(ctx.emulatorEndpoint)).sessions.filter((session) => session.stream === PLAN.stream);
  const gatewayPids = gateways.map((gateway) => pidOf(gateway, gateway.name));
  const holderSession = sessions[0];
  if (holderSession?.remotePort === undefined) throw new Error(`${spec.label}: no open GetMedia session to find the holder by`);
  if (sessions.length > 1) console.error(`${spec.label}: ${sessions.length} GetMedia sessions open before the kill; killing the holder of the oldest`);
  const holderPid = pidHoldingLocalPort(holderSession.remotePort, gatewayPids);
  const holderIndex = gatewayPids.findIndex((pid) => pid === holderPid);
  if (holderIndex === -1) throw new Error(`${spec.label}: no gateway holds port ${holderSession.remotePort} of GetMedia session ${holderSession.id}`);
  const holder = gateways[holderIndex] as CliChild;
  const survivors = clientsOf.filter((_, index) => index !== holderIndex).flat();
  const before = await Promise.all(survivors.map((client) => client.request('report', { fromMs: 0, toMs: 0 })));
  console.error(`${spec.label}: SIGKILL ${holder.name} (pid ${holderPid}), holder of GetMedia session ${holderSession.id}`);
  const killedAt = Date.now();
  holder.signal('SIGKILL');
  await holder.whenExited();
  children.delete(holder);

  let takeoverMs: number | null = null;
  let firstDeliveryMs: number | null = null;
  let allSurvivorsMs: number | null = null;
  const giveUpAt = killedAt + PLAN.failoverCheckAfterMs;
  while (Date.now() < giveUpAt && (takeoverMs === null || allSurvivorsMs === null)) {
    if (takeoverMs === null) {
      const next = (await openSessions(ctx.emulatorEndpoint)).sessions.find((session) => session.stream === PLAN.stream && session.startedAt >= killedAt);
      if (next !== undefined) takeoverMs = next.startedAt - killedAt;
    }
    const arrivals = await Promise.all(survivors.map((client) => client.request('arrivals', { stampedFromMs: killedAt })));
    const firsts = arrivals.map((arrival) => arrival.firstReceivedMs).filter((value): value is number => value !== null);
    if (firsts.length > 0) firstDeliveryMs = Math.min(...firsts) - killedAt;
    if (arrivals.every((arrival) => arrival.clientsReached === arrival.clients)) allSurvivorsMs = Date.now() - killedAt;
    await sleep(PLAN.failoverPollMs);
  }
  // The check window: fragments produced shortly before the kill through the takeover and after it.
  await sleep(Math.max(0, killedAt + PLAN.failoverCheckAfterMs + PLAN.drainMs - Date.now()));
  const window = { fromMs: killedAt - PLAN.failoverCheckBeforeMs, toMs: killedAt + PLAN.failoverCheckAfterMs };
  const checkedFragments = await fragmentsBetween(ctx, window.fromMs, window.toMs);
  const after = await Promise.all(survivors.map((client) => client.request('report', window)));
  const perClient = mergeHistograms(after.map((report) => report.stampedPerClient));
  const survivorCount = histogramCount(perClient);
  const complete = perClient.filter(([count]) => count === checkedFragments).reduce((total, [, clients]) => total + clients, 0);
  const cumulative = (reports: readonly ClientWindowReport[], pick: (report: ClientWindowReport) => number): number => reports.reduce((total, report) => total + pick(report), 0);
  return {
    tier: spec.label,
    survivors: survivorCount,
    leaseTtlMs: PLAN.leaseTtlMs,
    takeoverMs,
    firstDeliveryMs,
    allSurvivorsMs,
    checkedFragments,
    survivorsMissingSome: survivorCount - complete,
    fewestReceived: perClient[0]?.[0] ?? 0,
    duplicates: cumulative(after, (report) => report.duplicates) - cumulative(before, (report) => report.duplicates),
    outOfOrder: cumulative(after, (report) => report.outOfOrder) - cumulative(before, (report) => report.outOfOrder),
    upstreamMaxOpenAfter: sampler.maxOpen(killedAt),
    checkBeforeMs: PLAN.failoverCheckBeforeMs,
    checkAfterMs: PLAN.failoverCheckAfterMs,
  };
}

interface TierOutcome {
  readonly result: FleetTierResult;
  readonly memory: StreamMemory | null;
  /** A real fragment entry's payload, for the per-operation cost measurement. */
  readonly payload: string | undefined;
  readonly failover: FailoverResult | null;
}

async function runTier(ctx: Context, spec: TierSpec, overrides: Overrides): Promise<TierOutcome> {
  const label = spec.label;
  const windowMs = overrides.windowMs;
  // An investigation (a partial run) does not wait: its figures are not recorded.
  if (!overrides.partial) await waitForQuietMachine(label, ctx);
  const statsBefore = await getMediaStats(ctx.emulatorEndpoint, PLAN.stream);
  const sampler = new UpstreamSampler(ctx.emulatorEndpoint);
  const gateways: CliChild[] = [];
  const clientsOf: Clients[][] = [];
  // With a Cluster in the run, the tiers it is compared with say what their Redis costs doing nothing (three
  // servers have three background loops and a cluster bus): nothing of the run is connected to it yet.
  const redisIdleCpuMsPerS = overrides.clusterMasters > 0 && spec.hub === 'redis' ? await idleCpuMsPerS(ctx, spec) : undefined;
  try {
    console.error(`${label}: starting ${spec.instances} gateway(s), hub ${spec.hub}${spec.cluster ? ' on the Redis Cluster' : ''}`);
    const started = await Promise.all(Array.from({ length: spec.instances }, (_, index) => startGateway(ctx, spec, index)));
    gateways.push(...started.map((entry) => entry.child));
    // Fleet: each gateway its own client processes; single: all of them on the one gateway.
    const totalSubscribers = spec.perInstance * (spec.kind === 'fleet' ? spec.instances : 1);
    const plan: { gateway: number; count: number; first: number }[] = [];
    for (let gateway = 0; gateway < spec.instances; gateway += 1) {
      for (let offset = 0; offset < spec.perInstance; offset += PLAN.clientsPerProcess) {
        plan.push({ gateway, count: Math.min(PLAN.clientsPerProcess, spec.perInstance - offset), first: gateway * spec.perInstance + offset });
      }
    }
    for (let index = 0; index < spec.instances; index += 1) clientsOf.push([]);
    const clients: Clients[] = [];
    for (const entry of plan) {
      const { server } = await startBenchChild<FanoutClientCommands>({ name: `${label}-clients-${clients.length + 1}`, entry: 'fanout-client.child.ts', env: {}, requestTimeoutMs: PLAN.requestTimeoutMs });
      children.add(server);
      clients.push(server);
      (clientsOf[entry.gateway] as Clients[]).push(server);
    }
    const connected = await Promise.all(
      plan.map((entry, index) =>
        (clients[index] as Clients).request('connect', {
          url: started[entry.gateway]?.wsUrl ?? '',
          count: entry.count,
          firstIndex: entry.first,
          concurrency: PLAN.connectConcurrency,
          deadlineMs: PLAN.connectDeadlineMs,
          query: ctx.subscription.query,
          operationName: ctx.subscription.operationName,
          variables: ctx.subscription.variables,
          connectionParams: { authorization: ctx.auth.authorization },
          client: 'lean',
        }),
      ),
    );
    const connectedCount = connected.reduce((sum, result) => sum + result.connected, 0);
    if (connectedCount < totalSubscribers) console.error(`${label}: ${connectedCount} of ${totalSubscribers} connected; first failure: ${connected.find((result) => result.firstFailure !== null)?.firstFailure ?? 'none'}`);
    await waitUntilActive(label, clients, connectedCount);
    console.error(`${label}: ${connectedCount} subscribers receiving; warming up`);
    await sleep(PLAN.warmupMs);

    const pids = {
      gateways: gateways.map((gateway) => pidOf(gateway, gateway.name)),
      clients: clients.map((client, index) => pidOf(client, `clients-${index + 1}`)),
      emulator: pidOf(ctx.emulator, 'emulator'),
      redis: redisPids(ctx, spec.cluster),
    };
    const probe = (): { gateways: ProcessUsage[]; clients: ProcessUsage[]; emulator: ProcessUsage; redis: ProcessUsage[] } => ({
      gateways: pids.gateways.map((pid) => readProcessUsage(pid)),
      clients: pids.clients.map((pid) => readProcessUsage(pid)),
      emulator: readProcessUsage(pids.emulator),
      redis: pids.redis.map((pid) => readProcessUsage(pid)),
    });
    // Sampled in every tier: in a local-hub tier Redis is idle, and its own background CPU shows.
    const redis0 = await sampleTierRedis(ctx, spec);
    const fromMs = Date.now();
    const machine0 = readMachineCpu();
    const self0 = process.cpuUsage();
    const usage0 = probe();
    await sleep(windowMs);
    const toMs = Date.now();
    const usage1 = probe();
    const self1 = process.cpuUsage(self0);
    const machine1 = readMachineCpu();
    const redis1 = await sampleTierRedis(ctx, spec);
    const statsAfter = await getMediaStats(ctx.emulatorEndpoint, PLAN.stream);
    const upstreamMaxOpen = sampler.maxOpen();
    const sumCpu = (before: readonly ProcessUsage[], after: readonly ProcessUsage[]): number => before.reduce((sum, usage, index) => sum + cpuMs(usage, after[index] as ProcessUsage), 0);
    const gatewayCpuMs = sumCpu(usage0.gateways, usage1.gateways);
    const clientCpuMs = sumCpu(usage0.clients, usage1.clients);
    const emulatorCpuMs = cpuMs(usage0.emulator, usage1.emulator);
    const oursMs = gatewayCpuMs + clientCpuMs + emulatorCpuMs + sumCpu(usage0.redis, usage1.redis) + (self1.user + self1.system) / 1000;
    const otherCpuPercent = Math.max(0, (((machine1.busyUs - machine0.busyUs) / 1000 - oursMs) / (machine1.atMs - machine0.atMs)) * 100);
    console.error(`${label}: window done; draining`);
    await sleep(PLAN.drainMs);
    const sourceFragments = await fragmentsBetween(ctx, fromMs, toMs);
    const reports = await Promise.all(clients.map((client) => client.request('report', { fromMs, toMs })));
    const summary = summariseReports(reports, sourceFragments, connectedCount);
    const delta = redisDelta(redis0, redis1);
    const result: FleetTierResult = {
      label,
      kind: spec.kind,
      hub: spec.hub,
      ...(spec.cluster ? { redisMasters: ctx.cluster?.nodes.length ?? 0 } : {}),
      ...(redisIdleCpuMsPerS === undefined ? {} : { redisIdleCpuMsPerS }),
      instances: spec.instances,
      perInstance: spec.perInstance,
      connected: connectedCount,
      windowMs: toMs - fromMs,
      sourceFragments,
      ...summary,
      gatewayCpuMs,
      clientCpuMs,
      emulatorCpuMs,
      otherCpuPercent,
      getMediaCalls: statsAfter.getMediaCalls - statsBefore.getMediaCalls,
      upstreamMaxOpen,
      redis: { commands: delta.commands, cpuMs: delta.cpuMs, byCommand: delta.byCommand },
    };
    console.error(
      `${label}: ${summary.deliveries} deliveries, p50 ${String(summary.latency?.p50)} ms, p99 ${String(summary.latency?.p99)} ms, gateways CPU ${gatewayCpuMs.toFixed(0)} ms, GetMedia calls ${result.getMediaCalls}, most open ${upstreamMaxOpen}, Redis ${delta.commands} commands, ${delta.cpuMs.toFixed(0)} ms CPU`,
    );
    const memory = spec.last && spec.hub === 'redis' ? await streamMemory(ctx, spec) : null;
    const payload = spec.last && spec.hub === 'redis' ? await samplePayload(ctx, spec) : undefined;
    const failed = spec.last && spec.kind === 'fleet' && spec.instances > 1 ? await failover(ctx, spec, gateways, clientsOf, sampler) : null;
    return { result, memory, payload, failover: failed };
  } finally {
    await sampler.stop().catch((error: unknown) => console.error(`${label}: sampling failed: ${describeError(error)}`));
    const clients = clientsOf.flat();
    await Promise.all(
      clients.map(async (client) => {
        await client.request('disconnect', {}).catch((error: unknown) => console.error(`${label}: disconnect failed: ${describeError(error)}`));
        await stopChild(client);
      }),
    );
    await Promise.all(gateways.map((gateway) => stopChild(gateway)));
  }
}

/** The soft limit on open files (children inherit it); each subscriber costs one in a client and one in a gateway. */
function openFileLimit(): number | null {
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  if (match?.[1] === undefined) return null;
  return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
}

const SETUP =
  'one `media-graph emulate` process (`EMULATOR_DEMO_FRAGMENT_MS=100`: its `demo-stream` gets a 100 ms fragment of 30 fps x 2 KiB synthetic H.264 every 100 ms); ' +
  "a `redis-server` of the benchmark's own (the installed binary, no persistence, so `INFO commandstats` and `INFO cpu` hold this run's traffic only); " +
  'gateways as `media-graph serve` processes in production mode with JWT auth, `KINESIS_ENDPOINT` at the emulator, default live settings (`LIVE_WINDOW_FRAGMENTS` 150, `LIVE_LEASE_TTL_MS` 5000) and, in fleet tiers, `LIVE_HUB=redis`; ' +
  "lean graphql-transport-ws load clients (bench:fanout's, 1,000 per process, one socket and one `StreamFragments` subscription with `start: NOW` each). " +
  'Each tier starts fresh gateways and clients, waits until every subscriber receives fragments, warms up 10 s and measures the window. ' +
  "Latency: client receive time minus the fragment's server timestamp (stamped by the emulator when it produced the fragment; one machine clock). " +
  'Gateway CPU: user + system of every gateway process over the window from /proc, divided by the deliveries. GetMedia: the emulator\'s own counters over HTTP (`/_emulator/stats`), sampled every 250 ms from the first gateway start. ' +
  "Redis per fragment: the window's `INFO commandstats` and `INFO cpu` deltas divided by the fragments the emulator produced in the window (in the local-hub tier nothing uses Redis: its row shows Redis's own background CPU, the baseline to subtract). " +
  "Fragments checked against the emulator's own list (`/_emulator/fragments`).";

async function run(overrides: Overrides): Promise<boolean> {
  const machine = describeMachine();
  const limit = openFileLimit();
  const needed = Math.max(overrides.single, ...overrides.perInstance.map((value) => value * PLAN.instances)) * 2 + 1_000;
  if (limit !== null && limit < needed) throw new Error(`the open-file limit is ${limit}; this run needs about ${needed} (raise it with ulimit -n)`);
  const runId = randomBytes(4).toString('hex');

  const redisPort = await freePort();
  const { child: redis } = await startCli({
    name: 'redis',
    command: 'redis-server',
    args: ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    env: {},
    ready: /Ready to accept connections/,
    readyTimeoutMs: 30_000,
    forward: false,
  });
  const redisUrl = `redis://127.0.0.1:${redisPort}`;
  const redisClient = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  await redisClient.connect();
  const redisVersion = /^redis_version:(\S+)/m.exec(await redisClient.info('server'))?.[1] ?? 'unknown';
  const cluster = overrides.clusterMasters > 0 ? await startBenchRedisCluster(startCli, overrides.clusterMasters, 30_000) : undefined;
  if (cluster !== undefined) console.error(`redis cluster ${cluster.url}`);

  const { child: emulator, match } = await startCli({
    name: 'emulator',
    ...CliChild.mediaGraph(['emulate']),
    env: { EMULATOR_DEMO_FRAGMENT_MS: String(overrides.fragmentMs), LOG_LEVEL: 'warn' },
    ready: /^\{.*"kinesis":"(http:\/\/[^"]+)"/,
    readyTimeoutMs: PLAN.startTimeoutMs,
  });
  const emulatorEndpoint = requireLoopback('emulator', match[1] ?? '');
  console.error(`emulator ${emulatorEndpoint} (pid ${String(emulator.pid)}), redis ${redisUrl} ${redisVersion} (pid ${String(redis.pid)}), stream ${PLAN.stream}`);

  const ctx: Context = {
    emulator,
    emulatorEndpoint,
    redis,
    redisUrl,
    redisClient,
    cluster,
    auth: await createBenchAuth('fleet-bench', ['streams:read', 'streams:subscribe']),
    signingSecret: randomBytes(32).toString('hex'),
    subscription: fanoutSubscription(OPERATIONS_PATH, PLAN.stream),
    runId,
  };
  try {
    const specs: TierSpec[] = [];
    const perInstance = [...overrides.perInstance].sort((a, b) => a - b);
    const [smallest, ...rest] = perInstance;
    // The small fleet tier, the single instance, then the large fleet tier (ending in memory and failover), so the
    // two tiers compared with each other run back to back.
    if (smallest !== undefined && rest.length > 0) specs.push({ label: `fleet-${smallest}`, kind: 'fleet', hub: overrides.hub, instances: PLAN.instances, perInstance: smallest, last: false, cluster: false });
    if (overrides.single > 0) specs.push({ label: `single-${overrides.single}`, kind: 'single', hub: 'local', instances: 1, perInstance: overrides.single, last: false, cluster: false });
    rest.slice(0, -1).forEach((value) => specs.push({ label: `fleet-${value}`, kind: 'fleet', hub: overrides.hub, instances: PLAN.instances, perInstance: value, last: false, cluster: false }));
    const largest = perInstance[perInstance.length - 1];
    if (largest !== undefined) specs.push({ label: `fleet-${largest}`, kind: 'fleet', hub: overrides.hub, instances: PLAN.instances, perInstance: largest, last: true, cluster: false });

    // The Cluster's twin of the smallest fleet tier runs right after it, so the two compare on the same machine state.
    const smallestFleet = specs.findIndex((spec) => spec.kind === 'fleet');
    const twin = specs[smallestFleet];
    if (overrides.clusterMasters > 0 && twin !== undefined) specs.splice(smallestFleet + 1, 0, { ...twin, label: `${twin.label}-cluster`, last: false, cluster: true });

    const outcomes: TierOutcome[] = [];
    for (const spec of specs) outcomes.push(await runTier(ctx, spec, overrides));
    const lifetime = await getMediaStats(emulatorEndpoint, PLAN.stream);
    // Last, with every gateway stopped: Redis does nothing else while the fleet's operations are timed.
    const payload = outcomes.find((outcome) => outcome.payload !== undefined)?.payload;
    const opCosts =
      payload === undefined
        ? null
        : await measureOpCosts(redisClient, {
            prefix: `bench-fleet-${runId}-cost:`,
            payload,
            windowFragments: PLAN.windowFragments,
            leaseTtlMs: PLAN.leaseTtlMs,
            ...PLAN.opCost,
          });
    const results: FleetResults = {
      date: new Date().toISOString().slice(0, 10),
      time: new Date().toISOString().slice(11, 16),
      uname: execFileSync('uname', ['-a'], { encoding: 'utf8' }).trim(),
      revision: execFileSync('git', ['describe', '--always', '--dirty'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim(),
      cpuModel: machine.cpuModel,
      cores: machine.cores,
      machine: formatMachine(machine),
      redisVersion,
      command: overrides.recordBusy ? 'FLEET_RECORD_BUSY=1 npm run bench:fleet' : 'npm run bench:fleet',
      fragmentMs: overrides.fragmentMs,
      warmupMs: PLAN.warmupMs,
      tiers: outcomes.map((outcome) => outcome.result),
      failover: outcomes.find((outcome) => outcome.failover !== null)?.failover ?? null,
      memory: outcomes.find((outcome) => outcome.memory !== null)?.memory ?? null,
      lifetimeMaxOpen: lifetime.maxOpenGetMedia,
      opCosts,
      targets: PLAN.targets,
    };
    process.stdout.write(`Machine: ${results.uname}\n${results.machine}\n\n${formatTables(results)}`);
    const missed = missedTargets(results);
    const busiest = Math.max(...results.tiers.map((tier) => tier.otherCpuPercent));
    if (overrides.partial) {
      console.error('partial run (FLEET_* overrides set): bench/RESULTS.md left unchanged');
    } else if (busiest > PLAN.recordOtherCpuPercentMax && !overrides.recordBusy) {
      // Latency and CPU per delivery then measure the other work, not the gateways: such figures would mislead.
      console.error(`FAIL: other processes used up to ${busiest.toFixed(0)}% of a core in a window (more than ${PLAN.recordOtherCpuPercentMax}%): bench/RESULTS.md left unchanged; rerun on a quieter machine`);
      return false;
    } else {
      const busy =
        busiest > PLAN.recordOtherCpuPercentMax
          ? ` Recorded with \`FLEET_RECORD_BUSY=1\`: other processes used up to ${busiest.toFixed(0)}% of a core in a window.`
          : '';
      appendFileSync(RESULTS_PATH, `\n${formatSection(results, SETUP + busy)}`);
      console.error(`appended the results to ${RESULTS_PATH}`);
    }
    for (const line of missed) console.error(`FAIL: ${line}`);
    return missed.length === 0;
  } finally {
    redisClient.disconnect();
    await cluster?.close();
  }
}

async function stopChildren(): Promise<void> {
  for (const child of [...children].reverse()) await stopChild(child);
}

await runSupervised(children, PLAN.deadlineMs, () => run(readOverrides(process.env)), stopChildren);
