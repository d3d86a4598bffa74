/**
 * `npm run bench:soak`: RELIABILITY.md R2, 10,000 idle live subscribers through an hour of events on one gateway.
 *
 * Processes, all on 127.0.0.1: `media-graph emulate` (its `demo-stream` gets a fragment every
 * `EMULATOR_DEMO_FRAGMENT_MS`, 2,000 ms as shipped), one `media-graph serve` configured as a deployment is
 * (production, JWT auth, the in-process hub), and the lean graphql-transport-ws load clients of `bench:fanout`
 * (`support/fanout-client.child.ts`, 1,000 per process), every one subscribed to `streamFragments` on a socket of its
 * own and doing nothing else. Once every subscriber has received a fragment and a warm-up has passed, the gateway's
 * RSS and CPU are read from /proc every minute for the whole measurement; at the end the clients report what they
 * received of every fragment the emulator produced meanwhile.
 *
 * Target (R2): RSS growth below 5 % per hour (least-squares slope over the samples), and the subscribers stable:
 * every one receives every fragment, once and in order, none closed. Prints the table and appends it to
 * bench/RESULTS.md; exit status 0 when the target was met.
 *
 * Environment, for short investigations (a run that sets any of them leaves bench/RESULTS.md alone):
 * `SOAK_SUBSCRIBERS` (default 10,000), `SOAK_DURATION_MS` (default 3,600,000), `SOAK_WARMUP_MS` (default 180,000),
 * `SOAK_SAMPLE_MS` (default 60,000), `SOAK_FRAGMENT_MS` (default 2,000).
 */
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createBenchAuth } from './support/bench-auth.js';
import { summariseReports } from './support/client-reports.js';
import { cpuMs, positiveInteger, REPO_ROOT, startBenchChild } from './support/children.js';
import { CliChild } from './support/cli-child.js';
import { fragmentList, getMediaStats } from './support/emulator-http.js';
import type { FanoutClientCommands } from './support/fanout-commands.js';
import { fanoutSubscription } from './support/fanout-document.js';
import { kinesisGatewayEnv } from './support/gateway-env.js';
import { pidOf, requireLoopback, runSupervised, type ChildServer } from './support/ipc.js';
import { describeMachine, formatMachine } from './support/machine.js';
import { readProcessUsage } from './support/proc-usage.js';
import { formatSoakSection, soakMissed, type SoakSample } from './support/soak-report.js';

const PLAN = {
  stream: 'demo-stream',
  clientsPerProcess: 1_000,
  connectConcurrency: 100,
  connectDeadlineMs: 300_000,
  activeTimeoutMs: 300_000,
  requestTimeoutMs: 300_000,
  startTimeoutMs: 120_000,
  targetPercentPerHour: 5,
} as const;

const RESULTS_PATH = join(REPO_ROOT, 'bench', 'RESULTS.md');
const OPERATIONS_PATH = join(REPO_ROOT, 'schema', 'operations', 'streams.graphql');
const READY_LINE = /^media-graph: GraphQL at (http:\/\/\S+)\/graphql\b/;

const OVERRIDES = ['SOAK_SUBSCRIBERS', 'SOAK_DURATION_MS', 'SOAK_WARMUP_MS', 'SOAK_SAMPLE_MS', 'SOAK_FRAGMENT_MS'];
const settings = {
  subscribers: positiveInteger('SOAK_SUBSCRIBERS', 10_000),
  durationMs: positiveInteger('SOAK_DURATION_MS', 3_600_000),
  // Long enough for the heap to reach its working size with every subscriber in place, so the slope measures drift.
  warmupMs: positiveInteger('SOAK_WARMUP_MS', 180_000),
  sampleMs: positiveInteger('SOAK_SAMPLE_MS', 60_000),
  fragmentMs: positiveInteger('SOAK_FRAGMENT_MS', 2_000),
  partial: OVERRIDES.some((name) => process.env[name] !== undefined),
};

interface Stoppable {
  stop(): Promise<void>;
  kill(): void;
}
const children = new Set<Stoppable>();

async function startCli(options: Parameters<typeof CliChild.start>[0]): Promise<{ child: CliChild; match: RegExpExecArray }> {
  const started = await CliChild.start(options);
  children.add(started.child);
  return started;
}

/** Polls until every client has received a fragment; fails after the timeout (a soak of absent subscribers says nothing). */
async function waitUntilActive(clients: readonly ChildServer<FanoutClientCommands>[], connected: number): Promise<void> {
  const deadline = Date.now() + PLAN.activeTimeoutMs;
  for (;;) {
    const statuses = await Promise.all(clients.map((client) => client.request('status', {})));
    const active = statuses.reduce((sum, status) => sum + status.active, 0);
    if (active >= connected) return;
    if (Date.now() > deadline) throw new Error(`only ${active} of ${connected} subscribers received a fragment within ${PLAN.activeTimeoutMs / 1000} s`);
    await sleep(1_000);
  }
}

async function run(): Promise<boolean> {
  const machine = describeMachine();
  const { match } = await startCli({
    name: 'emulator',
    ...CliChild.mediaGraph(['emulate']),
    env: { EMULATOR_DEMO_FRAGMENT_MS: String(settings.fragmentMs), LOG_LEVEL: 'warn' },
    ready: /^\{.*"kinesis":"(http:\/\/[^"]+)"/,
    readyTimeoutMs: PLAN.startTimeoutMs,
  });
  const emulatorEndpoint = requireLoopback('emulator', match[1] ?? '');
  const auth = await createBenchAuth('soak-bench', ['streams:read', 'streams:subscribe']);
  const { child: gateway, match: ready } = await startCli({
    name: 'gateway',
    ...CliChild.mediaGraph(['serve']),
    env: kinesisGatewayEnv(auth, emulatorEndpoint),
    ready: READY_LINE,
    readyTimeoutMs: PLAN.startTimeoutMs,
  });
  const wsUrl = `ws://${new URL(requireLoopback('gateway', ready[1] ?? '')).host}/graphql`;
  const subscription = fanoutSubscription(OPERATIONS_PATH, PLAN.stream);
  const clients: ChildServer<FanoutClientCommands>[] = [];
  for (let first = 0; first < settings.subscribers; first += PLAN.clientsPerProcess) {
    const { server } = await startBenchChild<FanoutClientCommands>({ name: `clients-${clients.length + 1}`, entry: 'fanout-client.child.ts', env: {}, requestTimeoutMs: PLAN.requestTimeoutMs });
    children.add(server);
    clients.push(server);
  }
  const connectResults = await Promise.all(
    clients.map((client, index) =>
      client.request('connect', {
        url: wsUrl,
        count: Math.min(PLAN.clientsPerProcess, settings.subscribers - index * PLAN.clientsPerProcess),
        firstIndex: index * PLAN.clientsPerProcess,
        concurrency: PLAN.connectConcurrency,
        deadlineMs: PLAN.connectDeadlineMs,
        query: subscription.query,
        operationName: subscription.operationName,
        variables: subscription.variables,
        connectionParams: { authorization: auth.authorization },
        client: 'lean',
      }),
    ),
  );
  const connected = connectResults.reduce((sum, result) => sum + result.connected, 0);
  if (connected < settings.subscribers) console.error(`${connected} of ${settings.subscribers} connected; first failure: ${connectResults.find((r) => r.firstFailure !== null)?.firstFailure ?? 'none'}`);
  await waitUntilActive(clients, connected);
  console.error(`${connected} subscribers receiving; warming up for ${settings.warmupMs / 1000} s`);
  await sleep(settings.warmupMs);

  const pid = pidOf(gateway, 'gateway');
  const start = readProcessUsage(pid);
  const statsBefore = await getMediaStats(emulatorEndpoint, PLAN.stream);
  const samples: SoakSample[] = [{ atMs: 0, rssBytes: start.rssBytes, cpuMs: 0 }];
  const fromMs = start.atMs;
  while (Date.now() - fromMs < settings.durationMs) {
    await sleep(Math.min(settings.sampleMs, settings.durationMs - (Date.now() - fromMs)));
    const now = readProcessUsage(pid);
    samples.push({ atMs: now.atMs - fromMs, rssBytes: now.rssBytes, cpuMs: cpuMs(start, now) });
    const status = await Promise.all(clients.map((client) => client.request('status', {})));
    const closed = status.reduce((sum, s) => sum + s.closed, 0);
    console.error(`${((now.atMs - fromMs) / 60_000).toFixed(1)} min: RSS ${(now.rssBytes / 1_048_576).toFixed(1)} MiB, ${status.reduce((sum, s) => sum + s.fragments, 0)} fragment events received, ${closed} closed`);
  }
  const toMs = fromMs + (samples[samples.length - 1]?.atMs ?? 0);
  // The last fragments of the window reach the clients a moment after it ends.
  await sleep(Math.max(2_000, settings.fragmentMs));
  const listing = await fragmentList(emulatorEndpoint, PLAN.stream);
  const sourceFragments = listing.fragments.filter((fragment) => fragment.serverTimestamp >= fromMs && fragment.serverTimestamp < toMs).length;
  const reports = await Promise.all(clients.map((client) => client.request('report', { fromMs, toMs })));
  const statsAfter = await getMediaStats(emulatorEndpoint, PLAN.stream);
  const revision = execFileSync('git', ['describe', '--always', '--dirty'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const results = {
    date: new Date().toISOString().slice(0, 10),
    machine: formatMachine(machine),
    revision,
    command: settings.partial ? `${OVERRIDES.filter((name) => process.env[name] !== undefined).map((name) => `${name}=${process.env[name] ?? ''}`).join(' ')} npm run bench:soak` : 'npm run bench:soak',
    subscribers: settings.subscribers,
    connected,
    fragmentMs: settings.fragmentMs,
    warmupMs: settings.warmupMs,
    sampleMs: settings.sampleMs,
    samples,
    sourceFragments,
    clients: summariseReports(reports, sourceFragments, connected),
    getMediaCalls: statsAfter.getMediaCalls - statsBefore.getMediaCalls,
    maxOpenGetMedia: statsAfter.maxOpenGetMedia,
    targetPercentPerHour: PLAN.targetPercentPerHour,
  };
  const section = formatSoakSection(results);
  process.stdout.write(`${section}\n`);
  if (settings.partial) console.error('partial run (SOAK_* overrides set): bench/RESULTS.md left unchanged');
  else {
    appendFileSync(RESULTS_PATH, `\n${section}\n`);
    console.error(`appended the results to ${RESULTS_PATH}`);
  }
  await Promise.all(clients.map((client) => client.request('disconnect', {})));
  const missed = soakMissed(results);
  for (const line of missed) console.error(`FAIL: ${line}`);
  return missed.length === 0;
}

async function stopChildren(): Promise<void> {
  for (const child of [...children].reverse()) {
    await child.stop();
    children.delete(child);
  }
}

await runSupervised(children, settings.durationMs + settings.warmupMs + 30 * 60_000, run, stopChildren);
