import { CreateStreamCommand, KinesisVideoClient } from '@aws-sdk/client-kinesis-video';
import type { Client } from 'graphql-ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import {
  ascending,
  emulatorFragments,
  eventually,
  gatewayEnv,
  getMediaStats,
  killAll,
  LeaseWatcher,
  leaseHolders,
  loggedFragments,
  MaxSampler,
  sampleOf,
  scrapeMetrics,
  startEmulatorProcess,
  startGatewayProcess,
  SubscriptionRecorder,
  wsClient,
  type ChildProcessHandle,
  type EmulatorProcess,
  type GatewayProcess,
} from '../helpers/fleet-processes.js';
import type { StreamStartInput } from '../generated/graphql.js';
import { deletePrefix, duplicates, OwnRedis, TcpProxy, uniquePrefix } from '../helpers/fleet.js';
import { redisAvailable, TEST_REDIS_URL } from '../helpers/redis.js';

/*
 * Fleet mode with real processes (RELIABILITY F1-F9): `media-graph serve` gateways with LIVE_HUB=redis, one
 * `media-graph emulate` whose demo stream makes 10 fragments a second, and Redis (the shared one under a unique
 * prefix; a redis-server of the test's own, behind a cuttable TCP proxy, for the faults that break Redis).
 * Leases last 3 s (LIVE_LEASE_TTL_MS) and readers linger 1 s to keep failovers and releases quick. Every figure is
 * read from outside the gateways: the emulator's /_emulator endpoints, Redis, and the clients' own events.
 */

const available = await redisAvailable();

const DEMO = 'demo-stream';
const FRAGMENT_MS = 100;
const LEASE_TTL_MS = 3_000;
const RENEWAL_MS = LEASE_TTL_MS / 3;
const NOW = null;

let emulator: EmulatorProcess;
const processes: ChildProcessHandle[] = [];
const clients: Client[] = [];

beforeAll(async () => {
  if (!available) return;
  emulator = await startEmulatorProcess(FRAGMENT_MS);
  processes.push(emulator.process);
}, 90_000);

afterAll(async () => {
  for (const client of clients) await client.dispose();
  await killAll(processes);
});

async function startGateways(names: readonly string[], env: (name: string) => Record<string, string>): Promise<GatewayProcess[]> {
  const gateways = await Promise.all(
    names.map(async (name) => {
      const gateway = await startGatewayProcess(name, env(name));
      processes.push(gateway.process);
      return gateway;
    }),
  );
  return gateways;
}

/** A new client (its own WebSocket) subscribed to `stream` on `gateway`. */
function subscribe(gateway: GatewayProcess, stream = DEMO, start: StreamStartInput | null = NOW): SubscriptionRecorder {
  const client = wsClient(gateway);
  clients.push(client);
  return new SubscriptionRecorder(client, stream, start);
}

/** On failure, prints what the gateways logged about the fleet (warnings, errors, lease changes). */
function explainFailures(gateways: () => readonly GatewayProcess[]): void {
  afterEach((context) => {
    if (context.task.result?.state !== 'fail') return;
    for (const gateway of gateways()) {
      const lines = gateway.process.lines.filter((line) => /fleet|"level":(40|50|60)|shutting|stopped/.test(line));
      console.error(`--- ${gateway.name} (${gateway.instance}) ---\n${lines.slice(-40).join('\n')}`);
    }
  });
}

/**
 * Stops `recorders` and then reads the emulator's fragment list, so the list holds every fragment they received
 * (one received after the list was read would look like a fragment the stream never had).
 */
async function stopAndList(recorders: readonly SubscriptionRecorder[]): Promise<string[]> {
  for (const recorder of recorders) recorder.stop();
  return emulatorFragments(emulator, DEMO);
}

/** Fragments of `all` inside the span `got` covers that `got` lacks. */
function missing(all: readonly string[], got: readonly string[]): string[] {
  if (got.length === 0) return [];
  const from = all.indexOf(got[0] as string);
  const to = all.indexOf(got[got.length - 1] as string);
  if (from === -1 || to === -1) return ['(span not in the emulator list)'];
  const have = new Set(got);
  return all.slice(from, to + 1).filter((number) => !have.has(number));
}

/** Fragments lacking between two deliveries with no GapEvent between them (silent loss). */
function silentlyMissing(all: readonly string[], recorder: SubscriptionRecorder): string[] {
  const lost: string[] = [];
  let previous: string | undefined;
  let gap = false;
  for (const { event } of recorder.events) {
    if (event.__typename === 'GapEvent') gap = true;
    if (event.__typename !== 'FragmentEvent') continue;
    const current = event.fragment.fragmentNumber;
    if (previous !== undefined && !gap) {
      const from = all.indexOf(previous);
      const to = all.indexOf(current);
      if (from !== -1 && to > from + 1) lost.push(...all.slice(from + 1, to));
    }
    previous = current;
    gap = false;
  }
  return lost;
}

/** Asserts a subscriber got a run of the emulator's fragments exactly: in order, once each, none missing. */
function expectExact(all: readonly string[], recorder: SubscriptionRecorder): void {
  const got = recorder.fragments();
  expect(got.length).toBeGreaterThan(0);
  expect(duplicates(got)).toEqual([]);
  expect(ascending(got)).toBe(true);
  expect(missing(all, got)).toEqual([]);
}

/** The gateway whose instance holds `stream`'s lease, once one does (excluding `except`). */
async function holderOf(redisUrl: string, prefix: string, gateways: readonly GatewayProcess[], ms: number, stream = DEMO, except?: GatewayProcess): Promise<GatewayProcess> {
  let holder: GatewayProcess | undefined;
  await eventually(
    async () => {
      const instance = (await leaseHolders(redisUrl, prefix)).get(stream);
      holder = gateways.find((gateway) => gateway.instance === instance && gateway !== except);
      return holder !== undefined;
    },
    ms,
    `a gateway holding the lease of ${stream}`,
    20,
  );
  return holder as GatewayProcess;
}

describe.skipIf(!available)('fleet of gateway processes on one Redis', () => {
  const prefix = uniquePrefix('fleet-gateways');
  let gateways: GatewayProcess[];
  /** A NOW subscriber on the first gateway for the whole run: that gateway takes the demo stream's lease first. */
  let witness: SubscriptionRecorder;

  beforeAll(async () => {
    if (!available) return;
    gateways = await startGateways(['g1', 'g2', 'g3', 'g4'], () => gatewayEnv(emulator, TEST_REDIS_URL, prefix));
    witness = subscribe(gateways[0] as GatewayProcess);
    await witness.until((r) => r.fragments().length >= 3, 15_000, 'the first fragments');
  }, 240_000);

  explainFailures(() => gateways);

  afterAll(async () => {
    await killAll(gateways.map((gateway) => gateway.process));
    await deletePrefix(TEST_REDIS_URL, prefix);
  });

  it('opens exactly 1 GetMedia for 3 gateways with 100 subscribers each, every subscriber getting every fragment once and in order (F1)', async () => {
    const open = new MaxSampler(async () => (await getMediaStats(emulator, DEMO)).openGetMedia, 50);
    const recorders = gateways.slice(0, 3).flatMap((gateway) =>
      Array.from({ length: 10 }, () => {
        const client = wsClient(gateway);
        clients.push(client);
        return Array.from({ length: 10 }, () => new SubscriptionRecorder(client, DEMO, NOW));
      }).flat(),
    );
    expect(recorders).toHaveLength(300);
    await Promise.all(recorders.map((r) => r.until((x) => x.fragments().length >= 30, 30_000, '30 fragments')));
    open.stop();
    const stats = await getMediaStats(emulator, DEMO);
    expect(stats.maxOpenGetMedia).toBe(1);
    expect(open.max).toBe(1);
    const all = await stopAndList(recorders);
    for (const recorder of recorders) {
      expectExact(all, recorder);
      expect(recorder.gaps()).toEqual([]);
    }
    for (const recorder of recorders) recorder.stop();
  }, 90_000);

  it('keeps catch-up from EARLIEST on 3 gateways within 3 concurrent GetMedia and 5 calls a second at the emulator (F7)', async () => {
    const samples: { at: number; calls: number; open: number }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          const stats = await getMediaStats(emulator, DEMO);
          samples.push({ at: Date.now(), calls: stats.getMediaCalls, open: stats.openGetMedia });
        } catch (error) {
          console.warn('[fleet] stats sample failed', error);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    onTestFailed(() => {
      sampling = false;
    });
    const recorders = gateways.slice(0, 3).flatMap((gateway) => [subscribe(gateway, DEMO, { type: 'EARLIEST' }), subscribe(gateway, DEMO, { type: 'EARLIEST' })]);
    const first = (await emulatorFragments(emulator, DEMO))[0] as string;
    const target = (await emulatorFragments(emulator, DEMO)).length + 20;
    await Promise.all(recorders.map((r) => r.until((x) => x.fragments().length >= target, 60_000, `${String(target)} fragments from the earliest`)));
    sampling = false;
    await sampler;
    const all = await stopAndList(recorders);
    for (const recorder of recorders) {
      expect(recorder.fragments()[0]).toBe(first);
      expectExact(all, recorder);
      // The emulator refuses a 4th session or a 6th call in a second; a reader refused says THROTTLED.
      expect(recorder.statuses().filter((s) => s.status === 'THROTTLED')).toEqual([]);
      recorder.stop();
    }
    expect((await getMediaStats(emulator, DEMO)).maxOpenGetMedia).toBeLessThanOrEqual(3);
    expect(Math.max(...samples.map((s) => s.open))).toBeLessThanOrEqual(3);
    // Calls between two samples less than a second apart (the emulator counts in any 1 s window).
    let worst = 0;
    for (let i = 0; i < samples.length; i += 1) {
      for (let j = i + 1; j < samples.length && (samples[j]?.at ?? 0) - (samples[i]?.at ?? 0) < 900; j += 1) {
        worst = Math.max(worst, (samples[j]?.calls ?? 0) - (samples[i]?.calls ?? 0));
      }
    }
    expect(worst).toBeLessThanOrEqual(5);
  }, 90_000);

  it('spreads 30 streams watched from 3 gateways within ceil(S/N)+1 readers each and releases every reader after the linger (F8)', async () => {
    const streams = Array.from({ length: 30 }, (_, i) => `spread-${String(i).padStart(2, '0')}`);
    const control = new KinesisVideoClient({ endpoint: emulator.kinesis, region: 'us-east-1', credentials: { accessKeyId: 'AKIDFLEETTEST', secretAccessKey: 'fleet-test-secret' } });
    try {
      for (const stream of streams) await control.send(new CreateStreamCommand({ StreamName: stream, DataRetentionInHours: 1 }));
    } finally {
      control.destroy();
    }
    const watchers = gateways.slice(0, 3);
    const recorders = streams.flatMap((stream) => watchers.map((gateway) => subscribe(gateway, stream)));
    // S counts the demo stream too: the witness keeps it watched (and its lease held) throughout.
    const watched = [...streams, DEMO];
    const bound = Math.ceil(watched.length / watchers.length) + 1;
    const spread = async (names: readonly string[] = watched): Promise<Map<string, number>> => {
      const holders = await leaseHolders(TEST_REDIS_URL, prefix);
      const counts = new Map<string, number>();
      for (const stream of names) {
        const instance = holders.get(stream);
        if (instance !== undefined) counts.set(instance, (counts.get(instance) ?? 0) + 1);
      }
      return counts;
    };
    let last = new Map<string, number>();
    onTestFailed(() => {
      console.error('lease spread', JSON.stringify([...last]));
      for (const recorder of recorders) recorder.stop();
    });
    await eventually(
      async () => {
        last = await spread();
        return [...last.values()].reduce((x, y) => x + y, 0) === watched.length && Math.max(...last.values()) <= bound;
      },
      30_000,
      `every stream held, at most ${String(bound)} per gateway`,
      200,
    );
    // Steady state: it stays so.
    for (let i = 0; i < 10; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      last = await spread();
      expect(Math.max(...last.values())).toBeLessThanOrEqual(bound);
    }
    for (const recorder of recorders) recorder.stop();
    await eventually(
      async () => {
        const counts = await spread(streams);
        if (counts.size > 0) return false;
        const open = await Promise.all(streams.map(async (stream) => (await getMediaStats(emulator, stream)).openGetMedia));
        return open.every((n) => n === 0);
      },
      15_000,
      'every reader released after the linger',
      200,
    );
  }, 120_000);

  it('continues a client whose gateway was killed on another gateway from FRAGMENT_NUMBER with no gap and no duplicate (F6)', async () => {
    // The killed gateway is not the reader (that is F2): its client just has to continue elsewhere.
    const holder = await holderOf(TEST_REDIS_URL, prefix, gateways, 5_000);
    const [victim, other] = gateways.filter((gateway) => gateway !== holder && gateway.process.running) as [GatewayProcess, GatewayProcess];
    const before = subscribe(victim);
    await before.until((r) => r.fragments().length >= 20, 20_000, '20 fragments on the gateway to be killed');
    await victim.process.kill();
    await before.until((r) => r.done, 10_000, 'the client to see its gateway go');
    const last = before.last() as string;
    const after = subscribe(other, DEMO, { type: 'FRAGMENT_NUMBER', fragmentNumber: last });
    await after.until((r) => r.fragments().length >= 20, 20_000, '20 fragments on another gateway');
    const all = await stopAndList([before, after]);
    expect(after.fragments()[0]).toBe(all[all.indexOf(last) + 1]);
    const joined = [...before.fragments(), ...after.fragments()];
    expect(duplicates(joined)).toEqual([]);
    expect(missing(all, joined)).toEqual([]);
    expect(after.gaps()).toEqual([]);
    after.stop();
  }, 60_000);

  it('hands the lease over when the holder gets SIGTERM: another gateway reads within 1 s and nothing is lost (F4)', async () => {
    const holder = await holderOf(TEST_REDIS_URL, prefix, gateways, 5_000);
    const survivors = gateways.filter((gateway) => gateway !== holder && gateway.process.running).slice(0, 2);
    const recorders = survivors.flatMap((gateway) => [subscribe(gateway), subscribe(gateway)]);
    await Promise.all(recorders.map((r) => r.until((x) => x.fragments().length >= 10, 20_000, '10 fragments')));
    // The lease key as it changes hands: the old holder's value, then none (handed over), then the new holder's.
    const watcher = new LeaseWatcher(TEST_REDIS_URL, `${prefix}{${DEMO}}:lease`);
    try {
      await watcher.next((value) => value?.startsWith(`${holder.instance}|`) === true, 5_000);
      holder.process.signal('SIGTERM');
      const released = await watcher.next((value) => value === null || !value.startsWith(`${holder.instance}|`), 10_000);
      const acquired = released.value !== null ? released : await watcher.next((value) => value !== null, 5_000);
      expect(acquired.at - released.at).toBeLessThan(1_000);
      expect(survivors.map((gateway) => gateway.instance)).toContain(acquired.value?.slice(0, acquired.value.lastIndexOf('|')));
    } finally {
      watcher.stop();
    }
    expect(await holder.process.exited).toBe(0);
    const counts = recorders.map((r) => r.fragments().length);
    await Promise.all(recorders.map((r, i) => r.until((x) => x.fragments().length >= (counts[i] ?? 0) + 20, 20_000, '20 more fragments')));
    const all = await stopAndList(recorders);
    for (const recorder of recorders) {
      expectExact(all, recorder);
      expect(recorder.gaps()).toEqual([]);
    }
  }, 60_000);

  it('takes over within the lease TTL + 2 s when the holder is SIGKILLed at 10 fragments/s, the survivors missing nothing (F2)', async () => {
    const alive = gateways.filter((gateway) => gateway.process.running);
    expect(alive.length).toBeGreaterThanOrEqual(2);
    const holder = await holderOf(TEST_REDIS_URL, prefix, alive, 5_000);
    const survivors = alive.filter((gateway) => gateway !== holder);
    const recorders = survivors.flatMap((gateway) => [subscribe(gateway), subscribe(gateway)]);
    await Promise.all(recorders.map((r) => r.until((x) => x.fragments().length >= 10, 20_000, '10 fragments')));
    const before = new Map(await Promise.all(survivors.map(async (gateway) => [gateway, sampleOf(await scrapeMetrics(gateway), 'media_graph_fleet_failovers_total{cause="expired"}') ?? 0] as const)));
    const killedAt = Date.now();
    await holder.process.kill();
    const next = await holderOf(TEST_REDIS_URL, prefix, survivors, LEASE_TTL_MS + 5_000, DEMO, holder);
    expect(Date.now() - killedAt).toBeLessThanOrEqual(LEASE_TTL_MS + 2_000);
    // What an operator's dashboard shows on the new holder: one real failover, one lease held.
    const exposition = await scrapeMetrics(next);
    expect(sampleOf(exposition, 'media_graph_fleet_failovers_total{cause="expired"}')).toBe((before.get(next) ?? 0) + 1);
    expect(sampleOf(exposition, 'media_graph_fleet_leases_held')).toBe(1);
    expect(sampleOf(exposition, 'media_graph_fleet_lease_acquisitions_total')).toBeGreaterThanOrEqual(1);
    const open = new MaxSampler(async () => (await getMediaStats(emulator, DEMO)).openGetMedia, 50);
    const counts = recorders.map((r) => r.fragments().length);
    await Promise.all(recorders.map((r, i) => r.until((x) => x.fragments().length >= (counts[i] ?? 0) + 30, 20_000, '30 more fragments')));
    open.stop();
    expect(open.max).toBe(1);
    const all = await stopAndList(recorders);
    for (const recorder of recorders) {
      expectExact(all, recorder);
      expect(recorder.gaps()).toEqual([]);
      const statuses = recorder.statuses().map((s) => s.status);
      expect(statuses.filter((s) => s !== 'CONNECTED' && s !== 'RECONNECTING')).toEqual([]);
    }
  }, 60_000);
});

describe.skipIf(!available)('fleet of gateway processes on a Redis that fails', () => {
  const prefix = uniquePrefix('fleet-faults');
  let redis!: OwnRedis;
  let proxy!: TcpProxy;
  let started = false;
  let gateways: GatewayProcess[];

  beforeAll(async () => {
    if (!available) return;
    redis = await OwnRedis.start();
    proxy = await TcpProxy.start(redis.port);
    started = true;
    // h1 reaches Redis through the proxy; it subscribes first, so it holds the demo stream's lease at the start.
    gateways = await startGateways(['h1', 'h2', 'h3'], (name) => gatewayEnv(emulator, name === 'h1' ? proxy.url : redis.url, prefix));
  }, 240_000);

  explainFailures(() => gateways);

  afterAll(async () => {
    await killAll(gateways.map((gateway) => gateway.process));
    if (!started) return;
    await proxy.close();
    await redis.kill();
  });

  it('keeps the fleet at one reader and one appender while one gateway is cut from Redis and restored (F9)', async () => {
    const [h1, h2, h3] = gateways as [GatewayProcess, GatewayProcess, GatewayProcess];
    const cut = subscribe(h1);
    await holderOf(redis.url, prefix, [h1], 15_000);
    const others = [subscribe(h2), subscribe(h3)];
    await Promise.all([cut, ...others].map((r) => r.until((x) => x.fragments().length >= 10, 20_000, '10 fragments')));
    const open = new MaxSampler(async () => (await getMediaStats(emulator, DEMO)).openGetMedia, 25);
    proxy.cut();
    await holderOf(redis.url, prefix, [h2, h3], LEASE_TTL_MS + 5_000);
    await cut.until((r) => r.statuses().some((s) => s.status === 'RECONNECTING'), 10_000, 'RECONNECTING on the cut gateway');
    const counts = others.map((r) => r.fragments().length);
    await Promise.all(others.map((r, i) => r.until((x) => x.fragments().length >= (counts[i] ?? 0) + 15, 20_000, '15 more fragments')));
    proxy.restore();
    const resumed = cut.fragments().length;
    await cut.until((r) => r.fragments().length >= resumed + 15, 20_000, 'the cut gateway to deliver again');
    open.stop();
    expect(open.max).toBe(1);
    const all = await stopAndList([cut, ...others]);
    const logged = await loggedFragments(redis.url, prefix, DEMO);
    expect(duplicates(logged)).toEqual([]);
    expect(ascending(logged)).toBe(true);
    for (const recorder of others) {
      expectExact(all, recorder);
      expect(recorder.gaps()).toEqual([]);
    }
    expect(duplicates(cut.fragments())).toEqual([]);
    expect(ascending(cut.fragments())).toBe(true);
    expect(silentlyMissing(all, cut)).toEqual([]);
    for (const recorder of [cut, ...others]) recorder.stop();
  }, 90_000);

  it('stops the reader of a holder paused past its lease within one renewal after it resumes, the log never holding a duplicate (F3)', async () => {
    const holder = await holderOf(redis.url, prefix, gateways, 10_000);
    const others = gateways.filter((gateway) => gateway !== holder);
    const recorders = others.map((gateway) => subscribe(gateway));
    await Promise.all(recorders.map((r) => r.until((x) => x.fragments().length >= 10, 20_000, '10 fragments')));
    holder.process.signal('SIGSTOP');
    const next = await holderOf(redis.url, prefix, others, LEASE_TTL_MS + 5_000);
    expect(next).not.toBe(holder);
    const counts = recorders.map((r) => r.fragments().length);
    await Promise.all(recorders.map((r, i) => r.until((x) => x.fragments().length >= (counts[i] ?? 0) + 10, 20_000, '10 more fragments')));
    // Paused, the old holder's GetMedia is still open at the emulator next to the new one.
    expect((await getMediaStats(emulator, DEMO)).openGetMedia).toBe(2);
    const resumedAt = Date.now();
    holder.process.signal('SIGCONT');
    await eventually(async () => (await getMediaStats(emulator, DEMO)).openGetMedia === 1, 5_000, 'the resumed holder to stop reading', 20);
    expect(Date.now() - resumedAt).toBeLessThanOrEqual(RENEWAL_MS + 500);
    await holder.process.line((l) => l.includes('fleet reader lease lost'), 5_000, 'the resumed holder to log its lost lease');
    const moreCounts = recorders.map((r) => r.fragments().length);
    await Promise.all(recorders.map((r, i) => r.until((x) => x.fragments().length >= (moreCounts[i] ?? 0) + 10, 20_000, '10 more fragments')));
    const logged = await loggedFragments(redis.url, prefix, DEMO);
    expect(duplicates(logged)).toEqual([]);
    expect(ascending(logged)).toBe(true);
    const all = await stopAndList(recorders);
    for (const recorder of recorders) {
      expectExact(all, recorder);
      recorder.stop();
    }
  }, 90_000);

  it('tells subscribers RECONNECTING while Redis restarts empty, then recovers with no duplicate and any loss as a GapEvent (F5)', async () => {
    const recorders = gateways.flatMap((gateway) => [subscribe(gateway), subscribe(gateway)]);
    await Promise.all(recorders.map((r) => r.until((x) => x.fragments().length >= 10, 20_000, '10 fragments')));
    const open = new MaxSampler(async () => (await getMediaStats(emulator, DEMO)).openGetMedia, 25);
    await redis.kill();
    await Promise.all(recorders.map((r) => r.until((x) => x.statuses().some((s) => s.status === 'RECONNECTING'), 10_000, 'RECONNECTING')));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await redis.launch();
    const counts = recorders.map((r) => r.fragments().length);
    await Promise.all(recorders.map((r, i) => r.until((x) => x.fragments().length >= (counts[i] ?? 0) + 20, 30_000, '20 fragments after Redis came back')));
    open.stop();
    // No GetMedia without a lease: never two readers, even while Redis forgot every lease.
    expect(open.max).toBe(1);
    const all = await stopAndList(recorders);
    for (const recorder of recorders) {
      expect(duplicates(recorder.fragments())).toEqual([]);
      expect(ascending(recorder.fragments())).toBe(true);
      expect(silentlyMissing(all, recorder)).toEqual([]);
      recorder.stop();
    }
  }, 90_000);
});
