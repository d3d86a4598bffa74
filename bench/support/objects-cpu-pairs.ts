/**
 * Side-by-side CPU per listing page of gateway builds, against the bare SDK client: the quick measurement behind each
 * change to the `objects` listing path (`npm run bench:objects` is the full benchmark and takes minutes).
 *
 * One S3 emulator child holds 10,000 objects; one gateway child per arm (`OBJECTS_PAIRS_ARMS`, `label=tree` or
 * `label=tree|node-options` separated by commas, `tree` a checkout whose `bench/support/gateway.child.ts` is started,
 * `node-options` the child's `NODE_OPTIONS`; default: this checkout)
 * lists them through the benchmark's `objects` query in pages of 100, and this process lists them with the bare SDK
 * client built by the gateway's factory. Rounds rotate the order of the arms, so a drifting machine load hits
 * them alike; each sample is one full listing (100 pages). Reports per arm the median CPU and wall time per page,
 * and the median of the per-round ratios against the first arm and against the SDK, with their 95% intervals.
 *
 * Usage: `node --import tsx bench/support/objects-cpu-pairs.ts` with `OBJECTS_PAIRS_ARMS`, `OBJECTS_PAIRS_ROUNDS`
 * (default 20), `OBJECTS_PAIRS_COUNT` and `OBJECTS_PAIRS_PAGE_SIZE` (objects listed and page size, default 10,000 and
 * 100: a page of 1 shows the per-request cost) and `OBJECTS_PAIRS_PROFILE_DIR` (profile this checkout's gateway into that directory with
 * `gateway-profiled.child.ts`; one arm only). Writes nothing but its report on stdout (and the profiles).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createS3Client } from '../../src/datasources/s3/s3.client.js';
import { createBenchAuth } from './bench-auth.js';
import { BENCH_CREDENTIALS, cpuMs, positiveInteger, REPO_ROOT, startBenchChild } from './children.js';
import type { GatewayCommands, GatewayReady } from './commands.js';
import { ChildServer, childEnv, requireLoopback, runSupervised } from './ipc.js';
import { listThroughGraphql, type ListingPass } from './objects-load.js';
import { listThroughS3Sdk } from './objects-s3-load.js';
import { LISTING_FOLDER, listingName } from './payload.js';
import type { S3EmulatorCommands, S3EmulatorReady } from './s3-bench-commands.js';
import { median, pairedRatio } from './stats.js';
import { benchGatewayEnv } from './gateway-env.js';

const OBJECT_COUNT = positiveInteger('OBJECTS_PAIRS_COUNT', 10_000);
const PAGE_SIZE = positiveInteger('OBJECTS_PAIRS_PAGE_SIZE', 100);
const WARMUPS = 2;
const REGION = 'us-east-1';

/** One gateway build under comparison. */
interface Arm {
  readonly label: string;
  readonly tree: string;
  /** `NODE_OPTIONS` of its gateway child (V8 flags such as `--max-semi-space-size=64`); none when empty. */
  readonly nodeOptions: string;
}

/** One full listing by one arm. */
interface Sample {
  readonly cpuMsPerPage: number;
  readonly wallMsPerPage: number;
}

function parseArms(spec: string | undefined): Arm[] {
  if (spec === undefined || spec.trim() === '') return [{ label: 'gateway', tree: REPO_ROOT, nodeOptions: '' }];
  return spec.split(',').map((part) => {
    const match = /^([^=]+)=([^|]+)(?:\|(.*))?$/.exec(part);
    if (match === null) throw new Error(`OBJECTS_PAIRS_ARMS: "${part}" is not label=tree or label=tree|node-options`);
    return { label: match[1] as string, tree: match[2] as string, nodeOptions: match[3] ?? '' };
  });
}

function verify(label: string, pass: ListingPass): void {
  if (pass.names.length !== OBJECT_COUNT || pass.malformed !== 0) throw new Error(`${label}: ${pass.names.length} entries, ${pass.malformed} malformed`);
  pass.names.forEach((name, index) => {
    if (name !== listingName(index)) throw new Error(`${label}: entry ${index} is ${name}`);
  });
}

const children: ChildServer<GatewayCommands | S3EmulatorCommands>[] = [];

async function run(): Promise<boolean> {
  const arms = parseArms(process.env['OBJECTS_PAIRS_ARMS']);
  const rounds = positiveInteger('OBJECTS_PAIRS_ROUNDS', 20);
  const profileDirectory = process.env['OBJECTS_PAIRS_PROFILE_DIR'];
  const { server: emulator, info } = await startBenchChild<S3EmulatorCommands>({ name: 's3-emulator', entry: 's3-emulator.child.ts', env: {} });
  children.push(emulator);
  const ready = info as S3EmulatorReady;
  const endpoint = requireLoopback('s3-emulator', ready.endpoint);
  await emulator.request('seedListing', { folder: LISTING_FOLDER, count: OBJECT_COUNT });
  const auth = await createBenchAuth('objects-cpu-pairs', ['objects:read']);
  const gateways: { arm: Arm; server: ChildServer<GatewayCommands>; graphqlUrl: string }[] = [];
  for (const arm of arms) {
    const { server, info: gatewayInfo } = await ChildServer.start<GatewayCommands>({
      name: `gateway-${arm.label}`,
      // Profiling runs this checkout's gateway whatever the arm's tree (one arm is all a profile needs).
      entry: profileDirectory === undefined ? join(arm.tree, 'bench', 'support', 'gateway.child.ts') : join(REPO_ROOT, 'bench', 'support', 'gateway-profiled.child.ts'),
      cwd: arm.tree,
      env: childEnv({
        ...benchGatewayEnv(auth),
        OBJECT_STORE: 's3',
        S3_ENDPOINT: endpoint,
        S3_BUCKET: ready.bucket,
        S3_REGION: REGION,
        ...(profileDirectory === undefined ? {} : { PROFILE_DIR: profileDirectory }),
        ...(arm.nodeOptions === '' ? {} : { NODE_OPTIONS: arm.nodeOptions }),
      }),
      readyTimeoutMs: 60_000,
      requestTimeoutMs: 60_000,
    });
    children.push(server);
    gateways.push({ arm, server, graphqlUrl: `${requireLoopback(arm.label, (gatewayInfo as GatewayReady).url)}/graphql` });
  }
  // The same factory and settings the gateway uses, as in bench:objects.
  const sdk = createS3Client({ endpoint, region: REGION, forcePathStyle: true, maxAttempts: 3, credentials: BENCH_CREDENTIALS });

  const measureGateway = async (gateway: (typeof gateways)[number]): Promise<Sample> => {
    const before = await gateway.server.request('usage', {});
    const started = performance.now();
    const pass = await listThroughGraphql(gateway.graphqlUrl, auth.authorization, LISTING_FOLDER, PAGE_SIZE);
    const wallMs = performance.now() - started;
    const after = await gateway.server.request('usage', {});
    verify(gateway.arm.label, pass);
    const pages = pass.pageLatenciesMs.length;
    return { cpuMsPerPage: cpuMs(before, after) / pages, wallMsPerPage: wallMs / pages };
  };
  const measureSdk = async (): Promise<Sample> => {
    const before = process.cpuUsage();
    const started = performance.now();
    const pass = await listThroughS3Sdk(sdk, ready.bucket, LISTING_FOLDER, PAGE_SIZE);
    const wallMs = performance.now() - started;
    const used = process.cpuUsage(before);
    verify('sdk', pass);
    const pages = pass.pageLatenciesMs.length;
    return { cpuMsPerPage: (used.user + used.system) / 1000 / pages, wallMsPerPage: wallMs / pages };
  };
  const measures: { label: string; measure: () => Promise<Sample> }[] = [
    ...gateways.map((gateway) => ({ label: gateway.arm.label, measure: () => measureGateway(gateway) })),
    { label: 'sdk', measure: measureSdk },
  ];

  try {
    const load0 = loadavg()[0] ?? 0;
    for (let index = 0; index < WARMUPS; index += 1) for (const { measure } of measures) await measure();
    const samples = new Map<string, Sample[]>(measures.map(({ label }) => [label, []]));
    for (let round = 0; round < rounds; round += 1) {
      // Rotate the order so no arm always runs first (or right after the SDK's listing).
      for (let offset = 0; offset < measures.length; offset += 1) {
        const entry = measures[(round + offset) % measures.length];
        if (entry === undefined) continue;
        samples.get(entry.label)?.push(await entry.measure());
      }
      process.stderr.write(`round ${round + 1}/${rounds}\n`);
    }
    const load1 = loadavg()[0] ?? 0;
    const of = (label: string): Sample[] => samples.get(label) ?? [];
    const reference = measures[0]?.label ?? 'sdk';
    const lines = [`1-minute load average: ${load0.toFixed(2)} at start, ${load1.toFixed(2)} at end; ${rounds} rounds of full listings (${OBJECT_COUNT / PAGE_SIZE} pages of ${PAGE_SIZE})`];
    lines.push('| arm | CPU ms/page | wall ms/page | CPU / first arm (95% CI) | CPU / SDK (95% CI) | wall / SDK (95% CI) |', '|---|---:|---:|---|---|---|');
    const cell = (r: ReturnType<typeof pairedRatio>): string => `${r.ratio.toFixed(3)} (${r.low.toFixed(3)}-${r.high.toFixed(3)})`;
    for (const { label } of measures) {
      const mine = of(label);
      const cpu = mine.map((sample) => sample.cpuMsPerPage);
      const wall = mine.map((sample) => sample.wallMsPerPage);
      const sdkSamples = of('sdk');
      lines.push(
        `| ${label} | ${median(cpu).toFixed(3)} | ${median(wall).toFixed(3)} | ${cell(pairedRatio(cpu, of(reference).map((sample) => sample.cpuMsPerPage)))} | ${cell(pairedRatio(cpu, sdkSamples.map((sample) => sample.cpuMsPerPage)))} | ${cell(pairedRatio(wall, sdkSamples.map((sample) => sample.wallMsPerPage)))} |`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    return true;
  } finally {
    sdk.destroy();
  }
}

async function stopChildren(): Promise<void> {
  // Gateways first: none should see its upstream vanish while serving.
  for (const child of [...children].reverse()) await child.stop();
}

await runSupervised(children, 60 * 60_000, run, stopChildren);
