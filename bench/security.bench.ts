/**
 * `npm run bench:security`: what the security layer costs per request. The same gateway runs twice in one run,
 * each in its own process: (A) secured (HS256 JWT authentication, a tenants file, the default operation limits,
 * a rate limit too high to refuse) and (B) open (no authentication: development mode on 127.0.0.1, where the
 * anonymous caller has full access, so no tenant guard and no rate limiting; and no operation guard on its HTTP
 * endpoint, so no limits, safelist, router-secret or scope pre-check: `startGateway`'s `withoutHttpOperationGuard`).
 * Both are loaded with the same typical authenticated query, a 10-entry `ListObjects` page, on keep-alive
 * connections at a fixed concurrency, in alternating rounds so the shared machine's drift hits both. Reports
 * req/s, gateway CPU per request (from `/proc`), p50/p99 latency and the A/B ratios against the target
 * (< 10% overhead on CPU per request and on req/s).
 *
 * A − B is therefore the whole security layer: authentication, tenant guard, rate limiting and operation limits.
 * This process also times `OperationGuard.check`, `Security.fromHeaders` and `Security.charge` on the same request,
 * in process, and relates them to the secured server's CPU per request.
 *
 * Processes: this one is the load client; `bench/support/emulator.child.ts` and two
 * `bench/support/security-gateway.child.ts` are the servers, on 127.0.0.1 ephemeral ports, all with
 * `NODE_ENV=production` (the open server's configuration alone reads development); after the rounds,
 * `bench/support/security-micro.child.ts` times the parts. Prints the tables on stdout and replaces this
 * benchmark's section of `bench/RESULTS.md`.
 * Exit status: 0 when every answer verified and the target was met; 1 otherwise (children are always ended).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { SignJWT } from 'jose';
import { loadConfig, type Config } from '../src/config.js';
import type { EmulatorCommands, EmulatorReady } from './support/commands.js';
import { BENCH_AWS_ENV, REPO_ROOT, startBenchChild } from './support/children.js';
import { pidOf, requireLoopback, runSupervised, type ChildServer } from './support/ipc.js';
import { describeMachine, formatMachine } from './support/machine.js';
import { LIST_OBJECTS_OPERATION, listObjectsQuery, verifyListingPage } from './support/listing-request.js';
import { measureLoadRound, warmUp, type LoadedServer } from './support/load-round.js';
import { readProcessUsage } from './support/proc-usage.js';
import { writeResultsSection } from './support/results-file.js';
import type { LoadRequest } from './support/security-load.js';
import {
  CONFIG_NODE_ENV_VARIABLE,
  OPERATION_GUARD_VARIABLE,
  type SecurityGatewayCommands,
  type SecurityGatewayReady,
  type SecurityMicroCommands,
} from './support/security-commands.js';
import type { ComponentCosts } from './support/security-micro.js';
import {
  SECURITY_SECTION_HEADING,
  formatSection,
  formatTables,
  summarize,
  targetMet,
  fragmentBombTargetMet,
  type FragmentBombResult,
  type SecurityBenchResults,
  type SecurityRound,
  type ServerKind,
} from './support/security-report.js';

/** What the benchmark measures and how often. */
const PLAN = {
  /** Requests in flight, one keep-alive connection each. */
  concurrency: 16,
  /**
   * Measured rounds per server, alternating. Many short rounds rather than a few long ones: on a shared machine
   * the speed drifts within seconds, and the closer the two rounds of a pair, the more of that drift cancels.
   */
  rounds: 20,
  /** Unmeasured load on each server before the first round: JIT, document caches, connection pools upstream. */
  firstWarmupMs: 5_000,
  /** Unmeasured load at the start of every round, on its fresh connections, until the server is in a steady state. */
  roundWarmupMs: 500,
  windowMs: 2_000,
  /** Objects in the listed folder; the page shows the first `pageSize`. */
  folderObjects: 100,
  pageSize: 10,
  targetOverhead: 0.1,
  /** In-process timing of the parts (see `security-micro.ts`). */
  micro: { warmupMs: 500, batchMs: 10, rounds: 10, batchesPerRound: 3 },
  /** Fragment bombs (S4) sent to the secured server after the rounds, and the targets RELIABILITY.md sets. */
  fragmentBomb: { requests: 200, targetMs: 50, targetRssBytes: 10 * 1024 * 1024 },
  /** The whole benchmark is abandoned (children killed, exit 1) after this long. */
  deadlineMs: 6 * 60_000,
} as const;

const RESULTS_PATH = join(REPO_ROOT, 'bench', 'RESULTS.md');
const OPERATION_NAME = LIST_OBJECTS_OPERATION;
const REGION = 'us-east-1';

const TENANT = 'bench';
/** The tenant's objects prefix; the listed folder lies inside it. */
const TENANT_PREFIX = '/bench-tenant/';
const FOLDER = 'bench-tenant/listing';
/** A folder outside the tenant, to show the tenant guard refuses it. */
const FOREIGN_FOLDER = '/other-tenant/listing';
const ISSUER = 'https://issuer.bench.invalid/';
const AUDIENCE = 'media-graph-bench';
const SUBJECT = 'bench-client';

/**
 * The largest value `src/config.ts` accepts for every operation limit. The open server runs no guard at all; its
 * configuration holds these so the in-process timing can show the guard's cost with limits that never refuse.
 */
const LIMIT_MAXIMA: Readonly<Record<string, string>> = {
  LIMIT_MAX_DEPTH: '100',
  LIMIT_MAX_ALIASES: '10000',
  LIMIT_MAX_ROOT_FIELDS: '1000',
  LIMIT_MAX_DIRECTIVES: '10000',
  LIMIT_MAX_TOKENS: '1000000',
  LIMIT_MAX_COST: '100000000',
  ENTITIES_MAX_REPRESENTATIONS: '10000',
};

const children: ChildServer<EmulatorCommands | SecurityGatewayCommands | SecurityMicroCommands>[] = [];

async function startEmulator(): Promise<{ server: ChildServer<EmulatorCommands>; endpoint: string }> {
  const { server, info } = await startBenchChild<EmulatorCommands>({ name: 'emulator', entry: 'emulator.child.ts', env: { NODE_ENV: 'production' } });
  children.push(server);
  return { server, endpoint: requireLoopback('emulator', (info as EmulatorReady).endpoint) };
}

/**
 * One gateway process (`security-gateway.child.ts`) configured by `configEnv`, what `loadConfig` reads. The
 * process itself always runs with `NODE_ENV=production`, as a deployment does; `configEnv.NODE_ENV` reaches the
 * configuration only (see `CONFIG_NODE_ENV_VARIABLE`), and the ready message confirms what it read.
 */
async function startGatewayProcess(
  name: string,
  configEnv: Readonly<Record<string, string>>,
  operationGuard: boolean,
): Promise<{ server: ChildServer<SecurityGatewayCommands>; url: string }> {
  const configNodeEnv = configEnv['NODE_ENV'] ?? 'development';
  const { server, info } = await startBenchChild<SecurityGatewayCommands>({
    name,
    entry: 'security-gateway.child.ts',
    env: {
      ...configEnv,
      NODE_ENV: 'production',
      [CONFIG_NODE_ENV_VARIABLE]: configNodeEnv,
      [OPERATION_GUARD_VARIABLE]: operationGuard ? 'on' : 'off',
      ...BENCH_AWS_ENV,
    },
  });
  children.push(server);
  const ready = info as SecurityGatewayReady;
  if (ready.configEnv !== configNodeEnv) throw new Error(`${name} configured itself for ${ready.configEnv}, expected ${configNodeEnv}`);
  if (ready.operationGuard !== operationGuard) throw new Error(`${name} runs the operation guard: ${String(ready.operationGuard)}, expected ${String(operationGuard)}`);
  return { server, url: requireLoopback(name, ready.url) };
}

/** Times the parts in their own process, with the servers' `NODE_ENV` (see `security-micro.child.ts`). */
async function measureInProcess(args: SecurityMicroCommands['measure']['args']): Promise<ComponentCosts> {
  const { server } = await startBenchChild<SecurityMicroCommands>({
    name: 'security-micro',
    entry: 'security-micro.child.ts',
    env: { NODE_ENV: 'production' },
    requestTimeoutMs: 180_000,
  });
  children.push(server);
  try {
    return await server.request('measure', args);
  } finally {
    await server.stop();
  }
}

async function mintToken(secret: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  // An hour outlives the run; the same token on every request is what a client does between refreshes.
  return new SignJWT({ tenant: TENANT, scope: 'objects:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(SUBJECT)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + 3600)
    .sign(new TextEncoder().encode(secret));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** POSTs one GraphQL request outside the load, for the setup checks. */
async function postOnce(target: LoadRequest, body: string, withoutHeader?: string): Promise<{ status: number; body: unknown }> {
  const headers = Object.fromEntries(Object.entries(target.headers).filter(([name]) => name !== withoutHeader));
  const response = await fetch(target.url, { method: 'POST', headers, body });
  return { status: response.status, body: (await response.json()) as unknown };
}

function errorCode(body: unknown): unknown {
  const first = isRecord(body) && Array.isArray(body['errors']) ? (body['errors'][0] as unknown) : undefined;
  return isRecord(first) && isRecord(first['extensions']) ? first['extensions']['code'] : undefined;
}

/**
 * Proves each server is configured as described before anything is measured: the secured one refuses a request
 * without the token (401) and a folder outside the tenant (FORBIDDEN), and serves the tenant's folder; the open
 * one serves it with no credentials at all.
 */
async function checkSetup(targets: Readonly<Record<ServerKind, LoadRequest>>, query: string): Promise<void> {
  const secured = targets.secured;
  const anonymous = await postOnce(secured, secured.body, 'authorization');
  if (anonymous.status !== 401) throw new Error(`the secured server answered ${anonymous.status} without a token, expected 401`);
  const foreign = await postOnce(secured, JSON.stringify({ query, operationName: OPERATION_NAME, variables: { path: FOREIGN_FOLDER, first: PLAN.pageSize } }));
  if (errorCode(foreign.body) !== 'FORBIDDEN') throw new Error(`the secured server did not refuse ${FOREIGN_FOLDER}: ${JSON.stringify(foreign.body).slice(0, 300)}`);
  // 1,000 aliases: the secured server's limits refuse it (400), the open server, without the guard, runs it.
  const aliases = JSON.stringify({ query: `{ ${Array.from({ length: 1_000 }, (_, index) => `a${index}: __typename`).join(' ')} }` });
  const [limited, unlimited] = [await postOnce(secured, aliases), await postOnce(targets.open, aliases)];
  if (limited.status !== 400) throw new Error(`the secured server answered ${limited.status} to 1,000 aliases, expected 400`);
  if (unlimited.status !== 200) throw new Error(`the open server answered ${unlimited.status} to 1,000 aliases: is its operation guard on?`);
  for (const server of ['secured', 'open'] as const) {
    const answer = await postOnce(targets[server], targets[server].body);
    if (answer.status !== 200) throw new Error(`${server}: answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
    verifyListingPage(server, JSON.stringify(answer.body), PLAN.pageSize);
  }
}

interface Server extends LoadedServer {
  readonly kind: ServerKind;
}

/** One round against `server` (see `measureLoadRound`). */
async function measureRound(server: Server, emulatorPid: number): Promise<SecurityRound> {
  const { round } = await measureLoadRound(server, emulatorPid, { concurrency: PLAN.concurrency, warmupMs: PLAN.roundWarmupMs, windowMs: PLAN.windowMs });
  return { server: server.kind, ...round };
}

function describeLimits(limits: Config['limits']): string {
  return (
    `LIMIT_MAX_DEPTH ${limits.maxDepth}, LIMIT_MAX_ALIASES ${limits.maxAliases}, LIMIT_MAX_ROOT_FIELDS ${limits.maxRootFields}, ` +
    `LIMIT_MAX_DIRECTIVES ${limits.maxDirectives}, LIMIT_MAX_TOKENS ${limits.maxTokens}, LIMIT_MAX_COST ${limits.maxCost}, ` +
    `ENTITIES_MAX_REPRESENTATIONS ${limits.maxEntityRepresentations}`
  );
}

async function run(workDir: string): Promise<boolean> {
  const machine = describeMachine();
  const query = listObjectsQuery();
  const variables = { path: `/${FOLDER}`, first: PLAN.pageSize };
  const jwtSecret = randomBytes(32).toString('hex');
  const tenantsFile = join(workDir, 'tenants.json');
  writeFileSync(tenantsFile, JSON.stringify({ tenants: { [TENANT]: { objects: { prefixes: [TENANT_PREFIX] } } } }));

  const emulator = await startEmulator();
  const seeded = await emulator.server.request('seedListing', { folder: FOLDER, count: PLAN.folderObjects });
  console.error(`emulator ${emulator.endpoint} (pid ${String(emulator.server.pid)}) holds ${seeded.objectCount} objects`);

  const common: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: '0',
    LOG_LEVEL: 'warn',
    SIGNING_SECRET: randomBytes(32).toString('hex'),
    MEDIASTORE_ENDPOINT: emulator.endpoint,
    MEDIASTORE_REGION: REGION,
    EMULATORS: 'off',
    SHUTDOWN_GRACE_MS: '2000',
    // The highest values accepted: never refuses at this load. The open server does not charge anonymous callers.
    RATE_LIMIT_PER_SECOND: '1000000',
    RATE_LIMIT_BURST: '1000000',
  };
  const securedEnv = {
    ...common,
    NODE_ENV: 'production',
    AUTH_JWT_SECRET: jwtSecret,
    AUTH_ISSUER: ISSUER,
    AUTH_AUDIENCE: AUDIENCE,
    TENANTS_FILE: tenantsFile,
  };
  // Development for the configuration only (the process runs in production mode): the gateway runs without
  // authentication nowhere else. It changes nothing else on the path measured: only how errors are formatted.
  const openEnv = { ...common, NODE_ENV: 'development', ...LIMIT_MAXIMA };
  // Parsed here too: a typo in either environment fails before any process starts, and the report describes the
  // limits as the servers read them.
  const securedConfig = loadConfig(securedEnv);
  const openConfig = loadConfig(openEnv);

  const [secured, open] = await Promise.all([startGatewayProcess('gateway-secured', securedEnv, true), startGatewayProcess('gateway-open', openEnv, false)]);
  console.error(`gateways: secured ${secured.url} (pid ${String(secured.server.pid)}), open ${open.url} (pid ${String(open.server.pid)})`);

  const token = await mintToken(jwtSecret);
  const body = JSON.stringify({ query, operationName: OPERATION_NAME, variables });
  const baseHeaders = { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' };
  const targets: Record<ServerKind, LoadRequest> = {
    secured: { url: `${secured.url}/graphql`, headers: { ...baseHeaders, authorization: `Bearer ${token}` }, body },
    open: { url: `${open.url}/graphql`, headers: baseHeaders, body },
  };
  await checkSetup(targets, query);

  const emulatorPid = pidOf(emulator.server, 'emulator');
  const servers: Record<ServerKind, Server> = {
    secured: { kind: 'secured', name: 'secured', pid: pidOf(secured.server, 'gateway-secured'), target: targets.secured, verify: (text) => verifyListingPage('secured', text, PLAN.pageSize) },
    open: { kind: 'open', name: 'open', pid: pidOf(open.server, 'gateway-open'), target: targets.open, verify: (text) => verifyListingPage('open', text, PLAN.pageSize) },
  };
  await warmUp(servers.secured, PLAN.concurrency, PLAN.firstWarmupMs);
  await warmUp(servers.open, PLAN.concurrency, PLAN.firstWarmupMs);

  const runs: SecurityRound[] = [];
  for (let index = 0; index < PLAN.rounds; index += 1) {
    // Alternate which server goes first so a drifting machine load does not favour one side.
    const order: readonly ServerKind[] = index % 2 === 0 ? ['secured', 'open'] : ['open', 'secured'];
    const pair: SecurityRound[] = [];
    for (const kind of order) pair.push(await measureRound(servers[kind], emulatorPid));
    runs.push(...pair);
    const line = pair.map(
      (round) =>
        `${round.server} ${(round.requests / (round.windowMs / 1000)).toFixed(0)} req/s, ` +
        `${((round.gatewayUserUs + round.gatewaySystemUs) / round.requests).toFixed(0)} µs/req, others ${((round.otherCpuUs / 10) / round.windowMs).toFixed(0)}% of a core`,
    );
    console.error(`round ${index + 1}/${PLAN.rounds}: ${line.join('; ')}`);
  }

  console.error('sending fragment bombs (S4) to the secured server');
  const fragmentBombResult = await measureFragmentBombs(servers.secured);

  console.error('timing the parts in process');
  const components = await measureInProcess({
    securedEnv,
    openEnv,
    query,
    operationName: OPERATION_NAME,
    variables,
    // Node lower-cases header names before the middleware sees them.
    securedHeaders: Object.fromEntries(Object.entries(targets.secured.headers).map(([name, value]) => [name.toLowerCase(), value])),
    token,
    jwtSecret,
    issuer: ISSUER,
    audience: AUDIENCE,
    tenant: TENANT,
    plan: PLAN.micro,
  });

  const results: SecurityBenchResults = {
    date: new Date().toISOString().slice(0, 10),
    machine: formatMachine(machine),
    loadAverage: machine.loadAverage,
    command: 'npm run bench:security',
    concurrency: PLAN.concurrency,
    firstWarmupMs: PLAN.firstWarmupMs,
    roundWarmupMs: PLAN.roundWarmupMs,
    windowMs: PLAN.windowMs,
    rounds: PLAN.rounds,
    operation: OPERATION_NAME,
    variables: JSON.stringify(variables),
    folderObjects: PLAN.folderObjects,
    runs,
    components,
    securedLimits: `default limits (${describeLimits(securedConfig.limits)})`,
    openLimits: `no operation guard on its HTTP endpoint (no limits, safelist, router secret or scope pre-check; its configuration holds the maxima ${describeLimits(openConfig.limits)}, used only by the in-process timing)`,
    targetOverhead: PLAN.targetOverhead,
    fragmentBomb: fragmentBombResult,
  };
  process.stdout.write(`Machine: ${results.machine}\n\n${formatTables(results)}`);
  writeResultsSection(RESULTS_PATH, SECURITY_SECTION_HEADING, formatSection(results));
  console.error(`wrote the "${SECURITY_SECTION_HEADING.slice(3)}" section of ${RESULTS_PATH}`);
  const summary = summarize(results);
  const bombsMet = fragmentBombTargetMet(fragmentBombResult);
  if (!bombsMet) console.error('FAIL: fragment bomb (S4) refusals missed their target (p99 round trip or RSS growth)');
  const met = targetMet(summary) && bombsMet;
  if (!met) {
    console.error(
      `FAIL: security overhead at or above ${PLAN.targetOverhead * 100}%: CPU per request ${(summary.cpuOverhead * 100).toFixed(1)}%, ` +
        `throughput loss ${(summary.throughputLoss * 100).toFixed(1)}%`,
    );
  }
  return met;
}

/** Ten levels of ten fragment spreads over `__typename`: 10^10 selections once expanded. */
function fragmentBomb(tag: string): string {
  const fragments = [`fragment F${tag}_0 on Query { __typename }`];
  for (let level = 1; level <= 10; level += 1) {
    fragments.push(`fragment F${tag}_${level} on Query { ${Array.from({ length: 10 }, () => `...F${tag}_${level - 1}`).join(' ')} }`);
  }
  return `query Bomb${tag} { ...F${tag}_10 } ${fragments.join(' ')}`;
}

/**
 * RELIABILITY.md S4 on the secured server: fragment bombs one at a time (each its own document, so no cache helps),
 * each checked for a limit refusal; round trip per request and the gateway's RSS and CPU around them.
 */
async function measureFragmentBombs(server: Server): Promise<FragmentBombResult> {
  const send = async (tag: string): Promise<number> => {
    const started = performance.now();
    const response = await fetch(server.target.url, { method: 'POST', headers: server.target.headers, body: JSON.stringify({ query: fragmentBomb(tag) }) });
    const body = (await response.json()) as unknown;
    const elapsed = performance.now() - started;
    const first = isRecord(body) && Array.isArray(body['errors']) ? (body['errors'][0] as unknown) : undefined;
    const limit = isRecord(first) && isRecord(first['extensions']) ? first['extensions']['limit'] : undefined;
    // Expanded, the bomb breaks more than one limit (root fields and cost); whichever the guard meets first refuses it.
    if (response.status !== 400 || typeof limit !== 'string') throw new Error(`fragment bomb: answered ${response.status}, limit ${String(limit)}`);
    return elapsed;
  };
  for (let i = 0; i < 10; i += 1) await send(`warm${i}`);
  const before = readProcessUsage(server.pid);
  const latenciesMs: number[] = [];
  for (let i = 0; i < PLAN.fragmentBomb.requests; i += 1) latenciesMs.push(await send(`b${i}`));
  const after = readProcessUsage(server.pid);
  return {
    requests: PLAN.fragmentBomb.requests,
    expandedSelections: 1e10,
    latenciesMs,
    rssBeforeBytes: before.rssBytes,
    rssAfterBytes: after.rssBytes,
    cpuUsPerRequest: (after.userUs + after.systemUs - before.userUs - before.systemUs) / PLAN.fragmentBomb.requests,
    targetMs: PLAN.fragmentBomb.targetMs,
    targetRssBytes: PLAN.fragmentBomb.targetRssBytes,
  };
}

async function stopChildren(): Promise<void> {
  // Gateways first: they must not see their upstream vanish while they are still serving.
  for (const child of [...children].reverse()) await child.stop();
}

const workDir = mkdtempSync(join(tmpdir(), 'media-graph-bench-security-'));
await runSupervised(children, PLAN.deadlineMs, () => run(workDir), stopChildren, () => rmSync(workDir, { recursive: true, force: true }));
