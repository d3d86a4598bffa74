import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { CliChild, CliChildOptions } from './cli-child.js';
import { freePort } from './free-port.js';

const run = promisify(execFile);

/** A Redis Cluster of masters only, each a `redis-server` child of the benchmark, for `bench:fleet`'s Cluster tier. */
export interface BenchRedisCluster {
  /** The masters' processes (their CPU and `INFO` counters add up to the Cluster's). */
  readonly nodes: readonly CliChild[];
  /** `REDIS_URL` for the gateways: every master as a seed. */
  readonly url: string;
  /** One plain connection per master, for `INFO`; closed by {@link BenchRedisCluster.close}. */
  readonly statsClients: readonly Redis[];
  /** Disconnects the stats clients and removes the nodes' files; the nodes themselves stop with the other children. */
  close(): Promise<void>;
}

/**
 * Starts `masters` cluster-enabled `redis-server`s (no persistence, node files in a temporary directory) through
 * `start`, which registers them with the benchmark's supervisor, joins them with `redis-cli --cluster create` and
 * waits until every node reports `cluster_state:ok`.
 * @throws when a node does not start, or the Cluster does not form within `timeoutMs`.
 */
export async function startBenchRedisCluster(
  start: (options: CliChildOptions) => Promise<{ child: CliChild }>,
  masters: number,
  timeoutMs: number,
): Promise<BenchRedisCluster> {
  const directory = await mkdtemp(join(tmpdir(), 'media-graph-bench-cluster-'));
  const ports: number[] = [];
  const nodes: CliChild[] = [];
  for (let index = 0; index < masters; index += 1) {
    const port = await freePort();
    // Cluster's bus port defaults to port + 10000, which may be taken; a second free port is chosen instead.
    let busPort = await freePort();
    while (busPort === port || ports.includes(busPort)) busPort = await freePort();
    ports.push(port);
    const { child } = await start({
      name: `redis-cluster-${index + 1}`,
      command: 'redis-server',
      args: [
        '--port', String(port),
        '--bind', '127.0.0.1',
        '--cluster-enabled', 'yes',
        '--cluster-port', String(busPort),
        '--cluster-config-file', `nodes-${port}.conf`,
        '--dir', directory,
        '--save', '',
        '--appendonly', 'no',
      ],
      env: {},
      ready: /Ready to accept connections/,
      readyTimeoutMs: timeoutMs,
      forward: false,
    });
    nodes.push(child);
  }
  await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], { timeout: timeoutMs });
  const statsClients = ports.map((port) => new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 2 }));
  await Promise.all(statsClients.map((client) => client.connect()));
  const deadline = Date.now() + timeoutMs;
  // Polled: a node learns the others' slots over the cluster bus, with no event a client can wait on.
  for (;;) {
    const states = await Promise.all(statsClients.map(async (client) => /^cluster_state:(\w+)/m.exec(String(await client.call('CLUSTER', 'INFO')))?.[1]));
    if (states.every((state) => state === 'ok')) break;
    if (Date.now() > deadline) throw new Error(`the Redis Cluster did not form within ${timeoutMs} ms (states: ${states.join(', ')})`);
    await sleep(100);
  }
  return {
    nodes,
    url: ports.map((port) => `redis://127.0.0.1:${port}`).join(','),
    statsClients,
    close: async () => {
      for (const client of statsClients) client.disconnect();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
