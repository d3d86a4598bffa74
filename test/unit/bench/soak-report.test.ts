import { describe, expect, it } from 'vitest';
import type { ClientsSummary } from '../../../bench/support/client-reports.js';
import { formatSoakSection, rssChangePercent, rssGrowthPercentPerHour, soakMissed, type SoakResults, type SoakSample } from '../../../bench/support/soak-report.js';

const MiB = 1_048_576;

/** Samples every minute for an hour, RSS from `rss(minute)` MiB. */
function hour(rss: (minute: number) => number): SoakSample[] {
  return Array.from({ length: 61 }, (_, minute) => ({ atMs: minute * 60_000, rssBytes: rss(minute) * MiB, cpuMs: minute * 1_000 }));
}

function clients(overrides: Partial<ClientsSummary> = {}): ClientsSummary {
  return { deliveries: 18_000_000, latency: { p50: 10, p99: 40, max: 90 }, clientsWithEveryFragment: 10_000, fewestFragments: 1_800, gaps: 0, errors: 0, closed: 0, duplicates: 0, outOfOrder: 0, ...overrides };
}

function results(samples: readonly SoakSample[], summary: ClientsSummary = clients()): SoakResults {
  return {
    date: '2026-12-06',
    machine: 'test',
    revision: 'abc1234',
    command: 'npm run bench:soak',
    subscribers: 10_000,
    connected: 10_000,
    fragmentMs: 2_000,
    warmupMs: 180_000,
    sampleMs: 60_000,
    samples,
    sourceFragments: 1_800,
    clients: summary,
    getMediaCalls: 0,
    maxOpenGetMedia: 1,
    targetPercentPerHour: 5,
  };
}

describe('rssGrowthPercentPerHour', () => {
  it('gives the slope in % of the first sample per hour when RSS grows steadily', () => {
    // 200 MiB growing 2 MiB over the hour: 1 %/h.
    expect(rssGrowthPercentPerHour(hour((minute) => 200 + minute / 30))).toBeCloseTo(1, 6);
  });

  it('barely moves for one high sample where the difference of the ends would jump when a collection is late', () => {
    const samples = hour((minute) => (minute === 60 ? 230 : 200));
    expect(rssChangePercent(samples)).toBeCloseTo(15, 6);
    expect(rssGrowthPercentPerHour(samples)).toBeLessThan(1.5);
  });

  it('throws when fewer than two samples span no time', () => {
    expect(() => rssGrowthPercentPerHour([{ atMs: 0, rssBytes: MiB, cpuMs: 0 }])).toThrow(RangeError);
  });
});

describe('soakMissed', () => {
  it('meets R2 when RSS is flat and every subscriber got every fragment', () => {
    expect(soakMissed(results(hour(() => 200)))).toEqual([]);
    expect(formatSoakSection(results(hour(() => 200)))).toContain('every subscriber stable: met.');
  });

  it('names each failure when RSS grows and subscribers close or miss fragments', () => {
    const missed = soakMissed(results(hour((minute) => 200 + minute / 2), clients({ clientsWithEveryFragment: 9_990, fewestFragments: 1_700, closed: 10 })));
    expect(missed).toEqual([
      'RSS growth 15.00 %/h, target < 5 %/h',
      '10 subscribers missed fragments (fewest 1700 of 1800)',
      'closed 10, errors 0, duplicates 0, out of order 0, gaps 0',
    ]);
  });
});
