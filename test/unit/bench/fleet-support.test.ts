import { createServer, connect } from 'node:net';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { comparisons, formatSection, missedTargets, type FleetResults, type FleetTierResult } from '../../../bench/support/fleet-report.js';
import { parseCommandStats, parseCpuUs, redisDelta } from '../../../bench/support/redis-stats.js';
import { pidHoldingLocalPort, socketInodesOnLocalPort } from '../../../bench/support/socket-owner.js';

const TCP_TABLE = [
  '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
  '   0: 0100007F:B043 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 112527 1 0000 100 0 0 10 0',
  '   1: 0100007F:11D7 0100007F:B043 01 00000000:00000000 00:00000000 00000000     0        0 99001 1 0000 20 4 30 10 -1',
  '   2: 0100007F:11D7 0100007F:B044 06 00000000:00000000 00:00000000 00000000     0        0 0 3 0000',
].join('\n');

function tier(overrides: Partial<FleetTierResult>): FleetTierResult {
  return {
    label: 'fleet-100',
    kind: 'fleet',
    hub: 'redis',
    instances: 3,
    perInstance: 100,
    connected: 300,
    windowMs: 20_000,
    sourceFragments: 200,
    deliveries: 60_000,
    latency: { p50: 10, p99: 40, max: 60 },
    gatewayCpuMs: 1_200,
    clientCpuMs: 500,
    emulatorCpuMs: 50,
    otherCpuPercent: 3,
    getMediaCalls: 1,
    upstreamMaxOpen: 1,
    redis: { commands: 2_000, cpuMs: 100, byCommand: [['xreadgroup', 1_200]] },
    clientsWithEveryFragment: 300,
    fewestFragments: 200,
    gaps: 0,
    errors: 0,
    closed: 0,
    duplicates: 0,
    outOfOrder: 0,
    ...overrides,
  };
}

function results(tiers: readonly FleetTierResult[]): FleetResults {
  return {
    date: '2026-12-06',
    time: '05:00',
    uname: 'Linux test',
    revision: 'abc1234',
    cpuModel: 'test CPU',
    cores: 2,
    machine: 'test',
    redisVersion: '7.0.15',
    command: 'npm run bench:fleet',
    fragmentMs: 100,
    warmupMs: 10_000,
    tiers,
    failover: null,
    memory: null,
    lifetimeMaxOpen: 1,
    opCosts: null,
    targets: { upstream: 1, addedP99Ms: 10, cpuRatio: 1.2, flatRatio: 1.25, failoverSlackMs: 2_000 },
  };
}

describe('socketInodesOnLocalPort', () => {
  it('finds the sockets bound to a local port when the table lists several', () => {
    expect(socketInodesOnLocalPort(TCP_TABLE, 0xb043)).toEqual(['112527']);
    // A time-wait entry has inode 0: no process holds it.
    expect(socketInodesOnLocalPort(TCP_TABLE, 0x11d7)).toEqual(['99001']);
    expect(socketInodesOnLocalPort(TCP_TABLE, 80)).toEqual([]);
  });
});

describe('pidHoldingLocalPort', () => {
  it('names this process when it holds the connection on that port', async () => {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const socket = connect(address.port, '127.0.0.1');
    await once(socket, 'connect');
    try {
      expect(pidHoldingLocalPort(socket.localPort ?? 0, [1, process.pid])).toBe(process.pid);
      expect(pidHoldingLocalPort(socket.localPort ?? 0, [1])).toBeUndefined();
    } finally {
      socket.destroy();
      server.close();
    }
  });
});

describe('redis-stats', () => {
  it('reads calls per command and CPU when INFO answers with commandstats and cpu', () => {
    const stats = parseCommandStats('# Commandstats\r\ncmdstat_xadd:calls=10,usec=50,usec_per_call=5.00\r\ncmdstat_client|setname:calls=3,usec=1\r\n');
    expect([...stats]).toEqual([
      ['xadd', 10],
      ['client|setname', 3],
    ]);
    expect(parseCpuUs('# CPU\r\nused_cpu_sys:1.500000\r\nused_cpu_user:0.250000\r\n')).toBe(1_750_000);
  });

  it('counts only the commands that grew and leaves out its own INFO when two samples differ', () => {
    const before = { calls: new Map([['xadd', 10], ['info', 4], ['get', 2]]), cpuUs: 1_000, atMs: 0 };
    const after = { calls: new Map([['xadd', 30], ['info', 6], ['get', 2], ['evalsha', 5]]), cpuUs: 4_000, atMs: 1_000 };
    expect(redisDelta(before, after)).toEqual({ commands: 25, byCommand: [['xadd', 20], ['evalsha', 5]], cpuMs: 3, wallMs: 1_000 });
  });
});

describe('fleet-report comparisons', () => {
  it('meets every target when the fleet matches the single instance and Redis work stays flat', () => {
    const small = tier({});
    const big = tier({ label: 'fleet-1000', perInstance: 1_000, connected: 3_000, deliveries: 600_000, gatewayCpuMs: 12_000, latency: { p50: 12, p99: 45, max: 80 }, redis: { commands: 2_100, cpuMs: 110, byCommand: [] } });
    const single = tier({ label: 'single-3000', kind: 'single', hub: 'local', instances: 1, perInstance: 3_000, connected: 3_000, deliveries: 600_000, gatewayCpuMs: 11_000, latency: { p50: 10, p99: 40, max: 70 }, redis: null });
    expect(missedTargets(results([small, single, big]))).toEqual([]);
  });

  it('reports each missed target when upstream, latency, CPU and Redis work grow', () => {
    const small = tier({});
    const big = tier({ label: 'fleet-1000', perInstance: 1_000, getMediaCalls: 3, upstreamMaxOpen: 3, deliveries: 600_000, gatewayCpuMs: 20_000, latency: { p50: 30, p99: 90, max: 120 }, redis: { commands: 20_000, cpuMs: 1_000, byCommand: [] } });
    const single = tier({ label: 'single-3000', kind: 'single', hub: 'local', instances: 1, perInstance: 3_000, deliveries: 600_000, gatewayCpuMs: 11_000, redis: null });
    const missed = comparisons(results([small, single, big])).filter((row) => row.met === false).map((row) => row.what);
    expect(missed).toEqual([
      'fleet-1000: upstream GetMedia (calls / most open at once)',
      'p99 latency, fleet-1000 minus single-3000',
      'gateway CPU per delivery, fleet-1000 / single-3000',
      'Redis commands per fragment, fleet-1000 / fleet-100 (subscribers x10)',
      'Redis CPU per fragment, fleet-1000 / fleet-100 (subscribers x10)',
    ]);
  });
});

describe('fleet-report Cluster comparisons', () => {
  it('compares the Cluster tier with its one-server twin, idle CPU subtracted, and keeps it out of the targets when FLEET_CLUSTER ran', () => {
    const small = tier({ redisIdleCpuMsPerS: 2.5 });
    const cluster = tier({ label: 'fleet-100-cluster', redisMasters: 3, redisIdleCpuMsPerS: 7.5, gatewayCpuMs: 1_320, redis: { commands: 2_000, cpuMs: 200, byCommand: [] } });
    // The larger fleet tier grows Redis work by less than the flat ratio; with the Cluster counted as the small tier
    // (twice the CPU) the comparison would pass for the wrong reason, and against it, fail.
    const big = tier({ label: 'fleet-1000', perInstance: 1_000, connected: 3_000, deliveries: 600_000, gatewayCpuMs: 12_000, redis: { commands: 2_100, cpuMs: 110, byCommand: [] } });
    const rows = comparisons(results([small, cluster, big]));
    expect(rows.filter((row) => row.met === false)).toEqual([]);
    expect(rows.find((row) => row.what.startsWith('Redis CPU per fragment, fleet-1000 /'))?.what).toContain('/ fleet-100 ');
    const clusterRows = rows.filter((row) => row.what.includes('fleet-100-cluster') && row.target === 'measured');
    expect(clusterRows.map((row) => [row.what, row.value])).toEqual([
      ['gateway CPU per delivery, fleet-100-cluster / fleet-100', '1.10 (22.0 vs 20.0 µs)'],
      ['p99 latency, fleet-100-cluster minus fleet-100', '0 ms (40 vs 40)'],
      ['Redis commands per fragment, fleet-100-cluster / fleet-100', '1.00 (10.0 vs 10.0)'],
      ['Redis CPU per fragment (all masters), fleet-100-cluster / fleet-100', '2.00 (1000 vs 500 µs)'],
      // (200 - 7.5 x 20) ms and (100 - 2.5 x 20) ms over 200 fragments.
      ['Redis CPU per fragment above idle (idle 7.5 vs 2.5 ms/s), fleet-100-cluster / fleet-100', '1.00 (250 vs 250 µs)'],
    ]);
    expect(rows.find((row) => row.what === 'fleet-100-cluster: upstream GetMedia (calls / most open at once)')?.met).toBe(true);
  });
});

describe('fleet-report formatSection', () => {
  it('names the failover check window when a failover was measured', () => {
    const failover = {
      tier: 'fleet-1000',
      survivors: 2_000,
      leaseTtlMs: 5_000,
      takeoverMs: 4_838,
      firstDeliveryMs: 4_901,
      allSurvivorsMs: 5_002,
      checkedFragments: 198,
      survivorsMissingSome: 0,
      fewestReceived: 198,
      duplicates: 0,
      outOfOrder: 0,
      upstreamMaxOpenAfter: 1,
      checkBeforeMs: 5_000,
      checkAfterMs: 15_000,
    };
    expect(formatSection({ ...results([tier({})]), failover }, 'setup')).toContain(
      'times from the kill; fragments checked: those the emulator produced from 5 s before the kill to 15 s after it.',
    );
  });
});
