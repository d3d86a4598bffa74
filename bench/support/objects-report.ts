import type { MemorySample } from './commands.js';
import type { RssWindow } from './rss-sampler.js';
import { median, percentile, range } from './stats.js';

/** The heading of the section this benchmark owns in `bench/RESULTS.md`. */
export const OBJECTS_SECTION_HEADING = '## Objects API (npm run bench:objects)';

/** One measured complete listing. */
export interface ListingRun {
  readonly wallMs: number;
  readonly pages: number;
  readonly pageLatenciesMs: readonly number[];
  /** CPU (user + system) the gateway process spent during the listing, ms. */
  readonly gatewayCpuMs: number;
  /** CPU (user + system) the emulator process spent during the listing, ms. */
  readonly emulatorCpuMs: number;
  /** ListItems requests the emulator received during the listing. */
  readonly listItemsCalls: number;
}

/** One measured download. */
export interface DownloadRun {
  readonly wallMs: number;
  readonly bytes: number;
  readonly gatewayCpuMs: number;
  readonly emulatorCpuMs: number;
  readonly rss: RssWindow;
  /** The gateway's ArrayBuffer memory right after the last byte, before any GC. */
  readonly arrayBuffersAtEndBytes: number;
}

/** The gateway's memory while a client holds a download still (see `probeBackpressure`). */
export interface BackpressureProbe {
  readonly pausedAfterBytes: number;
  readonly holdMs: number;
  /** After a full GC, before the download. */
  readonly baseline: MemorySample;
  /** During the hold, before and after a full GC. */
  readonly beforeGc: MemorySample;
  readonly afterGc: MemorySample;
}

/** Everything one run of the benchmark measured. */
export interface ObjectsBenchResults {
  readonly date: string;
  readonly machine: string;
  readonly loadAverage: number;
  readonly command: string;
  readonly objectCount: number;
  readonly pageSize: number;
  readonly warmups: number;
  /** Measured listings, GraphQL and SDK paired by index (run i of each ran back to back). */
  readonly graphql: readonly ListingRun[];
  readonly sdk: readonly ListingRun[];
  readonly coldDownload: DownloadRun;
  /** Downloads through the gateway as shipped (relay GC pacing every `relayGcIntervalBytes`). */
  readonly downloads: readonly DownloadRun[];
  /** The same downloads through a gateway with pacing off, alternating with `downloads` run by run. */
  readonly unpacedDownloads: readonly DownloadRun[];
  readonly relayGcIntervalBytes: number;
  readonly backpressure: BackpressureProbe;
  readonly downloadBytes: number;
  readonly downloadSha256: string;
  readonly rssTargetBytes: number;
}

/** RSS growth of one window in bytes: per source, and the larger of the two (what the target is judged on). */
export function rssGrowth(window: RssWindow): { readonly sampled: number; readonly kernel: number | null; readonly worst: number } {
  const sampled = window.sampledPeakBytes - window.baselineBytes;
  const kernel = window.kernelPeakBytes === null ? null : window.kernelPeakBytes - window.baselineBytes;
  return { sampled, kernel, worst: Math.max(sampled, kernel ?? sampled) };
}

/** Whether every measured download stayed under the RSS growth target. */
export function rssTargetMet(results: ObjectsBenchResults): boolean {
  return results.downloads.every((run) => rssGrowth(run.rss).worst < results.rssTargetBytes);
}

const MIB = 2 ** 20;

function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}

function mib(bytes: number): string {
  return `${(bytes / MIB).toFixed(1)} MiB`;
}

function times(value: number): string {
  return `${value.toFixed(1)}×`;
}

/** `a / b` to two decimals, or '—' when `b` is 0. */
function ratio(a: number, b: number): string {
  return b === 0 ? '—' : `${(a / b).toFixed(2)}×`;
}

function perPage(runs: readonly ListingRun[], pick: (run: ListingRun) => number): number[] {
  return runs.map((run) => pick(run) / run.pages);
}

/** Median of the per-run ratios `a[i] / b[i]`: each pair ran back to back, so slow phases of a noisy host cancel. */
function pairedRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((value, index) => value / (b[index] as number)));
}

interface ListingSummary {
  readonly wallPerPage: { readonly graphql: number; readonly sdk: number; readonly ratio: number };
  readonly wallPerListing: { readonly graphql: number; readonly sdk: number; readonly ratio: number };
  readonly p95: { readonly graphql: number; readonly sdk: number; readonly ratio: number };
  readonly gatewayCpu: number;
  readonly emulatorCpu: { readonly graphql: number; readonly sdk: number; readonly ratio: number };
  readonly serverCpu: { readonly graphql: number; readonly sdk: number; readonly ratio: number };
  readonly calls: { readonly graphql: number; readonly sdk: number; readonly ratio: number };
}

function summarizeListing(results: ObjectsBenchResults): ListingSummary {
  const compare = (pick: (run: ListingRun) => number): { graphql: number; sdk: number; ratio: number } => {
    const graphql = perPage(results.graphql, pick);
    const sdk = perPage(results.sdk, pick);
    return { graphql: median(graphql), sdk: median(sdk), ratio: pairedRatio(graphql, sdk) };
  };
  const wholeGraphql = results.graphql.map((run) => run.wallMs);
  const wholeSdk = results.sdk.map((run) => run.wallMs);
  const p95Graphql = percentile(results.graphql.flatMap((run) => run.pageLatenciesMs), 95);
  const p95Sdk = percentile(results.sdk.flatMap((run) => run.pageLatenciesMs), 95);
  return {
    wallPerPage: compare((run) => run.wallMs),
    wallPerListing: { graphql: median(wholeGraphql), sdk: median(wholeSdk), ratio: pairedRatio(wholeGraphql, wholeSdk) },
    p95: { graphql: p95Graphql, sdk: p95Sdk, ratio: p95Graphql / p95Sdk },
    gatewayCpu: median(perPage(results.graphql, (run) => run.gatewayCpuMs)),
    emulatorCpu: compare((run) => run.emulatorCpuMs),
    serverCpu: {
      graphql: median(perPage(results.graphql, (run) => run.gatewayCpuMs + run.emulatorCpuMs)),
      sdk: median(perPage(results.sdk, (run) => run.emulatorCpuMs)),
      ratio: pairedRatio(
        perPage(results.graphql, (run) => run.gatewayCpuMs + run.emulatorCpuMs),
        perPage(results.sdk, (run) => run.emulatorCpuMs),
      ),
    },
    calls: compare((run) => run.listItemsCalls),
  };
}

interface DownloadSummary {
  readonly throughput: { readonly median: number; readonly min: number; readonly max: number };
  readonly wall: { readonly median: number; readonly min: number; readonly max: number };
  readonly gatewayCpu: { readonly median: number; readonly min: number; readonly max: number };
  readonly emulatorCpu: { readonly median: number; readonly min: number; readonly max: number };
  readonly sampled: { readonly median: number; readonly min: number; readonly max: number };
  readonly kernel: { readonly median: number; readonly min: number; readonly max: number } | null;
  readonly worst: number;
  readonly cold: number;
  readonly samples: number;
  readonly arrayBuffersAtEnd: { readonly median: number; readonly min: number; readonly max: number };
  /** Probe: gateway ArrayBuffers above the post-GC baseline while the client held still, before and after a GC. */
  readonly heldBeforeGc: number;
  readonly heldAfterGc: number;
}

function spread(values: readonly number[]): { median: number; min: number; max: number } {
  return { median: median(values), ...range(values) };
}

function summarizeDownload(results: ObjectsBenchResults, runs: readonly DownloadRun[] = results.downloads): DownloadSummary {
  const growth = runs.map((run) => rssGrowth(run.rss));
  const kernel = growth.map((entry) => entry.kernel);
  const kernelValues = kernel.filter((value): value is number => value !== null);
  return {
    throughput: spread(runs.map((run) => run.bytes / MIB / (run.wallMs / 1000))),
    wall: spread(runs.map((run) => run.wallMs)),
    gatewayCpu: spread(runs.map((run) => run.gatewayCpuMs)),
    emulatorCpu: spread(runs.map((run) => run.emulatorCpuMs)),
    sampled: spread(growth.map((entry) => entry.sampled)),
    kernel: kernelValues.length === kernel.length ? spread(kernelValues) : null,
    worst: Math.max(...growth.map((entry) => entry.worst)),
    cold: rssGrowth(results.coldDownload.rss).worst,
    samples: median(runs.map((run) => run.rss.samples)),
    arrayBuffersAtEnd: spread(runs.map((run) => run.arrayBuffersAtEndBytes)),
    heldBeforeGc: results.backpressure.beforeGc.arrayBuffersBytes - results.backpressure.baseline.arrayBuffersBytes,
    heldAfterGc: results.backpressure.afterGc.arrayBuffersBytes - results.backpressure.baseline.arrayBuffersBytes,
  };
}

/** The two markdown tables (listing, download). */
export function formatTables(results: ObjectsBenchResults): string {
  const l = summarizeListing(results);
  const d = summarizeDownload(results);
  const n = results.graphql.length;
  const pages = results.graphql[0]?.pages ?? 0;
  const listing = [
    `| Listing ${results.objectCount.toLocaleString('en-US')} objects, pages of ${results.pageSize} (median of ${n} runs) | GraphQL via gateway | SDK ListItems direct | GraphQL / SDK |`,
    '|---|---:|---:|---:|',
    `| Wall time, whole listing (${pages} pages) | ${ms(l.wallPerListing.graphql)} | ${ms(l.wallPerListing.sdk)} | ${times(l.wallPerListing.ratio)} |`,
    `| Wall time per page | ${ms(l.wallPerPage.graphql)} | ${ms(l.wallPerPage.sdk)} | ${times(l.wallPerPage.ratio)} |`,
    `| Page latency p95 (all runs) | ${ms(l.p95.graphql)} | ${ms(l.p95.sdk)} | ${times(l.p95.ratio)} |`,
    `| Gateway CPU per page | ${ms(l.gatewayCpu)} | — | — |`,
    `| Emulator CPU per page | ${ms(l.emulatorCpu.graphql)} | ${ms(l.emulatorCpu.sdk)} | ${times(l.emulatorCpu.ratio)} |`,
    `| Server CPU per page (gateway + emulator) | ${ms(l.serverCpu.graphql)} | ${ms(l.serverCpu.sdk)} | ${times(l.serverCpu.ratio)} |`,
    `| Upstream ListItems calls per page | ${l.calls.graphql.toFixed(2)} | ${l.calls.sdk.toFixed(2)} | ${times(l.calls.ratio)} |`,
  ];
  const u = summarizeDownload(results, results.unpacedDownloads);
  type Spread = { median: number; min: number; max: number };
  const row = (label: string, paced: Spread, unpaced: Spread | null, format: (v: number) => string): string =>
    `| ${label} | ${format(paced.median)} | ${format(paced.min)} – ${format(paced.max)} | ` +
    (unpaced === null ? '— | — | — |' : `${format(unpaced.median)} | ${format(unpaced.min)} – ${format(unpaced.max)} | ${ratio(paced.median, unpaced.median)} |`);
  const mibps = (value: number): string => `${value.toFixed(1)} MiB/s`;
  const verdict = d.worst < results.rssTargetBytes ? 'met' : '**missed**';
  const kernelRow =
    d.kernel === null ? '| Gateway peak RSS growth, kernel VmHWM | n/a | n/a | n/a | n/a | — |' : row('Gateway peak RSS growth, kernel VmHWM', d.kernel, u.kernel, mib);
  const download = [
    `| Download ${mib(results.downloadBytes)} via \`GET /objects/{path}\` (${results.downloads.length} runs each, alternating) | paced: median | min – max | unpaced: median | min – max | paced / unpaced |`,
    '|---|---:|---:|---:|---:|---:|',
    `| \`RELAY_GC_INTERVAL_BYTES\` | ${mib(results.relayGcIntervalBytes)} | | 0 (off) | | |`,
    row('Throughput (request to last byte)', d.throughput, u.throughput, mibps),
    row('Time to last byte', d.wall, u.wall, ms),
    row('Gateway CPU per download', d.gatewayCpu, u.gatewayCpu, ms),
    row('Emulator CPU per download', d.emulatorCpu, u.emulatorCpu, ms),
    row(`Gateway peak RSS growth, ${d.samples.toFixed(0)}-sample 5 ms sampler`, d.sampled, u.sampled, mib),
    kernelRow,
    row('Gateway ArrayBuffer memory at the last byte, before any GC', d.arrayBuffersAtEnd, u.arrayBuffersAtEnd, mib),
    `| Worst run: peak RSS growth | ${mib(d.worst)} | | ${mib(u.worst)} | | ${ratio(d.worst, u.worst)} |`,
    `| Cold first download (warm-up, not in the statistics): peak RSS growth | ${d.cold < 0 ? `none (stayed ${mib(-d.cold)} below the baseline)` : mib(d.cold)} | | | | |`,
    `| Client paused after ${mib(results.backpressure.pausedAfterBytes)} for ${results.backpressure.holdMs} ms: gateway ArrayBuffers above baseline, before → after a full GC | ${mib(d.heldBeforeGc)} → ${mib(d.heldAfterGc)} | | | | |`,
    `| Bytes and SHA-256 verified (every download) | ${results.downloadBytes.toLocaleString('en-US')} B | \`${results.downloadSha256.slice(0, 16)}…\` | | | |`,
    `| Target: peak RSS growth < ${mib(results.rssTargetBytes)} in every run (paced, as shipped) | ${verdict} | worst ${mib(d.worst)} | | | |`,
  ];
  return `${listing.join('\n')}\n\n${download.join('\n')}\n`;
}

/** The whole `bench/RESULTS.md` section, heading included. */
export function formatSection(results: ObjectsBenchResults): string {
  return [
    OBJECTS_SECTION_HEADING,
    '',
    `- Date: ${results.date}`,
    `- Machine: ${results.machine}`,
    `- Command: \`${results.command}\``,
    `- Setup: ${results.warmups} warm-up listings of each path, then ${results.graphql.length} measured runs alternating which goes first; one warm-up download per gateway before the measured ones; 1-minute load ${results.loadAverage.toFixed(2)} at start. GraphQL / SDK: median of the ratios of back-to-back pairs (p95: ratio of the two p95s).`,
    '',
    formatTables(results).trimEnd(),
    '',
  ].join('\n');
}
