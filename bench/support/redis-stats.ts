import type { Redis } from 'ioredis';

/**
 * What Redis itself says it did, for the fleet benchmark: commands executed (`INFO commandstats`), CPU used
 * (`INFO cpu`), and the memory of keys (`MEMORY USAGE`). Readings are cumulative since the server started; a
 * window's figures are the difference of two samples.
 */

/** One reading of a Redis server's counters. */
export interface RedisSample {
  /** Calls per command (`get`, `xadd`, `client|setname`, ...) since the server started. */
  readonly calls: ReadonlyMap<string, number>;
  /** `used_cpu_sys + used_cpu_user` (all threads of the server), microseconds. */
  readonly cpuUs: number;
  readonly atMs: number;
}

/** The difference of two samples. */
export interface RedisDelta {
  /** Commands executed, the benchmark's own `INFO` excluded. */
  readonly commands: number;
  /** The same by command, most frequent first. */
  readonly byCommand: readonly (readonly [string, number])[];
  readonly cpuMs: number;
  readonly wallMs: number;
}

/** Commands the benchmark itself sends while measuring; they are not the workload. */
const OWN_COMMANDS = new Set(['info']);

/** `cmdstat_<name>:calls=N,...` lines of `INFO commandstats` as name → calls. Pure. */
export function parseCommandStats(info: string): Map<string, number> {
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1] ?? '', Number(match[2]));
  return calls;
}

/**
 * `used_cpu_sys + used_cpu_user` of an `INFO cpu` answer, in microseconds. Pure.
 * @throws Error when either field is missing.
 */
export function parseCpuUs(info: string): number {
  const read = (field: string): number => {
    const match = new RegExp(`^${field}:([0-9.]+)`, 'm').exec(info);
    if (match?.[1] === undefined) throw new Error(`INFO cpu has no ${field}`);
    return Number(match[1]);
  };
  return Math.round((read('used_cpu_sys') + read('used_cpu_user')) * 1_000_000);
}

/** Reads the counters (two `INFO` calls, which the deltas leave out). */
export async function sampleRedis(client: Redis): Promise<RedisSample> {
  const [commandstats, cpu] = await Promise.all([client.info('commandstats'), client.info('cpu')]);
  return { calls: parseCommandStats(commandstats), cpuUs: parseCpuUs(cpu), atMs: Date.now() };
}

/** Reads the counters of every server of a deployment (the masters of a Cluster) and adds them up. */
export async function sampleRedisNodes(clients: readonly Redis[]): Promise<RedisSample> {
  const samples = await Promise.all(clients.map((client) => sampleRedis(client)));
  const calls = new Map<string, number>();
  for (const sample of samples) for (const [name, count] of sample.calls) calls.set(name, (calls.get(name) ?? 0) + count);
  return { calls, cpuUs: samples.reduce((sum, sample) => sum + sample.cpuUs, 0), atMs: Date.now() };
}

/** What happened between `before` and `after`. Pure. */
export function redisDelta(before: RedisSample, after: RedisSample): RedisDelta {
  const byCommand: [string, number][] = [];
  for (const [name, calls] of after.calls) {
    if (OWN_COMMANDS.has(name)) continue;
    const delta = calls - (before.calls.get(name) ?? 0);
    if (delta > 0) byCommand.push([name, delta]);
  }
  byCommand.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return {
    commands: byCommand.reduce((sum, [, calls]) => sum + calls, 0),
    byCommand,
    cpuMs: (after.cpuUs - before.cpuUs) / 1000,
    wallMs: after.atMs - before.atMs,
  };
}

/** One key's type and memory. */
export interface KeyMemory {
  readonly key: string;
  readonly type: string;
  /** `MEMORY USAGE key SAMPLES 0` (every nested value counted), bytes. */
  readonly bytes: number;
  /** Entries of a stream (`XLEN`), members of a (sorted) set or hash; null for strings. */
  readonly entries: number | null;
}

/** Memory of every key matching `pattern` (found with SCAN), largest first. */
export async function keyMemory(client: Redis, pattern: string): Promise<KeyMemory[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  const found: KeyMemory[] = [];
  for (const key of keys) {
    const type = await client.type(key);
    const bytes = Number((await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0);
    let entries: number | null = null;
    if (type === 'stream') entries = await client.xlen(key);
    else if (type === 'zset') entries = await client.zcard(key);
    else if (type === 'hash') entries = await client.hlen(key);
    else if (type === 'set') entries = await client.scard(key);
    found.push({ key, type, bytes, entries });
  }
  return found.sort((a, b) => b.bytes - a.bytes);
}
