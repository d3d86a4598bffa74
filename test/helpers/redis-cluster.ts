import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import type { RedisTarget } from '../../src/config.js';
import { freePort, redisAnswers } from './fleet.js';
import { within } from './within.js';

const run = promisify(execFile);

/**
 * A Redis Cluster of the test's own: `masters` redis-server processes on free loopback ports (cluster bus ports
 * chosen free as well, not port + 10000), no replicas, no persistence, the slots split by `redis-cli --cluster
 * create`. Lifetime: until {@link close}, which kills every node and removes their files.
 */
export class OwnRedisCluster {
  private constructor(
    private readonly directory: string,
    private readonly children: readonly ChildProcess[],
    /** The client ports of the masters. */
    readonly ports: readonly number[],
  ) {}

  /** The cluster as `REDIS_URL`'s cluster seed list parses to (every master as a seed). */
  get target(): RedisTarget {
    return {
      mode: 'cluster',
      nodes: this.ports.map((port) => ({ host: '127.0.0.1', port })),
      username: undefined,
      password: undefined,
      tls: false,
    };
  }

  /**
   * Starts the nodes, joins them into one cluster and waits until every node reports `cluster_state:ok`.
   * @throws (rejects, after closing what it started) when a node does not start or the cluster does not form in 20 s.
   */
  static async start(masters = 3): Promise<OwnRedisCluster> {
    const directory = await mkdtemp(path.join(tmpdir(), 'media-graph-redis-cluster-'));
    const taken = new Set<number>();
    const pick = async (): Promise<number> => {
      for (;;) {
        const port = await freePort();
        if (!taken.has(port)) {
          taken.add(port);
          return port;
        }
      }
    };
    const children: ChildProcess[] = [];
    const ports: number[] = [];
    const cluster = new OwnRedisCluster(directory, children, ports);
    try {
      for (let i = 0; i < masters; i += 1) {
        const port = await pick();
        const busPort = await pick();
        ports.push(port);
        children.push(
          spawn(
            'redis-server',
            [
              '--port', String(port),
              '--bind', '127.0.0.1',
              '--cluster-enabled', 'yes',
              '--cluster-port', String(busPort),
              '--cluster-config-file', `nodes-${String(port)}.conf`,
              '--dir', directory,
              '--save', '',
              '--appendonly', 'no',
            ],
            { stdio: 'ignore' },
          ),
        );
      }
      await Promise.all(ports.map((port) => redisAnswers(`redis://127.0.0.1:${String(port)}`, 10_000)));
      await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${String(port)}`), '--cluster-replicas', '0', '--cluster-yes'], {
        timeout: 20_000,
      });
      await within(cluster.settled(), 20_000, 'the Redis Cluster to report cluster_state:ok on every node');
      return cluster;
    } catch (error) {
      await cluster.close();
      throw error;
    }
  }

  /** The client port of the master that serves `key`'s hash slot. */
  async portOf(key: string): Promise<number> {
    const redis = this.node(this.ports[0] ?? 0);
    try {
      const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', key));
      const ranges = (await redis.call('CLUSTER', 'SLOTS')) as [number, number, [string, number, ...unknown[]], ...unknown[]][];
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (range === undefined) throw new Error(`no master serves slot ${String(slot)}`);
      return range[2][1];
    } finally {
      redis.disconnect();
    }
  }

  /** Kills every node (SIGKILL) and removes the cluster's files. Idempotent. */
  async close(): Promise<void> {
    await Promise.all(
      this.children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }),
    );
    await rm(this.directory, { recursive: true, force: true });
  }

  private node(port: number): Redis {
    const redis = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    return redis;
  }

  private async settled(): Promise<void> {
    for (;;) {
      const states = await Promise.all(
        this.ports.map(async (port) => {
          const redis = this.node(port);
          try {
            return /cluster_state:ok/.test(String(await redis.call('CLUSTER', 'INFO')));
          } finally {
            redis.disconnect();
          }
        }),
      );
      if (states.every(Boolean)) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
