import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../../config.js';
import { backoffDelay } from '../../core/backoff.js';
import type { Logger } from '../../core/logger.js';

/** A Redis connection of any deployment shape; commands route by key (hash tags keep a stream in one slot). */
export type RedisClient = Redis | Cluster;

/**
 * What a connection is for. `command`: short scripts and reads, auto-pipelined, every command bounded by
 * `commandTimeoutMs`. `blocking`: one `XREAD BLOCK` at a time, with a socket timeout a little above the block time,
 * so a connection that went silent (a cut link that sent no reset) is replaced instead of waiting forever.
 */
export type ConnectionRole = 'command' | 'blocking';

/** Creates a new connection for `role`. Lifetime: until the caller quits or disconnects it. */
export type RedisConnector = (role: ConnectionRole, name: string) => RedisClient;

/** Timing of the connections a {@link RedisConnector} makes, in milliseconds. */
export interface ConnectionTimings {
  /** A command without a reply after this long fails (and the socket is replaced). */
  readonly commandTimeoutMs: number;
  /** The `BLOCK` time of tail reads; blocking sockets time out this much plus `commandTimeoutMs` after a read. */
  readonly blockMs: number;
}

/** Reconnection delay after `times` failed attempts (from 1), in ms: fast at first, never above half a second. */
function retryDelay(times: number): number {
  return backoffDelay({ initialDelayMs: 25, maxDelayMs: 500 }, times);
}

/**
 * A {@link RedisConnector} for a parsed `REDIS_URL` (one server, Sentinel, or Cluster; ioredis handles each).
 * Connections never queue commands for long while disconnected: a command waits at most one reconnection attempt
 * and `commandTimeoutMs`, so callers see an outage at once (the fleet hub turns it into RECONNECTING) rather than
 * a late burst of stale writes.
 */
export function redisConnector(target: RedisTarget, timings: ConnectionTimings): RedisConnector {
  return (role, name) => {
    const common: RedisOptions = {
      connectionName: name,
      retryStrategy: retryDelay,
      maxRetriesPerRequest: 1,
      keepAlive: 10_000,
      enableAutoPipelining: role === 'command',
      ...(role === 'command'
        ? { commandTimeout: timings.commandTimeoutMs, socketTimeout: timings.commandTimeoutMs }
        : { socketTimeout: timings.blockMs + timings.commandTimeoutMs }),
    };
    switch (target.mode) {
      case 'standalone':
        return new Redis(target.url, common);
      case 'sentinel':
        return new Redis({
          ...common,
          sentinels: target.sentinels.map((node) => ({ host: node.host, port: node.port })),
          name: target.masterName,
          db: target.db,
          ...(target.username === undefined ? {} : { username: target.username }),
          ...(target.password === undefined ? {} : { password: target.password }),
          ...(target.sentinelPassword === undefined ? {} : { sentinelPassword: target.sentinelPassword }),
          ...(target.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
        });
      case 'cluster': {
        const options: ClusterOptions = {
          clusterRetryStrategy: retryDelay,
          // ioredis groups auto-pipelined commands by the slot of their first argument, which for EVALSHA is the
          // script's digest, not a key: scripts of streams on different masters then land in one pipeline and fail
          // with "All keys in the pipeline should belong to the same slots allocation group" (found by the Cluster
          // test in fleet-hub.int.test.ts). Every fleet command is a script or keyed by its stream, so no batching.
          enableAutoPipelining: false,
          redisOptions: {
            ...common,
            enableAutoPipelining: false,
            ...(target.username === undefined ? {} : { username: target.username }),
            ...(target.password === undefined ? {} : { password: target.password }),
            ...(target.tls ? { tls: {} } : {}),
          },
        };
        return new Cluster(
          target.nodes.map((node) => ({ host: node.host, port: node.port })),
          options,
        );
      }
    }
  };
}

/** Closes `client` politely when it is connected, at once otherwise; never throws (a failed QUIT is logged). */
export async function closeClient(client: RedisClient, logger: Logger): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  try {
    await client.quit();
  } catch (err) {
    logger.debug({ err }, 'redis QUIT failed; disconnecting');
    client.disconnect();
  }
}
