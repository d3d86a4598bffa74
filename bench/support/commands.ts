import type { UsageSample } from './ipc.js';
import type { RssWindow } from './rss-sampler.js';

/** Ready info of the emulator process. */
export interface EmulatorReady {
  /** The emulator's data endpoint, e.g. `http://127.0.0.1:43210`. */
  readonly endpoint: string;
}

/** Ready info of the gateway process. */
export interface GatewayReady {
  /** The gateway's base URL, e.g. `http://127.0.0.1:43211`. */
  readonly url: string;
}

type NoArgs = Record<string, never>;

/** A process's memory split the way `process.memoryUsage()` reports it, bytes. */
export interface MemorySample {
  readonly rssBytes: number;
  readonly heapUsedBytes: number;
  /** Memory of ArrayBuffers and Buffers (socket read buffers and body chunks live here). */
  readonly arrayBuffersBytes: number;
}

// The command maps are type aliases, not interfaces: only aliases are assignable to the indexed `CommandMap`
// without an index signature (which would let any command name through).

/** Commands of `emulator.child.ts`. */
export type EmulatorCommands = {
  /** This process's CPU and RSS. */
  usage: { args: NoArgs; result: UsageSample };
  /** Stores `count` small objects in `folder` (see `payload.ts`); returns the container's object count. */
  seedListing: { args: { readonly folder: string; readonly count: number }; result: { readonly objectCount: number } };
  /** Stores `payloadBytes(size, seed)` at `path`. */
  putPayload: { args: { readonly path: string; readonly size: number; readonly seed: number }; result: { readonly stored: number } };
  /** Requests of one operation received so far. */
  countRequests: { args: { readonly operation: 'ListItems' | 'GetObject' | 'DescribeObject' }; result: { readonly count: number } };
};

/** Commands of `gateway.child.ts`. */
export type GatewayCommands = {
  /** This process's CPU and RSS. */
  usage: { args: NoArgs; result: UsageSample };
  /** This process's memory split. */
  memory: { args: NoArgs; result: MemorySample };
  /** Runs a full garbage collection (twice, so weakly held and finalised memory goes too); memory afterwards. */
  gc: { args: NoArgs; result: MemorySample };
  /** Opens a peak-RSS window (baseline now, kernel peak reset, 5 ms sampling). */
  openRssWindow: { args: NoArgs; result: { readonly baselineBytes: number } };
  /** Closes the window and reports its peaks, plus the memory split at that moment (before any GC). */
  closeRssWindow: { args: NoArgs; result: { readonly window: RssWindow; readonly memory: MemorySample } };
};
