/**
 * `npm run bench:objects`: the Objects API under load, with every server in its own process so CPU and RSS
 * are attributable. By default on S3, the default store (see `support/objects-s3-run.ts`: listings against the S3
 * emulator and s3rver, 1 GiB through the gateway and with direct URLs); `OBJECTS_BENCH_STORE=mediastore` runs the
 * MediaStore benchmark described below, which is what it measured before S3 became the default.
 *
 * - Listing: 10,000 objects in pages of 100, through the gateway's GraphQL `objects` query and through the
 *   bare SDK client (`ListItems`, `MaxResults: 100`) against the same emulator, paired back to back in one
 *   run. Reports wall time and server CPU per page and their GraphQL/SDK ratios.
 * - Download: a 25 MiB object through the signed byte endpoint `GET /objects/{path}`. Reports throughput and
 *   the gateway's peak RSS growth (target < 16 MiB: streamed, not buffered), verifying size and SHA-256, for the
 *   gateway as shipped (relay GC pacing on) and a second gateway process with pacing off, alternating run by run.
 *
 * Processes: this one is the load client; `bench/support/emulator.child.ts` and
 * `bench/support/gateway.child.ts` are the servers, on 127.0.0.1 ephemeral ports, probed over IPC.
 * Prints the tables on stdout and replaces this benchmark's section of `bench/RESULTS.md`.
 * Exit status: 0 when everything verified and the RSS target was met; 1 otherwise (children are always ended).
 */
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { MediaStoreDataClient } from '@aws-sdk/client-mediastore-data';
import { DEFAULT_RELAY_GC_INTERVAL_BYTES } from '../src/config.js';
import { createMediaStoreClient } from '../src/datasources/mediastore/mediastore.client.js';
import type { EmulatorCommands, EmulatorReady, GatewayCommands, GatewayReady, MemorySample } from './support/commands.js';
import { createBenchAuth, type BenchAuth } from './support/bench-auth.js';
import { BENCH_AWS_ENV, BENCH_CREDENTIALS, cpuMs, REPO_ROOT, startBenchChild } from './support/children.js';
import { requireLoopback, runSupervised, type ChildServer, type UsageSample } from './support/ipc.js';
import { describeMachine, formatMachine } from './support/machine.js';
import { download, listThroughGraphql, listThroughSdk, signedDownloadUrl, type DownloadPass, type ListingPass } from './support/objects-load.js';
import {
  OBJECTS_SECTION_HEADING,
  formatSection,
  formatTables,
  rssTargetMet,
  type BackpressureProbe,
  type DownloadRun,
  type ListingRun,
  type ObjectsBenchResults,
} from './support/objects-report.js';
import { DOWNLOAD_PATH, LISTING_FOLDER, listingName, payloadBytes } from './support/payload.js';
import { writeResultsSection } from './support/results-file.js';
import { runS3ObjectsBench, type SupervisedChild } from './support/objects-s3-run.js';

/** The S3 benchmark (seeding s3rver, listings on two stores, four 1 GiB transfers) is abandoned after this long. */
const S3_DEADLINE_MS = 25 * 60_000;

/** What the benchmark measures and how often. */
const PLAN = {
  objectCount: 10_000,
  pageSize: 100,
  /** Unmeasured passes of each path first, so JIT, connection pools and caches are warm on both sides. */
  warmups: 2,
  runs: 5,
  downloadBytes: 25 * 2 ** 20,
  payloadSeed: 0x5eed_2026,
  rssTargetBytes: 16 * 2 ** 20,
  /** The shipped default of `RELAY_GC_INTERVAL_BYTES`; the second gateway runs with 0 (pacing off). */
  relayGcIntervalBytes: DEFAULT_RELAY_GC_INTERVAL_BYTES,
  /** The backpressure probe stops reading after this many bytes... */
  probePauseAfterBytes: 2 ** 20,
  /** ...for this long. */
  probeHoldMs: 1_000,
  /** The whole benchmark is abandoned (children killed, exit 1) after this long. */
  deadlineMs: 10 * 60_000,
} as const;

const RESULTS_PATH = join(REPO_ROOT, 'bench', 'RESULTS.md');
const REGION = 'us-east-1';

const children: ChildServer<EmulatorCommands | GatewayCommands>[] = [];

async function startEmulator(): Promise<{ server: ChildServer<EmulatorCommands>; endpoint: string }> {
  const { server, info } = await startBenchChild<EmulatorCommands>({ name: 'emulator', entry: 'emulator.child.ts', env: {} });
  children.push(server);
  return { server, endpoint: requireLoopback('emulator', (info as EmulatorReady).endpoint) };
}

async function startGatewayProcess(
  name: string,
  mediastoreEndpoint: string,
  auth: BenchAuth,
  relayGcIntervalBytes: number,
): Promise<{ server: ChildServer<GatewayCommands>; url: string }> {
  const { server, info } = await startBenchChild<GatewayCommands>({
    name,
    entry: 'gateway.child.ts',
    env: {
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
      RELAY_GC_INTERVAL_BYTES: String(relayGcIntervalBytes),
      ...BENCH_AWS_ENV,
    },
  });
  children.push(server);
  return { server, url: requireLoopback('gateway', (info as GatewayReady).url) };
}

function verifyListing(kind: string, pass: ListingPass): void {
  if (pass.names.length !== PLAN.objectCount) throw new Error(`${kind} listing returned ${pass.names.length} entries, expected ${PLAN.objectCount}`);
  if (pass.malformed !== 0) throw new Error(`${kind} listing returned ${pass.malformed} entries that are not objects with an ETag`);
  pass.names.forEach((name, index) => {
    if (name !== listingName(index)) throw new Error(`${kind} listing entry ${index} is ${name}, expected ${listingName(index)}`);
  });
}

interface Servers {
  readonly emulator: ChildServer<EmulatorCommands>;
  /** The gateway as shipped: relay GC pacing at its default interval. */
  readonly gateway: ChildServer<GatewayCommands>;
  /** The same gateway with pacing off (`RELAY_GC_INTERVAL_BYTES=0`), for the side-by-side download comparison. */
  readonly unpaced: ChildServer<GatewayCommands>;
  readonly graphqlUrl: string;
  readonly unpacedGraphqlUrl: string;
  /** The `authorization` header of every GraphQL request (the signed download URL needs none). */
  readonly authorization: string;
  readonly sdk: MediaStoreDataClient;
}

async function measureListing(servers: Servers, kind: 'graphql' | 'sdk'): Promise<ListingRun> {
  const probe = (): Promise<[UsageSample, UsageSample, { count: number }]> =>
    Promise.all([
      servers.gateway.request('usage', {}),
      servers.emulator.request('usage', {}),
      servers.emulator.request('countRequests', { operation: 'ListItems' }),
    ]);
  const [gateway0, emulator0, calls0] = await probe();
  const started = performance.now();
  const pass =
    kind === 'graphql'
      ? await listThroughGraphql(servers.graphqlUrl, servers.authorization, LISTING_FOLDER, PLAN.pageSize)
      : await listThroughSdk(servers.sdk, LISTING_FOLDER, PLAN.pageSize);
  const wallMs = performance.now() - started;
  const [gateway1, emulator1, calls1] = await probe();
  verifyListing(kind, pass);
  return {
    wallMs,
    pages: pass.pageLatenciesMs.length,
    pageLatenciesMs: pass.pageLatenciesMs,
    gatewayCpuMs: cpuMs(gateway0, gateway1),
    emulatorCpuMs: cpuMs(emulator0, emulator1),
    listItemsCalls: calls1.count - calls0.count,
  };
}

function verifyDownload(pass: DownloadPass, expectedSha256: string): void {
  if (pass.status !== 200) throw new Error(`download answered ${pass.status}`);
  if (pass.declaredLength !== PLAN.downloadBytes || pass.receivedBytes !== PLAN.downloadBytes) {
    throw new Error(`download size wrong: Content-Length ${String(pass.declaredLength)}, received ${pass.receivedBytes}, expected ${PLAN.downloadBytes}`);
  }
  if (pass.sha256 !== expectedSha256) throw new Error(`download SHA-256 ${pass.sha256} differs from the stored object's ${expectedSha256}`);
}

async function measureDownload(servers: Servers, gateway: ChildServer<GatewayCommands>, url: string, expectedSha256: string): Promise<DownloadRun> {
  // Baseline after a full collection: garbage left by earlier phases must not hide (or fake) growth.
  await gateway.request('gc', {});
  await gateway.request('openRssWindow', {});
  const [gateway0, emulator0] = await Promise.all([gateway.request('usage', {}), servers.emulator.request('usage', {})]);
  const pass = await download(url);
  const [closed, gateway1, emulator1] = await Promise.all([
    gateway.request('closeRssWindow', {}),
    gateway.request('usage', {}),
    servers.emulator.request('usage', {}),
  ]);
  verifyDownload(pass, expectedSha256);
  if (closed.window.kernelPeakUnavailable !== null) console.error(`kernel peak RSS unavailable in the gateway: ${closed.window.kernelPeakUnavailable}`);
  return {
    wallMs: pass.wallMs,
    bytes: pass.receivedBytes,
    gatewayCpuMs: cpuMs(gateway0, gateway1),
    emulatorCpuMs: cpuMs(emulator0, emulator1),
    rss: closed.window,
    arrayBuffersAtEndBytes: closed.memory.arrayBuffersBytes,
  };
}

/**
 * Tells streaming from buffering directly: the client stops reading after 1 MiB and holds still; a streaming
 * gateway then stops reading upstream (TCP backpressure) and keeps only a few chunks alive, while a buffering
 * one keeps receiving the whole object. The gateway is probed before and after a full GC, which separates live
 * buffers from garbage not collected yet.
 */
async function probeBackpressure(servers: Servers, url: string, expectedSha256: string): Promise<BackpressureProbe> {
  const baseline = await servers.gateway.request('gc', {});
  let held: { beforeGc: MemorySample; afterGc: MemorySample } | undefined;
  const pass = await download(url, {
    afterBytes: PLAN.probePauseAfterBytes,
    whilePaused: async () => {
      // A fixed hold, not an event: there is no signal for "every socket buffer between the three processes is
      // full"; a second is far longer than filling them takes on loopback.
      await new Promise((resolve) => setTimeout(resolve, PLAN.probeHoldMs));
      const beforeGc = await servers.gateway.request('memory', {});
      held = { beforeGc, afterGc: await servers.gateway.request('gc', {}) };
    },
  });
  verifyDownload(pass, expectedSha256);
  if (held === undefined) throw new Error('the backpressure probe never paused');
  return { pausedAfterBytes: PLAN.probePauseAfterBytes, holdMs: PLAN.probeHoldMs, baseline, ...held };
}

async function run(): Promise<boolean> {
  const machine = describeMachine();
  const expectedPayload = payloadBytes(PLAN.downloadBytes, PLAN.payloadSeed);
  const expectedSha256 = createHash('sha256').update(expectedPayload).digest('hex');

  const emulator = await startEmulator();
  const seeded = await emulator.server.request('seedListing', { folder: LISTING_FOLDER, count: PLAN.objectCount });
  await emulator.server.request('putPayload', { path: DOWNLOAD_PATH, size: PLAN.downloadBytes, seed: PLAN.payloadSeed });
  console.error(`emulator ${emulator.endpoint} (pid ${String(emulator.server.pid)}) holds ${seeded.objectCount + 1} objects`);
  const auth = await createBenchAuth('objects-bench', ['objects:read']);
  const gateway = await startGatewayProcess('gateway', emulator.endpoint, auth, PLAN.relayGcIntervalBytes);
  console.error(`gateway ${gateway.url} (pid ${String(gateway.server.pid)}), relay GC every ${PLAN.relayGcIntervalBytes} bytes`);
  const unpaced = await startGatewayProcess('gateway-unpaced', emulator.endpoint, auth, 0);
  console.error(`unpaced gateway ${unpaced.url} (pid ${String(unpaced.server.pid)})`);

  // The same factory and settings the gateway uses, so the two paths differ only by the gateway itself.
  const sdk = createMediaStoreClient({ endpoint: emulator.endpoint, region: REGION, maxAttempts: 3, credentials: BENCH_CREDENTIALS });
  const servers: Servers = {
    emulator: emulator.server,
    gateway: gateway.server,
    unpaced: unpaced.server,
    graphqlUrl: `${gateway.url}/graphql`,
    unpacedGraphqlUrl: `${unpaced.url}/graphql`,
    authorization: auth.authorization,
    sdk,
  };
  try {
    for (let index = 0; index < PLAN.warmups; index += 1) {
      await measureListing(servers, 'graphql');
      await measureListing(servers, 'sdk');
    }
    const graphqlRuns: ListingRun[] = [];
    const sdkRuns: ListingRun[] = [];
    for (let index = 0; index < PLAN.runs; index += 1) {
      // Alternate which path goes first so a drifting machine load does not favour one side.
      if (index % 2 === 0) {
        graphqlRuns.push(await measureListing(servers, 'graphql'));
        sdkRuns.push(await measureListing(servers, 'sdk'));
      } else {
        sdkRuns.push(await measureListing(servers, 'sdk'));
        graphqlRuns.push(await measureListing(servers, 'graphql'));
      }
      console.error(`listing run ${index + 1}/${PLAN.runs}: graphql ${graphqlRuns[index]?.wallMs.toFixed(0)} ms, sdk ${sdkRuns[index]?.wallMs.toFixed(0)} ms`);
    }

    const signed = await signedDownloadUrl(servers.graphqlUrl, servers.authorization, DOWNLOAD_PATH);
    if (signed.contentLength !== PLAN.downloadBytes) throw new Error(`object(${DOWNLOAD_PATH}).contentLength is ${signed.contentLength}`);
    const unpacedSigned = await signedDownloadUrl(servers.unpacedGraphqlUrl, servers.authorization, DOWNLOAD_PATH);
    const coldDownload = await measureDownload(servers, servers.gateway, signed.url, expectedSha256);
    await measureDownload(servers, servers.unpaced, unpacedSigned.url, expectedSha256);
    const downloads: DownloadRun[] = [];
    const unpacedDownloads: DownloadRun[] = [];
    for (let index = 0; index < PLAN.runs; index += 1) {
      // Alternate which gateway goes first, as the listings do.
      const paced = (): Promise<DownloadRun> => measureDownload(servers, servers.gateway, signed.url, expectedSha256);
      const plain = (): Promise<DownloadRun> => measureDownload(servers, servers.unpaced, unpacedSigned.url, expectedSha256);
      if (index % 2 === 0) {
        downloads.push(await paced());
        unpacedDownloads.push(await plain());
      } else {
        unpacedDownloads.push(await plain());
        downloads.push(await paced());
      }
      console.error(`download run ${index + 1}/${PLAN.runs}: paced ${downloads[index]?.wallMs.toFixed(0)} ms, unpaced ${unpacedDownloads[index]?.wallMs.toFixed(0)} ms`);
    }
    const backpressure = await probeBackpressure(servers, signed.url, expectedSha256);

    const results: ObjectsBenchResults = {
      date: new Date().toISOString().slice(0, 10),
      machine: formatMachine(machine),
      loadAverage: machine.loadAverage,
      command: 'npm run bench:objects',
      objectCount: PLAN.objectCount,
      pageSize: PLAN.pageSize,
      warmups: PLAN.warmups,
      graphql: graphqlRuns,
      sdk: sdkRuns,
      coldDownload,
      downloads,
      unpacedDownloads,
      relayGcIntervalBytes: PLAN.relayGcIntervalBytes,
      backpressure,
      downloadBytes: PLAN.downloadBytes,
      downloadSha256: expectedSha256,
      rssTargetBytes: PLAN.rssTargetBytes,
    };
    process.stdout.write(`Machine: ${results.machine}\n\n${formatTables(results)}`);
    writeResultsSection(RESULTS_PATH, OBJECTS_SECTION_HEADING, formatSection(results));
    console.error(`wrote the "${OBJECTS_SECTION_HEADING.slice(3)}" section of ${RESULTS_PATH}`);
    const met = rssTargetMet(results);
    if (!met) console.error(`FAIL: gateway peak RSS growth reached ${PLAN.rssTargetBytes / 2 ** 20} MiB or more during a download`);
    return met;
  } finally {
    sdk.destroy();
  }
}

async function stopChildren(): Promise<void> {
  // Gateway first: it must not see its upstream vanish while it is still serving.
  for (const child of [...children].reverse()) await child.stop();
}

/** Children of the S3 benchmark (the default store); the MediaStore one keeps its own list above. */
const s3Children: SupervisedChild[] = [];

async function stopS3Children(): Promise<void> {
  // Gateways were started after the emulator: stop them first, so none sees its upstream vanish while serving.
  for (const child of [...s3Children].reverse()) await child.stop();
}

if (process.env['OBJECTS_BENCH_STORE'] === 'mediastore') {
  await runSupervised(children, PLAN.deadlineMs, run, stopChildren);
} else {
  await runSupervised(s3Children, S3_DEADLINE_MS, () => runS3ObjectsBench(s3Children), stopS3Children);
}
