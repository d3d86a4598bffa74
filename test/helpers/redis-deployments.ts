import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
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
    const redis = node(this.ports[0] ?? 0);
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
    await Promise.all(this.children.map((child) => kill(child)));
    await rm(this.directory, { recursive: true, force: true });
  }

  private async settled(): Promise<void> {
    for (;;) {
      const states = await Promise.all(
        this.ports.map(async (port) => {
          const redis = node(port);
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

/**
 * A Sentinel-managed Redis of the test's own: a master, one replica and one Sentinel (quorum 1, the master counted
 * down after 1 s), no persistence, each a process on free loopback ports. {@link failOver} kills the master so the
 * Sentinel promotes the replica, as a managed Redis does in a zone outage. Lifetime: until {@link close}.
 */
export class OwnRedisSentinel {
  static readonly MASTER_NAME = 'media-graph-test';

  private constructor(
    private readonly directory: string,
    private readonly children: Map<'master' | 'replica' | 'sentinel', ChildProcess>,
    private readonly ports: { readonly master: number; readonly replica: number; readonly sentinel: number },
  ) {}

  /** The group as `REDIS_URL`'s `redis+sentinel://` form parses to. */
  get target(): RedisTarget {
    return {
      mode: 'sentinel',
      sentinels: [{ host: '127.0.0.1', port: this.ports.sentinel }],
      masterName: OwnRedisSentinel.MASTER_NAME,
      db: 0,
      sentinelPassword: undefined,
      username: undefined,
      password: undefined,
      tls: false,
    };
  }

  /**
   * Starts master, replica and Sentinel and waits until the replica is in sync and the Sentinel knows both.
   * @throws (rejects, after closing what it started) when that does not happen within 20 s.
   */
  static async start(): Promise<OwnRedisSentinel> {
    const directory = await mkdtemp(path.join(tmpdir(), 'media-graph-redis-sentinel-'));
    const ports = { master: await freePort(), replica: await freePort(), sentinel: await freePort() };
    if (new Set(Object.values(ports)).size < 3) throw new Error('free ports repeated; try again');
    const children = new Map<'master' | 'replica' | 'sentinel', ChildProcess>();
    const group = new OwnRedisSentinel(directory, children, ports);
    const server = (port: number, extra: readonly string[]): ChildProcess =>
      spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', directory, '--save', '', '--appendonly', 'no', ...extra], { stdio: 'ignore' });
    try {
      children.set('master', server(ports.master, []));
      children.set('replica', server(ports.replica, ['--replicaof', '127.0.0.1', String(ports.master)]));
      // Sentinel rewrites its configuration file, so it gets one of its own.
      const config = path.join(directory, 'sentinel.conf');
      const name = OwnRedisSentinel.MASTER_NAME;
      await writeFile(
        config,
        [
          `port ${String(ports.sentinel)}`,
          'bind 127.0.0.1',
          `sentinel monitor ${name} 127.0.0.1 ${String(ports.master)} 1`,
          `sentinel down-after-milliseconds ${name} 1000`,
          `sentinel failover-timeout ${name} 5000`,
          '',
        ].join('\n'),
      );
      children.set('sentinel', spawn('redis-server', [config, '--sentinel'], { stdio: 'ignore' }));
      await Promise.all([ports.master, ports.replica, ports.sentinel].map((port) => redisAnswers(`redis://127.0.0.1:${String(port)}`, 10_000)));
      await within(group.settled(), 20_000, 'the replica to sync and the Sentinel to see master and replica');
      return group;
    } catch (error) {
      await group.close();
      throw error;
    }
  }

  /**
   * Kills the master (SIGKILL) and resolves once the Sentinel names the replica as the master.
   * @throws (rejects) when it has not within 15 s.
   */
  async failOver(): Promise<void> {
    await kill(this.children.get('master'));
    const sentinel = node(this.ports.sentinel);
    try {
      await within(
        (async () => {
          for (;;) {
            const address = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', OwnRedisSentinel.MASTER_NAME)) as [string, string] | null;
            if (address !== null && Number(address[1]) === this.ports.replica) return;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        })(),
        15_000,
        'the Sentinel to promote the replica',
      );
    } finally {
      sentinel.disconnect();
    }
  }

  /** Kills every process (SIGKILL) and removes their files. Idempotent. */
  async close(): Promise<void> {
    await Promise.all([...this.children.values()].map((child) => kill(child)));
    await rm(this.directory, { recursive: true, force: true });
  }

  private async settled(): Promise<void> {
    const replica = node(this.ports.replica);
    const sentinel = node(this.ports.sentinel);
    try {
      for (;;) {
        const info = String(await replica.call('INFO', 'replication'));
        const replicas = (await sentinel.call('SENTINEL', 'replicas', OwnRedisSentinel.MASTER_NAME)) as unknown[];
        if (/master_link_status:up/.test(info) && replicas.length === 1) return;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    } finally {
      replica.disconnect();
      sentinel.disconnect();
    }
  }
}

/** A plain connection to one loopback node, for setting up and observing the test deployments. */
function node(port: number): Redis {
  const redis = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 1 });
  redis.on('error', () => undefined);
  return redis;
}

async function kill(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}
