/**
 * The Kinesis emulator's own HTTP endpoints (`/_emulator/stats`, `/fragments`, `/sessions`; see
 * src/emulators/kinesis/PROTOCOL.md), read by benchmarks that run the emulator as `media-graph emulate` in a process
 * of its own.
 */
import type { EmulatorStats, FragmentListing, OpenSessionListing } from '../../src/emulators/kinesis/kinesis.emulator.js';

async function getJson<T>(endpoint: string, path: string): Promise<T> {
  const response = await fetch(new URL(path, endpoint), { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${path} answered ${response.status}: ${await response.text()}`);
  return (await response.json()) as T;
}

/** The lifetime GetMedia counters of `stream` (zeros when the emulator has never seen a call for it). */
export async function getMediaStats(endpoint: string, stream: string): Promise<{ readonly openGetMedia: number; readonly maxOpenGetMedia: number; readonly getMediaCalls: number }> {
  const stats = await getJson<EmulatorStats>(endpoint, '/_emulator/stats');
  return stats.streams[stream] ?? { openGetMedia: 0, maxOpenGetMedia: 0, getMediaCalls: 0 };
}

/** The retained fragments of `stream`, oldest first. */
export function fragmentList(endpoint: string, stream: string): Promise<FragmentListing> {
  return getJson<FragmentListing>(endpoint, `/_emulator/fragments?stream=${encodeURIComponent(stream)}`);
}

/** The open GetMedia sessions with their callers' ports. */
export function openSessions(endpoint: string): Promise<OpenSessionListing> {
  return getJson<OpenSessionListing>(endpoint, '/_emulator/sessions');
}
