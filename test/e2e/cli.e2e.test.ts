import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DVR_CHANNEL, DEMO_PARENT, DEMO_PLAIN_CHANNEL } from '../../src/emulators/livestream/livestream.seed.js';
import { postGraphql } from '../helpers/gateway.js';

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
