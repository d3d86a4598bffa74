import { afterEach, describe, expect, it } from 'vitest';
import { createKinesisClients } from '../../src/datasources/kinesis/kinesis.clients.js';
import { KinesisMediaDataSource } from '../../src/datasources/kinesis/kinesis-media.datasource.js';
import { KinesisVideoDataSource } from '../../src/datasources/kinesis/kinesis-video.datasource.js';
import { KinesisVideoEmulator } from '../../src/emulators/kinesis/kinesis.emulator.js';
import { createLogger } from '../../src/core/logger.js';
import { redisConnector } from '../../src/live/fleet/redis-connection.js';
import { RedisFragmentHub } from '../../src/live/fleet/redis-fragment-hub.js';
import type { FragmentHub, HubOverview } from '../../src/live/live.types.js';
import { DEFAULT_HUB_OPTIONS, LocalFragmentHub } from '../../src/live/local-fragment-hub.js';
import { kinesisMediaOpener } from '../../src/live/media-opener.js';
import type { MediaOpener } from '../../src/live/media-reader.js';
import { deletePrefix, EventLog, TcpProxy, uniquePrefix } from '../helpers/fleet.js';
import { redisAvailable, TEST_REDIS_URL } from '../helpers/redis.js';

/*
 * FragmentHub.overview against the Kinesis Video emulator through the real SDK clients: the in-process hub, and two
 * fleet hubs on the shared Redis under a key prefix of the test's own (1.5 s leases, so a failover takes about as
 * long). A failover is provoked by cutting the holder off from Redis (a partition: its lease runs out, it never
 * hands over) and by closing it (a hand-over).
 */

const available = await redisAvailable();

const STREAM = 'overview-cam';
const CREDENTIALS = { accessKeyId: 'AKIDOVERVIEW', secretAccessKey: 'overview-test-secret' };
const LEASE_TTL_MS = 1_500;
const QUIET = createLogger('silent');
const READER = { idleTimeoutMs: 1_000, backoffBaseMs: 30, backoffCapMs: 400, idleReconnectMs: 200 };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The emulator with a producer on {@link STREAM} (a fragment every 50 ms) and a GetMedia opener through the SDK. */
async function startKinesis(): Promise<MediaOpener> {
  const emulator = await KinesisVideoEmulator.start({ idleEndMs: 1_000 });
  cleanups.push(() => emulator.close());
  emulator.createStream(STREAM, { retentionHours: 24, mediaType: 'video/h264' });
  emulator.startProducer(STREAM, { fragmentIntervalMs: 50, fps: 10, frameBytes: 256 });
  const clients = createKinesisClients({ endpoint: emulator.endpoint, region: 'us-east-1', maxAttempts: 2, credentials: CREDENTIALS });
  cleanups.push(() => Promise.resolve(clients.destroy()));
  const control = new KinesisVideoDataSource(clients.control, { timeoutMs: 2_000, endpointTtlMs: 600_000 });
  const media = new KinesisMediaDataSource(control, (endpoint) => clients.media(endpoint), { timeoutMs: 2_000 });
  return kinesisMediaOpener({
    getMedia: async (stream, start, signal) => (await media.getMedia({ name: stream }, start, signal)).payload,
    invalidateEndpoint: (stream) => control.invalidateEndpoint({ name: stream }, 'GET_MEDIA'),
    refreshCredentials: () => clients.refreshCredentials(),
  });
}

/** Subscribes to {@link STREAM} at NOW through `hub` and waits for its first fragment. */
async function watch(hub: FragmentHub): Promise<EventLog> {
  const controller = new AbortController();
  const log = new EventLog(hub.subscribe(STREAM, { type: 'NOW' }, { signal: controller.signal }));
  cleanups.push(async () => {
    controller.abort();
    await log.stop();
  });
  await log.until((l) => l.fragments().length >= 1, 10_000, 'a first fragment');
  return log;
}

/** Asks `hub` for its overview until `holds` is true of one (the overview is read on demand, nothing announces it). */
async function overviewUntil(hub: FragmentHub, holds: (overview: HubOverview) => boolean, ms: number, what: string): Promise<HubOverview> {
  const deadline = Date.now() + ms;
  for (;;) {
    const overview = await hub.overview();
    if (holds(overview)) return overview;
    if (Date.now() > deadline) throw new Error(`timed out after ${String(ms)} ms waiting for ${what}; last overview: ${JSON.stringify(overview)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('LocalFragmentHub.overview', () => {
  it('shows a stream with one subscriber, its running reader and its CONNECTED state when a subscriber watches it', async () => {
    const open = await startKinesis();
    const hub = new LocalFragmentHub(open, { ...DEFAULT_HUB_OPTIONS, reader: READER, windowSize: 20, lingerMs: 300, instanceId: 'local-1' });
    cleanups.push(() => hub.close());
    expect(await hub.overview()).toEqual({ mode: 'LOCAL', instance: 'local-1', streams: [], fleet: undefined });
    await watch(hub);
    const overview = await hub.overview();
    expect(overview.mode).toBe('LOCAL');
    expect(overview.fleet).toBeUndefined();
    expect(overview.streams).toHaveLength(1);
    expect(overview.streams[0]).toMatchObject({
      stream: STREAM,
      subscribers: 1,
      upstreamSessions: 1,
      liveReaderRunning: true,
      state: { status: 'CONNECTED', detail: null },
      lease: undefined,
      interested: undefined,
    });
  });
});

describe.skipIf(!available)('RedisFragmentHub.overview', () => {
  /** Two fleet hubs, `one` through a proxy that can cut it off from Redis, `two` directly. */
  async function startFleet(): Promise<{ readonly one: RedisFragmentHub; readonly two: RedisFragmentHub; readonly proxy: TcpProxy }> {
    const open = await startKinesis();
    const prefix = uniquePrefix('hub-overview');
    cleanups.push(() => deletePrefix(TEST_REDIS_URL, prefix));
    const proxy = await TcpProxy.start(Number(new URL(TEST_REDIS_URL).port || 6379));
    cleanups.push(() => proxy.close());
    const hub = (instanceId: string, url: string): RedisFragmentHub => {
      const connect = redisConnector({ mode: 'standalone', url }, { commandTimeoutMs: LEASE_TTL_MS / 3, blockMs: 500 });
      const created = new RedisFragmentHub(
        connect,
        open,
        { ...DEFAULT_HUB_OPTIONS, reader: READER, windowSize: 40, lingerMs: 300, leaseTtlMs: LEASE_TTL_MS, keyPrefix: prefix, instanceId, tailBlockMs: 500 },
        QUIET,
      );
      cleanups.push(() => created.close());
      return created;
    };
    return { one: hub('one', proxy.url), two: hub('two', TEST_REDIS_URL), proxy };
  }

  const holder = (overview: HubOverview): string | undefined => overview.streams.find((stream) => stream.stream === STREAM)?.lease?.holder;

  it('shows the lease holder and both instances, then a failover EXPIRED when the holder is cut off from Redis without handing over', async () => {
    const { one, two, proxy } = await startFleet();
    await watch(one);
    await overviewUntil(one, (overview) => holder(overview) === 'one', 5_000, 'one to hold the lease');
    await watch(two);
    const before = await overviewUntil(two, (overview) => overview.fleet?.instances.length === 2, 5_000, 'both instances announced');
    expect(before.mode).toBe('FLEET');
    expect(before.instance).toBe('two');
    expect(before.fleet?.instances.map((instance) => [instance.id, instance.alive, instance.leasesHeld, instance.streamsWatched])).toEqual([
      ['one', true, 1, 1],
      ['two', true, 0, 1],
    ]);
    const stream = before.streams.find((candidate) => candidate.stream === STREAM);
    expect(stream).toMatchObject({ subscribers: 1, liveReaderRunning: false, upstreamSessions: 0, lease: { holder: 'one' }, state: { status: 'CONNECTED' } });
    expect([...(stream?.interested ?? [])].sort()).toEqual(['one', 'two']);
    const lostToken = stream?.lease?.fencingToken ?? '';

    proxy.cut();
    const after = await overviewUntil(two, (overview) => holder(overview) === 'two' && (overview.fleet?.failovers.length ?? 0) > 0, LEASE_TTL_MS + 5_000, 'two to take over and record it');
    const lease = after.streams.find((candidate) => candidate.stream === STREAM)?.lease;
    expect(BigInt(lease?.fencingToken ?? '0')).toBeGreaterThan(BigInt(lostToken));
    expect(after.fleet?.failovers[0]).toMatchObject({ stream: STREAM, from: 'one', to: 'two', fencingToken: lease?.fencingToken, cause: 'EXPIRED' });
    expect(after.streams.find((candidate) => candidate.stream === STREAM)?.liveReaderRunning).toBe(true);
  });

  it('records a failover HANDOVER when the holder closes and hands its lease over', async () => {
    const { one, two } = await startFleet();
    await watch(one);
    await overviewUntil(one, (overview) => holder(overview) === 'one', 5_000, 'one to hold the lease');
    await watch(two);
    await overviewUntil(two, (overview) => holder(overview) === 'one' && (overview.streams[0]?.interested?.length ?? 0) === 2, 5_000, 'two to see the holder');
    await one.close();
    const after = await overviewUntil(two, (overview) => (overview.fleet?.failovers.length ?? 0) > 0, 5_000, 'the takeover to be recorded');
    expect(after.fleet?.failovers.map((failover) => [failover.stream, failover.from, failover.to, failover.cause])).toEqual([[STREAM, 'one', 'two', 'HANDOVER']]);
    expect(holder(after)).toBe('two');
  });
});
