import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { createKinesisClients } from '../../src/datasources/kinesis/kinesis.clients.js';
import { KinesisMediaDataSource } from '../../src/datasources/kinesis/kinesis-media.datasource.js';
import { KinesisVideoDataSource } from '../../src/datasources/kinesis/kinesis-video.datasource.js';
import type { MediaStart } from '../../src/datasources/kinesis/kinesis.types.js';
import { KinesisVideoEmulator } from '../../src/emulators/kinesis/kinesis.emulator.js';
import { createLogger } from '../../src/core/logger.js';
import { FleetKeys } from '../../src/live/fleet/fleet-keys.js';
import { StreamLeases } from '../../src/live/fleet/lease.js';
import { StreamLog } from '../../src/live/fleet/log-appender.js';
import { redisConnector } from '../../src/live/fleet/redis-connection.js';
import { RedisFragmentHub, type RedisHubOptions } from '../../src/live/fleet/redis-fragment-hub.js';
import { DEFAULT_HUB_OPTIONS } from '../../src/live/local-fragment-hub.js';
import { kinesisMediaOpener } from '../../src/live/media-opener.js';
import type { MediaOpener } from '../../src/live/media-reader.js';
import { deletePrefix, duplicates, EventLog, missingWithin, OwnRedis, strictlyIncreasing, TcpProxy, uniquePrefix } from '../helpers/fleet.js';
import { redisAvailable, TEST_REDIS_URL } from '../helpers/redis.js';
import { within } from '../helpers/within.js';

/*
 * The fleet hub's logic with several RedisFragmentHub instances in one process, against the Kinesis Video emulator
 * (a fragment every 50 ms) through the real SDK clients, and Redis (the shared one under a unique key prefix, or a
 * redis-server of the test's own where the test breaks Redis). Leases are short (900 ms) to keep failovers quick.
 * The process-level versions of these faults are in test/fleet/.
 */

const available = await redisAvailable();

const STREAM = 'fleet-cam';
const CREDENTIALS = { accessKeyId: 'AKIDFLEETHUB', secretAccessKey: 'fleet-hub-test-secret' };
const FRAGMENT_MS = 50;
const LEASE_TTL_MS = 900;
const NOW: MediaStart = { type: 'NOW' };
const QUIET = createLogger('silent');

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

async function startHarness(options: { readonly producer?: boolean; readonly streams?: readonly string[]; readonly history?: number; readonly redisUrl?: string } = {}): Promise<Harness> {
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
  const redisUrls = new Set<string>();
  cleanups.push(async () => {
    for (const url of redisUrls) await deletePrefix(url, prefix);
  });
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
      redisUrls.add(url.includes(':6379') || url === TEST_REDIS_URL ? url : url);
      count += 1;
      const connect = redisConnector({ mode: 'standalone', url }, { commandTimeoutMs: LEASE_TTL_MS / 3, blockMs: 500 });
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
});
