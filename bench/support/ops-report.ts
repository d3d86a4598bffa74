import { roundFigures, type LoadRound, type RoundFigures } from './load-round.js';
import type { OtlpReceived } from './ops-commands.js';
import { spanTotal } from './ops-otlp.js';
import { median, pairedRatio, type PairedRatio } from './stats.js';

/** The heading of the section this benchmark owns in `bench/RESULTS.md`. */
export const OPS_SECTION_HEADING = '## Metrics and tracing overhead (npm run bench:ops)';

/**
 * The gateway configurations of the request part, in report order. `bare`: metric recording switched off in the
 * process (`ops-recording.ts`), no metrics endpoint, no traces: the reference. `off`: as shipped with both off (no
 * `METRICS_PORT`/`METRICS_TOKEN`, no OTLP endpoint), which still records metrics. `metrics`: `METRICS_PORT` set and
 * scraped. `tracing`: traces exported to the local receiver with `OTEL_TRACES_SAMPLER=always_on`. `both`: the two.
 */
export const OPS_CONFIGS = ['bare', 'off', 'metrics', 'tracing', 'both'] as const;

/** One of {@link OPS_CONFIGS}. */
export type OpsConfig = (typeof OPS_CONFIGS)[number];

/** The configurations of the fan-out part: recording off, and metrics on and scraped. */
export type FanoutConfig = 'bare' | 'metrics';

/** One measured window against one configuration. */
export interface OpsRound extends LoadRound {
  readonly config: OpsConfig;
  /** The round (0-based) it belongs to: one window of every configuration, back to back. */
  readonly round: number;
  /** Scrapes of this gateway that started inside the window (0 without an endpoint). */
  readonly scrapes: number;
}

/** The request part of a run. */
export interface OpsRequestResults {
  /** Requests in flight, one keep-alive connection each. */
  readonly concurrency: number;
  readonly firstWarmupMs: number;
  readonly roundWarmupMs: number;
  readonly windowMs: number;
  readonly rounds: number;
  readonly scrapeIntervalMs: number;
  /** The operation and its variables as JSON. */
  readonly operation: string;
  readonly variables: string;
  /** Objects in the listed folder (the page shows the first few). */
  readonly folderObjects: number;
  /** `OTEL_EXPORTER_OTLP_PROTOCOL` of the tracing gateways. */
  readonly otlpProtocol: string;
  /** Every window, in run order. */
  readonly runs: readonly OpsRound[];
  /**
   * Answers the tracing gateways (`tracing`, `both`) gave over the whole run, setup and warm-ups included, the names
   * of the spans each of them should have made, and what the receiver took after the gateways had stopped.
   */
  readonly tracing: { readonly answered: number; readonly spansPerAnswer: readonly string[]; readonly received: OtlpReceived };
  /** Scrapes of the metrics gateways (`metrics`, `both`) over the whole run. */
  readonly scrapes: {
    readonly count: number;
    readonly medianMs: number;
    readonly medianBytes: number;
    /** Answers the `metrics` gateway gave, and its `ListObjects` ok count in its last scrape. */
    readonly answered: number;
    readonly recorded: number | null;
  };
}

/** One window of the fan-out part: both gateways were measured over the same wall-clock window. */
export interface OpsFanoutWindow {
  readonly config: FanoutConfig;
  readonly index: number;
  readonly windowMs: number;
  /** Fragment events the gateway's clients received in the window. */
  readonly deliveries: number;
  /** Gateway CPU over the window, µs. */
  readonly serverUserUs: number;
  readonly serverSystemUs: number;
  /** Fragments the emulator stamped in the window, and the clients that received every one of them. */
  readonly sourceEvents: number;
  readonly clientsWithEveryEvent: number;
  readonly connected: number;
  readonly scrapes: number;
  /** CPU of everything outside this benchmark's processes over the window, µs (the same for both configurations). */
  readonly otherCpuUs: number;
}

/** Counts of what should not happen to a subscriber, over the whole fan-out part. */
export interface FanoutFaults {
  readonly gaps: number;
  readonly errors: number;
  readonly closed: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
}

/** The fan-out part of a run. */
export interface OpsFanoutResults {
  /** Subscribers of each gateway. */
  readonly subscribers: number;
  readonly eventIntervalMs: number;
  readonly warmupMs: number;
  readonly windowMs: number;
  readonly windows: readonly OpsFanoutWindow[];
  /** Delivery latency over all windows, ms (receive time minus the fragment's server timestamp); null with no delivery. */
  readonly latency: Readonly<Record<FanoutConfig, { readonly p50: number; readonly p99: number; readonly max: number } | null>>;
  readonly faults: Readonly<Record<FanoutConfig, FanoutFaults>>;
  /** Most GetMedia connections the emulator had open at once (one per gateway expected). */
  readonly upstreamMax: number;
}

/** Overhead limits, as fractions (0.03 for 3%). */
export interface OpsTargets {
  /** `metrics` over `bare`, CPU per request. */
  readonly metricsCpu: number;
  /** `tracing` over `off`, CPU per request. */
  readonly tracingCpu: number;
  /** Fan-out `metrics` over `bare`, CPU per delivery. */
  readonly fanoutCpu: number;
}

/** Everything one run measured. */
export interface OpsResults {
  readonly date: string;
  readonly machine: string;
  /** 1-minute load average at the start and at the end of the run. */
  readonly loadAverageStart: number;
  readonly loadAverageEnd: number;
  readonly command: string;
  readonly requests: OpsRequestResults | null;
  readonly fanout: OpsFanoutResults | null;
  readonly targets: OpsTargets;
}

/** Per-request figures of one window. */
interface WindowFigures extends RoundFigures {
  /** Scrapes in the window; in {@link ConfigMedians}, the mean over the windows. */
  readonly scrapes: number;
}

function figures(round: OpsRound): WindowFigures {
  return { ...roundFigures(round), scrapes: round.scrapes };
}

/** The windows of `config`, in round order. @throws RangeError when a round lacks it or has it twice. */
function roundsOf(requests: OpsRequestResults, config: OpsConfig): WindowFigures[] {
  return Array.from({ length: requests.rounds }, (_, index) => {
    const matching = requests.runs.filter((round) => round.round === index && round.config === config);
    const only = matching[0];
    if (only === undefined || matching.length !== 1) throw new RangeError(`round ${index} has ${matching.length} windows of ${config}`);
    return figures(only);
  });
}

/** Medians of one configuration's windows (scrapes: their mean). */
export type ConfigMedians = WindowFigures;

/** What the request tables are made of. */
export interface RequestSummary {
  readonly medians: Readonly<Record<OpsConfig, ConfigMedians>>;
  /** Median of the per-round ratios of CPU per request and of req/s, against `bare` and against `off`. */
  readonly cpuVs: Readonly<Record<'bare' | 'off', Readonly<Record<OpsConfig, PairedRatio>>>>;
  readonly rpsVs: Readonly<Record<'bare' | 'off', Readonly<Record<OpsConfig, PairedRatio>>>>;
  /** Other processes' CPU during the windows, share of one core. */
  readonly otherCores: { readonly median: number; readonly max: number };
}

function perConfig<T>(make: (config: OpsConfig) => T): Record<OpsConfig, T> {
  return Object.fromEntries(OPS_CONFIGS.map((config) => [config, make(config)])) as Record<OpsConfig, T>;
}

/** Summarises the request part. @throws RangeError when the rounds are incomplete. */
export function summarizeRequests(requests: OpsRequestResults): RequestSummary {
  const rounds = perConfig((config) => roundsOf(requests, config));
  const medianOf = (values: readonly WindowFigures[], pick: (round: WindowFigures) => number): number => median(values.map(pick));
  const medians = perConfig((config) => {
    const own = rounds[config];
    return {
      reqPerSec: medianOf(own, (round) => round.reqPerSec),
      cpuUs: medianOf(own, (round) => round.cpuUs),
      userUs: medianOf(own, (round) => round.userUs),
      systemUs: medianOf(own, (round) => round.systemUs),
      emulatorUs: medianOf(own, (round) => round.emulatorUs),
      p50Ms: medianOf(own, (round) => round.p50Ms),
      p99Ms: medianOf(own, (round) => round.p99Ms),
      gatewayCores: medianOf(own, (round) => round.gatewayCores),
      // A mean: each window holds one scrape or, at the edges of the schedule, none or two.
      scrapes: own.reduce((sum, round) => sum + round.scrapes, 0) / own.length,
      otherCores: medianOf(own, (round) => round.otherCores),
    };
  });
  const versus = (reference: OpsConfig, pick: (round: WindowFigures) => number): Record<OpsConfig, PairedRatio> =>
    perConfig((config) => pairedRatio(rounds[config].map(pick), rounds[reference].map(pick)));
  const others = requests.runs.map((round) => figures(round).otherCores);
  return {
    medians,
    cpuVs: { bare: versus('bare', (round) => round.cpuUs), off: versus('off', (round) => round.cpuUs) },
    rpsVs: { bare: versus('bare', (round) => round.reqPerSec), off: versus('off', (round) => round.reqPerSec) },
    otherCores: { median: median(others), max: Math.max(...others) },
  };
}

/** The fan-out figures of both gateways and their ratio. */
export interface FanoutSummary {
  readonly cpuPerDeliveryUs: Readonly<Record<FanoutConfig, number>>;
  readonly deliveriesPerSecond: Readonly<Record<FanoutConfig, number>>;
  readonly cores: Readonly<Record<FanoutConfig, number>>;
  /** `metrics` over `bare`, CPU per delivery, window by window. */
  readonly ratio: PairedRatio;
  /** Windows in which every client of the gateway received every fragment stamped in it. */
  readonly completeWindows: Readonly<Record<FanoutConfig, number>>;
  readonly otherCores: { readonly median: number; readonly max: number };
}

function windowsOf(fanout: OpsFanoutResults, config: FanoutConfig): OpsFanoutWindow[] {
  return fanout.windows.filter((window) => window.config === config).sort((a, b) => a.index - b.index);
}

function cpuPerDelivery(window: OpsFanoutWindow): number {
  return (window.serverUserUs + window.serverSystemUs) / window.deliveries;
}

/** Summarises the fan-out part. @throws RangeError when the two gateways have different windows or none. */
export function summarizeFanout(fanout: OpsFanoutResults): FanoutSummary {
  const bare = windowsOf(fanout, 'bare');
  const metrics = windowsOf(fanout, 'metrics');
  const both = { bare, metrics };
  const perGateway = (pick: (window: OpsFanoutWindow) => number): Record<FanoutConfig, number> => ({ bare: median(bare.map(pick)), metrics: median(metrics.map(pick)) });
  const others = bare.map((window) => window.otherCpuUs / 1000 / window.windowMs);
  return {
    cpuPerDeliveryUs: perGateway(cpuPerDelivery),
    deliveriesPerSecond: perGateway((window) => window.deliveries / (window.windowMs / 1000)),
    cores: perGateway((window) => (window.serverUserUs + window.serverSystemUs) / 1000 / window.windowMs),
    ratio: pairedRatio(metrics.map(cpuPerDelivery), bare.map(cpuPerDelivery)),
    completeWindows: {
      bare: both.bare.filter((window) => window.clientsWithEveryEvent === window.connected).length,
      metrics: both.metrics.filter((window) => window.clientsWithEveryEvent === window.connected).length,
    },
    otherCores: { median: median(others), max: Math.max(...others) },
  };
}

/** One target, measured. */
export interface TargetCheck {
  readonly label: string;
  /** e.g. `off / bare, CPU per request`. */
  readonly comparison: string;
  readonly measured: PairedRatio;
  readonly met: boolean;
  /** The target as a condition on the measured ratio, e.g. `< 1.030 (median)`. */
  readonly condition: string;
}

/** The targets this run measured (a part not run has none). */
export function targetChecks(results: OpsResults): TargetCheck[] {
  const checks: TargetCheck[] = [];
  const limit = (overhead: number): string => (1 + overhead).toFixed(3);
  if (results.requests !== null) {
    const s = summarizeRequests(results.requests);
    const off = s.cpuVs.bare.off;
    checks.push({
      label: 'both off ≈ 0 (within noise)',
      comparison: 'off / bare, CPU per request',
      measured: off,
      met: off.low <= 1 && off.high >= 1,
      condition: 'interval holds 1.000',
    });
    const metrics = s.cpuVs.bare.metrics;
    checks.push({
      label: `metrics < ${percent(results.targets.metricsCpu)} CPU per request`,
      comparison: 'metrics / bare, CPU per request',
      measured: metrics,
      met: metrics.ratio < 1 + results.targets.metricsCpu,
      condition: `median < ${limit(results.targets.metricsCpu)}`,
    });
    const tracing = s.cpuVs.off.tracing;
    checks.push({
      label: `tracing (sampling 1.0) < ${percent(results.targets.tracingCpu)} CPU per request`,
      comparison: 'tracing / off, CPU per request',
      measured: tracing,
      met: tracing.ratio < 1 + results.targets.tracingCpu,
      condition: `median < ${limit(results.targets.tracingCpu)}`,
    });
  }
  if (results.fanout !== null) {
    const ratio = summarizeFanout(results.fanout).ratio;
    checks.push({
      label: `fan-out with metrics within ${percent(results.targets.fanoutCpu)} of off`,
      comparison: 'metrics / bare, CPU per delivery',
      measured: ratio,
      met: ratio.ratio <= 1 + results.targets.fanoutCpu,
      condition: `median ≤ ${limit(results.targets.fanoutCpu)}`,
    });
  }
  return checks;
}

/** One line per missed target (empty when all were met). */
export function missedTargets(results: OpsResults): string[] {
  return targetChecks(results)
    .filter((check) => !check.met)
    .map((check) => `${check.label}: ${check.comparison} ${ratioWithInterval(check.measured)} (target: ${check.condition})`);
}

function percent(value: number): string {
  return `${(value * 100).toFixed(value * 100 < 10 ? 1 : 0)}%`;
}

function us(value: number): string {
  return `${value.toFixed(1)} µs`;
}

function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}

function ratioWithInterval(value: PairedRatio): string {
  return `${value.ratio.toFixed(3)} (${value.low.toFixed(3)} – ${value.high.toFixed(3)})`;
}

function intervalName(value: PairedRatio): string {
  return value.coverage > 0 ? `in brackets its ${(value.coverage * 100).toFixed(1)}% confidence interval` : 'in brackets the range of the pairs, too few for an interval';
}

function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function requestTables(requests: OpsRequestResults): string[] {
  const s = summarizeRequests(requests);
  const m = s.medians;
  const row = (label: string, format: (figures: ConfigMedians) => string): string => `| ${label} | ${OPS_CONFIGS.map((config) => format(m[config])).join(' | ')} |`;
  const perConfigTable = [
    `| ${requests.operation}, ${requests.concurrency} keep-alive connections (median of ${requests.rounds} windows each) | ${OPS_CONFIGS.join(' | ')} |`,
    `|---|${OPS_CONFIGS.map(() => '---:').join('|')}|`,
    row('Requests/s', (f) => f.reqPerSec.toFixed(0)),
    row('Gateway CPU per request (user + system)', (f) => us(f.cpuUs)),
    row('… user', (f) => us(f.userUs)),
    row('… system', (f) => us(f.systemUs)),
    row('Gateway CPU (share of one core)', (f) => percent(f.gatewayCores)),
    row('Latency p50', (f) => ms(f.p50Ms)),
    row('Latency p99', (f) => ms(f.p99Ms)),
    row('S3 emulator CPU per request', (f) => us(f.emulatorUs)),
    row('Scrapes per window (mean)', (f) => f.scrapes.toFixed(1)),
  ];
  const ratioCell = (value: PairedRatio): string => ratioWithInterval(value);
  const ratioTable = [
    `| Ratio: median of the ${requests.rounds} per-round pairs (${intervalName(s.cpuVs.bare.off)}) | ${OPS_CONFIGS.join(' | ')} |`,
    `|---|${OPS_CONFIGS.map(() => '---:').join('|')}|`,
    `| CPU per request / bare | ${OPS_CONFIGS.map((config) => (config === 'bare' ? '—' : ratioCell(s.cpuVs.bare[config]))).join(' | ')} |`,
    `| Requests/s / bare | ${OPS_CONFIGS.map((config) => (config === 'bare' ? '—' : ratioCell(s.rpsVs.bare[config]))).join(' | ')} |`,
    `| CPU per request / off | ${OPS_CONFIGS.map((config) => (config === 'off' ? '—' : ratioCell(s.cpuVs.off[config]))).join(' | ')} |`,
    `| Requests/s / off | ${OPS_CONFIGS.map((config) => (config === 'off' ? '—' : ratioCell(s.rpsVs.off[config]))).join(' | ')} |`,
  ];
  return [perConfigTable.join('\n'), ratioTable.join('\n')];
}

function fanoutTable(fanout: OpsFanoutResults): string {
  const s = summarizeFanout(fanout);
  const windows = fanout.windows.length / 2;
  const latency = (config: FanoutConfig): string => {
    const value = fanout.latency[config];
    return value === null ? '—' : `${value.p50} / ${value.p99} / ${value.max} ms`;
  };
  const faults = (config: FanoutConfig): string => {
    const value = fanout.faults[config];
    return `${value.gaps} / ${value.errors} / ${value.closed} / ${value.duplicates} / ${value.outOfOrder}`;
  };
  return [
    `| Fan-out, ${count(fanout.subscribers)} subscribers per gateway, a fragment every ${fanout.eventIntervalMs} ms, both gateways at once (median of ${windows} windows of ${fanout.windowMs / 1000} s) | bare | metrics | metrics / bare (median of the per-window pairs) | ${s.ratio.coverage > 0 ? `${(s.ratio.coverage * 100).toFixed(1)}% confidence interval` : 'range of the pairs (too few for an interval)'} |`,
    '|---|---:|---:|---:|---:|',
    `| Gateway CPU per delivery | ${us(s.cpuPerDeliveryUs.bare)} | ${us(s.cpuPerDeliveryUs.metrics)} | ${s.ratio.ratio.toFixed(3)} | ${s.ratio.low.toFixed(3)} – ${s.ratio.high.toFixed(3)} |`,
    `| Deliveries/s | ${count(s.deliveriesPerSecond.bare)} | ${count(s.deliveriesPerSecond.metrics)} | — | — |`,
    `| Gateway CPU (share of one core) | ${percent(s.cores.bare)} | ${percent(s.cores.metrics)} | — | — |`,
    `| Latency p50 / p99 / max, all windows | ${latency('bare')} | ${latency('metrics')} | — | — |`,
    `| Windows with every fragment to every subscriber | ${s.completeWindows.bare} of ${windows} | ${s.completeWindows.metrics} of ${windows} | — | — |`,
    `| Gaps / errors / closed / duplicates / out of order | ${faults('bare')} | ${faults('metrics')} | — | — |`,
    `| Scrapes per window (mean) | 0 | ${(fanout.windows.filter((window) => window.config === 'metrics').reduce((sum, window) => sum + window.scrapes, 0) / windows).toFixed(1)} | — | — |`,
  ].join('\n');
}

function targetTable(results: OpsResults): string {
  return [
    '| Target | Comparison | Measured: median (interval) | Condition | Verdict |',
    '|---|---|---:|---|---|',
    ...targetChecks(results).map(
      (check) => `| ${check.label} | ${check.comparison} | ${ratioWithInterval(check.measured)} | ${check.condition} | ${check.met ? 'met' : '**missed**'} |`,
    ),
  ].join('\n');
}

/** The trace export and scrape counts, and the machine's other load, as one line each. */
function requestLines(requests: OpsRequestResults): string[] {
  const s = summarizeRequests(requests);
  const received = requests.tracing.received;
  const names = Object.entries(received.spans)
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([name, spans]) => `\`${name}\` ${count(spans)}`)
    .join(', ');
  const missing = requests.tracing.spansPerAnswer.reduce((sum, name) => sum + Math.max(0, requests.tracing.answered - (received.spans[name] ?? 0)), 0);
  return [
    `Spans: the tracing gateways answered ${count(requests.tracing.answered)} requests; the receiver took ${count(spanTotal(received.spans))} spans ` +
      `(${names}) in ${count(received.exports)} exports, ${(received.bytes / 2 ** 20).toFixed(1)} MiB, ${received.refused} refused; ` +
      `spans missing against one each of ${requests.tracing.spansPerAnswer.map((name) => `\`${name}\``).join(', ')} per answer: ${count(missing)}.`,
    `Scrapes: ${count(requests.scrapes.count)}, median ${ms(requests.scrapes.medianMs)} and ${count(requests.scrapes.medianBytes)} bytes each; ` +
      `the metrics gateway answered ${count(requests.scrapes.answered)} requests, its last scrape counted ${requests.scrapes.recorded === null ? 'none' : count(requests.scrapes.recorded)} \`ListObjects\` ok.`,
    `Other processes during the windows: median ${percent(s.otherCores.median)}, max ${percent(s.otherCores.max)} of a core.`,
  ];
}

/** The markdown tables of a run (request part, fan-out part, targets). */
export function formatTables(results: OpsResults): string {
  const parts: string[] = [];
  if (results.requests !== null) parts.push(...requestTables(results.requests), requestLines(results.requests).join('\n'));
  if (results.fanout !== null) {
    const s = summarizeFanout(results.fanout);
    parts.push(
      fanoutTable(results.fanout),
      `Fan-out: most GetMedia connections open at once ${results.fanout.upstreamMax}; other processes during the windows: median ${percent(s.otherCores.median)}, max ${percent(s.otherCores.max)} of a core.`,
    );
  }
  parts.push(targetTable(results));
  return `${parts.join('\n\n')}\n`;
}

/** The complete section for `bench/RESULTS.md`, starting with {@link OPS_SECTION_HEADING}. */
export function formatSection(results: OpsResults, setup: readonly string[]): string {
  return [
    OPS_SECTION_HEADING,
    '',
    `- Date: ${results.date}`,
    `- Machine: ${results.machine}; 1-minute load ${results.loadAverageStart.toFixed(2)} at start, ${results.loadAverageEnd.toFixed(2)} at end`,
    `- Command: \`${results.command}\``,
    ...setup.map((line) => `- ${line}`),
    '',
    formatTables(results).trimEnd(),
    '',
  ].join('\n');
}
