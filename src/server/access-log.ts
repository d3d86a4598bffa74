import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestHandler } from 'express';
import { getOperationAST, type ExecutionArgs, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import type { RequestContext } from '../auth/services.js';
import type { Logger } from '../core/logger.js';
import { graphqlOperationDuration, graphqlSubscriptionsActive, graphqlSubscriptionsStarted, httpRequests, operationLabel } from '../core/metrics.js';
import { currentRequestScope, runInRequestScope, type RequestScope } from '../core/request-scope.js';
import { REQUEST_ID_HEADER, requestIdFrom } from './request-id.js';
import { watchResults } from './watched-iterator.js';

/**
 * Request ids and access logs. Every HTTP request gets an id ({@link requestIdFrom}), echoed in `x-request-id`,
 * carried by a child logger and by the request scope (so providers and the upstream observer see it), and one
 * `info` line when its response ends. Every GraphQL operation gets one more line, and every subscription one line
 * when it ends. Lines carry ids, names, codes, counts and timings only: never headers, tokens, query strings
 * (signed URLs), variables or documents.
 */

/** Longest operation name written to a log line; clients choose names, so one cannot flood a line. */
const MAX_LOGGED_NAME = 100;

const scopes = new WeakMap<IncomingMessage, RequestScope>();

/** The tenant of the caller a request was authenticated as, when the route authenticates; set by the server. */
export type TenantLookup = (req: IncomingMessage) => string | undefined;

/** The bounded route label of a path, for the HTTP request counter. */
export function routeOf(path: string): string {
  if (path === '/graphql/stream') return 'sse';
  if (path === '/graphql') return 'graphql';
  if (path.startsWith('/objects')) return 'objects';
  if (path === '/healthz' || path === '/readyz') return 'health';
  if (path === '/metrics') return 'metrics';
  if (path.startsWith('/graphiql')) return 'ide';
  return 'other';
}

/**
 * Express middleware, first on the app: the request id, the child logger and the request scope for everything
 * after it, and the access line when the response ends (finished or cut off).
 */
export function accessLog(logger: Logger, tenantOf: TenantLookup): RequestHandler {
  return (req, res, next) => {
    const started = performance.now();
    const requestId = requestIdFrom(req.headers[REQUEST_ID_HEADER]);
    res.setHeader(REQUEST_ID_HEADER, requestId);
    const scope: RequestScope = { requestId, logger: logger.child({ reqId: requestId }), upstreamCalls: 0 };
    // `req.path` would do, but the URL is split by hand so no query string (a signed URL's signature) is ever kept.
    const path = (req.originalUrl || req.url).split('?')[0] ?? '';
    res.once('close', () => {
      const route = routeOf(path);
      httpRequests.labels(route, `${String(Math.floor(res.statusCode / 100))}xx`).inc();
      // Probes and scrapes would drown the log; their counters say enough.
      if (route === 'health' || route === 'metrics') return;
      scope.logger.info(
        {
          access: 'http',
          method: req.method,
          path: path.length > 512 ? `${path.slice(0, 512)}…` : path,
          status: res.statusCode,
          completed: res.writableFinished,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          tenant: tenantOf(req),
          upstreamCalls: scope.upstreamCalls,
        },
        'http request',
      );
    });
    scopes.set(req, scope);
    runInRequestScope(scope, next);
  };
}

/**
 * Express middleware that re-enters the request's scope. Needed after a body parser: it continues from the
 * socket's `data`/`end` events, which run outside the scope {@link accessLog} entered.
 */
export function reenterRequestScope(): RequestHandler {
  return (req, _res, next) => {
    const scope = scopes.get(req);
    if (scope === undefined) next();
    else runInRequestScope(scope, next);
  };
}

/** The logger of the request the current code works for, else `fallback`. */
export function requestLogger(fallback: Logger): Logger {
  return currentRequestScope()?.logger ?? fallback;
}

function loggedName(name: string | null | undefined): string | undefined {
  if (name === null || name === undefined) return undefined;
  return name.length > MAX_LOGGED_NAME ? `${name.slice(0, MAX_LOGGED_NAME)}…` : name;
}

function codesOf(errors: readonly GraphQLFormattedError[] | undefined): string[] {
  return (errors ?? []).map((error) => (typeof error.extensions?.['code'] === 'string' ? error.extensions['code'] : 'INTERNAL_SERVER_ERROR'));
}

/**
 * Apollo plugin: the operation histogram and one access line per GraphQL operation over HTTP (a batch gives one
 * per entry). Operations refused before Apollo (the guard, authentication) appear only in the HTTP line.
 */
export function operationAccessLog(logger: Logger): ApolloServerPlugin<RequestContext> {
  return {
    requestDidStart: ({ request }) => {
      const started = performance.now();
      const scope = currentRequestScope();
      const upstreamBefore = scope?.upstreamCalls ?? 0;
      let type = 'unknown';
      let name: string | null | undefined = request.operationName;
      return Promise.resolve({
        didResolveOperation: ({ operation }) => {
          type = operation?.operation ?? type;
          name = operation?.name?.value ?? name;
          return Promise.resolve();
        },
        willSendResponse: ({ response, contextValue }) => {
          const body = response.body;
          const errors = body.kind === 'single' ? body.singleResult.errors : body.initialResult.errors;
          const codes = codesOf(errors);
          const durationMs = performance.now() - started;
          graphqlOperationDuration.labels(type, operationLabel(name), codes.length === 0 ? 'ok' : 'error').observe(durationMs / 1000);
          (scope?.logger ?? logger).info(
            {
              access: 'graphql',
              operationName: loggedName(name),
              operationType: type,
              status: response.http.status ?? 200,
              durationMs: Math.round(durationMs * 10) / 10,
              errorCodes: codes,
              tenant: tenantOfContext(contextValue),
              upstreamCalls: (scope?.upstreamCalls ?? 0) - upstreamBefore,
            },
            'graphql operation',
          );
          return Promise.resolve();
        },
      });
    },
  };
}

function tenantOfContext(context: RequestContext | undefined): string | undefined {
  // Apollo can answer (a parse error, a refused request) before the context exists.
  return context?.access?.principal.tenant;
}

/**
 * Observes one subscription of a WebSocket or SSE client: counts its start, keeps the active gauge, and logs one
 * line when it ends with its duration, events counted and error codes. Events are those the iterator yielded plus
 * `sinkWrites()`, the ones a WebSocket sink took directly. Returns `result` (the iterator wrapped so its end is seen;
 * a one-off result, an immediate refusal, is logged at once).
 */
export function observeSubscription(
  args: ExecutionArgs,
  transport: 'ws' | 'sse',
  result: AsyncIterableIterator<ExecutionResult> | ExecutionResult,
  logger: Logger,
  sinkWrites: () => number = () => 0,
): AsyncIterableIterator<ExecutionResult> | ExecutionResult {
  const started = performance.now();
  const operation = getOperationAST(args.document, args.operationName);
  const name = operation?.name?.value ?? args.operationName;
  const requestId = requestIdFrom(undefined);
  const context = args.contextValue as RequestContext | undefined;
  const end = (events: number, codes: string[], outcome: string): void => {
    logger.info(
      {
        access: 'subscription',
        reqId: requestId,
        transport,
        operationName: loggedName(name),
        operationType: 'subscription',
        outcome,
        durationMs: Math.round(performance.now() - started),
        events,
        errorCodes: codes,
        tenant: tenantOfContext(context),
      },
      'graphql subscription',
    );
  };
  graphqlSubscriptionsStarted.labels(operationLabel(name), transport).inc();
  if (!(Symbol.asyncIterator in result)) {
    end(0, codesOf(result.errors as readonly GraphQLFormattedError[] | undefined), 'refused');
    return result;
  }
  const active = graphqlSubscriptionsActive.labels(transport);
  active.inc();
  let events = 0;
  const codes: string[] = [];
  return watchResults(result, {
    result: (value) => {
      events += 1;
      codes.push(...codesOf(value.errors as readonly GraphQLFormattedError[] | undefined));
    },
    end: (how) => {
      active.dec();
      end(events + sinkWrites(), codes, how);
    },
  });
}
