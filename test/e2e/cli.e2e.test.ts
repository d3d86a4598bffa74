import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { DEMO_DVR_CHANNEL, DEMO_PARENT, DEMO_PLAIN_CHANNEL } from '../../src/emulators/livestream/livestream.seed.js';
import { startGateway } from '../../src/server/gateway.js';
import { postGraphql, TEST_SIGNING_SECRET } from '../helpers/gateway.js';
import { within } from '../helpers/within.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The compartment `seedOciDemo` fills (src/emulators/oci/oci.seed.ts keeps its ids private). */
const OCI_DEMO_COMPARTMENT = 'ocid1.compartment.oc1..aaaaaaaamediagraphdemo';
const SHUTDOWN_GRACE_MS = 5_000;
const READY_LINE = /^media-graph: GraphQL at (http:\/\/\S+\/graphql)\b/m;

/** The environment `serve` gets: the caller's, minus anything that would point it at real services. */
function serveEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['NODE_ENV', 'MEDIASTORE_ENDPOINT', 'EMULATORS', 'PUBLIC_BASE_URL', 'SIGNING_SECRET', 'LOG_LEVEL']) delete env[name];
  return { ...env, HOST: '127.0.0.1', PORT: '0', LOG_LEVEL: 'warn', SHUTDOWN_GRACE_MS: String(SHUTDOWN_GRACE_MS) };
}

type Edges<T> = { readonly edges: ReadonlyArray<{ readonly node: T }> };

/** What the demo-data query of `serve` returns. */
interface DemoQuery {
  readonly assets: Edges<{ readonly name: string; readonly state: string }>;
  readonly channels: Edges<{
    readonly name: string;
    readonly retentionWindowSeconds: number | null;
    readonly dvrSessions: Edges<{ readonly dvrSessionId: string; readonly state: string; readonly retentionWindowSeconds: number | null }>;
  }>;
  readonly mediaAssets: Edges<{ readonly displayName: string | null; readonly lifecycleState: string; readonly compartmentId: string }>;
}

/** Resolves with the GraphQL URL once `serve` prints its ready line; rejects if the process exits first. */
function waitForReadyLine(child: ChildProcess, output: { stdout: string; stderr: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      output.stdout += chunk.toString('utf8');
      const match = READY_LINE.exec(output.stdout);
      if (match?.[1] !== undefined) {
        child.stdout?.off('data', onData);
        child.off('exit', onExit);
        resolve(match[1]);
      }
    };
    const onExit = (code: number | null): void => reject(new Error(`serve exited with ${String(code)} before listening:\n${output.stderr}`));
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

describe('media-graph serve', () => {
  let child: ChildProcess;
  let graphqlUrl: string;
  const output = { stdout: '', stderr: '' };

  beforeAll(async () => {
    child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], { cwd: ROOT, env: serveEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => {
      output.stderr += chunk.toString('utf8');
    });
    graphqlUrl = await waitForReadyLine(child, output);
    child.stdout?.on('data', (chunk: Buffer) => {
      output.stdout += chunk.toString('utf8');
    });
  }, 20_000);

  afterAll(() => {
    // Only if a failed assertion left it running.
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });

  it('serves the demo objects when started with PORT=0', async () => {
    expect(graphqlUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    const response = await postGraphql<{ objects: { edges: { node: { path: string } }[] } }>(graphqlUrl, {
      query: '{ objects(path: "/", first: 20) { edges { node { path } } } }',
    });
    expect(response.errors).toBeUndefined();
    const paths = response.data?.objects.edges.map((edge) => edge.node.path) ?? [];
    expect(paths).toEqual(expect.arrayContaining(['README.txt', 'vod', 'live', 'thumbnails']));
    const health = await fetch(new URL('/readyz', graphqlUrl));
    expect(health.status).toBe(200);
  });

  it('serves the seeded Live Stream and OCI demo resources at the default location and compartment', async () => {
    const response = await postGraphql<DemoQuery>(graphqlUrl, {
      query: `{
        assets(first: 20) { edges { node { name state } } }
        channels(first: 10, orderBy: "name") {
          edges { node { name retentionWindowSeconds dvrSessions(first: 10, orderBy: "name") { edges { node { dvrSessionId state retentionWindowSeconds } } } } }
        }
        mediaAssets(first: 20) { edges { node { displayName lifecycleState compartmentId } } }
      }`,
    });
    expect(response.errors).toBeUndefined();
    // No parent or compartment argument: the gateway's defaults must be where `serve` seeded the demo.
    const assets = response.data?.assets.edges.map((edge) => [edge.node.name, edge.node.state]) ?? [];
    expect(assets.sort()).toEqual(
      [
        ['ad-break-slate', 'ACTIVE'],
        ['broken-upload', 'ERROR'],
        ['intro-bumper', 'ACTIVE'],
        ['station-slate', 'ACTIVE'],
      ].map(([id, state]) => [`${DEMO_PARENT}/assets/${id}`, state]),
    );
    const channels = response.data?.channels.edges.map((edge) => edge.node) ?? [];
    expect(channels.map((channel) => [channel.name, channel.retentionWindowSeconds])).toEqual([
      [DEMO_DVR_CHANNEL, 86_400],
      [DEMO_PLAIN_CHANNEL, null],
    ]);
    // Seeded relative to the emulator clock at startup: one recording past, one live, one to come.
    expect(channels[0]?.dvrSessions.edges.map((edge) => edge.node)).toEqual([
      { dvrSessionId: 'evening-news', state: 'SCHEDULED', retentionWindowSeconds: 86_400 },
      { dvrSessionId: 'midday-update', state: 'LIVE', retentionWindowSeconds: 86_400 },
      { dvrSessionId: 'morning-show', state: 'FINISHED', retentionWindowSeconds: 86_400 },
    ]);
    expect(channels[1]?.dvrSessions.edges).toEqual([]);
    const mediaAssets = response.data?.mediaAssets.edges.map((edge) => edge.node) ?? [];
    // Newest first, as ListMediaAssets orders them; the newest demo title is still being created.
    expect(mediaAssets.map((asset) => [asset.displayName, asset.lifecycleState])).toEqual([
      ['Cosmos Laundromat', 'CREATING'],
      ['Elephants Dream', 'ACTIVE'],
      ['Tears of Steel', 'ACTIVE'],
      ['Sintel', 'ACTIVE'],
      ['Big Buck Bunny', 'ACTIVE'],
    ]);
    expect(new Set(mediaAssets.map((asset) => asset.compartmentId))).toEqual(new Set([OCI_DEMO_COMPARTMENT]));
  });

  it('logs what the OCI SDK prints for a failed call as a JSON line on stdout, not as plain text on stderr', async () => {
    const response = await postGraphql<{ mediaAsset: null }>(graphqlUrl, { query: '{ mediaAsset(id: "ocid1.mediaasset.oc1..nosuchasset") { id } }' });
    expect(response.errors).toBeUndefined();
    expect(response.data?.mediaAsset).toBeNull();
    // The SDK's retrier prints before the call rejects; the line reaches this process's pipe on its own schedule.
    const consoleLine = (): Record<string, unknown> | undefined =>
      output.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((line) => line['source'] === 'console' && String(line['msg']).includes('Request cannot be retried'));
    await within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (consoleLine() === undefined) return;
          child.stdout?.off('data', check);
          resolve();
        };
        child.stdout?.on('data', check);
        check();
      }),
      10_000,
      'the OCI SDK line in the log',
    );
    expect(consoleLine()).toMatchObject({ level: 40, service: 'media-graph' });
    expect(output.stderr).not.toContain('Request cannot be retried');
  });

  it('exits with code 0 within the grace period when sent SIGTERM', async () => {
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const started = performance.now();
    child.kill('SIGTERM');
    const guard = new Promise<never>((_, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve still running ${SHUTDOWN_GRACE_MS} ms after SIGTERM`)), SHUTDOWN_GRACE_MS);
      void exited.finally(() => clearTimeout(timer));
    });
    const [code, signal] = await Promise.race([exited, guard]);
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    // The CLI's own diagnostics (e.g. "second signal, exiting now") start with its name.
    expect(output.stderr).not.toMatch(/^media-graph:/m);
    expect(performance.now() - started).toBeLessThan(SHUTDOWN_GRACE_MS);
  });
});

/** How a `media-graph` process ended and what it wrote. */
interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** From spawn to exit, in ms. */
  readonly ms: number;
}

/**
 * Runs `media-graph <args>` with `env` until it exits by itself. A process still running after `limitMs` is killed
 * and the promise rejects with what it wrote: these commands must end on their own.
 */
async function runToEnd(args: readonly string[], env: NodeJS.ProcessEnv, limitMs: number): Promise<Finished> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => {
    output.stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString('utf8');
  });
  const closed = once(child, 'close') as Promise<[number | null]>;
  try {
    const [code] = await within(closed, limitMs, `media-graph ${args.join(' ')} to exit`);
    return { code, ...output, ms: performance.now() - started };
  } catch (error) {
    child.kill('SIGKILL');
    await closed;
    throw new Error(`${(error as Error).message}; it wrote:\n${output.stdout}\n${output.stderr}`);
  }
}

/** A TCP server holding a loopback port, as another program would. */
async function holdPort(): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

/** Handles that keep a process alive because of the network: listening servers and sockets. */
function networkHandles(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'TCPServerWrap' || name === 'TCPSocketWrap').length;
}

// RELIABILITY: a port that is taken must not leave `serve` running with the emulators' ports held (issue 12, defect 2).
const BIND_FAILURE_LIMIT_MS = 5_000;

describe('media-graph serve when it cannot start', () => {
  const held: Server[] = [];
  afterEach(async () => {
    await Promise.all(held.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  });

  it('exits 1 within 5 s with one line on stderr and nothing started when the port is already in use', async () => {
    const server = await holdPort();
    held.push(server);
    const port = portOf(server);
    const result = await runToEnd(['serve'], { ...serveEnv(), PORT: String(port), LOG_LEVEL: 'info' }, 30_000);
    expect(result).toMatchObject({
      code: 1,
      stdout: '',
      stderr: `media-graph: cannot listen on 127.0.0.1:${String(port)}: the port is already in use (EADDRINUSE); stop what holds it or set PORT to a free port\n`,
    });
    expect(result.ms).toBeLessThan(BIND_FAILURE_LIMIT_MS);
  });

  it('exits 1 with one line on stderr when HOST is not an address of this machine', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): assigned to no interface.
    // Development's default metrics listener is refused on a non-loopback HOST before any bind; the bind is what this tests.
    const result = await runToEnd(['serve'], { ...serveEnv(), HOST: '192.0.2.1', PORT: '4000', METRICS_PORT: 'off' }, 30_000);
    expect(result).toMatchObject({
      code: 1,
      stdout: '',
      stderr: 'media-graph: cannot listen on 192.0.2.1:4000: HOST is not an address of this machine (EADDRNOTAVAIL); set HOST to one of its addresses\n',
    });
  });

  it('closes what it started and exits 1 with one line naming the port when a later listener of the gateway cannot bind', async () => {
    // METRICS_PORT is bound after the emulators and the main listener: its failure goes through the gateway's unwinding.
    const server = await holdPort();
    held.push(server);
    const port = portOf(server);
    // The AWS SDK's own notice about Node 20 goes to stderr once its clients load; only our lines are compared.
    const env = { ...serveEnv(), METRICS_PORT: String(port), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
    const result = await runToEnd(['serve'], env, 60_000);
    expect(result).toMatchObject({
      code: 1,
      stderr: `media-graph: cannot listen on 127.0.0.1:${String(port)}: the port is already in use (EADDRINUSE); stop what holds it or set the port setting to a free port\n`,
    });
    expect(result.stdout).not.toContain('GraphQL at');
  });

  it('exits 2 with one configuration line and no stack trace when EMULATORS=off and no object store is configured', async () => {
    const result = await runToEnd(['serve'], { ...serveEnv(), EMULATORS: 'off' }, 60_000);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^media-graph: [^\n]*EMULATORS=off[^\n]*\n$/);
    expect(result.stdout).not.toContain('GraphQL at');
  });

  it('exits 2 with one line stating the allowed range when PORT is -1', async () => {
    const result = await runToEnd(['serve'], { ...serveEnv(), PORT: '-1' }, 30_000);
    expect(result).toMatchObject({ code: 2, stdout: '', stderr: 'media-graph: invalid configuration: PORT: must be a whole number in the range 0-65535\n' });
  });

  it('exits 2 with one line and then the usage on stderr when given an unknown option', async () => {
    const result = await runToEnd(['serve', '--frobnicate'], serveEnv(), 30_000);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const [line, blank, usage] = result.stderr.split('\n');
    expect([line, blank, usage]).toEqual(["media-graph serve: unknown option '--frobnicate'", '', 'Usage: media-graph serve']);
  });

  it('prints its usage on stdout and exits 0 when given --help', async () => {
    const result = await runToEnd(['serve', '--help'], serveEnv(), 30_000);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toMatch(/^Usage: media-graph serve\n[\s\S]*Exit status:/);
  });
});

describe('startGateway when the port is taken after the emulators started', () => {
  it('closes every emulator and client it started before rejecting with EADDRINUSE', async () => {
    const server = await holdPort();
    try {
      const before = networkHandles();
      const logs: string[] = [];
      const sink = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          logs.push(chunk.toString('utf8'));
          callback();
        },
      });
      const config = loadConfig({ NODE_ENV: 'test', HOST: '127.0.0.1', PORT: String(portOf(server)), SIGNING_SECRET: TEST_SIGNING_SECRET });
      // serve finds a taken port before starting anything; this is the race where the port goes in between.
      await expect(startGateway(config, { seedDemo: true, logger: createLogger('info', sink) })).rejects.toMatchObject({ code: 'EADDRINUSE' });
      const started = logs.filter((line) => line.includes('embedded emulator started')).length;
      expect(started).toBeGreaterThanOrEqual(4);
      // Sockets close on the next turns of the event loop; servers are closed already.
      await within(
        (async () => {
          while (networkHandles() > before) await new Promise((resolve) => setImmediate(resolve));
        })(),
        BIND_FAILURE_LIMIT_MS,
        'the gateway to release its servers and sockets',
      );
      expect(networkHandles()).toBe(before);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('media-graph serve on a wildcard HOST', () => {
  it('warns once at startup, naming PUBLIC_BASE_URL, when HOST is 0.0.0.0 and PUBLIC_BASE_URL is not set', async () => {
    // Development's default metrics listener is refused on a wildcard HOST; the warning is what this tests.
    const env = { ...serveEnv(), HOST: '0.0.0.0', AUTH_JWT_SECRET: 'a-jwt-secret-of-at-least-32-characters!!', METRICS_PORT: 'off' };
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output = { stdout: '', stderr: '' };
    child.stderr.on('data', (chunk: Buffer) => {
      output.stderr += chunk.toString('utf8');
    });
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    let ended: [number | null, NodeJS.Signals | null];
    try {
      const url = await within(waitForReadyLine(child, output), 60_000, 'serve to listen');
      expect(url).toMatch(/^http:\/\/0\.0\.0\.0:\d+\/graphql$/);
      const warnings = output.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as { level: number; msg: string })
        .filter((entry) => entry.msg.includes('PUBLIC_BASE_URL'));
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ level: 40 });
      expect(warnings[0]?.msg).toContain('http://0.0.0.0:');
    } finally {
      // Asserting here would hide why the block above failed; the exit is checked after it.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      ended = await within(exited, SHUTDOWN_GRACE_MS * 2, 'serve to exit after SIGTERM');
    }
    const [code, signal] = ended;
    expect({ code, signal }, `serve's stderr:\n${output.stderr}`).toEqual({ code: 0, signal: null });
    // Starting a fresh process imports the whole gateway through tsx, which a busy CI machine stretches far past
    // the 30 s default; the waits inside carry their own limits.
  }, 90_000);
});
