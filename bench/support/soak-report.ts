import type { ClientsSummary } from './client-reports.js';

/**
 * Figures and table of `npm run bench:soak` (RELIABILITY.md R2): pure functions from measured samples to Markdown.
 */

/** One reading of the gateway process. */
export interface SoakSample {
  /** Ms since the measurement began. */
  readonly atMs: number;
  readonly rssBytes: number;
  /** User + system CPU since the measurement began, ms. */
  readonly cpuMs: number;
}

/** What one soak run measured. */
export interface SoakResults {
  readonly date: string;
  readonly machine: string;
  readonly revision: string;
  readonly command: string;
  readonly subscribers: number;
  readonly connected: number;
  readonly fragmentMs: number;
  readonly warmupMs: number;
  /** Time between two samples, ms. */
  readonly sampleMs: number;
  readonly samples: readonly SoakSample[];
  readonly sourceFragments: number;
  readonly clients: ClientsSummary;
  /** GetMedia calls the emulator counted over the measurement, and the most open at once in its lifetime. */
  readonly getMediaCalls: number;
  readonly maxOpenGetMedia: number;
  /** RSS growth target, % per hour (R2: 5). */
  readonly targetPercentPerHour: number;
}

/**
 * RSS growth in % of the first sample per hour, from the least-squares slope over every sample: one late sample
 * (a collection that has not run yet) moves it far less than it moves the last-minus-first difference.
 * @throws RangeError with fewer than two samples or no time between them.
 */
export function rssGrowthPercentPerHour(samples: readonly SoakSample[]): number {
  const first = samples[0];
  if (first === undefined || samples.length < 2) throw new RangeError('need at least two samples');
  const meanT = samples.reduce((sum, s) => sum + s.atMs, 0) / samples.length;
  const meanR = samples.reduce((sum, s) => sum + s.rssBytes, 0) / samples.length;
  const covariance = samples.reduce((sum, s) => sum + (s.atMs - meanT) * (s.rssBytes - meanR), 0);
  const variance = samples.reduce((sum, s) => sum + (s.atMs - meanT) ** 2, 0);
  if (variance === 0) throw new RangeError('the samples span no time');
  const bytesPerMs = covariance / variance;
  return ((bytesPerMs * 3_600_000) / first.rssBytes) * 100;
}

/** Last minus first sample, in % of the first. */
export function rssChangePercent(samples: readonly SoakSample[]): number {
  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first === undefined || last === undefined) throw new RangeError('need at least one sample');
  return ((last.rssBytes - first.rssBytes) / first.rssBytes) * 100;
}

const mib = (bytes: number): string => (bytes / 1_048_576).toFixed(1);

/** Whether the run met R2: RSS growth under the target, and every subscriber still there and complete. */
export function soakMissed(results: SoakResults): string[] {
  const missed: string[] = [];
  const growth = rssGrowthPercentPerHour(results.samples);
  if (growth >= results.targetPercentPerHour) missed.push(`RSS growth ${growth.toFixed(2)} %/h, target < ${results.targetPercentPerHour} %/h`);
  const c = results.clients;
  if (c.clientsWithEveryFragment !== results.connected) missed.push(`${results.connected - c.clientsWithEveryFragment} subscribers missed fragments (fewest ${c.fewestFragments} of ${results.sourceFragments})`);
  if (c.closed + c.errors + c.duplicates + c.outOfOrder + c.gaps > 0) missed.push(`closed ${c.closed}, errors ${c.errors}, duplicates ${c.duplicates}, out of order ${c.outOfOrder}, gaps ${c.gaps}`);
  if (results.maxOpenGetMedia > 1) missed.push(`${results.maxOpenGetMedia} GetMedia open at once`);
  return missed;
}

/** The Markdown section for bench/RESULTS.md. */
export function formatSoakSection(results: SoakResults): string {
  const first = results.samples[0];
  const last = results.samples[results.samples.length - 1];
  if (first === undefined || last === undefined) throw new RangeError('no samples');
  const hours = last.atMs / 3_600_000;
  const growth = rssGrowthPercentPerHour(results.samples);
  const peak = Math.max(...results.samples.map((s) => s.rssBytes));
  const c = results.clients;
  const missed = soakMissed(results);
  return [
    `## Idle subscribers through an hour of events (npm run bench:soak, RELIABILITY.md R2), ${results.date}`,
    '',
    `- Machine: ${results.machine}`,
    `- Command: \`${results.command}\` on \`${results.revision}\``,
    `- Setup: \`media-graph emulate\` producing \`demo-stream\` (a fragment every ${results.fragmentMs} ms), one \`media-graph serve\` (production, JWT auth, in-process hub, defaults otherwise) and ${results.subscribers.toLocaleString('en-US')} graphql-ws subscribers (lean load clients, 1,000 per process) to \`streamFragments\`, each its own socket, none doing anything but receive; the gateway's RSS (\`/proc/<pid>/status\` VmRSS) sampled every ${(results.sampleMs / 1000).toFixed(0)} s after a warm-up of ${(results.warmupMs / 1000).toFixed(0)} s, over ${(hours * 60).toFixed(1)} minutes. Growth is the least-squares slope over all samples, in % of the first sample per hour.`,
    '',
    '| subscribers connected | fragments in the measurement | deliveries | every fragment to every subscriber | gaps / errors / closed / dup / out of order | p50 / p99 / max latency | GetMedia calls / most open | RSS first / last / peak | RSS last - first | RSS growth (slope) | gateway CPU |',
    '|---:|---:|---:|---|---|---|---|---|---:|---:|---:|',
    `| ${results.connected.toLocaleString('en-US')} | ${results.sourceFragments.toLocaleString('en-US')} | ${c.deliveries.toLocaleString('en-US')} | ${c.clientsWithEveryFragment === results.connected ? 'yes' : `no (${c.clientsWithEveryFragment} of ${results.connected}; fewest ${c.fewestFragments})`} | ${c.gaps} / ${c.errors} / ${c.closed} / ${c.duplicates} / ${c.outOfOrder} | ${c.latency === null ? '—' : `${c.latency.p50} / ${c.latency.p99} / ${c.latency.max} ms`} | ${results.getMediaCalls} / ${results.maxOpenGetMedia} | ${mib(first.rssBytes)} / ${mib(last.rssBytes)} / ${mib(peak)} MiB | ${rssChangePercent(results.samples).toFixed(2)} % | ${growth.toFixed(2)} %/h | ${((last.cpuMs / last.atMs) * 100).toFixed(1)} % of a core |`,
    '',
    `Target (R2): RSS growth < ${results.targetPercentPerHour} %/h, every subscriber stable: ${missed.length === 0 ? 'met' : `**missed**: ${missed.join('; ')}`}.`,
    '',
    `RSS by sample (MiB): ${results.samples.map((s) => mib(s.rssBytes)).join(', ')}`,
  ].join('\n');
}
