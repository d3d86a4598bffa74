import type { SpanNames } from './ops-otlp.js';

/**
 * The IPC vocabulary and environment of `bench:ops`'s own children (`ops-server.child.ts`,
 * `ops-otlp-receiver.child.ts`). Command maps are type aliases, not interfaces, for the reason `commands.ts` gives.
 */

type NoArgs = Record<string, never>;

/** Environment variable of `ops-server.child.ts`: which server entry it runs (one of {@link OPS_SERVER_ENTRIES}). */
export const OPS_ENTRY_VARIABLE = 'OPS_BENCH_ENTRY';

/** Environment variable of `ops-server.child.ts`: `off` switches metric recording off before the server loads, `on` leaves it. */
export const OPS_RECORDING_VARIABLE = 'OPS_BENCH_METRIC_RECORDING';

/**
 * The server entries `ops-server.child.ts` can run: the request part's gateway (`security-gateway.child.ts`, whose
 * ready info is `SecurityGatewayReady`) and the fan-out part's (`fanout-server.child.ts` with
 * `FANOUT_SERVER=gateway`, ready info `FanoutServerReady`).
 */
export const OPS_SERVER_ENTRIES = ['security-gateway', 'fanout-server'] as const;

/** One of {@link OPS_SERVER_ENTRIES}. */
export type OpsServerEntry = (typeof OPS_SERVER_ENTRIES)[number];

/** Ready info of `ops-otlp-receiver.child.ts`. */
export interface OtlpReceiverReady {
  /** Base URL for `OTEL_EXPORTER_OTLP_ENDPOINT`, e.g. `http://127.0.0.1:43213` (exports go to `/v1/traces`). */
  readonly endpoint: string;
}

/** What the receiver has taken so far. */
export interface OtlpReceived {
  /** Export requests answered 200. */
  readonly exports: number;
  /** Spans in them, by name. */
  readonly spans: SpanNames;
  /** Body bytes as sent (before decompression). */
  readonly bytes: number;
  /** Requests refused (wrong path or method, or a body that is no export); the first one described, else null. */
  readonly refused: number;
  readonly firstRefusal: string | null;
}

/** Commands of `ops-otlp-receiver.child.ts`. */
export type OtlpReceiverCommands = {
  received: { args: NoArgs; result: OtlpReceived };
};
