import { context, ROOT_CONTEXT, type Context, type ContextManager, type Tracer } from '@opentelemetry/api';
import { currentRequestScope } from './request-scope.js';

/**
 * The bottom of OpenTelemetry tracing: the tracer every layer records spans with, and where a new span hangs. The
 * server starts the SDK (`server/tracing.ts`) and hands the tracer over here; until then, and whenever traces are
 * off, {@link activeTracer} is undefined and every span site skips its work entirely (no span, context or
 * attribute object is made), which is what "off" costs.
 */

/** Name and version of the instrumentation scope every span of ours carries. */
export const TRACER_NAME = 'media-graph';

/**
 * Attribute keys of our own, under the `media_graph.` namespace so they never collide with an OpenTelemetry
 * semantic convention. Values are bounded (closed sets, counts, ids); never variables, documents or credentials.
 */
export const TRACE_ATTRIBUTES = {
  /** The request id of the access log (`x-request-id`), on the HTTP server span. */
  requestId: 'media_graph.request_id',
  /** `extensions.code` of every error an operation or subscription sent (string array). */
  errorCodes: 'media_graph.graphql.error_codes',
  /** Upstream calls: the provider (`kinesis`, `s3`, `mediastore`, `livestream`, `oci`). */
  upstreamProvider: 'media_graph.upstream.provider',
  /** Upstream calls: the provider endpoint (the circuit breaker's name: `control`, `grpc`, a host). */
  upstreamEndpoint: 'media_graph.upstream.endpoint',
  /** Upstream calls: the SDK operation or method (`ListStreams`, `getChannel`). */
  upstreamOperation: 'media_graph.upstream.operation',
  /** Upstream calls: how the call reached the provider (`aws-sdk`, `grpc`, `http`). */
  upstreamProtocol: 'media_graph.upstream.protocol',
  /** Upstream calls: how the call ended, the `outcome` label of the upstream metrics. */
  upstreamOutcome: 'media_graph.upstream.outcome',
  /** Upstream calls: attempts the SDK made, where it reports them (AWS). */
  upstreamAttempts: 'media_graph.upstream.attempts',
  /** Subscriptions: `ws` or `sse`. */
  subscriptionTransport: 'media_graph.subscription.transport',
  /** Subscriptions: results delivered to the subscriber, counted instead of a span per event. */
  subscriptionEvents: 'media_graph.subscription.events',
  /** Subscriptions: how it ended (`completed`, `closed`, `error`, `refused`). */
  subscriptionOutcome: 'media_graph.subscription.outcome',
} as const;

let tracer: Tracer | undefined;

/**
 * Sets the tracer spans are recorded with: the server's once the SDK runs, `undefined` when it stops. Process-wide,
 * like the SDK's own registration.
 */
export function setActiveTracer(value: Tracer | undefined): void {
  tracer = value;
}

/** The tracer to record spans with, or `undefined` when traces are off (then record nothing). */
export function activeTracer(): Tracer | undefined {
  return tracer;
}

/**
 * The parent of a span started now: the current request's trace position (see `RequestTrace`) when the code runs
 * for a request, else OpenTelemetry's active context (a root span for background work such as a live reader).
 */
export function spanParent(): Context {
  return currentRequestScope()?.trace?.parent() ?? context.active();
}

/**
 * The OpenTelemetry context manager the SDK is started with, instead of its default one on an AsyncLocalStorage of
 * its own. Every span of ours takes its parent explicitly from the request scope ({@link spanParent}), which already
 * follows each request through every promise and callback; a second AsyncLocalStorage would copy its store onto every
 * async resource of every request (Node 20 runs one propagation per storage per promise) for nothing.
 *
 * Contract: `active()` is the context given to the innermost {@link with} still running synchronously, else the
 * current request's trace position, else the root context. `with` holds its context for the synchronous part of
 * `fn` only: code after an `await` inside it sees the request's position again, not the context given. Code of ours
 * that needs a parent across an `await` must use the request scope (`RequestScope.trace`), never `context.with`.
 */
export class RequestScopeContextManager implements ContextManager {
  private readonly entered: Context[] = [];

  active(): Context {
    return this.entered.at(-1) ?? currentRequestScope()?.trace?.parent() ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(entered: Context, fn: F, thisArg?: ThisParameterType<F>, ...args: A): ReturnType<F> {
    this.entered.push(entered);
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.entered.pop();
    }
  }

  bind<T>(bound: Context, target: T): T {
    if (typeof target !== 'function') return target;
    // Only functions: an event emitter's listeners run later, outside any `with`, as the contract says.
    const fn = target as unknown as (...args: unknown[]) => unknown;
    const run = (self: unknown, args: unknown[]): unknown => this.with(bound, () => fn.apply(self, args));
    return function (this: unknown, ...args: unknown[]) {
      return run(this, args);
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.entered.length = 0;
    return this;
  }
}
