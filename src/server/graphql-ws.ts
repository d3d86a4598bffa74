import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, parse, validate, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { WebSocketServer } from 'ws';
import { createRequestContext, type Services } from './context.js';
import { formatError, toParseFailedError } from './format-error.js';
import type { SharedSubscriptions } from './shared-subscriptions.js';

/** Handle returned by {@link attachGraphqlWs}. */
export interface GraphqlWsHandle {
  /** Closes every socket with 1001 (going away) and stops the server; idempotent. */
  dispose(): Promise<void>;
}

/** How long a socket may stay open without `connection_init` (graphql-ws closes with 4408). */
export const CONNECTION_INIT_WAIT_MS = 3_000;

/**
 * Serves the graphql-ws protocol on `ws` for queries, mutations and subscriptions, with the same schema,
 * context and error formatting as HTTP. Each query or mutation gets its own context whose signal aborts when the
 * operation completes or the socket closes; subscriptions run through `shared`, whose groups own their context.
 */
export function attachGraphqlWs(
  ws: WebSocketServer,
  schema: GraphQLSchema,
  services: Services,
  shared: SharedSubscriptions,
): GraphqlWsHandle {
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
  const disposable = useServer(
    {
      schema,
      connectionInitWaitTimeout: CONNECTION_INIT_WAIT_MS,
      onSubscribe: (_ctx, _id, payload) => prepareOperation(schema, payload),
      // Identical subscriptions run once and fan out (see SharedSubscriptions).
      subscribe: shared.subscribe,
      context: (ctx, id) => createRequestContext(services, controllerFor(ctx.extra, id).signal),
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
    ws,
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

/**
 * Parses and validates a subscribe payload. graphql-ws would parse inside its message handler, where a syntax
 * error is an internal error that closes the whole socket with 4500; here it becomes an `error` message for that
 * operation, coded `GRAPHQL_PARSE_FAILED` like over HTTP. Returning execution arguments makes graphql-ws skip its
 * own validation, so validation happens here too (its errors reach `onError` and are formatted there); custom
 * validation rules given to Apollo must be applied here as well.
 */
function prepareOperation(
  schema: GraphQLSchema,
  payload: { readonly query: string; readonly operationName?: string | null | undefined; readonly variables?: Record<string, unknown> | null | undefined },
): ExecutionArgs | readonly GraphQLError[] {
  let document: DocumentNode;
  try {
    document = parse(payload.query);
  } catch (error) {
    if (error instanceof GraphQLError) return [toParseFailedError(error)];
    throw error;
  }
  const errors = validate(schema, document);
  if (errors.length > 0) return errors;
  return { schema, document, operationName: payload.operationName, variableValues: payload.variables };
}
