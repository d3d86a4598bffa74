import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import type { CircuitBreakerPolicy} from 'cockatiel';
import { BrokenCircuitError, CircuitState, ConsecutiveBreaker, SamplingBreaker, circuitBreaker, handleWhen, type IBreaker } from 'cockatiel';
import { deadlineExpired } from '../core/deadline.js';
import { DomainError, isDomainError } from '../core/domain-error.js';
import type { Logger } from '../core/logger.js';
import { breakerState, upstreamDuration, upstreamRetries, upstreamThrottles, upstreamTimeouts } from '../core/metrics.js';
import { currentRequestScope } from '../core/request-scope.js';
import { activeTracer, spanParent, TRACE_ATTRIBUTES } from '../core/tracing.js';
import { NETWORK_ERROR_CODES, isAbortError } from './provider-errors.js';

/**
 * The one place every upstream call passes: metrics (provider, operation, outcome, duration, retries, throttles,
 * timeouts), the request's upstream call count for the access log, a client span when traces are on, and the
 * circuit breaker of the provider endpoint. The wiring attaches an {@link UpstreamEndpoint} to each SDK client (AWS SDK middleware, or a proxy over
 * the gRPC and OCI clients), so no datasource has to remember to.
 */

/** How a call reaches its provider: an AWS SDK v3 client, a gRPC client (gax), or HTTP (OCI SDK, REST). */
export type UpstreamProtocol = 'aws-sdk' | 'grpc' | 'http';

/** How a call ended, from the SDK's raw error (before the provider error tables translate it). */
export type UpstreamOutcome = 'ok' | 'client_error' | 'throttled' | 'server_error' | 'network' | 'timeout' | 'aborted' | 'breaker_open';

/** Circuit breaker settings (the `UPSTREAM_BREAKER_*` variables). */
export interface BreakerSettings {
  /** Consecutive failures that open the breaker; 0 turns breakers off. */
  readonly consecutiveFailures: number;
  /** Share of failed calls over {@link BreakerSettings.windowMs} that opens the breaker, 0-1. */
  readonly failureRate: number;
  /** Window of the failure rate, in ms. */
  readonly windowMs: number;
  /** How long an open breaker fails fast before it lets one probe through, in ms. */
  readonly halfOpenAfterMs: number;
}

/** Defaults of the `UPSTREAM_BREAKER_*` variables. */
export const DEFAULT_BREAKER_SETTINGS: BreakerSettings = { consecutiveFailures: 5, failureRate: 0.5, windowMs: 30_000, halfOpenAfterMs: 10_000 };

/**
 * The failure rate is judged only above this rate of calls, so two failures out of three quiet calls do not open a
 * breaker that the consecutive count would not.
 */
const MIN_CALLS_PER_SECOND_FOR_RATE = 1;

/** Outcomes that say the endpoint itself is failing; a refusal, a throttle or our caller's cancellation are not. */
const BREAKER_FAILURES: ReadonlySet<UpstreamOutcome> = new Set(['server_error', 'network', 'timeout']);

/** Breaker states as the gauge and `/readyz` show them. */
export type BreakerStateName = 'closed' | 'half-open' | 'open';

/** Opens when either of two cockatiel breakers would: consecutive failures, or the failure rate over a window. */
class EitherBreaker implements IBreaker {
  constructor(
    private readonly consecutive: IBreaker,
    private readonly sampling: IBreaker,
  ) {}

  get state(): unknown {
    return [this.consecutive.state, this.sampling.state];
  }

  set state(value: unknown) {
    if (Array.isArray(value) && value.length === 2) {
      this.consecutive.state = value[0];
      this.sampling.state = value[1];
    }
  }

  success(state: CircuitState): void {
    this.consecutive.success(state);
    this.sampling.success(state);
  }

  failure(state: CircuitState): boolean {
    // Both see every failure, so each keeps its own count right.
    const byCount = this.consecutive.failure(state);
    const byRate = this.sampling.failure(state);
    return byCount || byRate;
  }
}

/** Marks an error the breaker counts as a failure of the endpoint (it travels through cockatiel's `handleWhen`). */
class CountedFailure extends Error {
  constructor(readonly original: unknown) {
    super('upstream failure');
  }
}

/**
 * One provider endpoint (an SDK client's target): its metrics labels and its circuit breaker. Lifetime: the wired
 * provider's. Breaker state changes are logged once each (`warn` on open, `info` on recovery), never per call.
 */
export class UpstreamEndpoint {
  private readonly breaker: CircuitBreakerPolicy | undefined;
  private readonly stateGauge;
  private openedAt = 0;

  /**
   * @param provider `kinesis`, `s3`, `mediastore`, `livestream`, `oci`.
   * @param endpoint a short, bounded name of the endpoint (`control`, `media`, `grpc`, a host name).
   * @param protocol how calls reach the provider (a span attribute).
   */
  constructor(
    readonly provider: string,
    readonly endpoint: string,
    private readonly settings: BreakerSettings,
    private readonly logger: Logger,
    readonly protocol: UpstreamProtocol = 'http',
  ) {
    this.stateGauge = breakerState.labels(provider, endpoint);
    this.stateGauge.set(0);
    if (settings.consecutiveFailures <= 0) return;
    this.breaker = circuitBreaker(
      handleWhen((error) => error instanceof CountedFailure),
      {
        halfOpenAfter: settings.halfOpenAfterMs,
        breaker: new EitherBreaker(
          new ConsecutiveBreaker(settings.consecutiveFailures),
          new SamplingBreaker({ threshold: settings.failureRate, duration: settings.windowMs, minimumRps: MIN_CALLS_PER_SECOND_FOR_RATE }),
        ),
      },
    );
    this.breaker.onStateChange((state) => this.stateChanged(state));
  }

  /** The breaker's state now (`closed` when breakers are off). */
  get state(): BreakerStateName {
    switch (this.breaker?.state) {
      case CircuitState.Open:
      case CircuitState.Isolated:
        return 'open';
      case CircuitState.HalfOpen:
        return 'half-open';
      default:
        return 'closed';
    }
  }

  /** How long until an open breaker lets a probe through, in ms (0 when it is not open). */
  retryAfterMs(): number {
    if (this.state !== 'open') return 0;
    return Math.max(1, this.openedAt + this.settings.halfOpenAfterMs - Date.now());
  }

  /**
   * Runs one upstream call: through the breaker, recording its metrics and (traces on) its client span, counting it
   * for the current request. The span covers the SDK's retries and a fast failure of an open breaker; it is the
   * active context while `call` runs. `call` may return a promise with a `cancel()` (gax); the returned promise
   * keeps it callable.
   *
   * @param attempts how many attempts the SDK made, read from the result or error (AWS `$metadata.attempts`).
   * @throws DomainError `UPSTREAM_UNAVAILABLE` (retryable, `retryAfterMs`) without calling when the breaker is
   * open; otherwise whatever `call` rejects with, unchanged.
   */
  run<T>(operation: string, call: () => Promise<T>, attempts?: (settled: unknown) => number | undefined): Promise<T> {
    const scope = currentRequestScope();
    if (scope !== undefined) scope.upstreamCalls += 1;
    const span = this.startSpan(operation);
    const started = performance.now();
    let inner: (Promise<T> & { cancel?: () => void }) | undefined;
    const record = (outcome: UpstreamOutcome, settled: unknown): void => {
      upstreamDuration.labels(this.provider, operation, outcome).observe((performance.now() - started) / 1000);
      const tries = attempts?.(settled);
      if (tries !== undefined && tries > 1) upstreamRetries.labels(this.provider, operation).inc(tries - 1);
      if (outcome === 'throttled') upstreamThrottles.labels(this.provider, operation).inc();
      else if (outcome === 'timeout') upstreamTimeouts.labels(this.provider, operation).inc();
      if (span !== undefined) endUpstreamSpan(span, outcome, settled, tries);
    };
    const observed = async (): Promise<T> => {
      try {
        inner = span === undefined ? call() : context.with(trace.setSpan(context.active(), span), call);
        const value = await inner;
        record('ok', value);
        return value;
      } catch (error) {
        const outcome = classifyUpstreamError(error);
        record(outcome, error);
        throw BREAKER_FAILURES.has(outcome) ? new CountedFailure(error) : error;
      }
    };
    const breaker = this.breaker;
    const result: Promise<T> & { cancel?: () => void } = (breaker === undefined ? observed() : breaker.execute(observed)).catch((error: unknown) => {
      if (error instanceof CountedFailure) throw error.original;
      if (error instanceof BrokenCircuitError) {
        upstreamDuration.labels(this.provider, operation, 'breaker_open').observe(0);
        if (span !== undefined) endUpstreamSpan(span, 'breaker_open', undefined, undefined);
        throw this.unavailable();
      }
      throw error;
    });
    result.cancel = () => inner?.cancel?.();
    return result;
  }

  /** The client span of one call, under the current request's trace position; `undefined` with traces off. */
  private startSpan(operation: string): Span | undefined {
    const tracer = activeTracer();
    if (tracer === undefined) return undefined;
    const attributes: Record<string, string> = {
      [TRACE_ATTRIBUTES.upstreamProvider]: this.provider,
      [TRACE_ATTRIBUTES.upstreamEndpoint]: this.endpoint,
      [TRACE_ATTRIBUTES.upstreamOperation]: operation,
      [TRACE_ATTRIBUTES.upstreamProtocol]: this.protocol,
    };
    // The RPC conventions where they fit, so trace backends group these calls as RPCs.
    if (this.protocol !== 'http') {
      attributes['rpc.system'] = this.protocol === 'aws-sdk' ? 'aws-api' : 'grpc';
      attributes['rpc.method'] = operation;
    }
    return tracer.startSpan(`${this.provider} ${operation}`, { kind: SpanKind.CLIENT, attributes }, spanParent());
  }

  private unavailable(): DomainError {
    return new DomainError('UPSTREAM_UNAVAILABLE', 'The upstream service is failing; the gateway stopped calling it for a moment. Try again later.', {
      retryable: true,
      details: { retryAfterMs: this.retryAfterMs() },
    });
  }

  private stateChanged(state: CircuitState): void {
    const where = { provider: this.provider, endpoint: this.endpoint };
    if (state === CircuitState.Open || state === CircuitState.Isolated) {
      this.openedAt = Date.now();
      this.stateGauge.set(2);
      const last = this.breaker?.lastFailure;
      const cause = last !== undefined && 'error' in last ? (last.error instanceof CountedFailure ? last.error.original : last.error) : undefined;
      this.logger.warn({ ...where, err: cause, halfOpenAfterMs: this.settings.halfOpenAfterMs }, 'upstream circuit breaker open: calls fail fast');
    } else if (state === CircuitState.HalfOpen) {
      this.stateGauge.set(1);
      this.logger.info(where, 'upstream circuit breaker half-open: probing');
    } else {
      this.openedAt = 0;
      this.stateGauge.set(0);
      this.logger.info(where, 'upstream circuit breaker closed: upstream recovered');
    }
  }
}

/**
 * Ends an upstream span with its outcome. A failed call's span gets status ERROR and `error.type`: the SDK error's
 * name (`ThrottlingException`, `NoSuchKey`), never its message, which may carry resource names.
 */
function endUpstreamSpan(span: Span, outcome: UpstreamOutcome, settled: unknown, attempts: number | undefined): void {
  span.setAttribute(TRACE_ATTRIBUTES.upstreamOutcome, outcome);
  if (attempts !== undefined) span.setAttribute(TRACE_ATTRIBUTES.upstreamAttempts, attempts);
  if (outcome !== 'ok') {
    const name = settled instanceof Error && settled.name !== 'Error' ? settled.name : outcome;
    span.setAttribute('error.type', name);
    span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
  }
  span.end();
}

/** gRPC status codes (google.rpc.Code) that matter here. */
const GRPC = { CANCELLED: 1, UNKNOWN: 2, DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, INTERNAL: 13, UNAVAILABLE: 14 } as const;

interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly statusCode?: unknown;
  readonly status?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** How an SDK error ends a call: AWS (name, `$metadata`), gax (numeric gRPC `code`), OCI (`statusCode`), Node network codes. */
export function classifyUpstreamError(error: unknown): UpstreamOutcome {
  if (isAbortError(error) || (error instanceof Error && error.name === 'TimeoutError')) return deadlineExpired() ? 'timeout' : 'aborted';
  if (isDomainError(error)) {
    switch (error.code) {
      case 'UPSTREAM_THROTTLED':
        return 'throttled';
      case 'UPSTREAM_TIMEOUT':
        return 'timeout';
      case 'UPSTREAM_UNAVAILABLE':
        return 'server_error';
      default:
        return 'client_error';
    }
  }
  const shape: ErrorShape = typeof error === 'object' && error !== null ? (error as ErrorShape) : {};
  const name = typeof shape.name === 'string' ? shape.name : '';
  if (typeof shape.code === 'number') {
    if (shape.code === GRPC.RESOURCE_EXHAUSTED) return 'throttled';
    if (shape.code === GRPC.DEADLINE_EXCEEDED) return 'timeout';
    if (shape.code === GRPC.CANCELLED) return deadlineExpired() ? 'timeout' : 'aborted';
    if (shape.code === GRPC.UNAVAILABLE || shape.code === GRPC.INTERNAL || shape.code === GRPC.UNKNOWN) return 'server_error';
    return 'client_error';
  }
  if (typeof shape.code === 'string' && NETWORK_ERROR_CODES.has(shape.code)) return 'network';
  const status = [shape.$metadata?.httpStatusCode, shape.statusCode, shape.status].find((value): value is number => typeof value === 'number');
  if (status === 429 || /Throttl|TooManyRequests|SlowDown|RequestLimitExceeded|ClientLimitExceeded/.test(name)) return 'throttled';
  if (status !== undefined && status >= 500) return status === 504 ? 'timeout' : 'server_error';
  if (status !== undefined && status >= 400) return 'client_error';
  // No response at all: the SDKs name transport failures in different ways; none of them is the provider's answer.
  return 'network';
}

/**
 * The attempts an AWS SDK v3 result or error reports (`$metadata.attempts`). The observer sits in the middleware
 * stack, where a result is `{ output, response }` and the metadata is the output's; an error carries it itself.
 */
export function awsAttempts(settled: unknown): number | undefined {
  type WithMetadata = { $metadata?: { attempts?: unknown } } | null | undefined;
  const shape = settled as (WithMetadata & { output?: WithMetadata }) | null | undefined;
  const attempts = shape?.$metadata?.attempts ?? shape?.output?.$metadata?.attempts;
  return typeof attempts === 'number' ? attempts : undefined;
}

/** The slice of an AWS SDK v3 client the observer needs. */
interface AwsClientLike {
  readonly middlewareStack: {
    add(
      middleware: (next: (args: unknown) => Promise<unknown>, context: { readonly commandName?: string }) => (args: unknown) => Promise<unknown>,
      options: { readonly step: 'initialize'; readonly name: string; readonly override?: boolean },
    ): void;
  };
}

/**
 * Routes every command of an AWS SDK v3 client through `endpoint` (breaker first, before the SDK's own retries, so
 * an open breaker costs no attempt at all). Returns the client. Idempotent per client.
 */
export function observeAwsClient<C>(client: C, endpoint: UpstreamEndpoint): C {
  (client as unknown as AwsClientLike).middlewareStack.add(
    (next, context) => (args) => endpoint.run(context.commandName?.replace(/Command$/, '') ?? 'unknown', () => next(args), awsAttempts),
    { step: 'initialize', name: 'mediaGraphUpstreamObserver', override: true },
  );
  return client;
}

/**
 * A view of an SDK client object (gax, OCI) whose promise-returning methods run through `endpoint`, named by
 * method. Everything else (properties, synchronous helpers such as path templates) passes through unchanged.
 */
export function observeClientMethods<C extends object>(client: C, endpoint: UpstreamEndpoint, operations: ReadonlySet<string>): C {
  return new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || typeof property !== 'string' || !operations.has(property)) return value;
      const method = value as (...args: unknown[]) => Promise<unknown>;
      return (...args: unknown[]) => endpoint.run(property, () => method.apply(target, args));
    },
  });
}

/**
 * The upstream endpoints of one gateway, by provider and endpoint name, created on first use with the same breaker
 * settings. Lifetime: the gateway's.
 */
export class UpstreamEndpoints {
  private readonly endpoints = new Map<string, UpstreamEndpoint>();
  private readonly observed = new WeakSet<object>();

  constructor(
    private readonly settings: BreakerSettings,
    private readonly logger: Logger,
  ) {}

  /**
   * The endpoint `endpoint` of `provider` (created on first use). `protocol` defaults to `grpc` for an endpoint
   * named `grpc` (the wiring's name for gRPC clients) and `http` otherwise; AWS clients come through
   * {@link UpstreamEndpoints.awsClient}.
   */
  endpoint(provider: string, endpoint: string, protocol: UpstreamProtocol = endpoint === 'grpc' ? 'grpc' : 'http'): UpstreamEndpoint {
    const key = `${provider}\0${endpoint}`;
    let found = this.endpoints.get(key);
    if (found === undefined) {
      found = new UpstreamEndpoint(provider, endpoint, this.settings, this.logger, protocol);
      this.endpoints.set(key, found);
    }
    return found;
  }

  /** {@link observeAwsClient} once per client (clients cached by the datasources come back here on every use). */
  awsClient<C extends object>(client: C, provider: string, endpoint: string): C {
    if (this.observed.has(client)) return client;
    this.observed.add(client);
    return observeAwsClient(client, this.endpoint(provider, endpoint, 'aws-sdk'));
  }

  /** Breaker states, `provider/endpoint` → state, for `/readyz`. */
  states(): Record<string, BreakerStateName> {
    const states: Record<string, BreakerStateName> = {};
    for (const endpoint of this.endpoints.values()) states[`${endpoint.provider}/${endpoint.endpoint}`] = endpoint.state;
    return states;
  }
}

/** A bounded endpoint name for a URL: its host (and port). */
export function endpointName(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    // Not a URL (a gRPC `host:port`): the text itself, cut short.
    return url.slice(0, 64);
  }
}
