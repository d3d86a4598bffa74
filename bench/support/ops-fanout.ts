import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BenchAuth } from './bench-auth.js';
import { REPO_ROOT } from './children.js';
import type { ClientWindowReport, FanoutClientCommands, FanoutServerCommands, FanoutServerReady, KinesisEmulatorCommands, KinesisEmulatorReady } from './fanout-commands.js';
import { fanoutSubscription } from './fanout-document.js';
import { freePort } from './free-port.js';
import { kinesisGatewayEnv } from './gateway-env.js';
import { histogramPercentile, histogramRange, mergeHistograms } from './histogram.js';
import { describeError, pidOf, requireLoopback, type ChildServer, type CommandMap, type Killable } from './ipc.js';
import { OPS_ENTRY_VARIABLE, OPS_RECORDING_VARIABLE } from './ops-commands.js';
import type { FanoutConfig, FanoutFaults, OpsFanoutResults, OpsFanoutWindow } from './ops-report.js';
import { MetricsScraper } from './ops-scraper.js';
import { readMachineCpu, readProcessUsage, type MachineCpu, type ProcessUsage } from './proc-usage.js';

/**
 * The fan-out part of `bench:ops`, on `bench:fanout`'s machinery (its Kinesis emulator child, its server child
 * running our gateway, its lean graphql-transport-ws clients): two gateways on one stream, one with metric recording
 * switched off (`bare`) and one with `METRICS_PORT` set and scraped (`metrics`), each with its own subscribers,
 * measured over the same back-to-back windows, so whatever else the machine does falls on both alike.
 */

/** What the fan-out part runs and for how long. */
export interface FanoutPartPlan {
  /** Subscribers of each gateway (one client process each). */
  readonly subscribers: number;
  readonly eventIntervalMs: number;
  readonly fps: number;
  readonly frameBytes: number;
  /** Sockets each client process opens at once, and how long it may take to open them all. */
  readonly connectConcurrency: number;
  readonly connectDeadlineMs: number;
  /** How long every client may take to receive its first fragment. */
  readonly activeTimeoutMs: number;
  readonly warmupMs: number;
  readonly windowMs: number;
  readonly windows: number;
  /** After the last window, time for fragments stamped inside it to arrive before they are counted. */
  readonly drainMs: number;
  readonly scrapeIntervalMs: number;
}

/** A child the benchmark can end gracefully or at once. */
export interface Stoppable extends Killable {
  /** Ends the child gracefully; resolves once it has exited. */
  stop(): Promise<void>;
}

/** What the fan-out part needs of the benchmark. */
export interface FanoutPartContext {
  readonly plan: FanoutPartPlan;
  readonly auth: BenchAuth;
  /** Starts a child of `bench/support/` that the benchmark supervises (and ends if the run fails). */
  readonly start: <M extends CommandMap>(name: string, entry: string, env: Record<string, string>) => Promise<{ child: ChildServer<M>; info: unknown }>;
  /** Stops a child started with `start`, gracefully. */
  readonly stop: (child: Stoppable) => Promise<void>;
}

const STREAM = 'ops-bench';
const OPERATIONS_PATH = join(REPO_ROOT, 'schema', 'operations', 'streams.graphql');
const POLL_MS = 250;
const CONFIGS: readonly FanoutConfig[] = ['bare', 'metrics'];

type Clients = ChildServer<FanoutClientCommands>;

interface Gateway {
  readonly config: FanoutConfig;
  readonly server: ChildServer<FanoutServerCommands>;
  readonly clients: Clients;
  readonly pid: number;
  readonly clientPid: number;
  readonly scraper: MetricsScraper | undefined;
  /** graphql-ws URL. */
  readonly wsUrl: string;
  /** Clients whose connection was acknowledged. */
  connected: number;
}

/** Counters of every process at one window edge. */
interface Edge {
  readonly atMs: number;
  readonly machine: MachineCpu;
  readonly self: NodeJS.CpuUsage;
  readonly emulator: ProcessUsage;
  readonly servers: Readonly<Record<FanoutConfig, ProcessUsage>>;
  readonly clients: Readonly<Record<FanoutConfig, ProcessUsage>>;
  /** GetMedia connections the emulator had open then. */
  readonly upstream: number;
}

function usageUs(before: ProcessUsage, after: ProcessUsage): number {
  return after.userUs + after.systemUs - before.userUs - before.systemUs;
}

/** Waits until every connected client of `gateway` has received a fragment; measures anyway after the timeout. */
async function waitUntilActive(gateway: Gateway, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await gateway.clients.request('status', {});
    if (status.active + status.closed >= gateway.connected) return;
    if (Date.now() > deadline) {
      console.error(`fan-out ${gateway.config}: only ${status.active} of ${gateway.connected} clients received a fragment within ${timeoutMs / 1000} s; measuring anyway`);
      return;
    }
    await sleep(POLL_MS);
  }
}

async function startGateway(ctx: FanoutPartContext, config: FanoutConfig, emulatorEndpoint: string): Promise<Omit<Gateway, 'clients' | 'clientPid' | 'connected'>> {
  const metricsPort = config === 'metrics' ? await freePort() : undefined;
  const { child, info } = await ctx.start<FanoutServerCommands>(`fanout-${config}`, 'ops-server.child.ts', {
    [OPS_ENTRY_VARIABLE]: 'fanout-server',
    [OPS_RECORDING_VARIABLE]: config === 'bare' ? 'off' : 'on',
    FANOUT_SERVER: 'gateway',
    FANOUT_STREAM: STREAM,
    ...kinesisGatewayEnv(ctx.auth, emulatorEndpoint),
    ...(metricsPort === undefined ? {} : { METRICS_PORT: String(metricsPort) }),
  });
  const wsUrl = requireLoopback(`fanout-${config}`, (info as FanoutServerReady).wsUrl);
  const scraper = metricsPort === undefined ? undefined : new MetricsScraper(`http://127.0.0.1:${String(metricsPort)}/metrics`, ctx.plan.scrapeIntervalMs);
  return { config, server: child, pid: pidOf(child, `fanout-${config}`), scraper, wsUrl };
}

function readEdge(emulatorPid: number, gateways: readonly Gateway[], upstream: number): Edge {
  const byConfig = (pick: (gateway: Gateway) => number): Record<FanoutConfig, ProcessUsage> =>
    Object.fromEntries(gateways.map((gateway) => [gateway.config, readProcessUsage(pick(gateway))])) as Record<FanoutConfig, ProcessUsage>;
  return {
    atMs: Date.now(),
    machine: readMachineCpu(),
    self: process.cpuUsage(),
    emulator: readProcessUsage(emulatorPid),
    servers: byConfig((gateway) => gateway.pid),
    clients: byConfig((gateway) => gateway.clientPid),
    upstream,
  };
}

/** Fragments stamped in the window that every non-abandoned client received, from the clients' per-client counts. */
function clientsWithEvery(report: ClientWindowReport, sourceEvents: number): number {
  return report.stampedPerClient.filter(([events]) => events >= sourceEvents).reduce((sum, [, clients]) => sum + clients, 0);
}

/** Connects the clients of every gateway at once, and waits until each of them receives fragments. */
async function connectClients(plan: FanoutPartPlan, gateways: readonly Gateway[], subscription: ReturnType<typeof fanoutSubscription>, authorization: string): Promise<void> {
  await Promise.all(
    gateways.map(async (gateway) => {
      const result = await gateway.clients.request('connect', {
        url: gateway.wsUrl,
        count: plan.subscribers,
        firstIndex: 0,
        concurrency: plan.connectConcurrency,
        deadlineMs: plan.connectDeadlineMs,
        query: subscription.query,
        operationName: subscription.operationName,
        variables: subscription.variables,
        connectionParams: { authorization },
        client: 'lean',
      });
      if (result.connected === 0) throw new Error(`fan-out ${gateway.config}: no client could connect; first failure: ${result.firstFailure ?? 'none'}`);
      if (result.connected < plan.subscribers) console.error(`fan-out ${gateway.config}: only ${result.connected} of ${plan.subscribers} clients connected; measuring those`);
      gateway.connected = result.connected;
      await waitUntilActive(gateway, plan.activeTimeoutMs);
    }),
  );
}

/** The windows of one gateway, from the edges and the clients' reports of each window. */
function windowsOf(gateway: Gateway, edges: readonly Edge[], reports: readonly ClientWindowReport[], sourceEvents: readonly number[]): OpsFanoutWindow[] {
  return reports.map((report, index) => {
    const from = edges[index] as Edge;
    const to = edges[index + 1] as Edge;
    const config = gateway.config;
    const ours =
      usageUs(from.emulator, to.emulator) +
      CONFIGS.reduce((sum, each) => sum + usageUs(from.servers[each], to.servers[each]) + usageUs(from.clients[each], to.clients[each]), 0) +
      (to.self.user + to.self.system - from.self.user - from.self.system);
    return {
      config,
      index,
      windowMs: to.atMs - from.atMs,
      deliveries: report.deliveries,
      serverUserUs: to.servers[config].userUs - from.servers[config].userUs,
      serverSystemUs: to.servers[config].systemUs - from.servers[config].systemUs,
      sourceEvents: sourceEvents[index] as number,
      clientsWithEveryEvent: clientsWithEvery(report, sourceEvents[index] as number),
      connected: gateway.connected,
      scrapes: gateway.scraper?.startedBetween(from.atMs, to.atMs) ?? 0,
      // Tick-granular counters of different sources: a small negative remainder means "nothing else ran".
      otherCpuUs: Math.max(0, to.machine.busyUs - from.machine.busyUs - ours),
    };
  });
}

function faultsOf(reports: readonly ClientWindowReport[]): FanoutFaults {
  // The clients count these over their whole life, not per window: the last report holds the run's totals.
  const last = reports.at(-1);
  return { gaps: last?.gaps ?? 0, errors: last?.errors ?? 0, closed: last?.closed ?? 0, duplicates: last?.duplicates ?? 0, outOfOrder: last?.outOfOrder ?? 0 };
}

function latencyOf(reports: readonly ClientWindowReport[]): OpsFanoutResults['latency'][FanoutConfig] {
  const merged = mergeHistograms(reports.map((report) => report.latencyHistogram));
  if (merged.length === 0) return null;
  return { p50: histogramPercentile(merged, 50), p99: histogramPercentile(merged, 99), max: histogramRange(merged).max };
}

async function measure(
  plan: FanoutPartPlan,
  emulator: ChildServer<KinesisEmulatorCommands>,
  gateways: readonly Gateway[],
  subscription: ReturnType<typeof fanoutSubscription>,
  authorization: string,
): Promise<OpsFanoutResults> {
  await connectClients(plan, gateways, subscription, authorization);
  console.error(`fan-out: ${gateways.map((gateway) => `${gateway.config} ${gateway.connected}`).join(', ')} subscribers receiving; warming up ${plan.warmupMs / 1000} s`);
  await sleep(plan.warmupMs);
  const emulatorPid = pidOf(emulator, 'kinesis emulator');
  const edges: Edge[] = [readEdge(emulatorPid, gateways, (await emulator.request('getMedia', {})).active)];
  for (let index = 0; index < plan.windows; index += 1) {
    const first = edges[0] as Edge;
    await sleep(Math.max(0, first.atMs + (index + 1) * plan.windowMs - Date.now()));
    // The upstream count is read after the CPU counters: they are what the window edge is for.
    const edge = readEdge(emulatorPid, gateways, 0);
    edges.push({ ...edge, upstream: (await emulator.request('getMedia', {})).active });
    for (const gateway of gateways) gateway.scraper?.check();
    console.error(`fan-out window ${index + 1}/${plan.windows} done`);
  }
  await sleep(plan.drainMs);
  const spans = edges.slice(1).map((edge, index) => ({ fromMs: (edges[index] as Edge).atMs, toMs: edge.atMs }));
  const sourceEvents = await Promise.all(spans.map(async (span) => (await emulator.request('sourceEvents', span)).count));
  const windows: OpsFanoutWindow[] = [];
  const latency: Partial<Record<FanoutConfig, OpsFanoutResults['latency'][FanoutConfig]>> = {};
  const faults: Partial<Record<FanoutConfig, FanoutFaults>> = {};
  for (const gateway of gateways) {
    const reports: ClientWindowReport[] = [];
    for (const span of spans) reports.push(await gateway.clients.request('report', span));
    windows.push(...windowsOf(gateway, edges, reports, sourceEvents));
    latency[gateway.config] = latencyOf(reports);
    faults[gateway.config] = faultsOf(reports);
  }
  const complete = (record: Partial<Record<FanoutConfig, unknown>>): boolean => CONFIGS.every((config) => config in record);
  if (!complete(latency) || !complete(faults)) throw new Error('fan-out: a gateway has no reports');
  return {
    subscribers: plan.subscribers,
    eventIntervalMs: plan.eventIntervalMs,
    warmupMs: plan.warmupMs,
    windowMs: plan.windowMs,
    windows,
    latency: latency as OpsFanoutResults['latency'],
    faults: faults as OpsFanoutResults['faults'],
    upstreamMax: Math.max(...edges.map((edge) => edge.upstream)),
  };
}

/**
 * Runs the fan-out part: starts its children, connects `plan.subscribers` clients to each gateway, warms up,
 * measures `plan.windows` back-to-back windows, and stops every child it started (also when it fails).
 * @throws Error when a child fails to start, no client connects, or a scrape fails.
 */
export async function runFanoutPart(ctx: FanoutPartContext): Promise<OpsFanoutResults> {
  const started: Stoppable[] = [];
  const gateways: Gateway[] = [];
  try {
    const { child: emulator, info } = await ctx.start<KinesisEmulatorCommands>('kinesis-emulator', 'kinesis-emulator.child.ts', {
      FANOUT_STREAM: STREAM,
      FANOUT_INTERVAL_MS: String(ctx.plan.eventIntervalMs),
      FANOUT_FPS: String(ctx.plan.fps),
      FANOUT_FRAME_BYTES: String(ctx.plan.frameBytes),
    });
    started.push(emulator);
    const emulatorEndpoint = requireLoopback('kinesis emulator', (info as KinesisEmulatorReady).endpoint);
    for (const config of CONFIGS) {
      const gateway = await startGateway(ctx, config, emulatorEndpoint);
      started.push(gateway.server);
      const { child: clients } = await ctx.start<FanoutClientCommands>(`fanout-clients-${config}`, 'fanout-client.child.ts', {});
      started.push(clients);
      gateways.push({ ...gateway, clients, clientPid: pidOf(clients, `fanout-clients-${config}`), connected: 0 });
    }
    return await measure(ctx.plan, emulator, gateways, fanoutSubscription(OPERATIONS_PATH, STREAM), ctx.auth.authorization);
  } finally {
    for (const gateway of gateways) await gateway.scraper?.stop().catch((error: unknown) => console.error(`fan-out ${gateway.config}: scraping failed: ${describeError(error)}`));
    for (const gateway of gateways) await gateway.clients.request('disconnect', {}).catch((error: unknown) => console.error(`fan-out ${gateway.config}: disconnect failed: ${describeError(error)}`));
    // Clients, then gateways, then the emulator: each sees ordinary closes from what it serves.
    for (const child of [...started].reverse()) await ctx.stop(child);
  }
}
