import type { ExecutionResult, GraphQLSchema } from 'graphql';
import { createHandler } from 'graphql-sse/lib/use/express';
import { Router } from 'express';
import { createRequestContext, type Services } from './context.js';
import { formatError } from './format-error.js';

/**
 * Serves graphql-sse (distinct connections mode and single connection mode) at `path` with the same schema,
 * context and error formatting as HTTP. The operation's signal aborts when the client disconnects.
 */
export function createSseRouter(path: string, schema: GraphQLSchema, services: Services): Router {
  const development = services.config.env === 'development';
  const handler = createHandler({
    schema,
    context: (req) => {
      const controller = new AbortController();
      req.raw.once('close', () => controller.abort());
      // graphql-sse types its context as a plain record; ours is an interface with the same runtime shape.
      return createRequestContext(services, controller.signal) as unknown as Record<string, unknown>;
    },
    onNext: (_ctx, _req, result) => {
      const errors = (result as ExecutionResult).errors;
      return errors === undefined
        ? undefined
        : ({ ...result, errors: errors.map((error) => formatError(error, { development, logger: services.logger })) } as unknown as ExecutionResult);
    },
  });
  const router = Router();
  router.all(path, (req, res, next) => {
    handler(req, res).catch(next);
  });
  return router;
}
