import { useServer } from 'graphql-ws/use/ws';
import type { ExecutionResult, GraphQLSchema } from 'graphql';
import type { WebSocketServer } from 'ws';
import { createRequestContext, type Services } from './context.js';
import { formatError } from './format-error.js';

/** Handle returned by {@link attachGraphqlWs}. */
export interface GraphqlWsHandle {
  /** Closes every socket with 1001 (going away) and stops the server; resolves when all are closed. */
  dispose(): Promise<void>;
}

/** How long a socket may stay open without `connection_init` (graphql-ws closes with 4408). */
export const CONNECTION_INIT_WAIT_MS = 3_000;

/**
 * Serves the graphql-ws protocol on `ws` for queries, mutations and subscriptions, with the same schema,
 * context and error formatting as HTTP. Each operation gets its own context whose signal aborts when the
 * operation completes or the socket closes.
 */
export function attachGraphqlWs(ws: WebSocketServer, schema: GraphQLSchema, services: Services): GraphqlWsHandle {
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
  return {
    dispose: async () => {
      for (const client of ws.clients) client.close(1001, 'Server shutting down');
      await disposable.dispose();
    },
  };
}
