import type { IncomingHttpHeaders } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { context, diag, DiagLogLevel, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type DiagLogger } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVICE_NAME,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions';
import type { RequestHandler } from 'express';
import { getOperationAST, type ExecutionArgs, type ExecutionResult, type GraphQLError } from 'graphql';
import type { PromiseOrValue } from 'graphql/jsutils/PromiseOrValue.js';
import type { RequestContext } from '../auth/services.js';
import type { Config } from '../config.js';
import { isDomainError } from '../core/domain-error.js';
import type { Logger } from '../core/logger.js';
import { currentRequestScope, type RequestTrace } from '../core/request-scope.js';
import { activeTracer, RequestScopeContextManager, setActiveTracer, spanParent, TRACE_ATTRIBUTES, TRACER_NAME } from '../core/tracing.js';
import { routeOf } from './access-log.js';
import { watchResults } from './watched-iterator.js';

/**
 * OpenTelemetry traces: the SDK's lifetime, the HTTP server span, the GraphQL operation span and the subscription
 * span. Upstream client spans are recorded where every upstream call already passes (`datasources/upstream-calls.ts`).
 *
 * No auto-instrumentation. `@opentelemetry/instrumentation-http` would have to patch `node:http` before anything
 * loads it (an ESM loader hook), and it would trace every outgoing request too: the AWS SDK's HTTP under the upstream
 * spans we already record with provider, operation and outcome, and, with the embedded emulators in the same process,
 * both ends of every emulated call. A span opened in our own middleware, with the W3C `traceparent` extracted by the
 * SDK's propagator, gives the same server span and lets the SDK start inside {@link startTracing}, after the modules
 * have loaded, and not at all when traces are off.
 */

/** Longest operation name put on a span; clients choose names. */
const MAX_NAME = 100;

/** `http.route` of each bounded route label ({@link routeOf}); other paths get no route and a span named by method alone. */
const HTTP_ROUTES: Readonly<Record<string, string>> = {
  graphql: '/graphql',
  sse: '/graphql/stream',
  objects: '/objects/{key}',
  ide: '/graphiql',
};

/** A running trace export, shared by the gateways of the process. */
export interface Tracing {
  /** Flushes the spans still queued and, when the last gateway of the process closes, stops the SDK. Idempotent. */
  close(): Promise<void>;
}

interface SdkRun {
  users: number;
  readonly stop: () => Promise<void>;
}

let sdkRun: Promise<SdkRun> | undefined;

/**
 * Starts the OpenTelemetry Node SDK when `settings.enabled`, else returns `undefined` and loads nothing. The SDK takes
 * its settings from the standard OTEL_* variables of the process environment (exporter protocol, endpoint, headers,
 * sampler, resource, propagators, batching); only traces are set up, never OTel metrics or logs (metrics are
 * Prometheus, logs are JSON lines). The SDK's own diagnostics (failed exports above all) go to `logger`. One SDK per
 * process, however many gateways: the last {@link Tracing.close} stops it and unregisters its globals, so a later
 * gateway can start it again.
 * @throws whatever the SDK throws while it starts (a malformed variable it refuses).
 */
export async function startTracing(settings: Config['tracing'], logger: Logger): Promise<Tracing | undefined> {
  if (!settings.enabled) return undefined;
  sdkRun ??= startSdk(settings, logger);
  let run: SdkRun;
  try {
    run = await sdkRun;
  } catch (error) {
    sdkRun = undefined;
    throw error;
  }
  run.users += 1;
  let closing: Promise<void> | undefined;
  return {
    close: () => {
      closing ??= (async () => {
        run.users -= 1;
        if (run.users > 0) return;
        sdkRun = undefined;
        await run.stop();
      })();
      return closing;
    },
  };
}

async function startSdk(settings: Config['tracing'], logger: Logger): Promise<SdkRun> {
  // Loaded here so a process without traces never loads the SDK and its exporters.
  const { NodeSDK, resources } = await import('@opentelemetry/sdk-node');
  const sdk = new NodeSDK({
    // `service.name` defaults to ours; OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, detected later, override it.
    resource: resources.defaultResource().merge(resources.resourceFromAttributes({ [ATTR_SERVICE_NAME]: TRACER_NAME })),
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
    // Not the SDK's AsyncLocalStorage context manager: spans take their parent from the request scope (see
    // RequestScopeContextManager for what that saves on every promise).
    contextManager: new RequestScopeContextManager(),
  });
  // After the constructor, which points diagnostics at the console when OTEL_LOG_LEVEL is set: stdout is the JSON log.
  diag.setLogger(diagnosticsLogger(logger.child({ component: 'opentelemetry' })), { logLevel: DIAG_LEVELS[settings.diagnostics], suppressOverrideMessage: true });
  sdk.start();
  setActiveTracer(trace.getTracer(TRACER_NAME));
  logger.info({ tracesEndpoint: endpointOrigin(settings.endpoint) }, 'OpenTelemetry traces on');
  return {
    users: 0,
    stop: async () => {
      setActiveTracer(undefined);
      try {
        await sdk.shutdown();
      } catch (error) {
        logger.warn({ err: error }, 'OpenTelemetry: spans still queued at shutdown could not be exported');
      } finally {
        trace.disable();
        propagation.disable();
        context.disable();
        diag.disable();
      }
    },
  };
}

const DIAG_LEVELS: Readonly<Record<Config['tracing']['diagnostics'], DiagLogLevel>> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

/** The SDK's diagnostics as log lines: the message, an error's details as `err`, other scalar arguments as `details`. */
function diagnosticsLogger(logger: Logger): DiagLogger {
  const line =
    (level: 'error' | 'warn' | 'info' | 'debug' | 'trace') =>
    (message: string, ...args: unknown[]): void => {
      const err = args.find((arg): arg is Error => arg instanceof Error);
      const details = args.filter((arg) => arg === null || (typeof arg !== 'object' && typeof arg !== 'function'));
      logger[level]({ err, details: details.length > 0 ? details : undefined }, message);
    };
  return { error: line('error'), warn: line('warn'), info: line('info'), debug: line('debug'), verbose: line('trace') };
}

/** The scheme, host and port of the endpoint, for the startup line: never a path, query or credentials in it. */
function endpointOrigin(endpoint: string | undefined): string | undefined {
  if (endpoint === undefined) return undefined;
  try {
    return new URL(endpoint).origin;
  } catch {
    // config.ts accepts only absolute http(s) URLs, so this is unreachable; say nothing rather than echo it.
    return undefined;
  }
}

/**
 * The trace position of one HTTP request: its server span's context, and the GraphQL operations running in it. While
 * exactly one runs (every request but a batch), new spans hang under that operation; with none, or several at once
 * (a batch runs its operations concurrently, and an upstream call cannot tell which one made it), under the request.
 */
class HttpRequestTrace implements RequestTrace {
  private readonly operations = new Set<Context>();

  constructor(readonly request: Context) {}

  parent(): Context {
    if (this.operations.size === 1) {
      for (const operation of this.operations) return operation;
    }
    return this.request;
  }

  enter(operation: Context): void {
    this.operations.add(operation);
  }

  leave(operation: Context): void {
    this.operations.delete(operation);
  }
}

/** The trace position given to requests that are not traced: spans started under it record nothing. */
const UNTRACED: RequestTrace = { parent: () => suppressTracing(ROOT_CONTEXT) };

/**
 * Express middleware, right after the access log (whose request scope it extends): the HTTP server span of each
 * request, continuing the caller's W3C `traceparent` (a federation router's), ended when the response ends.
 * `/healthz`, `/readyz` and `/metrics` get no span, and their readiness checks none either: probes and scrapes would
 * outnumber everything else. Attributes: `http.request.method`, `url.scheme`, `url.path` (never the query string,
 * which carries signatures), `http.route`, `network.protocol.version`, `http.response.status_code`, and the request
 * id. Status ERROR for a 5xx answer. Use only while {@link startTracing} runs.
 */
export function traceRequests(): RequestHandler {
  return (req, res, next) => {
    const tracer = activeTracer();
    const scope = currentRequestScope();
    const path = (req.originalUrl || req.url).split('?')[0] ?? '';
    const label = routeOf(path);
    if (tracer === undefined) {
      next();
      return;
    }
    if (label === 'health' || label === 'metrics') {
      if (scope !== undefined) scope.trace = UNTRACED;
      next();
      return;
    }
    const route = HTTP_ROUTES[label];
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const attributes: Record<string, string> = {
      [ATTR_HTTP_REQUEST_METHOD]: req.method,
      [ATTR_URL_SCHEME]: 'http',
      [ATTR_URL_PATH]: path.length > 512 ? `${path.slice(0, 512)}…` : path,
      [ATTR_NETWORK_PROTOCOL_VERSION]: req.httpVersion,
    };
    if (route !== undefined) attributes[ATTR_HTTP_ROUTE] = route;
    if (scope !== undefined) attributes[TRACE_ATTRIBUTES.requestId] = scope.requestId;
    const span = tracer.startSpan(route === undefined ? req.method : `${req.method} ${route}`, { kind: SpanKind.SERVER, attributes }, parent);
    const active = trace.setSpan(parent, span);
    if (scope !== undefined) scope.trace = new HttpRequestTrace(active);
    res.once('close', () => {
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    next();
  };
}

/**
 * The trace position of one graphql-ws operation: the trace the caller's W3C `traceparent` names (the upgrade request
 * carried it: a router's), else none, and the operation's own span while a query or mutation runs
 * ({@link traceWsExecution}), so upstream calls hang under it.
 */
class WsOperationTrace implements RequestTrace {
  private current: Context;

  constructor(readonly caller: Context) {
    this.current = caller;
  }

  parent(): Context {
    return this.current;
  }

  enter(operation: Context): void {
    this.current = operation;
  }
}

/**
 * The trace position to put in the request scope of a graphql-ws operation whose socket was opened with `headers`
 * (see {@link WsOperationTrace}), or `undefined` when traces are off.
 */
export function wsOperationTrace(headers: IncomingHttpHeaders): RequestTrace | undefined {
  if (activeTracer() === undefined) return undefined;
  return new WsOperationTrace(propagation.extract(ROOT_CONTEXT, headers));
}

/**
 * One span per query or mutation over graphql-ws, around `execute` (graphql's execution of `args`): named
 * `<type> <name>`, with `graphql.operation.type`, `graphql.operation.name` (cut at 100 characters), the code of each
 * error sent (`media_graph.graphql.error_codes`) and status ERROR when there was one; never the document or the
 * variables. Its parent is the caller's trace from the upgrade request, as a subscription's is, else none; of kind
 * SERVER either way (no HTTP span is around it). Upstream calls the operation makes hang under it. Must run
 * in the request scope whose trace {@link wsOperationTrace} made; runs `execute` unchanged when traces are off.
 * Operations refused before execution (limits, the operation guard) get no span.
 */
export function traceWsExecution(args: ExecutionArgs, execute: () => PromiseOrValue<ExecutionResult>): PromiseOrValue<ExecutionResult> {
  const tracer = activeTracer();
  const position = currentRequestScope()?.trace;
  if (tracer === undefined || !(position instanceof WsOperationTrace)) return execute();
  const operation = getOperationAST(args.document, args.operationName);
  const name = shortName(operation?.name?.value ?? args.operationName);
  const type = operation?.operation;
  const attributes: Record<string, string> = {};
  if (type !== undefined) attributes['graphql.operation.type'] = type;
  if (name !== undefined) attributes['graphql.operation.name'] = name;
  const spanName = type === undefined ? 'GraphQL Operation' : name === undefined ? type : `${type} ${name}`;
  const parent = position.caller;
  const span = tracer.startSpan(spanName, { kind: entryKind(parent), attributes }, parent);
  position.enter(trace.setSpan(parent, span));
  const end = (codes: string[]): void => {
    if (codes.length > 0) {
      span.setAttribute(TRACE_ATTRIBUTES.errorCodes, codes);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  };
  const finish = (result: ExecutionResult): ExecutionResult => {
    end(codesOf(result.errors));
    return result;
  };
  const failed = (error: unknown): never => {
    // graphql-ws answers a throwing execution with an internal error; the span says the same.
    end(['INTERNAL_SERVER_ERROR']);
    throw error;
  };
  let result: PromiseOrValue<ExecutionResult>;
  try {
    result = execute();
  } catch (error) {
    return failed(error);
  }
  return result instanceof Promise ? result.then(finish, failed) : finish(result);
}

/**
 * Apollo plugin: one span per GraphQL operation over HTTP (a batch gives one per entry), under the request's span,
 * named `<type> <name>` (`query ListStreams`) as the GraphQL semantic conventions say. Attributes:
 * `graphql.operation.type`, `graphql.operation.name` (cut at 100 characters), and the `extensions.code` of each
 * error sent; status ERROR when there was one. Never the document or the variables. Upstream calls the operation
 * makes hang under it. Use only while {@link startTracing} runs.
 */
export function operationTracing(): ApolloServerPlugin<RequestContext> {
  return {
    requestDidStart: ({ request }) => {
      const tracer = activeTracer();
      if (tracer === undefined) return Promise.resolve();
      const requestTrace = currentRequestScope()?.trace;
      const http = requestTrace instanceof HttpRequestTrace ? requestTrace : undefined;
      const parent = http?.request ?? context.active();
      const name = shortName(request.operationName);
      // Renamed once the operation is resolved; an unparsable or invalid one keeps the convention's generic name.
      const span = tracer.startSpan('GraphQL Operation', { kind: SpanKind.INTERNAL }, parent);
      if (name !== undefined) span.setAttribute('graphql.operation.name', name);
      const active = trace.setSpan(parent, span);
      http?.enter(active);
      return Promise.resolve({
        didResolveOperation: ({ operation }) => {
          const type = operation?.operation;
          const resolved = shortName(operation?.name?.value) ?? name;
          if (type !== undefined) {
            span.setAttribute('graphql.operation.type', type);
            span.updateName(resolved === undefined ? type : `${type} ${resolved}`);
          }
          if (resolved !== undefined) span.setAttribute('graphql.operation.name', resolved);
          return Promise.resolve();
        },
        willSendResponse: ({ response }) => {
          const body = response.body;
          const errors = body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
          if (errors !== undefined && errors.length > 0) {
            span.setAttribute(
              TRACE_ATTRIBUTES.errorCodes,
              errors.map((error) => (typeof error.extensions?.['code'] === 'string' ? error.extensions['code'] : 'INTERNAL_SERVER_ERROR')),
            );
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
          http?.leave(active);
          span.end();
          return Promise.resolve();
        },
      });
    },
  };
}

/**
 * One span per subscription of a graphql-ws or SSE client, from its start to its end, named `subscription <name>`,
 * with the count of results it was given (`media_graph.subscription.events`) instead of a span per event. Its
 * parent is the request's span over SSE; a graphql-ws subscription continues the upgrade request's `traceparent`
 * (the request scope's trace, see {@link wsOperationTrace}) or starts a trace of its own, as a span of kind SERVER. A
 * refused subscription gets a span that ends at once. `sinkWrites` counts the results a WebSocket sink took directly
 * (see `SharedSubscriptionOptions.observe`). Returns `result`, wrapped so its end is seen, or unchanged when traces
 * are off.
 */
export function traceSubscription(
  args: ExecutionArgs,
  transport: 'ws' | 'sse',
  result: AsyncIterableIterator<ExecutionResult> | ExecutionResult,
  sinkWrites: () => number,
): AsyncIterableIterator<ExecutionResult> | ExecutionResult {
  const tracer = activeTracer();
  if (tracer === undefined) return result;
  const name = shortName(getOperationAST(args.document, args.operationName)?.name?.value ?? args.operationName);
  const parent = spanParent();
  const attributes: Record<string, string> = { 'graphql.operation.type': 'subscription', [TRACE_ATTRIBUTES.subscriptionTransport]: transport };
  if (name !== undefined) attributes['graphql.operation.name'] = name;
  const span = tracer.startSpan(name === undefined ? 'subscription' : `subscription ${name}`, { kind: entryKind(parent), attributes }, parent);
  let pulled = 0;
  const codes: string[] = [];
  const end = (outcome: string): void => {
    span.setAttribute(TRACE_ATTRIBUTES.subscriptionEvents, pulled + sinkWrites());
    span.setAttribute(TRACE_ATTRIBUTES.subscriptionOutcome, outcome);
    if (codes.length > 0) {
      span.setAttribute(TRACE_ATTRIBUTES.errorCodes, codes);
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
    span.end();
  };
  if (!(Symbol.asyncIterator in result)) {
    codes.push(...codesOf(result.errors));
    end('refused');
    return result;
  }
  return watchResults(result, {
    result: (value) => {
      pulled += 1;
      codes.push(...codesOf(value.errors));
    },
    end,
  });
}

/**
 * The kind of a span under `parent`: SERVER where the work enters this service (no parent, or the caller's span from
 * a `traceparent`), INTERNAL under a span of ours (the HTTP request's).
 */
function entryKind(parent: Context): SpanKind {
  const parentSpan = trace.getSpanContext(parent);
  return parentSpan === undefined || parentSpan.isRemote === true ? SpanKind.SERVER : SpanKind.INTERNAL;
}

/** The code of each error as clients get it: `extensions.code`, a domain error's code, else INTERNAL_SERVER_ERROR. */
function codesOf(errors: readonly GraphQLError[] | undefined): string[] {
  return (errors ?? []).map((error) => {
    const code = error.extensions['code'];
    if (typeof code === 'string') return code;
    return isDomainError(error.originalError) ? error.originalError.code : 'INTERNAL_SERVER_ERROR';
  });
}

function shortName(name: string | null | undefined): string | undefined {
  if (name === null || name === undefined || name === '') return undefined;
  return name.length > MAX_NAME ? `${name.slice(0, MAX_NAME)}…` : name;
}
