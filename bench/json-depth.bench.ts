/**
 * `npm run bench:json-depth`: what deeply nested JSON bodies cost the gateway (RELIABILITY S16). A request body of
 * 1.8 MB of nested arrays (`[[[…]]]`, under the 2 MiB body limit) is sent 20 times at once, with a valid bearer
 * token and without credentials, while a concurrent `{ __typename }` (with the token) is sent back to back and
 * timed. Targets, for the current code: p99 of that query < 100 ms, gateway RSS growth < 50 MB (peak during the
 * burst over the baseline after a full GC), and every bad body answered with a coded 400 (a coded 401 without
 * credentials).
 *
 * Two gateways run side by side, each in its own process with JWT authentication (`NODE_ENV=production`): the
 * code before the depth check (a `git worktree` of the commit before `GRAPHQL_JSON_MAX_DEPTH` came in, or of
 * `JSON_DEPTH_BASELINE`; its `node_modules` is this checkout's) and the current working tree. Rounds alternate
 * between them (`JSON_DEPTH_ROUNDS` per server and credential case, 5 by default). Both use one MediaStore
 * emulator process; nothing here reaches it. The concurrent query comes from a probe process of its own
 * (`bench/support/json-depth-probe.child.ts`). Prints the table on stdout and appends it, with the date and the
 * machine, to `bench/RESULTS.md` (a run of fewer rounds than the default leaves the file alone); the worktree is
 * removed afterwards.
 * Exit status: 0 when the current code met every target; 1 otherwise (children are always ended).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBenchAuth, type BenchAuth } from './support/bench-auth.js';
import { BENCH_AWS_ENV, cpuMs, REPO_ROOT, startBenchChild, positiveInteger } from './support/children.js';
import type { EmulatorCommands, EmulatorReady, GatewayCommands, GatewayReady } from './support/commands.js';
import { ChildServer, childEnv, describeError, requireLoopback, runSupervised } from './support/ipc.js';
import type { ProbeCommands } from './support/json-depth-probe.child.js';
import { describeMachine, formatMachine } from './support/machine.js';
import { percentile } from './support/stats.js';

/** The probe's body: 900,000 `[` then as many `]`, 1.8 MB. */
const DEPTH = 900_000;
const DEEP_BYTES = DEPTH * 2;
const CONCURRENT_BODIES = 20;
const DEFAULT_ROUNDS = 5;
const ROUNDS = positiveInteger('JSON_DEPTH_ROUNDS', DEFAULT_ROUNDS);
const TARGET_P99_MS = 100;
const TARGET_RSS_GROWTH_BYTES = 50 * 1e6;
/** How long the probe runs alone before each burst: the machine's own latency, for comparison. */
const QUIET_MS = 1_000;
const DEADLINE_MS = 60 * 60_000;
const RESULTS_PATH = join(REPO_ROOT, 'bench', 'RESULTS.md');
const REGION = 'us-east-1';

type ServerKind = 'before' | 'current';
type Credentials = 'with' | 'without';

interface Round {
  readonly server: ServerKind;
  readonly credentials: Credentials;
  /** `status code` of each bad body's answer, e.g. `400 BAD_REQUEST`. */
  readonly answers: readonly string[];
  /** Latencies of the concurrent `{ __typename }`, ms. */
  readonly probeMs: readonly number[];
  /** Latencies of the same query in the quiet second before the burst, ms. */
  readonly quietMs: readonly number[];
  /** Probe answers that were not `{ data: { __typename: "Query" } }`, or never came. */
  readonly probeFailures: number;
  readonly probeFirstFailure: string | null;
  /** From the first bad body sent to the last answer, ms. */
  readonly burstMs: number;
  readonly gatewayCpuMs: number;
  readonly rssBaselineBytes: number;
  readonly rssPeakBytes: number;
  /** RSS after a full GC once the burst was over. */
  readonly rssAfterGcBytes: number;
}

const children: ChildServer<EmulatorCommands | GatewayCommands | ProbeCommands>[] = [];
let worktree: string | undefined;


function git(args: readonly string[]): string {
  return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
}

/** The commit measured as the code before the depth check: `JSON_DEPTH_BASELINE`, or the parent of the commit that introduced it. */
function baselineCommit(): string {
  const configured = process.env['JSON_DEPTH_BASELINE'];
  if (configured !== undefined && configured !== '') return git(['rev-parse', '--verify', `${configured}^{commit}`]);
  const introducing = git(['log', '--reverse', '--format=%H', '-S', 'GRAPHQL_JSON_MAX_DEPTH', '--', 'src/config.ts']).split('\n')[0];
  if (introducing === undefined || introducing === '') throw new Error('no commit introduces GRAPHQL_JSON_MAX_DEPTH; set JSON_DEPTH_BASELINE');
  return git(['rev-parse', '--verify', `${introducing}^`]);
}

/** A detached worktree of `commit` sharing this checkout's node_modules; removed by {@link removeWorktree}. */
function addWorktree(commit: string): string {
  const parent = mkdtempSync(join(tmpdir(), 'json-depth-bench-'));
  const path = join(parent, 'before');
  git(['worktree', 'add', '--detach', path, commit]);
  worktree = path;
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(path, 'node_modules'), 'dir');
  return path;
}

function removeWorktree(): void {
  if (worktree === undefined) return;
  const path = worktree;
  worktree = undefined;
  try {
    git(['worktree', 'remove', '--force', path]);
  } catch (error) {
    console.error(`removing the worktree ${path} failed: ${describeError(error)}`);
  }
  rmSync(join(path, '..'), { recursive: true, force: true });
}

async function startEmulator(): Promise<string> {
  const { server, info } = await startBenchChild<EmulatorCommands>({ name: 'emulator', entry: 'emulator.child.ts', env: {} });
  children.push(server);
  return requireLoopback('emulator', (info as EmulatorReady).endpoint);
}

/** The gateway of the checkout at `root` (its own `bench/support/gateway.child.ts`), in its own process. */
async function startGateway(name: ServerKind, root: string, mediastoreEndpoint: string, auth: BenchAuth): Promise<{ server: ChildServer<GatewayCommands>; url: string }> {
  const { server, info } = await ChildServer.start<GatewayCommands>({
    name: `gateway-${name}`,
    entry: join(root, 'bench', 'support', 'gateway.child.ts'),
    cwd: root,
    env: childEnv({
      NODE_ENV: 'production',
      ...auth.env,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
      SIGNING_SECRET: randomBytes(32).toString('hex'),
      MEDIASTORE_ENDPOINT: mediastoreEndpoint,
      MEDIASTORE_REGION: REGION,
      EMULATORS: 'off',
      SHUTDOWN_GRACE_MS: '2000',
      ...BENCH_AWS_ENV,
    }),
    readyTimeoutMs: 60_000,
    requestTimeoutMs: 120_000,
  });
  children.push(server);
  return { server, url: requireLoopback(`gateway-${name}`, (info as GatewayReady).url) };
}

async function startProbe(): Promise<ChildServer<ProbeCommands>> {
  // `stop` waits for the query in flight, which the code before the check can hold for tens of seconds.
  const { server } = await startBenchChild<ProbeCommands>({ name: 'probe', entry: 'json-depth-probe.child.ts', env: {}, requestTimeoutMs: 300_000 });
  children.push(server);
  return server;
}

/**
 * POSTs one hostile body on a connection of its own (as an attacker would open them); resolves with `status code`
 * of the answer, e.g. `400 BAD_REQUEST`, or with why none came.
 */
function sendBadBody(url: string, headers: Record<string, string>, body: Buffer): Promise<string> {
  return new Promise((resolve) => {
    const req = request(`${url}/graphql`, { method: 'POST', agent: false, headers: { ...headers, 'content-length': String(body.length) } });
    req.once('error', (error: NodeJS.ErrnoException) => resolve(`no answer (${error.code ?? error.message})`));
    req.once('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('error', (error: NodeJS.ErrnoException) => resolve(`${String(res.statusCode)} cut (${error.code ?? error.message})`));
      res.once('end', () => {
        try {
          const code = (JSON.parse(text) as { errors?: { extensions?: { code?: unknown } }[] }).errors?.[0]?.extensions?.code;
          resolve(`${String(res.statusCode)} ${typeof code === 'string' ? code : '(no code)'}`);
        } catch {
          resolve(`${String(res.statusCode)} (not JSON)`);
        }
      });
    });
    req.end(body);
  });
}

async function runRound(
  server: ServerKind,
  gateway: { server: ChildServer<GatewayCommands>; url: string },
  probe: ChildServer<ProbeCommands>,
  credentials: Credentials,
  auth: BenchAuth,
  deepBody: Buffer,
): Promise<Round> {
  const baseline = await gateway.server.request('gc', {});
  await gateway.server.request('openRssWindow', {});
  const usage0 = await gateway.server.request('usage', {});
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(credentials === 'with' ? { authorization: auth.authorization } : {}) };
  await probe.request('start', { url: gateway.url, authorization: auth.authorization });
  await sleep(QUIET_MS);
  const quiet = await probe.request('stop', {});
  // Probing first (its first answer is in): the burst lands on a query in flight.
  await probe.request('start', { url: gateway.url, authorization: auth.authorization });
  const started = performance.now();
  const answers = await Promise.all(Array.from({ length: CONCURRENT_BODIES }, () => sendBadBody(gateway.url, headers, deepBody)));
  const burstMs = performance.now() - started;
  const probed = await probe.request('stop', {});
  const usage1 = await gateway.server.request('usage', {});
  const closed = await gateway.server.request('closeRssWindow', {});
  const after = await gateway.server.request('gc', {});
  const peak = Math.max(closed.window.sampledPeakBytes, closed.window.kernelPeakBytes ?? 0);
  return {
    server,
    credentials,
    answers,
    probeMs: probed.latencies,
    quietMs: quiet.latencies,
    probeFailures: probed.failures,
    probeFirstFailure: probed.firstFailure,
    burstMs,
    gatewayCpuMs: cpuMs(usage0, usage1),
    rssBaselineBytes: baseline.rssBytes,
    rssPeakBytes: peak,
    rssAfterGcBytes: after.rssBytes,
  };
}

interface Summary {
  readonly server: ServerKind;
  readonly credentials: Credentials;
  readonly answers: ReadonlyMap<string, number>;
  readonly probeCount: number;
  readonly probeFailures: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly quietP50: number;
  readonly quietP99: number;
  readonly quietCount: number;
  readonly burstMs: number;
  readonly cpuMsPerBody: number;
  readonly peakGrowthBytes: number;
  readonly afterGcGrowthBytes: number;
  readonly answersMet: boolean;
  readonly p99Met: boolean;
  readonly rssMet: boolean;
}

function summarize(rounds: readonly Round[], server: ServerKind, credentials: Credentials): Summary {
  const mine = rounds.filter((round) => round.server === server && round.credentials === credentials);
  const latencies = mine.flatMap((round) => round.probeMs);
  const quiet = mine.flatMap((round) => round.quietMs);
  const answers = new Map<string, number>();
  for (const answer of mine.flatMap((round) => round.answers)) answers.set(answer, (answers.get(answer) ?? 0) + 1);
  const expected = credentials === 'with' ? '400 BAD_REQUEST' : '401 UNAUTHENTICATED';
  const peakGrowthBytes = Math.max(...mine.map((round) => round.rssPeakBytes - round.rssBaselineBytes));
  // No answered probe at all reads as an infinite latency, never as a fast one.
  const p99 = latencies.length === 0 ? Number.POSITIVE_INFINITY : percentile(latencies, 99);
  return {
    server,
    credentials,
    answers,
    probeCount: latencies.length,
    probeFailures: mine.reduce((sum, round) => sum + round.probeFailures, 0),
    p50: latencies.length === 0 ? Number.POSITIVE_INFINITY : percentile(latencies, 50),
    p99,
    max: latencies.length === 0 ? Number.POSITIVE_INFINITY : Math.max(...latencies),
    quietP50: quiet.length === 0 ? Number.NaN : percentile(quiet, 50),
    quietP99: quiet.length === 0 ? Number.NaN : percentile(quiet, 99),
    quietCount: quiet.length,
    burstMs: percentile(
      mine.map((round) => round.burstMs),
      50,
    ),
    cpuMsPerBody: mine.reduce((sum, round) => sum + round.gatewayCpuMs, 0) / (mine.length * CONCURRENT_BODIES),
    peakGrowthBytes,
    afterGcGrowthBytes: Math.max(...mine.map((round) => round.rssAfterGcBytes - round.rssBaselineBytes)),
    answersMet: answers.size === 1 && answers.has(expected),
    p99Met: p99 < TARGET_P99_MS,
    rssMet: peakGrowthBytes < TARGET_RSS_GROWTH_BYTES,
  };
}

const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
const ms = (value: number): string => `${value.toFixed(1)} ms`;

function formatTable(summaries: readonly Summary[]): string {
  const rows = summaries.map((s) => {
    const answers = [...s.answers].map(([answer, count]) => `${count} × ${answer}`).join(', ');
    const met = s.answersMet && s.p99Met && s.rssMet;
    const verdict = s.server === 'before' ? '—' : met ? 'met' : 'NOT met';
    return `| ${s.server} | ${s.credentials} | ${answers} | ${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)} (${s.probeCount}${s.probeFailures > 0 ? `, ${s.probeFailures} failed` : ''}) | ${ms(s.quietP50)} / ${ms(s.quietP99)} (${s.quietCount}) | ${ms(s.burstMs)} | ${ms(s.cpuMsPerBody)} | ${mb(s.peakGrowthBytes)} | ${mb(s.afterGcGrowthBytes)} | ${verdict} |`;
  });
  return [
    `| server | credentials | the ${ROUNDS * CONCURRENT_BODIES} bad bodies were answered | concurrent \`{ __typename }\` p50 / p99 / max (samples) | the same query in the quiet second before each burst, p50 / p99 (samples) | burst wall time (median) | gateway CPU of a burst ÷ ${CONCURRENT_BODIES} (probe queries and RSS sampling included) | gateway RSS growth, peak during a burst (worst round) | RSS growth after GC (worst round) | targets (p99 < ${TARGET_P99_MS} ms, RSS < ${mb(TARGET_RSS_GROWTH_BYTES)}, coded 400 / 401) |`,
    '|---|---|---|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
  ].join('\n');
}

/**
 * Each target with the current code's value per case, and, when the query's own p99 in the quiet seconds was
 * already at or above the target, that this run cannot judge the p99 target.
 */
function targetsNote(summaries: readonly Summary[]): string {
  const current = summaries.filter((s) => s.server === 'current');
  const verdict = (ok: boolean): string => (ok ? 'met' : 'missed');
  const each = (value: (s: Summary) => string, ok: (s: Summary) => boolean): string =>
    current.map((s) => `${s.credentials} credentials ${value(s)} (${verdict(ok(s))})`).join(', ');
  const quietOver = current.filter((s) => !(s.quietP99 < TARGET_P99_MS));
  const quiet =
    quietOver.length === 0
      ? ''
      : ` In the quiet seconds the query's own p99 was already at or above ${TARGET_P99_MS} ms (${quietOver.map((s) => `${s.credentials} credentials ${ms(s.quietP99)}`).join(', ')}), so this run cannot judge the p99 target.`;
  return (
    `p99 < ${TARGET_P99_MS} ms: ${each((s) => ms(s.p99), (s) => s.p99Met)}; ` +
    `RSS growth < ${mb(TARGET_RSS_GROWTH_BYTES)}: ${each((s) => mb(s.peakGrowthBytes), (s) => s.rssMet)}; ` +
    `coded 400 / 401: ${current.map((s) => `${s.credentials} credentials ${verdict(s.answersMet)}`).join(', ')}.${quiet}`
  );
}

async function run(): Promise<boolean> {
  const machine = describeMachine();
  const uname = execFileSync('uname', ['-a'], { encoding: 'utf8' }).trim();
  const before = baselineCommit();
  const current = git(['rev-parse', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  console.error(`code before the depth check: ${before}; current: ${current}${dirty ? ' plus uncommitted changes' : ''}`);
  const beforeRoot = addWorktree(before);
  if (!existsSync(join(beforeRoot, 'bench', 'support', 'gateway.child.ts'))) throw new Error(`${before} has no bench/support/gateway.child.ts`);

  const auth = await createBenchAuth('json-depth-bench', ['objects:read']);
  const emulator = await startEmulator();
  const probe = await startProbe();
  const gateways = {
    before: await startGateway('before', beforeRoot, emulator, auth),
    current: await startGateway('current', REPO_ROOT, emulator, auth),
  };
  const deepBody = Buffer.from(`${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`);
  if (deepBody.length !== DEEP_BYTES) throw new Error(`the body is ${deepBody.length} bytes, expected ${DEEP_BYTES}`);
  const rounds: Round[] = [];
  for (let index = 0; index < ROUNDS; index += 1) {
    // Alternate which server goes first, so drift on the shared machine hits both alike.
    const order: ServerKind[] = index % 2 === 0 ? ['before', 'current'] : ['current', 'before'];
    for (const server of order) {
      for (const credentials of ['with', 'without'] as const) {
        const round = await runRound(server, gateways[server], probe, credentials, auth, deepBody);
        rounds.push(round);
        console.error(
          `round ${index + 1} ${server} ${credentials}: burst ${ms(round.burstMs)}, probe max ${ms(Math.max(...round.probeMs))} over ${round.probeMs.length}` +
            `${round.probeFailures > 0 ? ` (${round.probeFailures} failed, first: ${String(round.probeFirstFailure)})` : ''}, RSS peak +${mb(round.rssPeakBytes - round.rssBaselineBytes)}, answers ${[...new Set(round.answers)].join(' / ')}`,
        );
      }
    }
  }
  const summaries = (['before', 'current'] as const).flatMap((server) => (['with', 'without'] as const).map((credentials) => summarize(rounds, server, credentials)));
  const table = formatTable(summaries);
  const met = summaries.filter((s) => s.server === 'current').every((s) => s.answersMet && s.p99Met && s.rssMet);
  const section = [
    '',
    '## Deeply nested JSON bodies (npm run bench:json-depth)',
    '',
    `- Date: ${new Date().toISOString().slice(0, 10)}`,
    `- Machine: ${formatMachine(machine)}; 1-minute load ${machine.loadAverage.toFixed(2)} at start`,
    `- \`uname -a\`: \`${uname}\``,
    `- Code: **before** = \`${before.slice(0, 12)}\` (the commit before the JSON depth check, in a git worktree), **current** = \`${current.slice(0, 12)}\`${dirty ? ' with uncommitted changes in the working tree' : ''}`,
    `- Setup: each gateway in its own process (\`bench/support/gateway.child.ts\` of its checkout), \`NODE_ENV=production\`, HS256 JWT authentication, default limits (\`GRAPHQL_BODY_LIMIT_BYTES\` 2 MiB, \`GRAPHQL_JSON_MAX_DEPTH\` 64 where it exists), one MediaStore emulator process (never called). Per round, ${CONCURRENT_BODIES} POSTs at once of a ${(DEEP_BYTES / 1e6).toFixed(1)} MB body of ${DEPTH.toLocaleString('en-US')} nested arrays, with the bearer token ("with") or no credentials ("without"), each on a connection of its own, while a probe process sends \`{ "query": "{ __typename }" }\` with the token back to back on one keep-alive connection, from just before the burst until the last bad body is answered (and alone for ${QUIET_MS} ms before each burst, for the machine's own latency); ${ROUNDS} rounds per server and case, servers alternating. RSS from the gateway's own sampler (5 ms) and the kernel's peak, over the baseline after a full GC; CPU from \`/proc\`.`,
    '',
    table,
    '',
    `Targets for the current code: ${met ? 'met' : 'NOT met'}. ${targetsNote(summaries)}`,
    '',
  ].join('\n');
  console.log(table);
  if (ROUNDS >= DEFAULT_ROUNDS) {
    appendFileSync(RESULTS_PATH, section);
    console.error(`appended to ${RESULTS_PATH}`);
  } else console.error(`a short run (JSON_DEPTH_ROUNDS=${ROUNDS}) leaves ${RESULTS_PATH} alone`);
  return met;
}

await runSupervised(
  children,
  DEADLINE_MS,
  run,
  async () => {
    await Promise.all(children.map((child) => child.stop()));
  },
  removeWorktree,
);
