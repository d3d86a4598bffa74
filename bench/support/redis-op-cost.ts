/**
 * What each fleet-mode Redis operation costs Redis, measured by running the fleet hub's own code paths (the lease
 * tick, the fenced append, the log tail's read, the membership announcement) against an otherwise idle Redis for
 * many streams at once: Redis CPU (`INFO cpu`) and commands (`INFO commandstats`, script-inner commands included)
 * per operation, and memory per stream window (`INFO memory` before and after filling the logs). The gateways'
 * one-stream figures cannot separate these: with one stream, Redis's own background work is most of its CPU.
 */
import type { Redis } from 'ioredis';
import { FleetKeys } from '../../src/live/fleet/fleet-keys.js';
import { APPEND } from '../../src/live/fleet/fleet-scripts.js';
import { StreamLeases } from '../../src/live/fleet/lease.js';
import { FleetMembership } from '../../src/live/fleet/membership.js';
import { redisDelta, sampleRedis, type RedisSample } from './redis-stats.js';

/** The cost of one kind of operation. */
export interface OpCost {
  readonly operation: string;
  readonly count: number;
  /** Commands Redis executed per operation (a script call counts once plus once per command it runs). */
  readonly commandsPerOp: number;
  /** Redis CPU per operation after subtracting Redis's idle CPU over the same time, µs. */
  readonly cpuUsPerOp: number;
}

/** Everything {@link measureOpCosts} measured. */
export interface OpCosts {
  readonly streams: number;
  readonly instances: number;
  /** Log entries per stream when memory was read (`XLEN` of one stream; `MAXLEN ~` trims in whole nodes). */
  readonly entriesPerStream: number;
  readonly payloadBytes: number;
  /** `used_memory` growth per stream with its logs filled, lease and interest set, bytes. */
  readonly memoryPerStreamBytes: number;
  /** Redis CPU while idle, µs per second (the baseline subtracted above). */
  readonly idleCpuUsPerSecond: number;
  readonly costs: readonly OpCost[];
}

/** What to measure with. */
export interface OpCostOptions {
  readonly prefix: string;
  readonly streams: number;
  readonly instances: number;
  /** A real log entry's `d` field (a fragment as subscribers see it, JSON): what every append carries. */
  readonly payload: string;
  /** `LIVE_WINDOW_FRAGMENTS`. */
  readonly windowFragments: number;
  /** `LIVE_LEASE_TTL_MS`: announcements expire after it. */
  readonly leaseTtlMs: number;
  /** Operations sent before waiting for their replies. */
  readonly concurrency: number;
}

async function inBatches(count: number, concurrency: number, op: (index: number) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < count; start += concurrency) {
    await Promise.all(Array.from({ length: Math.min(concurrency, count - start) }, (_, offset) => op(start + offset)));
  }
}

function usedMemory(info: string): number {
  const match = /^used_memory:(\d+)/m.exec(info);
  if (match?.[1] === undefined) throw new Error('INFO memory has no used_memory');
  return Number(match[1]);
}

/** Runs `work` and returns its cost per operation, Redis's idle CPU over the same wall time subtracted. */
async function measure(client: Redis, operation: string, count: number, idleCpuUsPerSecond: number, work: () => Promise<void>): Promise<OpCost> {
  const before: RedisSample = await sampleRedis(client);
  await work();
  const after = await sampleRedis(client);
  const delta = redisDelta(before, after);
  const busyUs = Math.max(0, delta.cpuMs * 1000 - (idleCpuUsPerSecond * delta.wallMs) / 1000);
  return { operation, count, commandsPerOp: delta.commands / count, cpuUsPerOp: busyUs / count };
}

/**
 * Builds `streams` streams held by instance 0 and watched by `instances` instances, fills every log to its window
 * with `payload`-sized fragments, and measures per operation: a watcher's tick, the holder's tick (renewal), an
 * append, one tail read of one new entry, and an instance's announcement.
 * @throws the client's error when Redis fails.
 */
export async function measureOpCosts(client: Redis, options: OpCostOptions): Promise<OpCosts> {
  const keys = new FleetKeys(options.prefix);
  const names = Array.from({ length: options.streams }, (_, index) => `cost-${String(index).padStart(5, '0')}`);
  // Leases that outlive the measurement: the cost of a tick or an append does not depend on the lifetime, and an
  // expired lease would turn the appends into fenced no-ops.
  const timings = { ttlMs: 10 * 60_000, interestTtlMs: 10 * 60_000, logGraceMs: 10 * 60_000 };
  const leases = Array.from({ length: options.instances }, (_, index) => new StreamLeases(client, keys, `cost-instance-${index}`, timings));
  const holderLeases = leases[0] as StreamLeases;

  const idle0 = await sampleRedis(client);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const idle1 = await sampleRedis(client);
  const idleDelta = redisDelta(idle0, idle1);
  const idleCpuUsPerSecond = (idleDelta.cpuMs * 1000 * 1000) / idleDelta.wallMs;

  const memory0 = usedMemory(await client.info('memory'));
  // Instance 0 takes every lease; the others announce interest.
  const holders = new Map<string, string>();
  await inBatches(names.length, options.concurrency, async (index) => {
    const name = names[index] as string;
    const result = await holderLeases.tick(name, { holder: undefined, interested: true, mayAcquire: true });
    if (result.state !== 'acquired') throw new Error(`${name}: the lease was not free (${result.state})`);
    holders.set(name, result.value);
  });
  const costs: OpCost[] = [];
  const watchers = leases.slice(1);
  costs.push(
    await measure(client, 'tick, watching instance (every third of the lease, per stream and instance)', names.length * watchers.length * 3, idleCpuUsPerSecond, async () => {
      for (let round = 0; round < 3; round += 1) {
        for (const watcher of watchers) await inBatches(names.length, options.concurrency, (index) => watcher.tick(names[index] as string, { holder: undefined, interested: true, mayAcquire: false }));
      }
    }),
  );
  costs.push(
    await measure(client, 'tick, holder (renewal)', names.length * 3, idleCpuUsPerSecond, async () => {
      for (let round = 0; round < 3; round += 1) {
        await inBatches(names.length, options.concurrency, (index) => {
          const name = names[index] as string;
          return holderLeases.tick(name, { holder: holders.get(name), interested: true, mayAcquire: false });
        });
      }
    }),
  );

  // Fill every log to its window, then measure appends on full logs (each one trims).
  let sequence = 10n ** 40n;
  const append = async (name: string): Promise<void> => {
    sequence += 1n;
    const k = keys.stream(name);
    const reply = await APPEND.run(client, [k.lease, k.log, k.head, k.status], [holders.get(name) ?? '', options.windowFragments, 'f', sequence.toString(), '', options.payload, 10 * 60_000, '0']);
    if (typeof reply !== 'string') throw new Error(`${name}: the append was refused (${String(reply)})`);
  };
  for (let round = 0; round < options.windowFragments; round += 1) await inBatches(names.length, options.concurrency, (index) => append(names[index] as string));
  const appendRounds = 20;
  costs.push(
    await measure(client, 'append of one fragment (holder, per fragment)', names.length * appendRounds, idleCpuUsPerSecond, async () => {
      for (let round = 0; round < appendRounds; round += 1) await inBatches(names.length, options.concurrency, (index) => append(names[index] as string));
    }),
  );

  // A tail reads the entry appended since its last read: one read per stream and watching instance per fragment.
  const lastIds = new Map<string, string>();
  for (const name of names) {
    const newest = (await client.xrevrange(keys.stream(name).log, '+', '-', 'COUNT', 1))[0];
    lastIds.set(name, newest?.[0] ?? '0-0');
  }
  await inBatches(names.length, options.concurrency, (index) => append(names[index] as string));
  costs.push(
    await measure(client, 'tail read of one new entry (per fragment and watching instance)', names.length * options.instances, idleCpuUsPerSecond, async () => {
      for (let reader = 0; reader < options.instances; reader += 1) {
        await inBatches(names.length, options.concurrency, (index) => {
          const name = names[index] as string;
          return client.xread('COUNT', 256, 'STREAMS', keys.stream(name).log, lastIds.get(name) ?? '0-0');
        });
      }
    }),
  );

  const memberships = Array.from({ length: options.instances }, (_, index) => new FleetMembership(client, keys, `cost-instance-${index}`, options.leaseTtlMs));
  costs.push(
    await measure(client, 'announcement (per instance, every third of the lease)', memberships.length * 3, idleCpuUsPerSecond, async () => {
      for (let round = 0; round < 3; round += 1) for (const membership of memberships) await membership.announce(true, round === 0 ? names.length : 0);
    }),
  );

  const memory1 = usedMemory(await client.info('memory'));
  const entriesPerStream = await client.xlen(keys.stream(names[0] as string).log);
  return {
    streams: names.length,
    instances: options.instances,
    entriesPerStream,
    payloadBytes: Buffer.byteLength(options.payload),
    memoryPerStreamBytes: (memory1 - memory0) / names.length,
    idleCpuUsPerSecond,
    costs,
  };
}
