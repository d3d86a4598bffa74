import { describe, expect, it } from 'vitest';
import { formatTargetLine, type FanoutResults, type TierRun } from '../../../bench/support/fanout-report.js';
import { formatPairsLine, type SecurityBenchResults, type SecurityRound } from '../../../bench/support/security-report.js';

function tierRun(subscribers: number, server: TierRun['server'], cpuUsPerDelivery: number, p99: number, sustained: boolean): TierRun {
  const deliveries = sustained ? subscribers * 200 : subscribers * 100;
  return {
    subscribers,
    connectedSubscribers: subscribers,
    connectFailed: 0,
    connectGivenUp: 0,
    connectFirstFailure: null,
    nominalEventsPerSecond: 10,
    server,
    clientProcesses: 1,
    windowMs: 20_000,
    sourceEvents: 200,
    deliveries,
    latency: { min: 1, p50: 10, p99, max: p99 + 10 },
    serverCpuMs: (cpuUsPerDelivery * deliveries) / 1000,
    serverSystemCpuMs: 0,
    serverCpuWallMs: 20_000,
    serverRssMaxBytes: 0,
    clientCpuMs: 0,
    busiestClientCorePercent: 0,
    emulatorCpuMs: 0,
    upstreamMax: server === 'gateway' ? 1 : null,
    getMediaCalls: server === 'gateway' ? 1 : null,
    sourceSubscribersMax: 1,
    clientsWithEveryEvent: sustained ? subscribers : 0,
    fewestEventsPerClient: sustained ? 200 : 100,
    gaps: 0,
    errors: 0,
    closed: 0,
    duplicates: 0,
    outOfOrder: 0,
    payloadChars: null,
    connectMs: 0,
    otherCpuPercent: 0,
    loopDelayP99Ms: null,
    loopDelayMaxMs: null,
    firstError: null,
  };
}

function fanout(runs: readonly TierRun[]): FanoutResults {
  return {
    date: '2026-11-22',
    machine: 'test',
    cores: 2,
    loadAverage: 1,
    command: 'npm run bench:fanout',
    eventIntervalMs: 100,
    producer: 'one fragment every 100 ms',
    clientsPerProcess: 2_500,
    client: 'lean',
    connectConcurrency: 100,
    connectDeadlineMs: 60_000,
    warmupMs: 10_000,
    windowMs: 20_000,
    drainMs: 2_000,
    runs,
    targets: { cpuRatio: 0.5, p99Ms: 250, p99AtSubscribers: 5_000, upstreamMax: 1 },
  };
}

describe('fanout-report formatTargetLine', () => {
  it('prints the value measured for each target when every target is met', () => {
    const line = formatTargetLine(
      fanout([tierRun(1_000, 'gateway', 18, 30, true), tierRun(1_000, 'baseline', 90, 150, true), tierRun(5_000, 'gateway', 16, 225, true), tierRun(5_000, 'baseline', 80, 5_000, false)]),
    );
    expect(line).toBe(
      'Targets: **met**: CPU per delivery ours / baseline <= 0.5 wherever the baseline sustains the rate: 0.20 at 1,000; ' +
        'p99 < 250 ms at 5,000 subscribers with every event delivered: 225 ms; at most 1 upstream connection: 1.',
    );
  });

  it('prints the misses when the 5,000-subscriber p99 is over its target', () => {
    const line = formatTargetLine(fanout([tierRun(1_000, 'gateway', 18, 30, true), tierRun(1_000, 'baseline', 90, 150, true), tierRun(5_000, 'gateway', 16, 260, true)]));
    expect(line).toBe('Targets: **missed**: 5,000 subscribers: p99 latency 260 ms (target < 250 ms).');
  });
});

describe('security-report formatPairsLine', () => {
  function round(server: SecurityRound['server'], requests: number, cpuUs: number): SecurityRound {
    return { server, windowMs: 2_000, requests, gatewayUserUs: cpuUs * requests, gatewaySystemUs: 0, emulatorCpuUs: 0, clientCpuUs: 0, otherCpuUs: 100_000, p50Ms: 1, p99Ms: 2 };
  }

  it('counts the pairs at or beyond the target and names the other load when two of four pairs cost 20% more', () => {
    const runs = [
      [100, 100],
      [120, 100],
      [120, 100],
      [100, 100],
    ].flatMap(([secured, open]) => [round('secured', 800, secured as number), round('open', 800, open as number)]);
    const results = { runs, targetOverhead: 0.1 } as unknown as SecurityBenchResults;
    expect(formatPairsLine(results)).toBe(
      'Pairs against the target: CPU per request, single pairs +0.0% to +20.0%, 2 of 4 at or above 10.0%; req/s, 0 of 4 pairs lost 10.0% or more; ' +
        'an interval reaches across the target. Other processes used up to 5.0% of a core during the windows (median 5.0%).',
    );
  });
});
