import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * The process's Prometheus metric families, in one registry at the bottom layer so every layer (datasources, the
 * live hub, auth, server) records without importing upward. Families are created once at module load; recording
 * is cheap enough for hot paths when callers keep the labelled child (`family.labels(...)`) instead of passing a
 * label object per event.
 *
 * Cardinality: every label is from a closed set except the two a client or an operator could grow without bound,
 * the GraphQL operation name ({@link operationLabel}) and the stream name ({@link streamLabel}); both map anything
 * outside their configured sets to {@link OTHER_LABEL}.
 */

/** The label value standing for every name outside a bounded set. */
export const OTHER_LABEL = 'other';

/** The one registry `/metrics` exposes. Lifetime: the process. */
export const metricsRegistry = new Registry();

/** Upstream latency buckets, in seconds: a cached metadata read to a deadline-long call. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Live lag buckets, in seconds: a healthy stream is a fragment (1-2 s) behind; minutes mean catching up. */
const LAG_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300];

const registers = [metricsRegistry];

/** GraphQL operations (query, mutation) by type, bounded operation name and outcome; the histogram's count is the rate. */
export const graphqlOperationDuration = new Histogram({
  name: 'media_graph_graphql_operation_duration_seconds',
  help: 'GraphQL queries and mutations, from the request to the response, by type, operation name (known names, else other) and outcome (ok, error).',
  labelNames: ['type', 'operation', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

/** GraphQL subscriptions started, by bounded operation name and transport. */
export const graphqlSubscriptionsStarted = new Counter({
  name: 'media_graph_graphql_subscriptions_started_total',
  help: 'GraphQL subscriptions started, by operation name (known names, else other) and transport (ws, sse).',
  labelNames: ['operation', 'transport'] as const,
  registers,
});

/** GraphQL subscriptions running now, by transport. */
export const graphqlSubscriptionsActive = new Gauge({
  name: 'media_graph_graphql_subscriptions_active',
  help: 'GraphQL subscriptions running now, by transport (ws, sse).',
  labelNames: ['transport'] as const,
  registers,
});

/** Errors clients received, by `extensions.code`. */
export const graphqlErrors = new Counter({
  name: 'media_graph_graphql_errors_total',
  help: 'Errors sent to clients, by extensions.code.',
  labelNames: ['code'] as const,
  registers,
});

/** HTTP requests answered, by bounded route and status class. */
export const httpRequests = new Counter({
  name: 'media_graph_http_requests_total',
  help: 'HTTP requests answered, by route (graphql, sse, objects, health, metrics, ide, other) and status class (2xx..5xx).',
  labelNames: ['route', 'status'] as const,
  registers,
});

/** Every upstream call (one SDK operation, SDK retries included), by provider, operation and outcome. */
export const upstreamDuration = new Histogram({
  name: 'media_graph_upstream_request_duration_seconds',
  help: 'Upstream calls (one SDK operation including its retries), by provider, operation and outcome (ok, client_error, throttled, server_error, network, timeout, aborted, breaker_open).',
  labelNames: ['provider', 'operation', 'outcome'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});

/** SDK retries (attempts beyond the first) of upstream calls. */
export const upstreamRetries = new Counter({
  name: 'media_graph_upstream_retries_total',
  help: 'Attempts beyond the first that the provider SDKs made, by provider and operation.',
  labelNames: ['provider', 'operation'] as const,
  registers,
});

/** Upstream calls the provider throttled (after SDK retries). */
export const upstreamThrottles = new Counter({
  name: 'media_graph_upstream_throttles_total',
  help: 'Upstream calls that ended throttled by the provider, by provider and operation.',
  labelNames: ['provider', 'operation'] as const,
  registers,
});

/** Upstream calls our deadline cut off. */
export const upstreamTimeouts = new Counter({
  name: 'media_graph_upstream_timeouts_total',
  help: 'Upstream calls cut off by the gateway deadline (UPSTREAM_TIMEOUT_MS), by provider and operation.',
  labelNames: ['provider', 'operation'] as const,
  registers,
});

/** Circuit breaker state per provider endpoint: 0 closed, 1 half-open, 2 open. */
export const breakerState = new Gauge({
  name: 'media_graph_circuit_breaker_state',
  help: 'Circuit breaker state per provider endpoint: 0 closed, 1 half-open (probing), 2 open (failing fast).',
  labelNames: ['provider', 'endpoint'] as const,
  registers,
});

/** Live streams with a feed on this instance. */
export const liveStreamsWatched = new Gauge({
  name: 'media_graph_live_streams_watched',
  help: 'Kinesis streams with live subscribers (or lingering) on this instance.',
  registers,
});

/** Live subscribers, by bounded stream label. */
export const liveSubscribers = new Gauge({
  name: 'media_graph_live_subscribers',
  help: 'Live fragment subscribers on this instance, by stream (METRICS_STREAM_LABELS, else other).',
  labelNames: ['stream'] as const,
  registers,
});

/** Upstream GetMedia sessions open, by kind. */
export const liveGetMediaSessions = new Gauge({
  name: 'media_graph_live_getmedia_sessions',
  help: 'GetMedia sessions (live and catch-up readers) this instance holds open.',
  registers,
});

/** Fragments received from upstream (per fragment, not per subscriber). */
export const liveFragmentsReceived = new Counter({
  name: 'media_graph_live_fragments_received_total',
  help: 'Fragments the live readers received, by stream (METRICS_STREAM_LABELS, else other).',
  labelNames: ['stream'] as const,
  registers,
});

/** Fragment deliveries to subscribers (one per fragment and subscriber, counted once per fragment). */
export const liveFragmentsDelivered = new Counter({
  name: 'media_graph_live_fragments_delivered_total',
  help: 'Fragments handed to subscribers (one per fragment and subscriber), by stream (METRICS_STREAM_LABELS, else other).',
  labelNames: ['stream'] as const,
  registers,
});

/** Gap events, by reason. */
export const liveGaps = new Counter({
  name: 'media_graph_live_gaps_total',
  help: 'Gap events published to subscribers, by reason (the GapEvent reason, e.g. RETENTION, SLOW_CONSUMER, UPSTREAM_RESET).',
  labelNames: ['reason'] as const,
  registers,
});

/** Fragments dropped for subscribers that did not keep up. */
export const liveSlowConsumerDrops = new Counter({
  name: 'media_graph_live_slow_consumer_drops_total',
  help: 'Fragments a subscriber with a full buffer did not get, by LIVE_OVERFLOW policy (gap: reported in a SLOW_CONSUMER gap; close: the subscription ended).',
  labelNames: ['policy'] as const,
  registers,
});

/** How far behind the live edge the reader is, per fragment received. */
export const liveBehindNow = new Histogram({
  name: 'media_graph_live_behind_now_seconds',
  help: 'Kinesis MillisBehindNow of each fragment received by a live reader, in seconds.',
  buckets: LAG_BUCKETS,
  registers,
});

/** Fragment server timestamp to the moment it was handed to subscribers, per fragment. */
export const liveDeliveryLatency = new Histogram({
  name: 'media_graph_live_delivery_latency_seconds',
  help: 'From a fragment server timestamp (Kinesis) to its hand-over to subscribers, per fragment, in seconds.',
  buckets: LAG_BUCKETS,
  registers,
});

/** Fleet mode: reader leases this instance holds. */
export const fleetLeasesHeld = new Gauge({
  name: 'media_graph_fleet_leases_held',
  help: 'Fleet mode: live reader leases this instance holds.',
  registers,
});

/** Fleet mode: leases taken. */
export const fleetLeaseAcquisitions = new Counter({
  name: 'media_graph_fleet_lease_acquisitions_total',
  help: 'Fleet mode: reader leases this instance acquired.',
  registers,
});

/** Fleet mode: leases taken over from another holder, by `cause`: `handover` (given up on purpose) or `expired`. */
export const fleetFailovers = new Counter({
  name: 'media_graph_fleet_failovers_total',
  help: 'Fleet mode: reader terms this instance started after another instance held the stream, by cause (handover: given up on purpose; expired: the holder stopped renewing, a real failover).',
  labelNames: ['cause'] as const,
  registers,
});

/** Fleet mode: appends the fencing check refused. */
export const fleetFencedAppends = new Counter({
  name: 'media_graph_fleet_fenced_appends_refused_total',
  help: 'Fleet mode: log appends refused because this instance no longer held the lease (fencing token).',
  registers,
});

/** Fleet mode: failed Redis calls, by the fleet `operation` they served. */
export const fleetRedisErrors = new Counter({
  name: 'media_graph_fleet_redis_errors_total',
  help: 'Fleet mode: Redis calls that failed or timed out, by operation (tick, release, append, tail, announce, budgets).',
  labelNames: ['operation'] as const,
  registers,
});

/** Bytes relayed by the byte endpoints. */
export const objectBytesRelayed = new Counter({
  name: 'media_graph_object_bytes_relayed_total',
  help: 'Object bytes relayed by the gateway byte endpoints, by direction (download, upload).',
  labelNames: ['direction'] as const,
  registers,
});

/** Requests refused by authentication or authorization. */
export const authRefusals = new Counter({
  name: 'media_graph_auth_refusals_total',
  help: 'Requests refused by authentication or authorization, by reason (unauthenticated, forbidden).',
  labelNames: ['reason'] as const,
  registers,
});

/** Requests refused by the rate limiter. */
export const rateLimited = new Counter({
  name: 'media_graph_rate_limited_requests_total',
  help: 'Requests refused by the per-principal rate limiter (RATE_LIMITED).',
  registers,
});

let knownOperations: ReadonlySet<string> = new Set();
let labelledStreams: ReadonlySet<string> = new Set();
let defaultsStarted = false;

/**
 * Sets the operation names that keep their own label (the persisted operations); every other name counts as
 * {@link OTHER_LABEL}. Called once at startup.
 */
export function setKnownOperations(names: Iterable<string>): void {
  knownOperations = new Set(names);
}

/** Sets the streams that keep their own label (`METRICS_STREAM_LABELS`); called once at startup. */
export function setLabelledStreams(names: Iterable<string>): void {
  labelledStreams = new Set(names);
}

/** The bounded label of a GraphQL operation name: the name when known, `anonymous` when absent, else `other`. */
export function operationLabel(name: string | null | undefined): string {
  if (name === null || name === undefined || name === '') return 'anonymous';
  return knownOperations.has(name) ? name : OTHER_LABEL;
}

/** The bounded label of a stream name: the name when configured in `METRICS_STREAM_LABELS`, else `other`. */
export function streamLabel(name: string): string {
  return labelledStreams.has(name) ? name : OTHER_LABEL;
}

/**
 * Starts the Node process and event-loop metrics (`process_*`, `nodejs_*`) on {@link metricsRegistry}. Idempotent:
 * gateways started in one process (tests) share the collectors.
 */
export function startProcessMetrics(): void {
  if (defaultsStarted) return;
  defaultsStarted = true;
  collectDefaultMetrics({ register: metricsRegistry });
}
