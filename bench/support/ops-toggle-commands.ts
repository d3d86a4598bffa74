import type { UsageSample } from './ipc.js';

/**
 * The IPC vocabulary of `ops-tracing-toggle.child.ts` (driven by `ops-tracing-toggle.ts`). Command maps are type
 * aliases, not interfaces, for the reason `commands.ts` gives.
 */

type NoArgs = Record<string, never>;

/** Ready info of `ops-tracing-toggle.child.ts`. */
export interface TracingToggleReady {
  /** The gateway's base URL, e.g. `http://127.0.0.1:43211`. */
  readonly url: string;
  /** Whether the SDK registered an OpenTelemetry context manager (one the `mode` command can switch off). */
  readonly contextManager: boolean;
}

/** A tracing configuration of `ops-tracing-toggle.child.ts`. */
export interface TracingMode {
  /** Which spans are recorded: none (no tracer handed to the span sites), all, or only those of one kind. */
  readonly spans: 'none' | 'all' | 'server' | 'internal' | 'client';
  /** The SDK's context manager registered (when it registered one) or not. */
  readonly contextManager: boolean;
}

/** Commands of `ops-tracing-toggle.child.ts`. */
export type TracingToggleCommands = {
  usage: { args: NoArgs; result: UsageSample };
  /** Main-thread GC pause time since the process started, ms, by V8's GC kind number (1 scavenge, 4 mark-compact, ...). */
  gc: { args: NoArgs; result: Record<string, number> };
  /** Switches to a mode; answers the mode now in force. */
  mode: { args: TracingMode; result: TracingMode };
};
