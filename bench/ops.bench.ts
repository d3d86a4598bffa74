/**
 * `npm run bench:ops`: what Prometheus metrics and OpenTelemetry traces cost the gateway.
 *
 * Request part: five gateways, each in its own process, all with `NODE_ENV=production`, HS256 JWT authentication and
 * S3 as the object store (one S3 emulator process behind all of them), kept running side by side: `bare` (metric
 * recording switched off in the process, see `support/ops-recording.ts`: the gateway records its metric families
 * whether or not anything exposes them, so no configuration can turn recording off), `off` (as shipped, neither
 * `METRICS_PORT`/`METRICS_TOKEN` nor an OTLP endpoint), `metrics` (`METRICS_PORT`, scraped at a fixed interval from
 * this process as Prometheus would), `tracing` (`OTEL_EXPORTER_OTLP_ENDPOINT` at a local receiver process that counts
 * and discards the spans, `OTEL_TRACES_SAMPLER=always_on`) and `both`. Each is loaded in turn with the same
 * `ListObjects` page on keep-alive connections at a fixed concurrency, in rounds of one window per configuration,
 * the order rotating from round to round. Reports req/s, gateway CPU per request (from `/proc`), latency, and the
 * median of the per-round ratios against `bare` and `off` with their confidence intervals.
 *
 * Fan-out part (`support/ops-fanout.ts`): `bench:fanout`'s emulator, server and clients; a `bare` and a `metrics`
 * gateway with their own subscribers on one stream, measured over the same windows: CPU per delivery.
 *
 * Targets: `off` / `bare` CPU per request within noise (the interval holds 1); `metrics` / `bare` < 1.03; `tracing` /
 * `off` < 1.10; fan-out `metrics` / `bare` CPU per delivery ≤ 1.05.
 *
 * Prints the tables on stdout and replaces this benchmark's section of `bench/RESULTS.md`. Exit status 0 when every
 * target was met, 1 otherwise (a missed target, a failure, or the deadline); children are always ended.
 *
 * Environment, for quick checks (a run that sets any of them prints its tables but leaves `bench/RESULTS.md` alone):
 * `OPS_BENCH_PARTS` (`requests`, `fanout`, or both comma-separated), `OPS_BENCH_ROUNDS`, `OPS_BENCH_WINDOW_MS` (request
 * windows), `OPS_BENCH_FANOUT_WINDOWS`, `OPS_BENCH_FANOUT_SUBSCRIBERS`, `OPS_BENCH_OTLP_PROTOCOL` (`http/protobuf`, the
 * default, or `http/json`).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createBenchAuth, type BenchAuth } from './support/bench-auth.js';
import { REPO_ROOT, startBenchChild, positiveInteger } from './support/children.js';
import { freePort } from './support/free-port.js';
import { benchGatewayEnv } from './support/gateway-env.js';
import { pidOf, requireLoopback, runSupervised, type ChildServer, type CommandMap } from './support/ipc.js';
import { LIST_OBJECTS_OPERATION, listObjectsQuery, verifyListingPage } from './support/listing-request.js';
import { measureLoadRound, warmUp, type LoadedServer } from './support/load-round.js';
import { describeMachine, formatMachine } from './support/machine.js';
import { OPS_ENTRY_VARIABLE, OPS_RECORDING_VARIABLE, type OtlpReceiverCommands, type OtlpReceiverReady } from './support/ops-commands.js';
import { runFanoutPart, type FanoutPartPlan, type Stoppable } from './support/ops-fanout.js';
import {
  OPS_CONFIGS,
  OPS_SECTION_HEADING,
  formatSection,
  formatTables,
  missedTargets,
  type OpsConfig,
  type OpsFanoutResults,
  type OpsRequestResults,
  type OpsResults,
  type OpsRound,
} from './support/ops-report.js';
import { MetricsScraper } from './support/ops-scraper.js';
import { writeResultsSection } from './support/results-file.js';
import type { S3EmulatorCommands, S3EmulatorReady } from './support/s3-bench-commands.js';
import type { SecurityGatewayCommands, SecurityGatewayReady } from './support/security-commands.js';
import { median } from './support/stats.js';

/** What the benchmark measures and how often. */
const PLAN = {
  /** Requests in flight, one keep-alive connection each. */
  concurrency: 16,
  /** Rounds of one window per configuration. */
  rounds: 15,
  /** Unmeasured load on each gateway before the first round: JIT, document caches, connection pools upstream. */
  firstWarmupMs: 3_000,
  /** Unmeasured load at the start of every window, on its fresh connections. */
  roundWarmupMs: 500,
  windowMs: 2_000,
  /**
   * Scrape period of the metrics gateways. Equal to the window, so every window of a metrics gateway holds one
   * scrape (a 15 s Prometheus interval would put one in one window of seven, and the median would not see it).
   */
  scrapeIntervalMs: 2_000,
  folderObjects: 100,
  pageSize: 10,
  /** The spans each `ListObjects` request makes: the HTTP server span, the GraphQL operation, the S3 call. */
  spansPerRequest: ['POST /graphql', `query ${LIST_OBJECTS_OPERATION}`, 's3 ListObjectsV2'],
  otlpProtocol: 'http/protobuf',
  fanout: {
    subscribers: 1_000,
    eventIntervalMs: 100,
    fps: 10,
    frameBytes: 200,
    connectConcurrency: 100,
    connectDeadlineMs: 60_000,
    activeTimeoutMs: 60_000,
    warmupMs: 10_000,
    windowMs: 5_000,
    windows: 10,
    drainMs: 2_000,
    scrapeIntervalMs: 2_000,
  } satisfies FanoutPartPlan,
  targets: { metricsCpu: 0.03, tracingCpu: 0.1, fanoutCpu: 0.05 },
  /** The whole benchmark is abandoned (children killed, exit 1) after this long. */
  deadlineMs: 10 * 60_000,
} as const;

const RESULTS_PATH = join(REPO_ROOT, 'bench', 'RESULTS.md');
const FOLDER = 'ops-listing';
const REGION = 'us-east-1';

interface Overrides {
  readonly parts: { readonly requests: boolean; readonly fanout: boolean };
  readonly rounds: number;
  readonly windowMs: number;
  readonly fanoutWindows: number;
  readonly fanoutSubscribers: number;
  readonly otlpProtocol: string;
  /** True when anything differs from {@link PLAN}: such a run does not write the results file. */
  readonly partial: boolean;
}


function readOverrides(env: NodeJS.ProcessEnv): Overrides {
  const parts = (env['OPS_BENCH_PARTS'] ?? 'requests,fanout').split(',').map((part) => part.trim());
  if (parts.length === 0 || parts.some((part) => part !== 'requests' && part !== 'fanout')) throw new Error(`OPS_BENCH_PARTS must list requests and/or fanout, got ${String(env['OPS_BENCH_PARTS'])}`);
  const otlpProtocol = env['OPS_BENCH_OTLP_PROTOCOL'] ?? PLAN.otlpProtocol;
  if (otlpProtocol !== 'http/protobuf' && otlpProtocol !== 'http/json') throw new Error(`OPS_BENCH_OTLP_PROTOCOL must be http/protobuf or http/json, got ${otlpProtocol}`);
  const names = ['OPS_BENCH_PARTS', 'OPS_BENCH_ROUNDS', 'OPS_BENCH_WINDOW_MS', 'OPS_BENCH_FANOUT_WINDOWS', 'OPS_BENCH_FANOUT_SUBSCRIBERS', 'OPS_BENCH_OTLP_PROTOCOL'];
  return {
    parts: { requests: parts.includes('requests'), fanout: parts.includes('fanout') },
    rounds: positiveInteger('OPS_BENCH_ROUNDS', PLAN.rounds, env),
    windowMs: positiveInteger('OPS_BENCH_WINDOW_MS', PLAN.windowMs, env),
    fanoutWindows: positiveInteger('OPS_BENCH_FANOUT_WINDOWS', PLAN.fanout.windows, env),
    fanoutSubscribers: positiveInteger('OPS_BENCH_FANOUT_SUBSCRIBERS', PLAN.fanout.subscribers, env),
    otlpProtocol,
    partial: names.some((name) => env[name] !== undefined),
  };
}

/** Every child started and not yet stopped: `runSupervised` kills them if the run fails or overruns. */
const children = new Set<Stoppable>();

async function startChild<M extends CommandMap>(name: string, entry: string, env: Record<string, string>): Promise<{ child: ChildServer<M>; info: unknown }> {
  const { server, info } = await startBenchChild<M>({ name, entry, env });
  children.add(server);
  return { child: server, info };
}

async function stopChild(child: Stoppable): Promise<void> {
  await child.stop();
  children.delete(child);
}

/** One gateway of the request part. */
interface Gateway extends LoadedServer {
  readonly config: OpsConfig;
  readonly child: ChildServer<SecurityGatewayCommands>;
  readonly scraper: MetricsScraper | undefined;
  readonly tracing: boolean;
  /** Answers it gave, warm-ups and setup included (the spans a tracing gateway should have exported). */
  answered: number;
}

interface Upstreams {
  readonly s3: { readonly endpoint: string; readonly bucket: string; readonly pid: number };
  readonly otlpEndpoint: string;
  readonly auth: BenchAuth;
}

async function startGateway(config: OpsConfig, upstreams: Upstreams, body: string, otlpProtocol: string): Promise<Gateway> {
  const metrics = config === 'metrics' || config === 'both';
  const tracing = config === 'tracing' || config === 'both';
  const metricsPort = metrics ? await freePort() : undefined;
  const name = `gateway-${config}`;
  const { child, info } = await startChild<SecurityGatewayCommands>(name, 'ops-server.child.ts', {
    [OPS_ENTRY_VARIABLE]: 'security-gateway',
    [OPS_RECORDING_VARIABLE]: config === 'bare' ? 'off' : 'on',
    ...benchGatewayEnv(upstreams.auth),
    OBJECT_STORE: 's3',
    S3_ENDPOINT: upstreams.s3.endpoint,
    S3_BUCKET: upstreams.s3.bucket,
    S3_REGION: REGION,
    ...(metricsPort === undefined ? {} : { METRICS_PORT: String(metricsPort) }),
    ...(tracing
      ? { OTEL_EXPORTER_OTLP_ENDPOINT: upstreams.otlpEndpoint, OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol, OTEL_TRACES_SAMPLER: 'always_on' }
      : {}),
  });
  const url = requireLoopback(name, (info as SecurityGatewayReady).url);
  return {
    config,
    name,
    child,
    pid: pidOf(child, name),
    target: {
      url: `${url}/graphql`,
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization: upstreams.auth.authorization },
      body,
    },
    verify: (text) => verifyListingPage(name, text, PLAN.pageSize),
    scraper: metricsPort === undefined ? undefined : new MetricsScraper(`http://127.0.0.1:${String(metricsPort)}/metrics`, PLAN.scrapeIntervalMs),
    tracing,
    answered: 0,
  };
}

/**
 * Proves each gateway is configured as described before anything is measured: each serves the page; the metrics
 * gateways are being scraped (their scraper checks every exposition), the others serve no `/metrics` on the main port.
 */
async function checkSetup(gateways: readonly Gateway[]): Promise<void> {
  for (const gateway of gateways) {
    const response = await fetch(gateway.target.url, { method: 'POST', headers: gateway.target.headers, body: gateway.target.body });
    const text = await response.text();
    if (response.status !== 200) throw new Error(`${gateway.name}: answered ${response.status}: ${text.slice(0, 300)}`);
    gateway.verify(text);
    gateway.answered += 1;
    const metricsOnMain = await fetch(new URL('/metrics', gateway.target.url));
    await metricsOnMain.arrayBuffer();
    if (metricsOnMain.status === 200) throw new Error(`${gateway.name}: serves /metrics on the main port`);
    gateway.scraper?.check();
  }
}

/** The `ListObjects` ok count in a Prometheus exposition, or null when it has none. */
function recordedListings(exposition: string): number | null {
  const line = exposition
    .split('\n')
    .find((text) => text.startsWith('media_graph_graphql_operation_duration_seconds_count{') && text.includes(`operation="${LIST_OBJECTS_OPERATION}"`) && text.includes('outcome="ok"'));
  return line === undefined ? null : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function runRequestPart(auth: BenchAuth, overrides: Overrides): Promise<OpsRequestResults> {
  const { child: s3, info } = await startChild<S3EmulatorCommands>('s3-emulator', 's3-emulator.child.ts', {});
  const s3Ready = info as S3EmulatorReady;
  await s3.request('seedListing', { folder: FOLDER, count: PLAN.folderObjects });
  const { child: receiver, info: receiverInfo } = await startChild<OtlpReceiverCommands>('otlp-receiver', 'ops-otlp-receiver.child.ts', {});
  const upstreams: Upstreams = {
    s3: { endpoint: requireLoopback('s3 emulator', s3Ready.endpoint), bucket: s3Ready.bucket, pid: pidOf(s3, 's3 emulator') },
    otlpEndpoint: requireLoopback('otlp receiver', (receiverInfo as OtlpReceiverReady).endpoint),
    auth,
  };
  const variables = { path: `/${FOLDER}`, first: PLAN.pageSize };
  const body = JSON.stringify({ query: listObjectsQuery(), operationName: LIST_OBJECTS_OPERATION, variables });
  // One at a time: five cold `tsx` starts at once on two cores take longer than one after the other.
  const gateways: Gateway[] = [];
  for (const config of OPS_CONFIGS) gateways.push(await startGateway(config, upstreams, body, overrides.otlpProtocol));
  console.error(`gateways: ${gateways.map((gateway) => `${gateway.config} pid ${gateway.pid}`).join(', ')}; S3 emulator ${upstreams.s3.endpoint}, OTLP receiver ${upstreams.otlpEndpoint}`);
  await checkSetup(gateways);

  const plan = { concurrency: PLAN.concurrency, warmupMs: PLAN.roundWarmupMs, windowMs: overrides.windowMs };
  for (const gateway of gateways) gateway.answered += await warmUp(gateway, PLAN.concurrency, PLAN.firstWarmupMs);
  const runs: OpsRound[] = [];
  for (let round = 0; round < overrides.rounds; round += 1) {
    // The order rotates: each configuration takes every position as often as the others, so drift favours none.
    const order = OPS_CONFIGS.map((_, index) => gateways[(index + round) % gateways.length] as Gateway);
    const line: string[] = [];
    for (const gateway of order) {
      const windowStartMs = Date.now();
      const measured = await measureLoadRound(gateway, upstreams.s3.pid, plan);
      gateway.answered += measured.answered;
      gateway.scraper?.check();
      const scrapes = gateway.scraper?.startedBetween(windowStartMs + PLAN.roundWarmupMs, Date.now()) ?? 0;
      runs.push({ ...measured.round, config: gateway.config, round, scrapes });
      const cpuUs = (measured.round.gatewayUserUs + measured.round.gatewaySystemUs) / measured.round.requests;
      line.push(`${gateway.config} ${(measured.round.requests / (measured.round.windowMs / 1000)).toFixed(0)} req/s ${cpuUs.toFixed(0)} µs/req`);
    }
    console.error(`round ${round + 1}/${overrides.rounds}: ${line.join('; ')}`);
  }

  const metricsGateway = gateways.find((gateway) => gateway.config === 'metrics');
  const scrapers = gateways.flatMap((gateway) => (gateway.scraper === undefined ? [] : [gateway.scraper]));
  for (const scraper of scrapers) await scraper.stop();
  const scrapes = scrapers.flatMap((scraper) => scraper.scrapes);
  // Stopped before the receiver is read: a gateway exports the spans still queued when it closes.
  for (const gateway of gateways) await stopChild(gateway.child);
  const received = await receiver.request('received', {});
  await stopChild(receiver);
  await stopChild(s3);
  const tracingAnswered = gateways.filter((gateway) => gateway.tracing).reduce((sum, gateway) => sum + gateway.answered, 0);
  console.error(`spans: the tracing gateways answered ${tracingAnswered} requests; the receiver took ${JSON.stringify(received.spans)}`);
  return {
    concurrency: PLAN.concurrency,
    firstWarmupMs: PLAN.firstWarmupMs,
    roundWarmupMs: PLAN.roundWarmupMs,
    windowMs: overrides.windowMs,
    rounds: overrides.rounds,
    scrapeIntervalMs: PLAN.scrapeIntervalMs,
    operation: LIST_OBJECTS_OPERATION,
    variables: JSON.stringify(variables),
    folderObjects: PLAN.folderObjects,
    otlpProtocol: overrides.otlpProtocol,
    runs,
    tracing: { answered: tracingAnswered, spansPerAnswer: PLAN.spansPerRequest, received },
    scrapes: {
      count: scrapes.length,
      medianMs: scrapes.length === 0 ? 0 : median(scrapes.map((scrape) => scrape.durationMs)),
      medianBytes: scrapes.length === 0 ? 0 : median(scrapes.map((scrape) => scrape.bytes)),
      answered: metricsGateway?.answered ?? 0,
      recorded: recordedListings(metricsGateway?.scraper?.lastBody ?? ''),
    },
  };
}

/** The setup and load lines of the results section. */
function setupLines(results: OpsResults): string[] {
  const lines: string[] = [];
  const requests = results.requests;
  if (requests !== null) {
    lines.push(
      'Request part, gateways (`bench/support/ops-server.child.ts` running `security-gateway.child.ts`, `startGateway` from the environment), five processes kept running side by side, each `NODE_ENV=production`, ' +
        '`AUTH_JWT_SECRET` + `AUTH_ISSUER` + `AUTH_AUDIENCE` (one HS256 JWT, scope `objects:read`, on every request), `RATE_LIMIT_PER_SECOND` = `RATE_LIMIT_BURST` = 1000000, `LOG_LEVEL=warn`, ' +
        `\`OBJECT_STORE=s3\` on one S3 emulator process (\`bench/support/s3-emulator.child.ts\`, ${requests.folderObjects} objects in the listed folder): ` +
        '**bare**: metric recording off in the process (`bench/support/ops-recording.ts`: `inc`, `dec`, `set`, `observe`, `startTimer` and `labels` of every family in `metricsRegistry` made no-ops before the gateway loads), no metrics endpoint, no traces; ' +
        '**off**: neither `METRICS_PORT`/`METRICS_TOKEN` nor `OTEL_EXPORTER_OTLP_ENDPOINT` (metric families recorded, not exposed; no `process_*`/`nodejs_*` collectors); ' +
        `**metrics**: \`METRICS_PORT\` (separate listener), scraped every ${requests.scrapeIntervalMs / 1000} s from the load process (\`bench/support/ops-scraper.ts\`, a new connection per scrape); ` +
        `**tracing**: \`OTEL_EXPORTER_OTLP_ENDPOINT\` at \`bench/support/ops-otlp-receiver.child.ts\` (own process; counts spans by name, discards them, answers 200), \`OTEL_EXPORTER_OTLP_PROTOCOL=${requests.otlpProtocol}\`, \`OTEL_TRACES_SAMPLER=always_on\`, batch processor defaults; ` +
        '**both**: metrics + tracing as above.',
      `Request part, load: \`${requests.operation}\` from \`schema/operations/objects.graphql\` with \`${requests.variables}\`, POSTed as JSON by this process on ${requests.concurrency} keep-alive connections, closed loop; ` +
        `every answer checked for HTTP 200 and no \`errors\`, one per window in full. Each gateway warmed up ${requests.firstWarmupMs / 1000} s, then ${requests.rounds} rounds of one window per configuration, ` +
        `the order rotating by one configuration per round; each window on fresh connections: ${requests.roundWarmupMs / 1000} s warm-up, ${requests.windowMs / 1000} s measured. ` +
        'Gateway and emulator CPU: user + system from `/proc/<pid>/stat` over the window, divided by the answers completed in it; ratios: median of the per-round ratios, distribution-free interval of that median.',
    );
  }
  const fanout = results.fanout;
  if (fanout !== null) {
    lines.push(
      `Fan-out part: \`bench:fanout\`'s children (\`kinesis-emulator.child.ts\`, a fragment every ${fanout.eventIntervalMs} ms of 10 × 200-byte frames; \`fanout-server.child.ts\` through \`ops-server.child.ts\`; one \`fanout-client.child.ts\` of lean graphql-transport-ws clients per gateway). ` +
        `Two gateways (\`NODE_ENV=production\`, JWT auth, \`LOG_LEVEL=warn\`, \`KINESIS_ENDPOINT\` at the emulator, default live settings) with ${fanout.subscribers.toLocaleString('en-US')} \`StreamFragments\` subscribers each: ` +
        `**bare** (recording off as above) and **metrics** (\`METRICS_PORT\`, scraped every ${PLAN.fanout.scrapeIntervalMs / 1000} s). ${fanout.warmupMs / 1000} s warm-up, then ${fanout.windows.length / 2} back-to-back windows of ${fanout.windowMs / 1000} s, ` +
        'both gateways measured over each window; CPU per delivery: gateway user + system over the window divided by the fragment events its clients received in it.',
    );
  }
  return lines;
}

async function run(overrides: Overrides): Promise<boolean> {
  const machine = describeMachine();
  const auth = await createBenchAuth('ops-bench', ['objects:read', 'streams:read', 'streams:subscribe']);
  const requests = overrides.parts.requests ? await runRequestPart(auth, overrides) : null;
  let fanout: OpsFanoutResults | null = null;
  if (overrides.parts.fanout) {
    fanout = await runFanoutPart({
      plan: { ...PLAN.fanout, windows: overrides.fanoutWindows, subscribers: overrides.fanoutSubscribers },
      auth,
      start: startChild,
      stop: stopChild,
    });
  }
  const results: OpsResults = {
    date: new Date().toISOString().slice(0, 10),
    machine: formatMachine(machine),
    loadAverageStart: machine.loadAverage,
    loadAverageEnd: loadavg()[0] ?? 0,
    command: 'npm run bench:ops',
    requests,
    fanout,
    targets: PLAN.targets,
  };
  process.stdout.write(`Machine: ${results.machine}\n\n${formatTables(results)}`);
  if (overrides.partial) {
    console.error('partial run (OPS_BENCH_* overrides set): bench/RESULTS.md left unchanged');
  } else {
    writeResultsSection(RESULTS_PATH, OPS_SECTION_HEADING, formatSection(results, setupLines(results)));
    console.error(`wrote the "${OPS_SECTION_HEADING.slice(3)}" section of ${RESULTS_PATH}`);
  }
  const missed = missedTargets(results);
  for (const line of missed) console.error(`FAIL: ${line}`);
  return missed.length === 0;
}

async function stopChildren(): Promise<void> {
  for (const child of [...children].reverse()) await stopChild(child);
}

await runSupervised(children, PLAN.deadlineMs, () => run(readOverrides(process.env)), stopChildren);
