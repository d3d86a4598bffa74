import type { ClientWindowReport } from './fanout-commands.js';
import { histogramCount, histogramPercentile, histogramRange, mergeHistograms } from './histogram.js';

/** What the load clients of one window saw, added up over their processes. */
export interface ClientsSummary {
  readonly deliveries: number;
  /** Receive time minus the fragment's server timestamp, ms; null without deliveries. */
  readonly latency: { readonly p50: number; readonly p99: number; readonly max: number } | null;
  /** Clients that received every fragment the source stamped in the window. */
  readonly clientsWithEveryFragment: number;
  /** Fewest of the window's fragments any client received. */
  readonly fewestFragments: number;
  readonly gaps: number;
  readonly errors: number;
  readonly closed: number;
  readonly duplicates: number;
  readonly outOfOrder: number;
}

/**
 * Adds up the window reports of every client process, against the `sourceFragments` the source stamped in the
 * window and the `connected` clients (a mismatch in the clients' own count is printed, not thrown).
 */
export function summariseReports(reports: readonly ClientWindowReport[], sourceFragments: number, connected: number): ClientsSummary {
  const latency = mergeHistograms(reports.map((report) => report.latencyHistogram));
  const perClient = mergeHistograms(reports.map((report) => report.stampedPerClient));
  if (histogramCount(perClient) !== connected) console.error(`clients reported ${histogramCount(perClient)} subscribers, expected ${connected}`);
  const sum = (pick: (report: ClientWindowReport) => number): number => reports.reduce((total, report) => total + pick(report), 0);
  const deliveries = sum((report) => report.deliveries);
  return {
    deliveries,
    latency: deliveries === 0 ? null : { p50: histogramPercentile(latency, 50), p99: histogramPercentile(latency, 99), max: histogramRange(latency).max },
    clientsWithEveryFragment: perClient.filter(([count]) => count >= sourceFragments).reduce((total, [, clients]) => total + clients, 0),
    fewestFragments: perClient[0]?.[0] ?? 0,
    gaps: sum((report) => report.gaps),
    errors: sum((report) => report.errors),
    closed: sum((report) => report.closed),
    duplicates: sum((report) => report.duplicates),
    outOfOrder: sum((report) => report.outOfOrder),
  };
}
