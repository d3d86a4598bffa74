import { execute, GraphQLError, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { IncomingHttpHeaders } from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Access } from '../auth/access.js';
import type { Security } from '../auth/security.js';
import { isDomainError } from '../core/domain-error.js';
import { runInRequestScope, type RequestScope } from '../core/request-scope.js';
import { createRequestContext, type Services } from '../auth/request-context.js';
import { credentialExpired, credentialExpiredError, endAtExpiry } from './expiring-subscription.js';
import { formatError } from './format-error.js';
import { serveGraphqlWs } from './graphql-ws-transport.js';
import type { OperationGuard } from './operation-guard.js';
import type { SharedSubscriptions } from './shared-subscriptions.js';
import { requestIdFrom } from './request-id.js';
import { traceWsExecution, wsOperationTrace } from './tracing.js';
import { socketSink } from './ws-socket-sink.js';

/** What graphql-ws needs besides the schema and services. */
export interface GraphqlWsSecurity {
  readonly security: Security;
  readonly guard: OperationGuard;
  /** Most operations one socket may have open; more get an error (RELIABILITY.md W9). */
  readonly maxSubscriptionsPerSocket: number;
  /** Ping interval; a socket silent for this long after a ping is terminated (W11), in ms. */
  readonly keepAliveMs: number;
  /** Deepest JSON nesting a message may have (`GRAPHQL_JSON_MAX_DEPTH`); a deeper one closes the socket with 4400. */
  readonly maxJsonDepth: number;
}

/** Handle returned by {@link attachGraphqlWs}. */
export interface GraphqlWsHandle {
  /** Closes every socket with 1001 (going away) and stops the server; idempotent. */
  dispose(): Promise<void>;
}

/** How long a socket may stay open without `connection_init` (graphql-ws closes with 4408). */
export const CONNECTION_INIT_WAIT_MS = 3_000;

/**
 * Serves the graphql-ws protocol on `ws` for queries, mutations and subscriptions, with the same schema,
 * authentication, limits, context and error formatting as HTTP. `connection_init` carries the credentials in its
 * payload (`authorization`, `apiKey`); a missing or invalid one closes the socket with 4403 before any
 * operation. Each operation is charged to the tenant's rate limit and checked by the operation guard. Each query
 * or mutation gets its own context whose signal aborts when the operation completes or the socket closes;
 * subscriptions run through `shared`, whose groups own their context, and end when the credential expires.
 */
export function attachGraphqlWs(
  ws: WebSocketServer,
  schema: GraphQLSchema,
  services: Services,
  shared: SharedSubscriptions,
  security: GraphqlWsSecurity,
): GraphqlWsHandle {
  const accessBySocket = new WeakMap<object, Access>();
  const accessOf = (extra: object): Access => {
    const access = accessBySocket.get(extra);
    // graphql-ws runs no operation before onConnect accepted the socket, which is where this is set.
    if (access === undefined) throw new Error('graphql-ws operation on a socket that was never authenticated');
    return access;
  };
  const development = services.config.env === 'development';
  const controllers = new WeakMap<object, Map<string, AbortController>>();
  const controllerFor = (extra: object, id: string): AbortController => {
    let byId = controllers.get(extra);
    if (byId === undefined) {
      byId = new Map();
      controllers.set(extra, byId);
    }
    let controller = byId.get(id);
    if (controller === undefined) {
      controller = new AbortController();
      byId.set(id, controller);
    }
    return controller;
  };
  const release = (extra: object, id: string): void => {
    const byId = controllers.get(extra);
    byId?.get(id)?.abort();
    byId?.delete(id);
  };
  // The socket and operation id behind each operation's context, for subscriptions that write to it directly.
  const operations = new WeakMap<
    object,
    { readonly socket: WebSocket; readonly id: string; readonly expiresAt: number | undefined; readonly headers: IncomingHttpHeaders }
  >();
  // Each operation runs in a request scope of its own, as an HTTP request does: its id (the upgrade request's
  // x-request-id names the socket, not the operation, so a new one), a child logger, the upstream call count, and
  // the trace position continuing the upgrade request's traceparent, which spans take their parent from.
  const operationScope = (headers: IncomingHttpHeaders): RequestScope => {
    const requestId = requestIdFrom(undefined);
    const scope: RequestScope = { requestId, logger: services.logger.child({ reqId: requestId }), upstreamCalls: 0 };
    const trace = wsOperationTrace(headers);
    if (trace !== undefined) scope.trace = trace;
    return scope;
  };
  const disposable = serveGraphqlWs(
    ws,
    {
      schema,
      connectionInitWaitTimeout: CONNECTION_INIT_WAIT_MS,
      onConnect: async (ctx) => {
        try {
          accessBySocket.set(ctx.extra, await security.security.fromConnectionParams(ctx.connectionParams));
          return true;
        } catch (error) {
          if (!isDomainError(error)) throw error;
          services.logger.info({ code: error.code }, 'graphql-ws connection refused');
          // graphql-ws closes with 4403 Forbidden.
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        const open = Object.keys(ctx.subscriptions).length;
        if (open > security.maxSubscriptionsPerSocket) {
          return [
            new GraphQLError(`At most ${security.maxSubscriptionsPerSocket} operations may be open on one connection.`, {
              extensions: { code: 'RATE_LIMITED', max: security.maxSubscriptionsPerSocket },
            }),
          ];
        }
        // The socket authenticated once, at connection_init; an operation sent after that credential expired is
        // refused exactly as HTTP refuses the same token, so a long-lived socket cannot outlive its credential.
        if (credentialExpired(accessOf(ctx.extra).principal.expiresAt)) return [credentialExpiredError()];
        try {
          await security.security.charge(accessOf(ctx.extra));
        } catch (error) {
          if (!isDomainError(error)) throw error;
          return [new GraphQLError(error.message, { originalError: error })];
        }
        const checked = security.guard.check(payload, undefined, { validate: true, access: accessOf(ctx.extra) });
        if (!checked.ok) return [...checked.errors];
        if (checked.document === undefined) {
          return [new GraphQLError('A persisted query must be sent with its text over this transport.', { extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED' } })];
        }
        return { schema, document: checked.document, operationName: payload.operationName, variableValues: payload.variables } satisfies ExecutionArgs;
      },
      // Queries and mutations: graphql's execution, traced (one span per operation) in the operation's scope.
      execute: (args) => {
        const operation = operations.get(args.contextValue as object);
        return runInRequestScope(operationScope(operation?.headers ?? {}), () => traceWsExecution(args, () => execute(args)));
      },
      // Identical subscriptions run once and fan out (see SharedSubscriptions); their results are serialized once
      // per event and written straight to each socket instead of through graphql-ws's per-message path.
      subscribe: async (args) => {
        const operation = operations.get(args.contextValue as object);
        // A router's traceparent arrives on the upgrade request; the subscription's span continues that trace.
        const result = await runInRequestScope(operationScope(operation?.headers ?? {}), () =>
          shared.subscribe(args, operation === undefined ? undefined : socketSink(operation.socket, operation.id)),
        );
        return Symbol.asyncIterator in result ? endAtExpiry(result, operation?.expiresAt) : result;
      },
      context: (ctx, id) => {
        const access = accessOf(ctx.extra);
        const context = createRequestContext(services, controllerFor(ctx.extra, id).signal, access);
        operations.set(context, { socket: ctx.extra.socket, id, expiresAt: access.principal.expiresAt, headers: ctx.extra.request.headers });
        return context;
      },
      onNext: (_ctx, _id, _payload, _args, result: ExecutionResult) =>
        result.errors === undefined
          ? undefined
          : { ...result, errors: result.errors.map((error) => formatError(error, { development, logger: services.logger })) },
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(error, { development, logger: services.logger })),
      onComplete: (ctx, id) => release(ctx.extra, id),
      onClose: (ctx) => {
        const byId = controllers.get(ctx.extra);
        for (const controller of byId?.values() ?? []) controller.abort();
        controllers.delete(ctx.extra);
      },
    },
    security.keepAliveMs,
    services.logger,
    security.maxJsonDepth,
  );
  let disposing: Promise<void> | undefined;
  return {
    // Idempotent: shutdown closes sockets before ending subscriptions, and Apollo's drain calls this again.
    dispose: () => {
      disposing ??= (async () => {
        for (const client of ws.clients) client.close(1001, 'Server shutting down');
        await disposable.dispose();
      })();
      return disposing;
    },
  };
}
