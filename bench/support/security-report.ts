import type { CallCost, ComponentCosts } from './security-micro.js';
import { median, pairedRatio } from './stats.js';
import { roundFigures, type LoadRound, type RoundFigures } from './load-round.js';

/** The heading of the section this benchmark owns in `bench/RESULTS.md`. */
export const SECURITY_SECTION_HEADING = '## Security layer overhead (npm run bench:security)';

/** Which server a round loaded. */
export type ServerKind = 'secured' | 'open';

/** One measured window against one server. */
export interface SecurityRound extends LoadRound {
  readonly server: ServerKind;
}

/** Everything one run measured. */
export interface SecurityBenchResults {
  readonly date: string;
  readonly machine: string;
  readonly loadAverage: number;
  readonly command: string;
  readonly concurrency: number;
  readonly firstWarmupMs: number;
  readonly roundWarmupMs: number;
  readonly windowMs: number;
  /** Rounds per server. */
  readonly rounds: number;
  /** The operation, e.g. `ListObjects` from `schema/operations/objects.graphql`, and its variables as JSON. */
  readonly operation: string;
  readonly variables: string;
  /** Objects in the listed folder (the page shows the first few). */
  readonly folderObjects: number;
  /** In run order, both servers interleaved. */
  readonly runs: readonly SecurityRound[];
  readonly components: ComponentCosts;
  /** Limit settings of each server, for the setup line. */
  readonly securedLimits: string;
  readonly openLimits: string;
  /** Largest accepted overhead, e.g. 0.1 for 10%. */
  readonly targetOverhead: number;
  /** RELIABILITY.md S4 against the secured server: fragment bombs, each a fresh document. */
  readonly fragmentBomb: FragmentBombResult;
}

/** What refusing fragment bombs cost the secured server (RELIABILITY.md S4: < 50 ms, RSS + < 10 MB). */
export interface FragmentBombResult {
  /** Bombs sent, one at a time, each with fresh fragment names (no document cache hit). */
  readonly requests: number;
  /** Selections each bomb expands to. */
  readonly expandedSelections: number;
  /** Round trip of each refusal, ms, in order. */
  readonly latenciesMs: readonly number[];
  /** Gateway RSS before the first and after the last bomb, bytes. */
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
  /** Gateway CPU per refusal (user + system), µs. */
  readonly cpuUsPerRequest: number;
  readonly targetMs: number;
  readonly targetRssBytes: number;
}

/** Whether the S4 figures meet their targets: p99 round trip and RSS growth. */
export function fragmentBombTargetMet(result: FragmentBombResult): boolean {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  return percentileOf(sorted, 0.99) < result.targetMs && result.rssAfterBytes - result.rssBeforeBytes < result.targetRssBytes;
}

function percentileOf(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.POSITIVE_INFINITY;
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.POSITIVE_INFINITY;
}

function formatFragmentBomb(result: FragmentBombResult): string {
  const sorted = [...result.latenciesMs].sort((a, b) => a - b);
  const p50 = percentileOf(sorted, 0.5);
  const p99 = percentileOf(sorted, 0.99);
  const growth = result.rssAfterBytes - result.rssBeforeBytes;
  const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return [
    `| Fragment bomb (S4): ${result.requests} refusals by the secured server, ${result.expandedSelections.toExponential(0)} selections each | value | target |`,
    '|---|---:|---:|',
    `| Round trip p50 | ${p50.toFixed(2)} ms | — |`,
    `| Round trip p99 | ${p99.toFixed(2)} ms | < ${result.targetMs} ms: ${p99 < result.targetMs ? 'met' : '**missed**'} |`,
    `| Round trip max | ${(sorted.at(-1) ?? 0).toFixed(2)} ms | — |`,
    `| Gateway CPU per refusal | ${result.cpuUsPerRequest.toFixed(0)} µs | — |`,
    `| Gateway RSS growth over all refusals | ${mb(growth)} (${mb(result.rssBeforeBytes)} → ${mb(result.rssAfterBytes)}) | < ${mb(result.targetRssBytes)}: ${growth < result.targetRssBytes ? 'met' : '**missed**'} |`,
  ].join('\n');
}

/** One metric for both servers: medians over the rounds, and the ratio secured / open. */
export interface Compared {
  readonly secured: number;
  readonly open: number;
  /** Median of the per-pair ratios (pair i = round i of each server, run back to back). */
  readonly ratio: number;
  /** Smallest and largest per-pair ratio. */
  readonly ratioMin: number;
  readonly ratioMax: number;
  /** Distribution-free confidence interval of the median ratio (see `medianInterval` in `stats.ts`). */
  readonly ratioLow: number;
  readonly ratioHigh: number;
  /** The interval's exact coverage, e.g. 0.959 for 20 pairs; 0 when there are too few pairs for one. */
  readonly coverage: number;
  /** Every per-pair ratio, in run order. */
  readonly ratios: readonly number[];
}

/** What the tables and the verdict are made of. */
export interface SecuritySummary {
  readonly reqPerSec: Compared;
  readonly cpuUs: Compared;
  readonly userUs: Compared;
  readonly systemUs: Compared;
  readonly emulatorUs: Compared;
  readonly p50Ms: Compared;
  readonly p99Ms: Compared;
  readonly gatewayCores: Compared;
  readonly otherCores: { readonly max: number; readonly median: number };
  readonly requestsPerWindow: { readonly secured: number; readonly open: number };
  /** CPU per request overhead (ratio − 1) and throughput loss (1 − ratio), from the medians of the pair ratios. */
  readonly cpuOverhead: number;
  readonly throughputLoss: number;
  readonly cpuTargetMet: boolean;
  readonly throughputTargetMet: boolean;
  /** Pairs whose own CPU overhead, or throughput loss, reached the target: how firmly the medians decide. */
  readonly pairsOverCpuTarget: number;
  readonly pairsOverThroughputTarget: number;
}

function serverRounds(results: SecurityBenchResults, server: ServerKind): RoundFigures[] {
  return results.runs.filter((round) => round.server === server).map(roundFigures);
}

/** Confidence asked of the interval around each median ratio. */
const CONFIDENCE = 0.95;

/**
 * Medians per server and the median of the pairwise ratios. Pairs rather than a ratio of medians: the two rounds
 * of a pair ran back to back, so a slow phase of this shared machine hits both and cancels in their ratio.
 */
function compare(secured: readonly RoundFigures[], open: readonly RoundFigures[], pick: (round: RoundFigures) => number): Compared {
  const paired = pairedRatio(secured.map(pick), open.map(pick), CONFIDENCE);
  return {
    secured: median(secured.map(pick)),
    open: median(open.map(pick)),
    ratio: paired.ratio,
    ratioMin: paired.min,
    ratioMax: paired.max,
    ratioLow: paired.low,
    ratioHigh: paired.high,
    coverage: paired.coverage,
    ratios: paired.ratios,
  };
}

/** Summarises a run. @throws RangeError when a server has no rounds or the servers have different counts. */
export function summarize(results: SecurityBenchResults): SecuritySummary {
  const secured = serverRounds(results, 'secured');
  const open = serverRounds(results, 'open');
  if (secured.length === 0 || secured.length !== open.length) throw new RangeError(`unpaired rounds: ${secured.length} secured, ${open.length} open`);
  const cpuUs = compare(secured, open, (round) => round.cpuUs);
  const reqPerSec = compare(secured, open, (round) => round.reqPerSec);
  const all = [...secured, ...open];
  const cpuOverhead = cpuUs.ratio - 1;
  const throughputLoss = 1 - reqPerSec.ratio;
  return {
    reqPerSec,
    cpuUs,
    userUs: compare(secured, open, (round) => round.userUs),
    systemUs: compare(secured, open, (round) => round.systemUs),
    emulatorUs: compare(secured, open, (round) => round.emulatorUs),
    p50Ms: compare(secured, open, (round) => round.p50Ms),
    p99Ms: compare(secured, open, (round) => round.p99Ms),
    gatewayCores: compare(secured, open, (round) => round.gatewayCores),
    otherCores: { max: Math.max(...all.map((round) => round.otherCores)), median: median(all.map((round) => round.otherCores)) },
    requestsPerWindow: {
      secured: median(results.runs.filter((round) => round.server === 'secured').map((round) => round.requests)),
      open: median(results.runs.filter((round) => round.server === 'open').map((round) => round.requests)),
    },
    cpuOverhead,
    throughputLoss,
    cpuTargetMet: cpuOverhead < results.targetOverhead,
    throughputTargetMet: throughputLoss < results.targetOverhead,
    pairsOverCpuTarget: cpuUs.ratios.filter((value) => value - 1 >= results.targetOverhead).length,
    pairsOverThroughputTarget: reqPerSec.ratios.filter((value) => 1 - value >= results.targetOverhead).length,
  };
}

/** Whether both targets were met. */
export function targetMet(summary: SecuritySummary): boolean {
  return summary.cpuTargetMet && summary.throughputTargetMet;
}

function us(value: number): string {
  return `${value.toFixed(1)} µs`;
}

function ms(value: number): string {
  return `${value.toFixed(2)} ms`;
}

function ratio(value: number): string {
  return value.toFixed(3);
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

function signedPercent(value: number): string {
  return `${value >= 0 ? '+' : '−'}${(Math.abs(value) * 100).toFixed(1)}%`;
}

function count(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

function row(label: string, metric: Compared, format: (value: number) => string): string {
  return `| ${label} | ${format(metric.secured)} | ${format(metric.open)} | ${ratio(metric.ratio)} | ${ratio(metric.ratioLow)} – ${ratio(metric.ratioHigh)} |`;
}

function costCell(cost: CallCost): string {
  return `${us(cost.medianUs)} (${us(cost.minUs)} – ${us(cost.maxUs)})`;
}

/** The in-process parts, with their share of the secured server's CPU per request. */
function componentRows(results: SecurityBenchResults, summary: SecuritySummary): string[] {
  const c = results.components;
  const perRequest = summary.cpuUs.secured;
  const share = (value: number): string => percent(value / perRequest);
  const cost = (label: string, value: CallCost): string => `| ${label} | ${costCell(value)} | ${us(value.systemUs)} | ${share(value.medianUs)} |`;
  const authTotal = c.guardSecured.medianUs + c.authenticate.medianUs + c.charge.medianUs;
  const authSystem = c.guardSecured.systemUs + c.authenticate.systemUs + c.charge.systemUs;
  const measured = summary.cpuUs.secured - summary.cpuUs.open;
  const measuredSystem = summary.systemUs.secured - summary.systemUs.open;
  return [
    `| In-process CPU time per call (median of ${c.guardSecured.batches} batches, min – max) | µs per call | of which system (mean of all batches) | share of the secured server's ${us(perRequest)} per request |`,
    '|---|---:|---:|---:|',
    cost('`OperationGuard.check`, default limits (the secured server)', c.guardSecured),
    cost('`OperationGuard.check`, every limit at its maximum (reference: the same checks when they never refuse)', c.guardOpen),
    cost('reference: graphql-js `validate()` with no rules on the same document (the TypeInfo walk the guard no longer pays)', c.validateWalk),
    cost('`Security.fromHeaders` (Bearer parsing, HS256 JWT verification, tenant policy)', c.authenticate),
    cost('`Security.charge` (in-memory rate limiter)', c.charge),
    `| Secured-only parts in process (guard check + fromHeaders + charge) vs measured A − B gateway CPU per request | ${us(authTotal)} vs ${us(measured)} | ${us(authSystem)} vs ${us(measuredSystem)} | ${share(authTotal)} vs ${share(measured)} |`,
    cost('reference: jose `jwtVerify` with the secret as bytes (jose imports the key on every call)', c.joseBytesKey),
    cost('jose `jwtVerify` with the secret imported once as a `CryptoKey`: what `JwtVerifier` pays for a token it has not verified yet', c.joseCryptoKey),
    cost('reference: the HS256 signature alone, synchronous `node:crypto` `createHmac` + `timingSafeEqual`', c.syncHmac),
  ];
}

/** The markdown tables (servers, parts). */
export function formatTables(results: SecurityBenchResults): string {
  const s = summarize(results);
  const n = results.rounds;
  const servers = [
    `| ${results.operation}, ${results.concurrency} keep-alive connections (median of ${n} rounds each) | secured (A) | open (B) | A / B (median of pairs) | ${s.cpuUs.coverage > 0 ? `${percent(s.cpuUs.coverage)} confidence interval` : 'range of the pairs (too few for an interval)'} |`,
    '|---|---:|---:|---:|---:|',
    row('Requests/s', s.reqPerSec, (value) => value.toFixed(0)),
    row('Gateway CPU per request (user + system)', s.cpuUs, us),
    row('… user', s.userUs, us),
    row('… system', s.systemUs, us),
    row('Gateway CPU (share of one core)', s.gatewayCores, percent),
    row('Latency p50', s.p50Ms, ms),
    row('Latency p99', s.p99Ms, ms),
    row('Emulator (upstream) CPU per request', s.emulatorUs, us),
    `| Requests per ${results.windowMs / 1000} s window | ${count(s.requestsPerWindow.secured)} | ${count(s.requestsPerWindow.open)} | — | — |`,
    `| Target: overhead < ${percent(results.targetOverhead)} (medians of the pairs) | CPU per request ${signedPercent(s.cpuOverhead)}: ${s.cpuTargetMet ? 'met' : '**missed**'} | req/s ${signedPercent(-s.throughputLoss)}: ${s.throughputTargetMet ? 'met' : '**missed**'} | — | — |`,
  ];
  return `${servers.join('\n')}\n\n${componentRows(results, s).join('\n')}\n`;
}

/** Where the intervals, not only the medians, lie against the target. */
function verdictFirmness(s: SecuritySummary, target: number): string {
  const cpuBelow = s.cpuUs.ratioHigh - 1 < target;
  const throughputBelow = 1 - s.reqPerSec.ratioLow < target;
  if (cpuBelow && throughputBelow) return 'both intervals lie below the target';
  const cpuAbove = s.cpuUs.ratioLow - 1 >= target;
  const throughputAbove = 1 - s.reqPerSec.ratioHigh >= target;
  if (cpuAbove || throughputAbove) return `the ${cpuAbove ? 'CPU' : 'throughput'} interval lies wholly above the target`;
  return 'an interval reaches across the target';
}

/** The pairs behind the target row of the servers' table, and the machine's other load during the windows. */
export function formatPairsLine(results: SecurityBenchResults): string {
  const s = summarize(results);
  const pairs = s.cpuUs.ratios.length;
  const target = percent(results.targetOverhead);
  return (
    `Pairs against the target: CPU per request, single pairs ${signedPercent(s.cpuUs.ratioMin - 1)} to ${signedPercent(s.cpuUs.ratioMax - 1)}, ` +
    `${s.pairsOverCpuTarget} of ${pairs} at or above ${target}; req/s, ${s.pairsOverThroughputTarget} of ${pairs} pairs lost ${target} or more; ` +
    `${verdictFirmness(s, results.targetOverhead)}. ` +
    `Other processes used up to ${percent(s.otherCores.max)} of a core during the windows (median ${percent(s.otherCores.median)}).`
  );
}

/** The complete section for `bench/RESULTS.md`, starting with {@link SECURITY_SECTION_HEADING}. */
export function formatSection(results: SecurityBenchResults): string {
  const order = results.runs.map((round) => (round.server === 'secured' ? 'A' : 'B')).join('');
  const setup =
    `- Setup: the gateway (\`bench/support/security-gateway.child.ts\`, \`startGateway\` as \`gateway.child.ts\` runs it) started twice in one run, each in its own process, both kept running; ` +
    `(A) **secured**: \`AUTH_JWT_SECRET\` + \`AUTH_ISSUER\` + \`AUTH_AUDIENCE\`, a \`TENANTS_FILE\` with one tenant whose objects prefix holds the listed folder, ` +
    `${results.securedLimits}, \`RATE_LIMIT_PER_SECOND\` = \`RATE_LIMIT_BURST\` = 1000000 (never refuses); every request carries ` +
    `\`Authorization: Bearer\` with one HS256 JWT (jose \`SignJWT\`, scope \`objects:read\`, that tenant). (B) **open**: no authentication ` +
    `(development mode on 127.0.0.1: anonymous full access, no tenant guard, no rate limiting), ${results.openLimits}, no Authorization header. ` +
    `Both processes run with \`NODE_ENV=production\`; the open server's configuration alone reads \`NODE_ENV=development\` (the gateway ` +
    `refuses to run unauthenticated otherwise). Both: \`LOG_LEVEL=warn\`, one ` +
    `MediaStore emulator in its own process (\`bench/support/emulator.child.ts\`) holding ${results.folderObjects} objects in the listed folder.`;
  const load =
    `- Load: \`${results.operation}\` from \`schema/operations/objects.graphql\` with \`${results.variables}\`, POSTed as JSON by this process on ` +
    `${results.concurrency} keep-alive connections, closed loop (a new request as soon as an answer arrives); every answer checked for HTTP 200 ` +
    `and no \`errors\`, one per round in full. Each server warmed up ${results.firstWarmupMs / 1000} s first, then ${results.rounds} rounds ` +
    `each in the order ${order} (pairs alternate which server goes first), each round on fresh connections: ` +
    `${results.roundWarmupMs / 1000} s warm-up, ${results.windowMs / 1000} s measured window. Gateway and emulator CPU: user + system from ` +
    `\`/proc/<pid>/stat\` over the window, divided by the answers completed in it; latency: request start to last byte, per round, median of rounds.`;
  const micro =
    `- In process (\`bench/support/security-micro.child.ts\`, after the rounds, with \`NODE_ENV=production\` like the servers): the same ` +
    `request through \`OperationGuard.check\` (built as \`startGateway\` builds it, with \`buildFederatedSchema()\` and \`loadConfig()\` of ` +
    `each server's environment, the caller's \`Access\`, a fresh copy of the query text per call as the server sees it), ` +
    `\`Security.fromHeaders\` and \`Security.charge\` (the secured configuration), timed as process CPU time (libuv's thread pool ` +
    `included) in batches interleaved round-robin, one call at a time.`;
  const bombs =
    `- Fragment bombs (S4), after the rounds: ${results.fragmentBomb.requests} documents of ten levels of ten spreads, each with its own fragment ` +
    `names, sent one at a time with the tenant's token to the secured server, each answered 400 with a limit error; RSS from ` +
    `\`/proc/<pid>/status\` before the first and after the last.`;
  return [
    SECURITY_SECTION_HEADING,
    '',
    `- Date: ${results.date}`,
    `- Machine: ${results.machine}; 1-minute load ${results.loadAverage.toFixed(2)} at start`,
    `- Command: \`${results.command}\``,
    setup,
    load,
    micro,
    bombs,
    '',
    formatTables(results).trimEnd(),
    '',
    formatPairsLine(results),
    '',
    formatFragmentBomb(results.fragmentBomb),
    '',
  ].join('\n');
}
