/**
 * The S3 half of `npm run bench:objects` (the default store): listing 10,000 objects through GraphQL and through
 * the bare SDK against the S3 emulator and against s3rver, and a 1 GiB upload and download through the gateway and
 * with presigned direct URLs. Every server runs in its own process so CPU, RSS and I/O are attributable.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import pLimit from 'p-limit';
import { createS3Client } from '../../src/datasources/s3/s3.client.js';
import { S3RVER_CREDENTIALS, startS3rver, type S3rverProcess } from '../../test/helpers/s3rver.js';
import { createBenchAuth, type BenchAuth } from './bench-auth.js';
import { BENCH_AWS_ENV, BENCH_CREDENTIALS, cpuMs, REPO_ROOT, startBenchChild } from './children.js';
import type { GatewayCommands, GatewayReady } from './commands.js';
import { requireLoopback, type ChildServer } from './ipc.js';
import { describeMachine, formatMachine } from './machine.js';
import { download, listThroughGraphql, type ListingPass } from './objects-load.js';
import { listThroughS3Sdk, processIoBytes, streamUpload } from './objects-s3-load.js';
import { LISTING_FOLDER, listingBody, listingName } from './payload.js';
import { readProcessUsage } from './proc-usage.js';
import { writeResultsSection } from './results-file.js';
import type { S3EmulatorCommands, S3EmulatorReady } from './s3-bench-commands.js';
import { median } from './stats.js';

/** What the S3 benchmark measures and how often. */
export const S3_PLAN = {
  objectCount: 10_000,
  pageSize: 100,
  warmups: 2,
  runs: 5,
  transferBytes: 1024 ** 3,
  transferSeed: 0x5eed_5301,
  rssTargetBytes: 32 * 2 ** 20,
  wallRatioTarget: 1.5,
  cpuRatioTarget: 2,
} as const;

/** Heading of this benchmark's section in bench/RESULTS.md. */
export const S3_SECTION_HEADING = '## Objects API on S3 (npm run bench:objects)';

const RESULTS_PATH = join(REPO_ROOT, 'bench', 'RESULTS.md');
const REGION = 'us-east-1';
const TRANSFER_PATH = 'bench-transfer/payload-1gib.bin';

/** Something that reports a process's cumulative CPU, however it is measured. */
type CpuProbe = () => Promise<{ userUs: number; systemUs: number }>;

interface Store {
  readonly name: string;
  readonly endpoint: string;
  readonly bucket: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
  readonly cpu: CpuProbe;
  readonly sdk: S3Client;
}

interface ListingRun {
  readonly wallMs: number;
  readonly pages: number;
  /** CPU of the process that did the listing's work on our side: the gateway (GraphQL) or this process (SDK). */
  readonly clientSideCpuMs: number;
  readonly storeCpuMs: number;
}

interface TransferRun {
  readonly label: string;
  readonly wallMs: number;
  readonly bytes: number;
  readonly gatewayCpuMs: number;
  /** Bytes the gateway process read and wrote (sockets included) during the transfer. */
  readonly gatewayIoBytes: number;
  readonly rssGrowthBytes: number | null;
  readonly verified: boolean;
}

/** A child process the supervisor stops (or kills) when the benchmark ends. */
export interface SupervisedChild {
  stop(): Promise<void>;
  kill(): void;
}

/** Starts a gateway child over `store` as a production deployment would run it. */
async function startGateway(
  children: SupervisedChild[],
  name: string,
  store: Pick<Store, 'endpoint' | 'bucket' | 'credentials'>,
  auth: BenchAuth,
  extra: Record<string, string> = {},
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
      EMULATORS: 'off',
      OBJECT_STORE: 's3',
      S3_ENDPOINT: store.endpoint,
      S3_BUCKET: store.bucket,
      S3_REGION: REGION,
      SHUTDOWN_GRACE_MS: '2000',
      ...BENCH_AWS_ENV,
      AWS_ACCESS_KEY_ID: store.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: store.credentials.secretAccessKey,
      ...extra,
    },
    requestTimeoutMs: 10 * 60_000,
  });
  children.push(server);
  return { server, url: requireLoopback(name, (info as GatewayReady).url) };
}

function verifyListing(kind: string, pass: ListingPass): void {
  if (pass.names.length !== S3_PLAN.objectCount) throw new Error(`${kind} listing returned ${pass.names.length} entries, expected ${S3_PLAN.objectCount}`);
  if (pass.malformed !== 0) throw new Error(`${kind} listing returned ${pass.malformed} malformed entries`);
  pass.names.forEach((name, index) => {
    if (name !== listingName(index)) throw new Error(`${kind} listing entry ${index} is ${name}, expected ${listingName(index)}`);
  });
}

async function measureListing(store: Store, gateway: ChildServer<GatewayCommands>, graphqlUrl: string, authorization: string, kind: 'graphql' | 'sdk'): Promise<ListingRun> {
  const before = await Promise.all([gateway.request('usage', {}), store.cpu()]);
  const self0 = process.cpuUsage();
  const started = performance.now();
  const pass =
    kind === 'graphql'
      ? await listThroughGraphql(graphqlUrl, authorization, LISTING_FOLDER, S3_PLAN.pageSize)
      : await listThroughS3Sdk(store.sdk, store.bucket, LISTING_FOLDER, S3_PLAN.pageSize);
  const wallMs = performance.now() - started;
  const self = process.cpuUsage(self0);
  const after = await Promise.all([gateway.request('usage', {}), store.cpu()]);
  verifyListing(`${store.name} ${kind}`, pass);
  return {
    wallMs,
    pages: pass.pageLatenciesMs.length,
    clientSideCpuMs: kind === 'graphql' ? cpuMs(before[0], after[0]) : (self.user + self.system) / 1000,
    storeCpuMs: cpuMs(before[1], after[1]),
  };
}

async function listingRuns(store: Store, gateway: ChildServer<GatewayCommands>, graphqlUrl: string, authorization: string): Promise<{ graphql: ListingRun[]; sdk: ListingRun[] }> {
  for (let index = 0; index < S3_PLAN.warmups; index += 1) {
    await measureListing(store, gateway, graphqlUrl, authorization, 'graphql');
    await measureListing(store, gateway, graphqlUrl, authorization, 'sdk');
  }
  const graphql: ListingRun[] = [];
  const sdk: ListingRun[] = [];
  for (let index = 0; index < S3_PLAN.runs; index += 1) {
    // Alternate which path goes first so a drifting machine load does not favour one side.
    const order: ('graphql' | 'sdk')[] = index % 2 === 0 ? ['graphql', 'sdk'] : ['sdk', 'graphql'];
    for (const kind of order) (kind === 'graphql' ? graphql : sdk).push(await measureListing(store, gateway, graphqlUrl, authorization, kind));
    console.error(`${store.name} listing run ${index + 1}/${S3_PLAN.runs}: graphql ${graphql.at(-1)?.wallMs.toFixed(0)} ms, sdk ${sdk.at(-1)?.wallMs.toFixed(0)} ms`);
  }
  return { graphql, sdk };
}

async function graphql(url: string, authorization: string, query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify({ query, variables }) });
  const body = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown };
  if (body.errors !== undefined || body.data === undefined) throw new Error(`GraphQL failed: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const UPLOAD_MUTATION = `mutation BenchUpload($path: String!) { createObjectUpload(input: { path: $path, contentType: "application/octet-stream" }) { url headers { name value } } }`;
const URL_QUERY = `query BenchUrl($path: String!) { object(path: $path) { url contentLength } }`;

/** One 1 GiB upload then download of `path`, through whatever URLs `gateway` hands out, measured on the gateway. */
async function transfer(
  label: string,
  gateway: { server: ChildServer<GatewayCommands>; url: string },
  authorization: string,
  emulator: ChildServer<S3EmulatorCommands>,
  path: string,
): Promise<TransferRun[]> {
  const graphqlUrl = `${gateway.url}/graphql`;
  const pid = gateway.server.pid;
  if (pid === undefined) throw new Error('gateway has no pid');
  const measure = async (direction: string, work: () => Promise<{ bytes: number; verified: boolean }>): Promise<TransferRun> => {
    await gateway.server.request('gc', {});
    await gateway.server.request('openRssWindow', {});
    const usage0 = await gateway.server.request('usage', {});
    const io0 = processIoBytes(pid);
    const started = performance.now();
    const { bytes, verified } = await work();
    const wallMs = performance.now() - started;
    const io1 = processIoBytes(pid);
    const usage1 = await gateway.server.request('usage', {});
    const closed = await gateway.server.request('closeRssWindow', {});
    const peak = closed.window.kernelPeakBytes ?? closed.window.sampledPeakBytes;
    return {
      label: `${label}: ${direction}`,
      wallMs,
      bytes,
      gatewayCpuMs: cpuMs(usage0, usage1),
      gatewayIoBytes: io1 - io0,
      rssGrowthBytes: peak - closed.window.baselineBytes,
      verified,
    };
  };
  let sentSha256 = '';
  const up = await measure('upload', async () => {
    const data = await graphql(graphqlUrl, authorization, UPLOAD_MUTATION, { path });
    const ticket = data['createObjectUpload'] as { url: string; headers: { name: string; value: string }[] };
    const pass = await streamUpload(ticket.url, Object.fromEntries(ticket.headers.map((header) => [header.name, header.value])), S3_PLAN.transferBytes, S3_PLAN.transferSeed);
    if (pass.status !== 200 && pass.status !== 201) throw new Error(`${label} upload answered ${pass.status}`);
    sentSha256 = pass.sha256;
    const stored = await emulator.request('objectDigest', { key: path });
    return { bytes: pass.sentBytes, verified: stored.sha256 === pass.sha256 && (await emulator.request('uploadsInProgress', {})).count === 0 };
  });
  const down = await measure('download', async () => {
    const data = await graphql(graphqlUrl, authorization, URL_QUERY, { path });
    const object = data['object'] as { url: string };
    const pass = await download(object.url);
    if (pass.status !== 200) throw new Error(`${label} download answered ${pass.status}`);
    return { bytes: pass.receivedBytes, verified: pass.sha256 === sentSha256 && pass.receivedBytes === S3_PLAN.transferBytes };
  });
  return [up, down];
}

const ms = (value: number): string => value.toFixed(1);
const ratio = (a: number, b: number): string => (b === 0 ? 'n/a' : `${(a / b).toFixed(2)}×`);
const mib = (bytes: number | null): string => (bytes === null ? 'n/a' : (bytes / 2 ** 20).toFixed(1));

/** A target judged per column: what it is and, per column, the measured value and whether it met the target. */
function targetClause(what: string, verdicts: readonly string[]): string {
  return `${what}: ${verdicts.join(', ')}`;
}

function listingTable(columns: { name: string; graphql: ListingRun[]; sdk: ListingRun[] }[]): { table: string; met: boolean; targets: string } {
  let met = true;
  const targets: string[] = [];
  const header = `| Listing ${S3_PLAN.objectCount.toLocaleString('en-US')} objects, pages of ${S3_PLAN.pageSize} (median of ${S3_PLAN.runs} runs) | ${columns.map((column) => `${column.name}: GraphQL via gateway | ${column.name}: SDK ListObjectsV2 | GraphQL / SDK`).join(' | ')} |`;
  const rule = `|---|${columns.map(() => '---|---|---|').join('')}`;
  const row = (label: string, pick: (run: ListingRun) => number, check?: { readonly what: string; readonly limit: number }): string => {
    const verdicts: string[] = [];
    const cells = columns
      .map((column) => {
        const g = median(column.graphql.map(pick));
        const s = median(column.sdk.map(pick));
        if (check !== undefined) {
          const ok = !(g / s > check.limit);
          if (!ok) met = false;
          verdicts.push(`${column.name} ${ratio(g, s)} (${ok ? 'met' : 'missed'})`);
        }
        return `${ms(g)} | ${ms(s)} | ${ratio(g, s)}`;
      })
      .join(' | ');
    if (check !== undefined) targets.push(targetClause(`${check.what} ≤ ${check.limit}`, verdicts));
    return `| ${label} | ${cells} |`;
  };
  const rows = [
    row(`wall time, ms (target GraphQL / SDK ≤ ${S3_PLAN.wallRatioTarget})`, (run) => run.wallMs, { what: 'listing wall time GraphQL / SDK', limit: S3_PLAN.wallRatioTarget }),
    row('wall time per page, ms', (run) => run.wallMs / run.pages),
    row(`our side's CPU per page, ms: the gateway for GraphQL, the SDK client for SDK (target ≤ ${S3_PLAN.cpuRatioTarget})`, (run) => run.clientSideCpuMs / run.pages, {
      what: "listing our side's CPU per page GraphQL / SDK",
      limit: S3_PLAN.cpuRatioTarget,
    }),
    row('store CPU per page, ms', (run) => run.storeCpuMs / run.pages),
  ];
  return { table: [header, rule, ...rows].join('\n'), met, targets: targets.join('; ') };
}

function transferTable(runs: TransferRun[]): { table: string; met: boolean; targets: string } {
  let met = true;
  const rssVerdicts: string[] = [];
  const rows = runs.map((run) => {
    const mbps = run.bytes / 2 ** 20 / (run.wallMs / 1000);
    if (run.label.startsWith('gateway')) {
      const ok = (run.rssGrowthBytes ?? Infinity) < S3_PLAN.rssTargetBytes;
      if (!ok) met = false;
      rssVerdicts.push(`${run.label} ${mib(run.rssGrowthBytes)} MiB (${ok ? 'met' : 'missed'})`);
    }
    if (!run.verified) met = false;
    return `| ${run.label} | ${(run.wallMs / 1000).toFixed(1)} | ${mbps.toFixed(0)} | ${mib(run.rssGrowthBytes)} | ${ms(run.gatewayCpuMs)} | ${mib(run.gatewayIoBytes)} | ${run.verified ? 'yes' : 'NO'} |`;
  });
  const unverified = runs.filter((run) => !run.verified).map((run) => run.label);
  return {
    table: [
      `| 1 GiB transfer (S3 emulator) | wall, s | MiB/s | gateway peak RSS growth, MiB (target < ${S3_PLAN.rssTargetBytes / 2 ** 20}) | gateway CPU, ms | gateway I/O, MiB (read + written) | bytes verified |`,
      '|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
    met,
    targets: [
      targetClause(`gateway peak RSS growth < ${S3_PLAN.rssTargetBytes / 2 ** 20} MiB`, rssVerdicts),
      unverified.length === 0 ? 'bytes verified: every transfer (met)' : `bytes verified: not for ${unverified.join(', ')} (missed)`,
    ].join('; '),
  };
}

/**
 * Runs the S3 benchmark, prints its tables and writes its section of bench/RESULTS.md.
 * @returns whether every target was met and every transfer verified.
 */
export async function runS3ObjectsBench(children: SupervisedChild[]): Promise<boolean> {
  const machine = describeMachine();
  const { server: emulator, info } = await startBenchChild<S3EmulatorCommands>({ name: 's3-emulator', entry: 's3-emulator.child.ts', env: {}, requestTimeoutMs: 10 * 60_000 });
  children.push(emulator);
  const ready = info as S3EmulatorReady;
  await emulator.request('seedListing', { folder: LISTING_FOLDER, count: S3_PLAN.objectCount });
  let s3rver: S3rverProcess | undefined;
  const sdks: S3Client[] = [];
  try {
    s3rver = await startS3rver();
    const s3rverPid = s3rver.pid;
    if (s3rverPid === undefined) throw new Error('s3rver has no pid');
    const seeding = createS3Client({ endpoint: s3rver.endpoint, region: REGION, forcePathStyle: true, maxAttempts: 3, credentials: S3RVER_CREDENTIALS });
    sdks.push(seeding);
    const limit = pLimit(16);
    const seedStarted = performance.now();
    const bucket = s3rver.bucket;
    await Promise.all(
      Array.from({ length: S3_PLAN.objectCount }, (_, index) =>
        limit(() => seeding.send(new PutObjectCommand({ Bucket: bucket, Key: `${LISTING_FOLDER}/${listingName(index)}`, Body: listingBody(index), ContentType: 'application/json' }))),
      ),
    );
    console.error(`s3rver seeded with ${S3_PLAN.objectCount} objects in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

    const auth = await createBenchAuth('objects-s3-bench', ['objects:read', 'objects:write']);
    const sdkFor = (endpoint: string, credentials: Store['credentials']): S3Client => {
      // The same factory and settings the gateway uses, so the two paths differ only by the gateway itself.
      const client = createS3Client({ endpoint, region: REGION, forcePathStyle: true, maxAttempts: 3, credentials });
      sdks.push(client);
      return client;
    };
    const emulatorStore: Store = {
      name: 'S3 emulator',
      endpoint: requireLoopback('s3-emulator', ready.endpoint),
      bucket: ready.bucket,
      credentials: BENCH_CREDENTIALS,
      cpu: () => emulator.request('usage', {}),
      sdk: sdkFor(ready.endpoint, BENCH_CREDENTIALS),
    };
    const s3rverStore: Store = {
      name: 's3rver',
      endpoint: s3rver.endpoint,
      bucket: s3rver.bucket,
      credentials: S3RVER_CREDENTIALS,
      cpu: async () => readProcessUsage(s3rverPid),
      sdk: sdkFor(s3rver.endpoint, S3RVER_CREDENTIALS),
    };
    const overEmulator = await startGateway(children, 'gateway-s3', emulatorStore, auth);
    const overS3rver = await startGateway(children, 'gateway-s3rver', s3rverStore, auth);
    const direct = await startGateway(children, 'gateway-s3-direct', emulatorStore, auth, { OBJECT_URLS: 'direct' });

    const columns = [
      { name: emulatorStore.name, ...(await listingRuns(emulatorStore, overEmulator.server, `${overEmulator.url}/graphql`, auth.authorization)) },
      { name: s3rverStore.name, ...(await listingRuns(s3rverStore, overS3rver.server, `${overS3rver.url}/graphql`, auth.authorization)) },
    ];
    const transfers = [
      ...(await transfer('gateway URLs', overEmulator, auth.authorization, emulator, TRANSFER_PATH)),
      ...(await transfer('OBJECT_URLS=direct', direct, auth.authorization, emulator, `${TRANSFER_PATH}.direct`)),
    ];
    for (const run of transfers) console.error(`${run.label}: ${(run.wallMs / 1000).toFixed(1)} s, RSS +${mib(run.rssGrowthBytes)} MiB, gateway I/O ${mib(run.gatewayIoBytes)} MiB`);

    const listing = listingTable(columns);
    const moved = transferTable(transfers);
    const section = [
      `- Date: ${new Date().toISOString().slice(0, 10)}; machine: ${formatMachine(machine)}; 1-minute load average at start ${machine.loadAverage.toFixed(2)}`,
      '- Command: `npm run bench:objects` (`OBJECTS_BENCH_STORE=mediastore` runs the MediaStore benchmark below instead)',
      `- Setup: every server in its own process: the S3 emulator (\`bench/support/s3-emulator.child.ts\`), s3rver 3.7.1 (started with \`--openssl-legacy-provider\`, files in a temporary directory), and one gateway per store (\`NODE_ENV=production\`, JWT auth, \`LOG_LEVEL=warn\`, default limits), plus a third gateway over the emulator with \`OBJECT_URLS=direct\`. ${S3_PLAN.objectCount.toLocaleString('en-US')} objects in \`${LISTING_FOLDER}/\`, listed through the \`objects\` query (${S3_PLAN.pageSize} edges per request, following \`endCursor\`) and with the bare SDK (\`ListObjectsV2\`, \`Delimiter: '/'\`, \`MaxKeys: ${S3_PLAN.pageSize}\`, the client built by the gateway's own factory), ${S3_PLAN.warmups} warm-up passes each, then ${S3_PLAN.runs} alternating runs. CPU: user + system of the gateway process (GraphQL) or of this load process, which is then only the SDK client (SDK). Transfers: a 1 GiB deterministic body PUT through \`createObjectUpload\`'s URL and read back through \`MediaObject.url\`, SHA-256 checked on both sides (and no multipart upload left in progress); peak RSS growth from the kernel's VmHWM over a full-GC baseline; gateway I/O from \`/proc/<pid>/io\` (rchar + wchar, sockets included).`,
      '',
      listing.table,
      '',
      moved.table,
      '',
      `Targets: ${listing.targets}; ${moved.targets}.`,
    ].join('\n');
    process.stdout.write(`${S3_SECTION_HEADING}\n\n${section}\n`);
    writeResultsSection(RESULTS_PATH, S3_SECTION_HEADING, `${S3_SECTION_HEADING}\n\n${section}`);
    console.error(`wrote the "${S3_SECTION_HEADING.slice(3)}" section of ${RESULTS_PATH}`);
    if (!listing.met) console.error('listing targets not met (see the table)');
    if (!moved.met) console.error('transfer target not met or a transfer not verified (see the table)');
    return listing.met && moved.met;
  } finally {
    for (const client of sdks) client.destroy();
    await s3rver?.close();
  }
}
