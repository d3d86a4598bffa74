/**
 * IPC command maps and messages of the live fan-out benchmark (`bench/fanout.bench.ts`): the Kinesis emulator
 * process, the server process (our gateway or the stock baseline) and the load-client processes.
 */

type NoArgs = Record<string, never>;

/** A half-open wall-clock interval `[fromMs, toMs)`, epoch milliseconds. */
export interface WallWindow {
  readonly fromMs: number;
  readonly toMs: number;
}

/** Events the source (emulator producer or baseline timer) stamped inside a {@link WallWindow}. */
export interface SourceEvents {
  readonly count: number;
}

/** Ready info of `kinesis-emulator.child.ts`. */
export interface KinesisEmulatorReady {
  /** Control-plane and data endpoint, e.g. `http://127.0.0.1:43210`. */
  readonly endpoint: string;
  /** The stream the producer feeds. */
  readonly stream: string;
}

// Command maps are type aliases, not interfaces: only aliases are assignable to the indexed `CommandMap`.

// CPU and RSS of every process are read from /proc by the benchmark (see `proc-usage.ts`), not asked for.

/** Commands of `kinesis-emulator.child.ts`. */
export type KinesisEmulatorCommands = {
  /** Open GetMedia connections on the stream now, and GetMedia calls on it since the emulator started. */
  getMedia: { args: NoArgs; result: { readonly active: number; readonly calls: number } };
  /** Fragments whose server timestamp falls in the window. */
  sourceEvents: { args: WallWindow; result: SourceEvents };
};

/** Which server a `fanout-server.child.ts` process runs. */
export type FanoutServerKind = 'gateway' | 'baseline';

/** When the baseline's events are due: at `firstDueAtMs + k * intervalMs` for k = 0, 1, 2, ... */
export interface EventSchedule {
  readonly firstDueAtMs: number;
  readonly intervalMs: number;
}

/** Ready info of `fanout-server.child.ts`. */
export interface FanoutServerReady {
  readonly kind: FanoutServerKind;
  /** graphql-ws URL, e.g. `ws://127.0.0.1:43211/graphql`. */
  readonly wsUrl: string;
  /**
   * Baseline: its event schedule, from which the benchmark counts the events due in a window without asking a
   * server that may be too busy to answer. Gateway: null (the emulator counts its fragments).
   */
  readonly schedule: EventSchedule | null;
}

/** What the server holds right now. */
export interface FanoutServerStats {
  /**
   * Gateway: subscribers of the fragment hub for the stream (one per shared execution group, so 1 when every
   * client shares one execution). Baseline: live per-subscriber event iterators (one per client).
   */
  readonly sourceSubscribers: number;
  /** Gateway: GetMedia sessions the hub holds for the stream; baseline: null (it has no upstream). */
  readonly upstreamSessions: number | null;
}

/** Event-loop delay percentiles, ms. */
export interface LoopDelay {
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** Commands of `fanout-server.child.ts`. */
export type FanoutServerCommands = {
  stats: { args: NoArgs; result: FanoutServerStats };
  /**
   * Event-loop delay since the last reset (`perf_hooks.monitorEventLoopDelay`, 10 ms resolution), then a reset
   * when asked: how long timers, new connections and reads waited behind other work.
   */
  loopDelay: { args: { readonly reset: boolean }; result: LoopDelay };
  /** Starts V8's sampling CPU profiler in the server process (for investigations; it costs CPU). */
  startProfile: { args: NoArgs; result: { readonly started: true } };
  /** Stops the profiler and writes the profile (`.cpuprofile`, Chrome DevTools format) to `path`. */
  stopProfile: { args: { readonly path: string }; result: { readonly bytes: number } };
};

/** Arguments of the client process's `connect` command. */
export interface ConnectArgs {
  /** graphql-ws URL. */
  readonly url: string;
  /** Clients (one socket and one subscription each) to open. */
  readonly count: number;
  /** Index of this process's first client across all client processes (for log lines only). */
  readonly firstIndex: number;
  /** Sockets being opened at once; the rest wait, so the server's accept queue never overflows. */
  readonly concurrency: number;
  /** `connect` answers after this long even if some clients are still neither acknowledged nor failed. */
  readonly deadlineMs: number;
  readonly query: string;
  readonly operationName: string;
  /** `connection_init` payload (the gateway's clients send their bearer token here). */
  readonly connectionParams: Readonly<Record<string, string>>;
  readonly variables: Record<string, unknown>;
  /** Which client implementation speaks graphql-transport-ws (see {@link FanoutClientKind}). */
  readonly client: FanoutClientKind;
}

/**
 * The load clients' implementation of the graphql-transport-ws protocol. `graphql-ws`: the package's
 * `createClient` over `GraphqlWsLeanSocket` (JSON-parses and validates every message). `lean`: the same protocol
 * spoken over `LeanWebSocket` (`lean-websocket.ts`), reading the few fields it records out of each `next` message
 * without parsing it whole, so that the clients' CPU (which shares the machine with the server) stays small at
 * high delivery rates.
 */
export type FanoutClientKind = 'graphql-ws' | 'lean';

/** Result of `connect`. */
export interface ConnectResult {
  /** Clients whose connection was acknowledged. */
  readonly connected: number;
  /** Clients that closed or failed before the acknowledgement. */
  readonly failed: number;
  /** Clients still waiting for the acknowledgement (or not yet started) at the deadline. */
  readonly pending: number;
  readonly elapsedMs: number;
  /** Why the first client that failed to connect failed, or null. */
  readonly firstFailure: string | null;
}

/** Counters of one client process. */
export interface ClientStatus {
  readonly clients: number;
  readonly connected: number;
  /** Clients that have received at least one fragment event. */
  readonly active: number;
  /** Fragment events received so far. */
  readonly fragments: number;
  readonly gaps: number;
  readonly statuses: number;
  /** Error results, subscription errors and non-lazy connection errors. */
  readonly errors: number;
  /** Sockets or subscriptions that ended while the benchmark still wanted them. */
  readonly closed: number;
  /** First error text seen, for the log. */
  readonly firstError: string | null;
}

/** What one client process saw in a measurement window. */
export interface ClientWindowReport {
  /** Fragment events received (by receive time) inside the window. */
  readonly deliveries: number;
  /** Their latencies (receive time minus the event's timestamp), whole ms, as `[latencyMs, count]` pairs. */
  readonly latencyHistogram: readonly (readonly [number, number])[];
  /**
   * Per client: fragment events stamped inside the window that it received (whenever), as
   * `[eventsReceived, clients]` pairs. Every client should have received every event the source stamped.
   */
  readonly stampedPerClient: readonly (readonly [number, number])[];
  /** Events received again (same fragment number) or before one already received. */
  readonly duplicates: number;
  readonly outOfOrder: number;
  readonly gaps: number;
  readonly errors: number;
  readonly closed: number;
  /** Length of the first fragment message's `payload` as JSON text (to compare the two servers' payloads). */
  readonly payloadChars: number | null;
}

/** How events stamped at or after a moment reached one client process (the fleet benchmark's failover probe). */
export interface Arrivals {
  /** Earliest receive time (epoch ms) of a fragment event stamped at or after the moment; null when none arrived yet. */
  readonly firstReceivedMs: number | null;
  /** Clients (those not given up) that have received at least one such event. */
  readonly clientsReached: number;
  /** Clients not given up. */
  readonly clients: number;
}

/** Commands of `fanout-client.child.ts`. */
export type FanoutClientCommands = {
  connect: { args: ConnectArgs; result: ConnectResult };
  status: { args: NoArgs; result: ClientStatus };
  report: { args: WallWindow; result: ClientWindowReport };
  /** When fragment events stamped at or after `stampedFromMs` (epoch ms) started to arrive, and at how many clients. */
  arrivals: { args: { readonly stampedFromMs: number }; result: Arrivals };
  /** Completes every subscription and closes every socket. */
  disconnect: { args: NoArgs; result: { readonly closed: number } };
};
