import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import type { RedisTarget } from '../../src/config.js';
import { createKinesisClients } from '../../src/datasources/kinesis/kinesis.clients.js';
import { KinesisMediaDataSource } from '../../src/datasources/kinesis/kinesis-media.datasource.js';
import { KinesisVideoDataSource } from '../../src/datasources/kinesis/kinesis-video.datasource.js';
import type { MediaStart } from '../../src/datasources/kinesis/kinesis.types.js';
import { KinesisVideoEmulator } from '../../src/emulators/kinesis/kinesis.emulator.js';
import { createLogger } from '../../src/core/logger.js';
import { fleetFailovers, fleetFencedAppends, fleetLeaseAcquisitions, fleetLeasesHeld, fleetRedisErrors } from '../../src/core/metrics.js';
import { FleetKeys } from '../../src/live/fleet/fleet-keys.js';
import { StreamLeases } from '../../src/live/fleet/lease.js';
import { StreamLog } from '../../src/live/fleet/log-appender.js';
import { redisConnector } from '../../src/live/fleet/redis-connection.js';
import { RedisFragmentHub, type RedisHubOptions } from '../../src/live/fleet/redis-fragment-hub.js';
import { DEFAULT_HUB_OPTIONS } from '../../src/live/local-fragment-hub.js';
import { kinesisMediaOpener } from '../../src/live/media-opener.js';
import type { MediaOpener } from '../../src/live/media-reader.js';
import { deletePrefix, duplicates, EventLog, missingWithin, OwnRedis, strictlyIncreasing, TcpProxy, uniquePrefix } from '../helpers/fleet.js';
import { OwnRedisCluster, OwnRedisSentinel } from '../helpers/redis-deployments.js';
import { redisAvailable, TEST_REDIS_URL } from '../helpers/redis.js';
import { within } from '../helpers/within.js';

/*
 * The fleet hub's logic with several RedisFragmentHub instances in one process, against the Kinesis Video emulator
 * (a fragment every 50 ms) through the real SDK clients, and Redis (the shared one under a unique key prefix, or a
 * redis-server of the test's own where the test breaks Redis). Leases are short (1.5 s) to keep failovers quick.
 * The process-level versions of these faults are in test/fleet/.
 */

const available = await redisAvailable();

/** The value of a fleet metric (one label value, or the metric without labels) as /metrics would show it now. */
async function metric(read: { get(): Promise<{ values: readonly { value: number; labels: Record<string, string | number | undefined> }[] }> }, label?: [string, string]): Promise<number> {
  const { values } = await read.get();
  return values.filter((entry) => label === undefined || entry.labels[label[0]] === label[1]).reduce((sum, entry) => sum + entry.value, 0);
}

const STREAM = 'fleet-cam';
const CREDENTIALS = { accessKeyId: 'AKIDFLEETHUB', secretAccessKey: 'fleet-hub-test-secret' };
const FRAGMENT_MS = 50;
const LEASE_TTL_MS = 1_500;
const NOW: MediaStart = { type: 'NOW' };
const QUIET = createLogger(process.env['DEBUG_HUB'] === '1' ? 'debug' : 'silent');

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Harness {
  readonly emulator: KinesisVideoEmulator;
  readonly open: MediaOpener;
  readonly prefix: string;
  /** Starts a hub against `redisUrl` (default: the shared test Redis). */
  hub(options?: Partial<RedisHubOptions> & { readonly redisUrl?: string }): RedisFragmentHub;
  subscribe(hub: RedisFragmentHub, start?: MediaStart, stream?: string): EventLog;
  /** The emulator's fragment numbers of `stream`, in order. */
  all(stream?: string): string[];
  /** Most GetMedia sessions of `stream` open at once at the emulator so far (finished and running). */
  maxConcurrent(stream?: string): number;
}

interface HarnessOptions {
  readonly producer?: boolean;
  readonly streams?: readonly string[];
  readonly history?: number;
  /** One Redis server the hubs use (default: the shared test Redis). */
  readonly redisUrl?: string;
  /** Any Redis deployment instead (a cluster of the test's own); its keys go with it. */
  readonly target?: RedisTarget;
}

async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const emulator = await KinesisVideoEmulator.start({ idleEndMs: 1_000 });
  cleanups.push(() => emulator.close());
  const streams = options.streams ?? [STREAM];
  for (const name of streams) {
    emulator.createStream(name, { retentionHours: 24, mediaType: 'video/h264' });
    for (let i = 0; i < (options.history ?? 0); i += 1) emulator.addFragment(name, { durationMs: FRAGMENT_MS, fps: 10, frameBytes: 256 });
  }
  const clients = createKinesisClients({ endpoint: emulator.endpoint, region: 'us-east-1', maxAttempts: 2, credentials: CREDENTIALS });
  cleanups.push(() => Promise.resolve(clients.destroy()));
  const control = new KinesisVideoDataSource(clients.control, { timeoutMs: 2_000, endpointTtlMs: 600_000 });
  const media = new KinesisMediaDataSource(control, (endpoint) => clients.media(endpoint), { timeoutMs: 2_000 });
  const open = kinesisMediaOpener({
    getMedia: async (stream, start, signal) => (await media.getMedia({ name: stream }, start, signal)).payload,
    invalidateEndpoint: (stream) => control.invalidateEndpoint({ name: stream }, 'GET_MEDIA'),
    refreshCredentials: () => clients.refreshCredentials(),
  });
  const prefix = uniquePrefix('fleet-hub');
  // Hubs may reach Redis through a proxy; the keys live in the server behind it.
  if (options.target === undefined) cleanups.push(() => deletePrefix(options.redisUrl ?? TEST_REDIS_URL, prefix));
  // Session records start when GetMedia is answered and end when it closes; the live set is sampled too.
  const concurrent = new Map<string, number>();
  const sampler = setInterval(() => {
    for (const name of streams) concurrent.set(name, Math.max(concurrent.get(name) ?? 0, emulator.activeGetMedia(name)));
  }, 5);
  cleanups.push(() => Promise.resolve(clearInterval(sampler)));
  if (options.producer === true) for (const name of streams) emulator.startProducer(name, { fragmentIntervalMs: FRAGMENT_MS, fps: 10, frameBytes: 256 });
  const controller = new AbortController();
  cleanups.push(() => Promise.resolve(controller.abort()));
  let count = 0;
  return {
    emulator,
    open,
    prefix,
    hub: (hubOptions = {}) => {
      const url = hubOptions.redisUrl ?? options.redisUrl ?? TEST_REDIS_URL;
      count += 1;
      const target: RedisTarget = hubOptions.redisUrl === undefined && options.target !== undefined ? options.target : { mode: 'standalone', url };
      const connect = redisConnector(target, { commandTimeoutMs: LEASE_TTL_MS / 3, blockMs: 500 });
      const hub = new RedisFragmentHub(
        connect,
        open,
        {
          ...DEFAULT_HUB_OPTIONS,
          reader: { idleTimeoutMs: 1_000, backoffBaseMs: 30, backoffCapMs: 400, idleReconnectMs: 200 },
          windowSize: 40,
          lingerMs: 300,
          leaseTtlMs: LEASE_TTL_MS,
          keyPrefix: prefix,
          instanceId: `hub${String(count)}`,
          tailBlockMs: 500,
          ...hubOptions,
        },
        QUIET,
      );
      cleanups.push(() => hub.close());
      return hub;
    },
    subscribe: (hub, start = NOW, stream = STREAM) => {
      const log = new EventLog(hub.subscribe(stream, start, { signal: controller.signal }));
      cleanups.push(() => log.stop());
      return log;
    },
    all: (stream = STREAM) => emulator.fragments(stream).map((fragment) => fragment.fragmentNumber),
    maxConcurrent: (stream = STREAM) => Math.max(concurrent.get(stream) ?? 0, emulator.activeGetMedia(stream)),
  };
}

/** Asserts what a subscriber got: strictly increasing, no duplicate, nothing missing inside its span. */
function expectExact(harness: Harness, log: EventLog, stream = STREAM): void {
  const got = log.fragments();
  expect(duplicates(got)).toEqual([]);
  expect(strictlyIncreasing(got)).toBe(true);
  expect(missingWithin(harness.all(stream), got)).toEqual([]);
}

/**
 * Fragments the subscriber lacks between two it received, with no gap event between them: silent loss. Gap events
 * explain what they span.
 */
function silentlyMissing(harness: Harness, log: EventLog, stream = STREAM): string[] {
  const all = harness.all(stream);
  const missing: string[] = [];
  let previous: string | undefined;
  let gapSince = false;
  for (const { event } of log.events) {
    if (event.kind === 'gap') gapSince = true;
    if (event.kind !== 'fragment' || event.fragment.fragmentNumber === null) continue;
    const current = event.fragment.fragmentNumber;
    if (previous !== undefined && !gapSince) {
      const from = all.indexOf(previous);
      const to = all.indexOf(current);
      if (from !== -1 && to !== -1 && to > from + 1) missing.push(...all.slice(from + 1, to));
    }
    previous = current;
    gapSince = false;
  }
  return missing;
}

/** Most calls inside any window of `windowMs` (half-open). */
function maxCallsInWindow(calls: readonly number[], windowMs: number): number {
  let max = 0;
  let start = 0;
  for (let end = 0; end < calls.length; end += 1) {
    while ((calls[end] ?? 0) - (calls[start] ?? 0) >= windowMs) start += 1;
    max = Math.max(max, end - start + 1);
  }
  return max;
}

/** The hub among `hubs` holding the stream's lease, once one does. */
async function holderOf(hubs: readonly RedisFragmentHub[], ms: number, stream = STREAM, except?: RedisFragmentHub): Promise<RedisFragmentHub> {
  const deadline = Date.now() + ms;
  for (;;) {
    const holder = hubs.find((hub) => hub !== except && hub.fleetStatus().held.includes(stream));
    if (holder !== undefined) return holder;
    if (Date.now() > deadline) throw new Error(`no hub took the lease of ${stream} within ${String(ms)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * F4 on `harness`: the first of three instances takes the lease, then closes; another must take over within 1 s and
 * its subscribers lose nothing and see no gap.
 */
async function expectHandOverOnClose(harness: Harness): Promise<void> {
  const handovers = await metric(fleetFailovers, ['cause', 'handover']);
  const expired = await metric(fleetFailovers, ['cause', 'expired']);
  const first = harness.hub();
  const firstLog = harness.subscribe(first);
  await holderOf([first], 5_000);
  const others = [harness.hub(), harness.hub()];
  const logs = others.map((hub) => harness.subscribe(hub));
  await Promise.all(logs.map((log) => log.until((l) => l.fragments().length >= 10, 10_000, '10 fragments')));
  await firstLog.stop();
  const closedAt = Date.now();
  await first.close();
  const next = await holderOf(others, 3_000);
  expect(Date.now() - closedAt).toBeLessThan(1_000);
  const counts = logs.map((log) => log.fragments().length);
  await Promise.all(logs.map((log, i) => log.until((l) => l.fragments().length >= (counts[i] ?? 0) + 20, 10_000, '20 more fragments')));
  expect(next.fleetStatus().held).toEqual([STREAM]);
  expect(harness.maxConcurrent()).toBe(1);
  for (const log of logs) {
    expectExact(harness, log);
    expect(log.gaps()).toEqual([]);
  }
  // Operators see it as a hand-over, not as a failure.
  expect(await metric(fleetFailovers, ['cause', 'handover'])).toBe(handovers + 1);
  expect(await metric(fleetFailovers, ['cause', 'expired'])).toBe(expired);
}

describe.skipIf(!available)('RedisFragmentHub', () => {
  it('runs exactly one GetMedia for three instances and gives every subscriber every fragment once and in order (F1)', async () => {
    const harness = await startHarness({ producer: true });
    const hubs = [harness.hub(), harness.hub(), harness.hub()];
    const logs = hubs.flatMap((hub) => [harness.subscribe(hub), harness.subscribe(hub), harness.subscribe(hub)]);
    await Promise.all(logs.map((log) => log.until((l) => l.fragments().length >= 40, 15_000, '40 fragments')));
    expect(harness.maxConcurrent()).toBe(1);
    expect(hubs.filter((hub) => hub.fleetStatus().held.length > 0)).toHaveLength(1);
    for (const log of logs) expectExact(harness, log);
  });

  it('hands the lease over on close so another instance reads on within 1 s, and survivors lose nothing (F4)', async () => {
    await expectHandOverOnClose(await startHarness({ producer: true }));
  });

  it('stops the reader of an instance cut off from Redis before its lease expires, lets another take over, and loses nothing anywhere (F2, F9)', async () => {
    const harness = await startHarness({ producer: true });
    const before = { expired: await metric(fleetFailovers, ['cause', 'expired']), acquired: await metric(fleetLeaseAcquisitions), errors: await metric(fleetRedisErrors, ['operation', 'tick']) };
    const proxy = await TcpProxy.start(Number(new URL(TEST_REDIS_URL).port || 6379));
    cleanups.push(() => proxy.close());
    const cutOff = harness.hub({ redisUrl: proxy.url });
    const cutOffLog = harness.subscribe(cutOff);
    await holderOf([cutOff], 5_000);
    const others = [harness.hub(), harness.hub()];
    const logs = others.map((hub) => harness.subscribe(hub));
    await Promise.all([...logs, cutOffLog].map((log) => log.until((l) => l.fragments().length >= 10, 10_000, '10 fragments')));
    proxy.cut();
    const cutAt = Date.now();
    await holderOf(others, LEASE_TTL_MS + 2_000);
    expect(Date.now() - cutAt).toBeLessThan(LEASE_TTL_MS + 1_000);
    await cutOffLog.until((l) => l.statuses().some((s) => s.status === 'RECONNECTING'), 5_000, 'RECONNECTING on the cut-off instance');
    const counts = logs.map((log) => log.fragments().length);
    await Promise.all(logs.map((log, i) => log.until((l) => l.fragments().length >= (counts[i] ?? 0) + 10, 10_000, '10 more fragments')));
    proxy.restore();
    const resumedFrom = cutOffLog.fragments().length;
    await cutOffLog.until((l) => l.fragments().length >= resumedFrom + 10, 10_000, 'the cut-off instance to deliver again');
    expect(cutOff.fleetStatus().held).toEqual([]);
    // Never two readers: the cut-off reader stopped before its lease could expire, so the emulator never saw two.
    expect(harness.maxConcurrent()).toBe(1);
    for (const log of [...logs, cutOffLog]) {
      expect(duplicates(log.fragments())).toEqual([]);
      expect(strictlyIncreasing(log.fragments())).toBe(true);
      expect(silentlyMissing(harness, log)).toEqual([]);
    }
    for (const log of logs) expect(missingWithin(harness.all(), log.fragments())).toEqual([]);
    // What operators see: the cut-off instance's failing ticks, one real failover, and both acquisitions.
    expect(await metric(fleetFailovers, ['cause', 'expired'])).toBe(before.expired + 1);
    expect(await metric(fleetLeaseAcquisitions)).toBeGreaterThanOrEqual(before.acquired + 2);
    expect(await metric(fleetRedisErrors, ['operation', 'tick'])).toBeGreaterThan(before.errors);
  });

  it('refuses appends from a holder whose lease someone else took, and a fragment already logged (F3)', async () => {
    const prefix = uniquePrefix('fleet-fence');
    cleanups.push(() => deletePrefix(TEST_REDIS_URL, prefix));
    const client = new Redis(TEST_REDIS_URL);
    client.on('error', () => undefined);
    cleanups.push(() => Promise.resolve(client.disconnect()));
    const keys = new FleetKeys(prefix);
    const timings = { ttlMs: 60_000, interestTtlMs: 60_000, logGraceMs: 60_000 };
    const old = new StreamLeases(client, keys, 'old-holder', timings);
    const taker = new StreamLeases(client, keys, 'new-holder', timings);
    const log = new StreamLog(client, keys, { maxLength: 100, graceMs: 60_000, fatalCooldownMs: 60_000 });
    const first = await old.tick(STREAM, { holder: undefined, interested: true, mayAcquire: true });
    expect(first.state).toBe('acquired');
    const fragment = (fragmentNumber: string) => ({
      kind: 'fragment' as const,
      fragment: { ...sampleFragment(), fragmentNumber },
    });
    expect(await log.append(STREAM, first.value, fragment('1001'), null)).toBe('appended');
    // The old holder pauses past its lease (here: the lease is gone), someone else takes over.
    await client.del(keys.stream(STREAM).lease);
    const second = await taker.tick(STREAM, { holder: undefined, interested: true, mayAcquire: true });
    expect(second.state).toBe('acquired');
    expect(second.head).toBe('1001');
    expect(Number(second.value.split('|')[1])).toBeGreaterThan(Number(first.value.split('|')[1]));
    // The old holder wakes up and tries to append what it read meanwhile: refused, and counted for operators.
    const fenced = await metric(fleetFencedAppends);
    expect(await log.append(STREAM, first.value, fragment('1002'), '1001')).toBe('fenced');
    expect(await metric(fleetFencedAppends)).toBe(fenced + 1);
    expect(await log.append(STREAM, second.value, fragment('1001'), '1001')).toBe('duplicate');
    expect(await log.append(STREAM, second.value, fragment('1002'), '1001')).toBe('appended');
    const renewal = await old.tick(STREAM, { holder: first.value, interested: true, mayAcquire: false });
    expect(renewal.state).toBe('other');
    const entries = await client.xrange(keys.stream(STREAM).log, '-', '+');
    expect(entries.map(([, fields]) => fields[fields.indexOf('n') + 1])).toEqual(['1001', '1002']);
  });

  it('serves a client that moves to another instance with FRAGMENT_NUMBER from the log window, with no gap, duplicate or GetMedia (F6)', async () => {
    const harness = await startHarness({ producer: true });
    const [a, b] = [harness.hub(), harness.hub()];
    const bLog = harness.subscribe(b);
    const aLog = harness.subscribe(a);
    await aLog.until((l) => l.fragments().length >= 10, 10_000, '10 fragments on the first instance');
    await bLog.until((l) => l.fragments().length >= 10, 10_000, 'the second instance to follow the log');
    await aLog.stop();
    const seen = aLog.fragments();
    const last = seen[seen.length - 1] as string;
    const calls = harness.emulator.getMediaCalls(STREAM).length;
    const moved = harness.subscribe(b, { type: 'FRAGMENT_NUMBER', fragmentNumber: last });
    await moved.until((l) => l.fragments().length >= 10, 10_000, '10 fragments after moving');
    const all = harness.all();
    expect(moved.fragments()[0]).toBe(all[all.indexOf(last) + 1]);
    expectExact(harness, moved);
    expect(moved.gaps()).toEqual([]);
    expect(harness.emulator.getMediaCalls(STREAM).length).toBe(calls);
  });

  it('keeps catch-up from EARLIEST on three instances within 3 GetMedia sessions and 5 calls per second for the stream (F7)', async () => {
    const harness = await startHarness({ producer: true, history: 60 });
    const hubs = [harness.hub(), harness.hub(), harness.hub()];
    const live = hubs.map((hub) => harness.subscribe(hub));
    await Promise.all(live.map((log) => log.until((l) => l.fragments().length >= 3, 10_000, 'the live log')));
    const earliest = hubs.flatMap((hub) => [harness.subscribe(hub, { type: 'EARLIEST' }), harness.subscribe(hub, { type: 'EARLIEST' })]);
    await Promise.all(earliest.map((log) => log.until((l) => l.fragments().length >= 90, 20_000, '90 fragments from the earliest')));
    const all = harness.all();
    for (const log of earliest) {
      expect(log.fragments()[0]).toBe(all[0]);
      expectExact(harness, log);
      expect(log.statuses().filter((s) => s.status === 'THROTTLED')).toEqual([]);
    }
    expect(harness.maxConcurrent()).toBeLessThanOrEqual(3);
    expect(maxCallsInWindow(harness.emulator.getMediaCalls(STREAM), 1_000)).toBeLessThanOrEqual(5);
  });

  it('spreads 30 streams watched from 3 instances within ceil(S/N)+1 readers each, and releases every reader after the linger (F8)', async () => {
    const streams = Array.from({ length: 30 }, (_, i) => `fleet-cam-${String(i).padStart(2, '0')}`);
    const harness = await startHarness({ streams });
    const hubs = [harness.hub(), harness.hub(), harness.hub()];
    const heldBefore = await metric(fleetLeasesHeld);
    const logs = streams.flatMap((stream) => hubs.map((hub) => harness.subscribe(hub, NOW, stream)));
    const share = Math.ceil(streams.length / hubs.length) + 1;
    const spread = (): number[] => hubs.map((hub) => hub.fleetStatus().held.length);
    await within(
      (async () => {
        while (!(spread().reduce((x, y) => x + y, 0) === streams.length && Math.max(...spread()) <= share)) await new Promise((resolve) => setTimeout(resolve, 50));
      })(),
      20_000,
      `every stream held, at most ${String(share)} per instance (have ${JSON.stringify(spread())})`,
    );
    // Steady state: it stays so for several ticks.
    for (let i = 0; i < 10; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(Math.max(...spread())).toBeLessThanOrEqual(share);
    }
    for (const stream of streams) expect(harness.maxConcurrent(stream)).toBeLessThanOrEqual(1);
    expect(await metric(fleetLeasesHeld)).toBe(heldBefore + spread().reduce((x, y) => x + y, 0));
    await Promise.all(logs.map((log) => log.stop()));
    await within(
      (async () => {
        while (spread().some((held) => held > 0) || streams.some((stream) => harness.emulator.activeGetMedia(stream) > 0)) await new Promise((resolve) => setTimeout(resolve, 50));
      })(),
      10_000,
      'every reader released after the linger',
    );
    expect(await metric(fleetLeasesHeld)).toBe(heldBefore);
  });

  it('tells subscribers RECONNECTING while Redis restarts empty, then delivers again with no duplicate and any loss as a gap (F5)', async () => {
    const own = await OwnRedis.start();
    cleanups.push(() => own.kill());
    const harness = await startHarness({ producer: true, redisUrl: own.url });
    const hubs = [harness.hub(), harness.hub()];
    const logs = hubs.flatMap((hub) => [harness.subscribe(hub), harness.subscribe(hub)]);
    await Promise.all(logs.map((log) => log.until((l) => l.fragments().length >= 10, 10_000, '10 fragments')));
    await own.kill();
    await Promise.all(logs.map((log) => log.until((l) => l.statuses().some((s) => s.status === 'RECONNECTING'), 5_000, 'RECONNECTING')));
    await own.launch();
    const counts = logs.map((log) => log.fragments().length);
    await Promise.all(logs.map((log, i) => log.until((l) => l.fragments().length >= (counts[i] ?? 0) + 20, 15_000, '20 fragments after Redis came back')));
    for (const log of logs) {
      expect(duplicates(log.fragments())).toEqual([]);
      expect(strictlyIncreasing(log.fragments())).toBe(true);
      expect(silentlyMissing(harness, log)).toEqual([]);
    }
    expect(harness.maxConcurrent()).toBe(1);
  });
});

describe.skipIf(!available)('RedisFragmentHub started while Redis is down', () => {
  it('tells a subscriber RECONNECTING until Redis answers, then delivers every fragment from then on (F5)', async () => {
    const own = await OwnRedis.start();
    cleanups.push(() => own.kill());
    await own.kill();
    const harness = await startHarness({ producer: true, redisUrl: own.url });
    const hub = harness.hub();
    const log = harness.subscribe(hub);
    await log.until((l) => l.statuses().some((s) => s.status === 'RECONNECTING'), 5_000, 'RECONNECTING');
    expect(log.fragments()).toEqual([]);
    await own.launch();
    await log.until((l) => l.fragments().length >= 10, 15_000, '10 fragments once Redis answers');
    expectExact(harness, log);
    expect(log.statuses().at(-1)?.status).toBe('CONNECTED');
  });
});

describe.skipIf(!available)('RedisFragmentHub when the stream fails for good', () => {
  it('ends subscribers on every instance with UPSTREAM_UNAVAILABLE after a KMS error, and fails new ones without a GetMedia during the cooldown (K8)', async () => {
    const harness = await startHarness({ producer: true });
    const hubs = [harness.hub(), harness.hub(), harness.hub()];
    // Every session fails after 3 fragments: a retry loop would show up as repeated calls.
    harness.emulator.injectFault({ kind: 'errorTag', errorId: 4501, afterFragments: 3, stream: STREAM });
    const logs = hubs.slice(0, 2).map((hub) => harness.subscribe(hub));
    await Promise.all(logs.map((log) => log.until((l) => l.done, 15_000, 'the subscription to end')));
    for (const log of logs) {
      expect(log.error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
      expect(log.statuses().at(-1)?.status).toBe('ENDED');
    }
    const calls = harness.emulator.getMediaCalls(STREAM).length;
    expect(calls).toBe(1);
    // Everyone left: the holder lets the lease go after the linger, and with it the log.
    await within(
      (async () => {
        while (hubs.some((hub) => hub.fleetStatus().held.length > 0)) await new Promise((resolve) => setTimeout(resolve, 20));
      })(),
      10_000,
      'the lease to be released',
    );
    const late = harness.subscribe(hubs[2] as RedisFragmentHub);
    await late.until((l) => l.done, 5_000, 'the late subscription to end');
    expect(late.error).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE' });
    // Nobody takes the lease and reads again while the end is remembered (a lease lifetime and more here).
    await new Promise((resolve) => setTimeout(resolve, 2 * LEASE_TTL_MS));
    expect(harness.emulator.getMediaCalls(STREAM).length).toBe(calls);
  });
});

/** A fragment's metadata with no tracks or tags, for log tests. */
function sampleFragment() {
  return {
    sequence: 0,
    byteOffset: 0,
    byteLength: 100,
    fragmentNumber: '1',
    serverTimestamp: 1_700_000_000_000,
    producerTimestamp: 1_700_000_000_000,
    millisBehindNow: 0,
    continuationToken: null,
    errorCode: null,
    errorId: null,
    timecodeScale: 1_000_000,
    clusterTimecode: 0,
    clusterCount: 1,
    frameCount: 1,
    keyframeCount: 1,
    payloadBytes: 10,
    trackStats: [],
    tracks: [],
    tags: [],
    complete: true,
  };
}

describe.skipIf(!available)('RedisFragmentHub on a Redis Cluster of three masters', () => {
  let cluster: OwnRedisCluster;
  /** Two streams whose keys live on different masters, so both slots' scripts and tails are exercised. */
  let streams: readonly [string, string];

  beforeAll(async () => {
    cluster = await OwnRedisCluster.start(3);
    const keys = new FleetKeys('test:');
    const firstPort = await cluster.portOf(keys.stream(STREAM).lease);
    for (let i = 1; ; i += 1) {
      const candidate = `cluster-cam-${String(i)}`;
      if ((await cluster.portOf(keys.stream(candidate).lease)) !== firstPort) {
        streams = [STREAM, candidate];
        return;
      }
    }
  }, 60_000);

  afterAll(async () => {
    await cluster.close();
  });

  it('runs one GetMedia per stream for three instances and gives every subscriber every fragment once and in order when the streams live on different masters (F1)', async () => {
    const harness = await startHarness({ producer: true, streams, target: cluster.target });
    const hubs = [harness.hub(), harness.hub(), harness.hub()];
    const logs = streams.flatMap((stream) => hubs.map((hub) => ({ stream, log: harness.subscribe(hub, NOW, stream) })));
    await Promise.all(logs.map(({ log }) => log.until((l) => l.fragments().length >= 30, 15_000, '30 fragments')));
    for (const stream of streams) {
      expect(harness.maxConcurrent(stream)).toBe(1);
      expect(hubs.filter((hub) => hub.fleetStatus().held.includes(stream))).toHaveLength(1);
    }
    for (const { stream, log } of logs) expectExact(harness, log, stream);
    // The operators' view reads the `{fleet}` slot and each stream's slot in one call each.
    const overview = await hubs[0]?.overview();
    expect(overview?.fleet?.instances.map((instance) => instance.id).sort()).toEqual(['hub1', 'hub2', 'hub3']);
    expect(overview?.streams.map((stream) => [stream.stream, stream.lease?.holder !== undefined])).toEqual(
      [...streams].sort().map((stream) => [stream, true]),
    );
  });

  it('hands a lease over on close so another instance reads on within 1 s and survivors lose nothing (F4)', async () => {
    await expectHandOverOnClose(await startHarness({ producer: true, target: cluster.target }));
  });
});

describe.skipIf(!available)('RedisFragmentHub behind Redis Sentinel', () => {
  it('runs one GetMedia for two instances, and after Sentinel promotes the replica delivers again with no duplicate and any loss as a gap (F1, F5)', async () => {
    const group = await OwnRedisSentinel.start();
    cleanups.push(() => group.close());
    const harness = await startHarness({ producer: true, target: group.target });
    const hubs = [harness.hub(), harness.hub()];
    const logs = hubs.flatMap((hub) => [harness.subscribe(hub), harness.subscribe(hub)]);
    await Promise.all(logs.map((log) => log.until((l) => l.fragments().length >= 10, 10_000, '10 fragments')));
    expect(hubs.filter((hub) => hub.fleetStatus().held.length > 0)).toHaveLength(1);
    for (const log of logs) expectExact(harness, log);
    await group.failOver();
    const counts = logs.map((log) => log.fragments().length);
    await Promise.all(logs.map((log, i) => log.until((l) => l.fragments().length >= (counts[i] ?? 0) + 20, 20_000, '20 fragments after the failover')));
    for (const log of logs) {
      expect(duplicates(log.fragments())).toEqual([]);
      expect(strictlyIncreasing(log.fragments())).toBe(true);
      expect(silentlyMissing(harness, log)).toEqual([]);
    }
    expect(harness.maxConcurrent()).toBe(1);
  }, 60_000);
});
