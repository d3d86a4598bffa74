import type { FanoutClientKind, FanoutServerKind } from './fanout-commands.js';

/** The heading of the section a default run owns in `bench/RESULTS.md` (the lean protocol clients). */
export const FANOUT_SECTION_HEADING = '## Live fan-out (npm run bench:fanout)';

/** The heading of the section a run with the graphql-ws package's clients owns (`FANOUT_CLIENT=graphql-ws`). */
export const FANOUT_PACKAGE_SECTION_HEADING = '## Live fan-out, graphql-ws package clients (FANOUT_CLIENT=graphql-ws npm run bench:fanout)';

/** The `bench/RESULTS.md` section a run with `client` writes. */
export function fanoutSectionHeading(client: FanoutClientKind): string {
  return client === 'lean' ? FANOUT_SECTION_HEADING : FANOUT_PACKAGE_SECTION_HEADING;
}

/** How the setup line describes each client implementation. */
const CLIENT_SETUP: Readonly<Record<FanoutClientKind, string>> = {
  'graphql-ws':
    'graphql-ws clients (the package\'s `createClient`, `lazy: false`, `retryAttempts: 0`, over `GraphqlWsLeanSocket`: the WebSocket API ' +
    'on the RFC 6455 client of `bench/support/lean-websocket.ts` instead of the `ws` package',
  lean:
    'lean graphql-transport-ws clients (`LeanWebSocket` of `bench/support/lean-websocket.ts`: `connection_init` with the token, `subscribe`, ' +
    'pong to pings; each `next` message read by byte search for its type, typename, fragment number and server timestamp, not parsed as JSON',
};

/** Delivery latency of a window's deliveries, ms (receive time minus the event's timestamp). */
export interface LatencySummary {
  readonly min: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** What one tier (subscriber count) on one server measured. */
export interface TierRun {
  /** Clients the tier asked for. */
  readonly subscribers: number;
  /** Clients whose connection the server acknowledged within the connect deadline; the window measures these. */
  readonly connectedSubscribers: number;
  /** Clients whose connection failed, and clients given up at the connect deadline. */
  readonly connectFailed: number;
  readonly connectGivenUp: number;
  readonly connectFirstFailure: string | null;
  /** The rate the source is meant to produce (10 events/s). */
  readonly nominalEventsPerSecond: number;
  readonly server: FanoutServerKind;
  readonly clientProcesses: number;
  /** Wall time of the measurement window, ms. */
  readonly windowMs: number;
  /** Events the source stamped inside the window. */
  readonly sourceEvents: number;
  /** Fragment events clients received inside the window (by receive time). */
  readonly deliveries: number;
  /** Null when nothing was delivered. */
  readonly latency: LatencySummary | null;
  /** Server CPU (user + system) during the window, ms. */
  readonly serverCpuMs: number;
  /** The system (kernel) part of it, ms: socket writes on loopback also run the receiving side's TCP stack. */
  readonly serverSystemCpuMs: number;
  /** Wall time between the server's two CPU samples, ms. */
  readonly serverCpuWallMs: number;
  /** Highest server RSS sampled during the window, bytes. */
  readonly serverRssMaxBytes: number;
  /** Sum of the client processes' CPU during the window, ms, and the busiest process's share of a core. */
  readonly clientCpuMs: number;
  readonly busiestClientCorePercent: number;
  /** The Kinesis emulator's CPU during the window, ms. */
  readonly emulatorCpuMs: number;
  /**
   * Gateway: most open GetMedia connections at any sample of the tier, by the emulator's count or the hub's own,
   * whichever is larger; baseline: null.
   */
  readonly upstreamMax: number | null;
  /** Gateway: GetMedia calls the emulator received during the tier; baseline: null. */
  readonly getMediaCalls: number | null;
  /** Most source subscribers the server reported (gateway: hub subscribers, i.e. executions; baseline: iterators). */
  readonly sourceSubscribersMax: number;
  /** Clients that received every event stamped inside the window (counted after the drain). */
  readonly clientsWithEveryEvent: number;
  /** Fewest of the window's events any client received. */
  readonly fewestEventsPerClient: number;
  readonly gaps: number;
  readonly errors: number;
  readonly closed: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
  /** JSON length of one delivered result (both servers should send the same shape). */
  readonly payloadChars: number | null;
  /** Time to open and acknowledge every connection, ms. */
  readonly connectMs: number;
  /**
   * CPU that processes other than this benchmark's used during the window, % of one core (machine busy time from
   * /proc/stat minus the server's, clients', emulator's and the orchestrator's): interference on a shared machine.
   */
  readonly otherCpuPercent: number;
  /**
   * Server event-loop delay during the window (how long timers, accepts and reads waited), ms; null when the
   * server did not answer the probe within 5 s (its loop was blocked longer than that).
   */
  readonly loopDelayP99Ms: number | null;
  readonly loopDelayMaxMs: number | null;
  /** First error text any client saw. */
  readonly firstError: string | null;
}

/** Everything one run measured, plus the targets it is judged by. */
export interface FanoutResults {
  readonly date: string;
  readonly machine: string;
  readonly cores: number;
  readonly loadAverage: number;
  readonly command: string;
  readonly eventIntervalMs: number;
  readonly producer: string;
  readonly clientsPerProcess: number;
  /** The load clients' implementation. */
  readonly client: FanoutClientKind;
  readonly connectConcurrency: number;
  readonly connectDeadlineMs: number;
  readonly warmupMs: number;
  readonly windowMs: number;
  readonly drainMs: number;
  readonly runs: readonly TierRun[];
  readonly targets: { readonly cpuRatio: number; readonly p99Ms: number; readonly p99AtSubscribers: number; readonly upstreamMax: number };
}

/** Per-subscriber delivery rate in the window (over the connected subscribers), events/s. */
export function deliveredRate(run: TierRun): number {
  return run.connectedSubscribers === 0 ? 0 : run.deliveries / run.connectedSubscribers / (run.windowMs / 1000);
}

/** The source's rate in the window, events/s. */
export function sourceRate(run: TierRun): number {
  return run.sourceEvents / (run.windowMs / 1000);
}

/** Server CPU per delivery, µs; null without deliveries. */
export function cpuPerDeliveryUs(run: TierRun): number | null {
  return run.deliveries === 0 ? null : (run.serverCpuMs * 1000) / run.deliveries;
}

/** Server CPU as a share of one core, %. */
export function serverCpuPercent(run: TierRun): number {
  return (run.serverCpuMs / run.serverCpuWallMs) * 100;
}

/**
 * Whether the server kept up with the whole tier: every client connected; clients received at least 99% of the
 * source's rate inside the window, and at least 97% of the nominal rate (timers run a little late on a busy
 * machine, but a source that fell far behind means a server that did); every client received every event
 * stamped in the window by the end of the drain; and nothing was lost, repeated, reordered or closed.
 */
export function sustained(run: TierRun): boolean {
  return (
    run.connectedSubscribers === run.subscribers &&
    run.sourceEvents > 0 &&
    deliveredRate(run) >= 0.99 * sourceRate(run) &&
    deliveredRate(run) >= 0.97 * run.nominalEventsPerSecond &&
    run.clientsWithEveryEvent === run.subscribers &&
    run.gaps === 0 &&
    run.errors === 0 &&
    run.closed === 0 &&
    run.duplicates === 0 &&
    run.outOfOrder === 0
  );
}

/** One tier's CPU comparison. */
export interface TierComparison {
  readonly subscribers: number;
  readonly ours: TierRun;
  readonly baseline: TierRun;
  /** Ours / baseline CPU per delivery; null when either delivered nothing. */
  readonly ratio: number | null;
  /** The ratio target applies only where the baseline sustains the rate. */
  readonly baselineSustained: boolean;
}

/** Pairs each tier's gateway and baseline runs. */
export function compareTiers(runs: readonly TierRun[]): TierComparison[] {
  const tiers = [...new Set(runs.map((run) => run.subscribers))].sort((a, b) => a - b);
  const comparisons: TierComparison[] = [];
  for (const subscribers of tiers) {
    const ours = runs.find((run) => run.subscribers === subscribers && run.server === 'gateway');
    const baseline = runs.find((run) => run.subscribers === subscribers && run.server === 'baseline');
    if (ours === undefined || baseline === undefined) continue;
    const oursUs = cpuPerDeliveryUs(ours);
    const baselineUs = cpuPerDeliveryUs(baseline);
    comparisons.push({
      subscribers,
      ours,
      baseline,
      ratio: oursUs === null || baselineUs === null || baselineUs === 0 ? null : oursUs / baselineUs,
      baselineSustained: sustained(baseline),
    });
  }
  return comparisons;
}

/** Every target the run missed, as sentences; empty when all were met. */
export function missedTargets(results: FanoutResults): string[] {
  const missed: string[] = [];
  const { targets } = results;
  for (const run of results.runs.filter((candidate) => candidate.server === 'gateway')) {
    if (run.upstreamMax === null || run.upstreamMax > targets.upstreamMax) {
      missed.push(`${fmtInt(run.subscribers)} subscribers: ${String(run.upstreamMax)} upstream GetMedia connections at once (target <= ${targets.upstreamMax})`);
    }
    if (!sustained(run)) {
      const connected = run.connectedSubscribers === run.subscribers ? '' : `, ${fmtInt(run.connectedSubscribers)} of them connected within the deadline`;
      missed.push(
        `${fmtInt(run.subscribers)} subscribers${connected}: our gateway did not deliver every event to every subscriber (${fmtInt(run.clientsWithEveryEvent)} of ${fmtInt(run.connectedSubscribers)} got every event, ${fmt(deliveredRate(run), 2)} of ${fmt(sourceRate(run), 2)} events/s delivered, ${run.gaps} gaps, ${run.errors} errors, ${run.closed} closed)`,
      );
    }
    if (run.subscribers === targets.p99AtSubscribers && (run.latency === null || run.latency.p99 >= targets.p99Ms)) {
      missed.push(`${fmtInt(run.subscribers)} subscribers: p99 latency ${run.latency === null ? 'n/a' : ms(run.latency.p99)} (target < ${targets.p99Ms} ms)`);
    }
  }
  if (!results.runs.some((run) => run.server === 'gateway' && run.subscribers === targets.p99AtSubscribers)) {
    missed.push(`no gateway run at ${fmtInt(targets.p99AtSubscribers)} subscribers`);
  }
  for (const comparison of compareTiers(results.runs)) {
    if (comparison.baselineSustained && (comparison.ratio === null || comparison.ratio > targets.cpuRatio)) {
      missed.push(
        `${fmtInt(comparison.subscribers)} subscribers: CPU per delivery ours/baseline ${comparison.ratio === null ? 'n/a' : fmt(comparison.ratio, 2)} (target <= ${targets.cpuRatio})`,
      );
    }
  }
  return missed;
}

function fmt(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function fmtInt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function mb(bytes: number): string {
  return fmt(bytes / 2 ** 20, 0);
}

function subscribersCell(run: TierRun): string {
  return run.connectedSubscribers === run.subscribers ? fmtInt(run.subscribers) : `${fmtInt(run.subscribers)} (${fmtInt(run.connectedSubscribers)} connected)`;
}

function serverName(kind: FanoutServerKind): string {
  return kind === 'gateway' ? 'media-graph gateway' : 'baseline (stock graphql-ws + graphql-js)';
}

function ms(value: number | undefined): string {
  return value === undefined ? 'n/a' : `${fmtInt(value)} ms`;
}

/** The main table: one row per tier and server. */
export function formatMainTable(results: FanoutResults): string {
  const lines = [
    '| subscribers | server | delivered events/s per subscriber (source) | deliveries/s | p50 | p99 | max | server CPU per delivery | server CPU (% of a core) | server RSS max | upstream GetMedia max | every event to every subscriber |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const run of results.runs) {
    const perDelivery = cpuPerDeliveryUs(run);
    const complete =
      run.clientsWithEveryEvent === run.connectedSubscribers
        ? run.connectedSubscribers === run.subscribers
          ? 'yes'
          : 'yes, of those connected'
        : `no: ${fmtInt(run.clientsWithEveryEvent)} of ${fmtInt(run.connectedSubscribers)} (fewest ${run.fewestEventsPerClient} of ${run.sourceEvents})`;
    lines.push(
      `| ${subscribersCell(run)} | ${serverName(run.server)} | ${fmt(deliveredRate(run), 2)} (${fmt(sourceRate(run), 2)}) | ${fmtInt(run.deliveries / (run.windowMs / 1000))} | ${ms(run.latency?.p50)} | ${ms(run.latency?.p99)} | ${ms(run.latency?.max)} | ${perDelivery === null ? 'n/a' : `${fmt(perDelivery, 1)} µs`} | ${fmt(serverCpuPercent(run), 0)}% | ${mb(run.serverRssMaxBytes)} MB | ${run.upstreamMax === null ? '— (no upstream)' : String(run.upstreamMax)} | ${complete} |`,
    );
  }
  return lines.join('\n');
}

function perCore(run: TierRun): string {
  const value = subscribersPerCore(run);
  return value === null ? 'n/a' : fmtInt(value);
}

/** The CPU comparison per tier. */
export function formatRatioTable(results: FanoutResults): string {
  const lines = [
    '| subscribers | ours: CPU per delivery | baseline: CPU per delivery | ours / baseline | subscribers per core at 10 events/s, ours / baseline | baseline sustains 10 events/s | target <= ' +
      String(results.targets.cpuRatio) +
      ' |',
    '|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const comparison of compareTiers(results.runs)) {
    const oursUs = cpuPerDeliveryUs(comparison.ours);
    const baselineUs = cpuPerDeliveryUs(comparison.baseline);
    const verdict = !comparison.baselineSustained
      ? 'not applicable (baseline saturated)'
      : comparison.ratio !== null && comparison.ratio <= results.targets.cpuRatio
        ? 'met'
        : '**missed**';
    lines.push(
      `| ${fmtInt(comparison.subscribers)} | ${oursUs === null ? 'n/a' : `${fmt(oursUs, 1)} µs`} | ${baselineUs === null ? 'n/a' : `${fmt(baselineUs, 1)} µs`} | ${comparison.ratio === null ? 'n/a' : fmt(comparison.ratio, 2)} | ${perCore(comparison.ours)} / ${perCore(comparison.baseline)} | ${comparison.baselineSustained ? 'yes' : 'no'} | ${verdict} |`,
    );
  }
  return lines.join('\n');
}

/** Per-run details: the load side, the emulator, connection set-up and the checks. */
export function formatDetailTable(results: FanoutResults): string {
  const lines = [
    '| subscribers | server | CPU of other processes in the window | server CPU per delivery, user + system | server event-loop delay p99 / max | client processes | clients CPU (% of a core, all / busiest process) | emulator CPU | connect | min latency | GetMedia calls | source subscribers max | gaps / errors / closed / dup / out of order | result JSON chars (lean clients: the whole `next` message) |',
    '|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|',
  ];
  for (const run of results.runs) {
    const wallS = run.serverCpuWallMs / 1000;
    const split =
      run.deliveries === 0
        ? 'n/a'
        : `${fmt(((run.serverCpuMs - run.serverSystemCpuMs) * 1000) / run.deliveries, 1)} + ${fmt((run.serverSystemCpuMs * 1000) / run.deliveries, 1)} µs`;
    lines.push(
      `| ${subscribersCell(run)} | ${run.server} | ${fmt(run.otherCpuPercent, 0)}% | ${split} | ${run.loopDelayP99Ms === null || run.loopDelayMaxMs === null ? 'no answer within 5 s' : `${fmtInt(run.loopDelayP99Ms)} / ${fmtInt(run.loopDelayMaxMs)} ms`} | ${run.clientProcesses} | ${fmt(run.clientCpuMs / 10 / wallS, 0)}% / ${fmt(run.busiestClientCorePercent, 0)}% | ${fmt(run.emulatorCpuMs / 10 / wallS, 1)}% | ${fmt(run.connectMs / 1000, 1)} s${run.connectedSubscribers === run.subscribers ? '' : ` (${fmtInt(run.connectFailed)} failed, ${fmtInt(run.connectGivenUp)} given up)`} | ${ms(run.latency?.min)} | ${run.getMediaCalls === null ? '—' : String(run.getMediaCalls)} | ${fmtInt(run.sourceSubscribersMax)} | ${run.gaps} / ${run.errors} / ${run.closed} / ${run.duplicates} / ${run.outOfOrder} | ${run.payloadChars === null ? 'n/a' : String(run.payloadChars)} |`,
    );
  }
  return lines.join('\n');
}

/** The tables as printed on stdout. */
export function formatTables(results: FanoutResults): string {
  return `${formatMainTable(results)}\n\n${formatRatioTable(results)}\n\n${formatDetailTable(results)}\n`;
}

/** Subscribers one core could serve at the nominal rate at this CPU per delivery (an upper bound: nothing else runs). */
export function subscribersPerCore(run: TierRun): number | null {
  const perDelivery = cpuPerDeliveryUs(run);
  return perDelivery === null ? null : 1_000_000 / (perDelivery * run.nominalEventsPerSecond);
}

/** The target line: every target with the value measured for it when all were met, the misses otherwise. */
export function formatTargetLine(results: FanoutResults): string {
  const missed = missedTargets(results);
  if (missed.length > 0) return `Targets: **missed**: ${missed.join('; ')}.`;
  const { targets } = results;
  const ours = results.runs.filter((run) => run.server === 'gateway');
  const judged = compareTiers(results.runs).filter((comparison) => comparison.baselineSustained && comparison.ratio !== null);
  const ratios = judged.length === 0 ? 'no tier where the baseline sustains it' : judged.map((comparison) => `${fmt(comparison.ratio as number, 2)} at ${fmtInt(comparison.subscribers)}`).join(', ');
  const p99 = ours.find((run) => run.subscribers === targets.p99AtSubscribers)?.latency?.p99;
  const upstream = Math.max(...ours.map((run) => run.upstreamMax ?? 0));
  return (
    `Targets: **met**: CPU per delivery ours / baseline <= ${targets.cpuRatio} wherever the baseline sustains the rate: ${ratios}; ` +
    `p99 < ${targets.p99Ms} ms at ${fmtInt(targets.p99AtSubscribers)} subscribers with every event delivered: ${ms(p99)}; ` +
    `at most ${targets.upstreamMax} upstream connection: ${upstream}.`
  );
}

/** The whole `bench/RESULTS.md` section, heading included. */
export function formatSection(results: FanoutResults): string {
  return [
    fanoutSectionHeading(results.client),
    '',
    `- Date: ${results.date}`,
    `- Machine: ${results.machine}; 1-minute load ${fmt(results.loadAverage, 2)} at start`,
    `- Command: \`${results.command}\``,
    `- Setup: one Kinesis Video stream on the emulator (own process) with a producer appending ${results.producer}; the server in its own process (our gateway reading the stream through one GetMedia, or the baseline with an in-process timer producing the same fragment metadata at the same rate); ${CLIENT_SETUP[results.client]}, one socket and one subscription each, up to ${fmtInt(results.clientsPerProcess)} per process) in separate processes on 127.0.0.1. Every client sends the identical \`StreamFragments\` subscription from \`schema/operations/streams.graphql\` with \`start: { type: NOW }\`. Each tier starts fresh server and client processes and opens the sockets ${fmtInt(results.connectConcurrency)} at a time per client process; clients not acknowledged within ${results.connectDeadlineMs / 1000} s are given up and the tier is measured with those connected. Then it waits until every connected client has received a fragment, warms up ${results.warmupMs / 1000} s, measures ${results.windowMs / 1000} s, and waits ${results.drainMs / 1000} s for the window's last events. Both servers run graphql-ws with its defaults (no compression); our gateway runs with its default live settings (\`LIVE_SUBSCRIBER_BUFFER\` 256, \`LIVE_OVERFLOW\` gap) and with authentication on: every client presents the same HS256 bearer token (scopes \`streams:read streams:subscribe\`) in \`connection_init\`; the tenant rate limit is lifted for the run.`,
    '- Columns: latency is client receive time minus the event timestamp, both `Date.now()` on this machine (ours: the fragment\'s `serverTimestamp`, stamped by the emulator when the producer appended it; baseline: the time the event was due at its timer slot). Server CPU: user + system time of the server process over the window from `/proc/<pid>/stat`, divided by the deliveries clients received in the window. RSS: highest `/proc/<pid>/status` VmRSS sample (every 250 ms) in the window. Upstream connections: the emulator\'s open GetMedia count and the hub\'s session count, sampled every 250 ms from server start to the end of the tier. Source subscribers: the gateway\'s hub subscribers, the baseline\'s iterators. A tier is sustained when every client connected and received every event of the window, at >= 99% of the source\'s rate and >= 97% of the nominal one, with no gap, error, close, duplicate or reordering.',
    '',
    formatMainTable(results),
    '',
    formatRatioTable(results),
    '',
    formatDetailTable(results),
    '',
    formatTargetLine(results),
    '',
  ].join('\n');
}
