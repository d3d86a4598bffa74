/**
 * A quick side-by-side of what OpenTelemetry tracing costs, for iterating on `src/server/tracing.ts` without the
 * several minutes of `npm run bench:ops`: the same request part (gateways from `ops-server.child.ts` running
 * `security-gateway.child.ts`, one S3 emulator, one OTLP receiver that counts and discards, `ListObjects` with
 * `first: 10` on 16 keep-alive connections), but only an `off` gateway and a `tracing` one (always_on, OTLP/HTTP
 * protobuf), plus any variants named in `OPS_PAIR_VARIANTS`. Rounds rotate the order as `bench:ops` does; prints
 * each round and, per tracing gateway, the median of the per-round CPU-per-request ratios against `off` with its
 * interval. Writes no results file.
 *
 * Run: `node --import tsx bench/support/ops-tracing-pair.ts`. Environment:
 * - `OPS_PAIR_ROUNDS` (default 12), `OPS_PAIR_WINDOW_MS` (default 2000);
 * - `OPS_PAIR_VARIANTS`: more gateways, `name:VAR=value+VAR2=value;name2:…`, each with those variables added (for
 *   switches a change under test reads, or `NODE_OPTIONS=--import=<module>` to preload one); traced unless one of the
 *   assignments is `OPS_PAIR_TRACING=off`; every variant's ratio is against `off`;
 * - `OPS_PAIR_PROFILE`: configuration names, comma-separated (`off`, `tracing`, variants), whose gateways run under the CPU profiler
 *   (`ops-profiled-server.child.ts`) from the end of the first warm-up, writing `<name>.cpuprofile` into
 *   `OPS_PAIR_PROFILE_DIR` (default `/tmp`) when it stops.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { createBenchAuth } from './bench-auth.js';
import { startBenchChild, positiveInteger } from './children.js';
import { benchGatewayEnv } from './gateway-env.js';
import { pidOf, requireLoopback, runSupervised, type ChildServer, type CommandMap } from './ipc.js';
import { LIST_OBJECTS_OPERATION, listObjectsQuery, verifyListingPage } from './listing-request.js';
import { measureLoadRound, roundFigures, warmUp, type LoadedServer } from './load-round.js';
import { OPS_ENTRY_VARIABLE, OPS_RECORDING_VARIABLE, type OtlpReceiverCommands, type OtlpReceiverReady } from './ops-commands.js';
import { spanTotal } from './ops-otlp.js';
import type { S3EmulatorCommands, S3EmulatorReady } from './s3-bench-commands.js';
import type { SecurityGatewayCommands, SecurityGatewayReady } from './security-commands.js';
import { median, pairedRatio } from './stats.js';

const CONCURRENCY = 16;
const FIRST_WARMUP_MS = 3_000;
const ROUND_WARMUP_MS = 500;
const PAGE_SIZE = 10;
const FOLDER = 'ops-listing';
const DEADLINE_MS = 20 * 60_000;
/** In a variant's assignments, `OPS_PAIR_TRACING=off` makes it a gateway without traces (passed to no child). */
const UNTRACED_VARIABLE = 'OPS_PAIR_TRACING';

interface Variant {
  readonly name: string;
  readonly tracing: boolean;
  readonly env: Readonly<Record<string, string>>;
}

interface PairGateway extends LoadedServer {
  readonly variant: Variant;
  readonly child: ChildServer<SecurityGatewayCommands>;
  answered: number;
}


/** @throws Error on a malformed `OPS_PAIR_VARIANTS`. */
function readVariants(text: string | undefined): Variant[] {
  const variants: Variant[] = [
    { name: 'off', tracing: false, env: {} },
    { name: 'tracing', tracing: true, env: {} },
  ];
  for (const item of (text ?? '').split(';').filter((part) => part.trim() !== '')) {
    const colon = item.indexOf(':');
    const name = (colon < 0 ? item : item.slice(0, colon)).trim();
    if (!/^[\w-]+$/.test(name) || variants.some((variant) => variant.name === name)) throw new Error(`OPS_PAIR_VARIANTS: bad or repeated name in ${item}`);
    const env: Record<string, string> = {};
    for (const assignment of colon < 0 ? [] : item.slice(colon + 1).split('+')) {
      const equals = assignment.indexOf('=');
      if (equals <= 0) throw new Error(`OPS_PAIR_VARIANTS: ${assignment} is no VAR=value`);
      env[assignment.slice(0, equals).trim()] = assignment.slice(equals + 1);
    }
    const { [UNTRACED_VARIABLE]: untraced, ...rest } = env;
    variants.push({ name, tracing: untraced !== 'off', env: rest });
  }
  return variants;
}

const children = new Set<ChildServer<CommandMap>>();

async function startChild<M extends CommandMap>(name: string, entry: string, env: Record<string, string>): Promise<{ child: ChildServer<M>; info: unknown }> {
  const { server, info } = await startBenchChild<M>({ name, entry, env });
  children.add(server as unknown as ChildServer<CommandMap>);
  return { child: server, info };
}

async function run(): Promise<boolean> {
  const rounds = positiveInteger('OPS_PAIR_ROUNDS', 12);
  const windowMs = positiveInteger('OPS_PAIR_WINDOW_MS', 2_000);
  const variants = readVariants(process.env['OPS_PAIR_VARIANTS']);
  const profiled = (process.env['OPS_PAIR_PROFILE'] ?? '').split(',').map((name) => name.trim());
  const profileDir = process.env['OPS_PAIR_PROFILE_DIR'] ?? '/tmp';
  const loadStart = loadavg()[0] ?? 0;
  const auth = await createBenchAuth('ops-pair', ['objects:read']);
  const { child: s3, info } = await startChild<S3EmulatorCommands>('s3-emulator', 's3-emulator.child.ts', {});
  const s3Ready = info as S3EmulatorReady;
  await s3.request('seedListing', { folder: FOLDER, count: 100 });
  const s3Pid = pidOf(s3, 's3 emulator');
  const { child: receiver, info: receiverInfo } = await startChild<OtlpReceiverCommands>('otlp-receiver', 'ops-otlp-receiver.child.ts', {});
  const otlpEndpoint = requireLoopback('otlp receiver', (receiverInfo as OtlpReceiverReady).endpoint);
  const body = JSON.stringify({ query: listObjectsQuery(), operationName: LIST_OBJECTS_OPERATION, variables: { path: `/${FOLDER}`, first: PAGE_SIZE } });

  const gateways: PairGateway[] = [];
  for (const variant of variants) {
    const name = `gateway-${variant.name}`;
    const profile = profiled.includes(variant.name);
    const { child, info: ready } = await startChild<SecurityGatewayCommands>(name, profile ? 'ops-profiled-server.child.ts' : 'ops-server.child.ts', {
      [OPS_ENTRY_VARIABLE]: 'security-gateway',
      [OPS_RECORDING_VARIABLE]: 'on',
      ...benchGatewayEnv(auth),
      OBJECT_STORE: 's3',
      S3_ENDPOINT: requireLoopback('s3 emulator', s3Ready.endpoint),
      S3_BUCKET: s3Ready.bucket,
      S3_REGION: 'us-east-1',
      ...(variant.tracing ? { OTEL_EXPORTER_OTLP_ENDPOINT: otlpEndpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', OTEL_TRACES_SAMPLER: 'always_on' } : {}),
      ...(profile ? { OPS_PROFILE_PATH: join(profileDir, `${variant.name}.cpuprofile`) } : {}),
      ...variant.env,
    });
    const url = requireLoopback(name, (ready as SecurityGatewayReady).url);
    gateways.push({
      variant,
      name,
      child,
      pid: pidOf(child, name),
      target: {
        url: `${url}/graphql`,
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization: auth.authorization },
        body,
      },
      verify: (text) => verifyListingPage(name, text, PAGE_SIZE),
      answered: 0,
    });
  }
  for (const gateway of gateways) gateway.answered += await warmUp(gateway, CONCURRENCY, FIRST_WARMUP_MS);
  const answeredBefore = new Map(gateways.map((gateway) => [gateway.variant.name, gateway.answered]));
  // The profiled gateways start their profiler now, after module loading and the warm-up (ops-profiled-server.child.ts).
  for (const gateway of gateways) if (profiled.includes(gateway.variant.name)) process.kill(gateway.pid, 'SIGUSR2');

  const cpu = new Map<string, number[]>(gateways.map((gateway) => [gateway.variant.name, []]));
  const other: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const order = gateways.map((_, index) => gateways[(index + round) % gateways.length] as PairGateway);
    const line: string[] = [];
    for (const gateway of order) {
      const measured = await measureLoadRound(gateway, s3Pid, { concurrency: CONCURRENCY, warmupMs: ROUND_WARMUP_MS, windowMs });
      gateway.answered += measured.answered;
      const figures = roundFigures(measured.round);
      cpu.get(gateway.variant.name)?.push(figures.cpuUs);
      other.push(figures.otherCores);
      line.push(`${gateway.variant.name} ${figures.reqPerSec.toFixed(0)} req/s ${figures.cpuUs.toFixed(0)} µs/req`);
    }
    console.error(`round ${round + 1}/${rounds} (load ${(loadavg()[0] ?? 0).toFixed(2)}): ${line.join('; ')}`);
  }
  for (const gateway of gateways) {
    await gateway.child.stop();
    children.delete(gateway.child as unknown as ChildServer<CommandMap>);
  }
  const received = await receiver.request('received', {});
  const traced = gateways.filter((gateway) => gateway.variant.tracing).reduce((sum, gateway) => sum + gateway.answered, 0);

  const off = cpu.get('off') ?? [];
  const lines = [
    `1-minute load average: ${loadStart.toFixed(2)} at start, ${(loadavg()[0] ?? 0).toFixed(2)} at end; other processes during the windows: median ${(median(other) * 100).toFixed(0)}% of a core`,
    `off: median ${median(off).toFixed(0)} µs CPU per request`,
    `answers after the warm-up: ${gateways.map((gateway) => `${gateway.variant.name} ${gateway.answered - (answeredBefore.get(gateway.variant.name) ?? 0)}`).join(', ')}`,
  ];
  for (const gateway of gateways.filter((candidate) => candidate.variant.name !== 'off')) {
    const values = cpu.get(gateway.variant.name) ?? [];
    const ratio = pairedRatio(values, off);
    lines.push(
      `${gateway.variant.name}: median ${median(values).toFixed(0)} µs CPU per request; / off ${ratio.ratio.toFixed(3)} (${ratio.low.toFixed(3)} – ${ratio.high.toFixed(3)}, ${(ratio.coverage * 100).toFixed(1)}%)`,
    );
  }
  lines.push(
    `spans: ${spanTotal(received.spans)} received for ${traced} traced answers (${JSON.stringify(received.spans)}), ${received.refused} refused`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  return true;
}

await runSupervised(
  children,
  DEADLINE_MS,
  run,
  async () => {
    for (const child of [...children].reverse()) {
      await child.stop();
      children.delete(child);
    }
  },
);
