import { GraphQLError, parse, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { createHandler } from 'graphql-sse/lib/use/express';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { createRequestContext, type Services } from './context.js';
import { formatError, toParseFailedError } from './format-error.js';
import type { SharedSubscriptions } from './shared-subscriptions.js';

/**
 * Serves graphql-sse (distinct connections mode and single connection mode) at `path` with the same schema,
 * context and error formatting as HTTP. The operation's signal aborts when the client disconnects.
 */
/** The SSE router and a way to drop its open streams at shutdown. */
export interface SseEndpoint {
  readonly router: Router;
  /**
   * Cuts every open event stream at the TCP level. At shutdown this must come before the subscriptions end:
   * a stream that ends with `complete` tells the client the subscription is over, while a cut connection makes
   * it reconnect (to another instance) and resume (RELIABILITY.md R3).
   */
  dropStreams(): void;
}

export function createSseRouter(path: string, schema: GraphQLSchema, services: Services, shared: SharedSubscriptions): SseEndpoint {
  const development = services.config.env === 'development';
  // graphql-sse types its context as a plain record; ours is an interface with the same runtime shape.
  const contextFor = (raw: Request): Record<string, unknown> => {
    const controller = new AbortController();
    raw.once('close', () => controller.abort());
    return createRequestContext(services, controller.signal) as unknown as Record<string, unknown>;
  };
  const handler = createHandler<Record<string, unknown>>({
    schema,
    // Identical subscriptions run once and fan out, exactly as over graphql-ws.
    subscribe: (args) => shared.subscribe(args),
    context: (req) => contextFor(req.raw),
    onSubscribe: (req, params) => {
      // graphql-sse answers a syntax error with a bare 400 (no code) instead of a GraphQL result; report it in
      // the stream, coded GRAPHQL_PARSE_FAILED like over HTTP. graphql-sse only accepts results with `data`.
      let document: DocumentNode;
      try {
        document = parse(params.query);
      } catch (error) {
        if (error instanceof GraphQLError) return { data: undefined, errors: [toParseFailedError(error)] };
        throw error;
      }
      // Parsed once here; graphql-sse still validates these arguments itself.
      return { schema, document, operationName: params.operationName, variableValues: params.variables, contextValue: contextFor(req.raw) };
    },
    onNext: (_ctx, _req, result) => {
      const errors = (result as ExecutionResult).errors;
      return errors === undefined
        ? undefined
        : ({ ...result, errors: errors.map((error) => formatError(error, { development, logger: services.logger })) } as unknown as ExecutionResult);
    },
  });
  const open = new Set<Response>();
  const router = Router();
  router.all(
    path,
    requireJsonPost,
    // graphql-sse would otherwise buffer a body of any size in memory; this is the same limit as `/graphql`
    // (RELIABILITY.md S6). Errors (413, malformed JSON) go to the gateway's body error handler.
    express.json({ limit: services.config.graphqlBodyLimitBytes, type: 'application/json' }),
    (req, res, next) => {
      open.add(res);
      res.once('close', () => open.delete(res));
      handler(req, res).catch(next);
    },
  );
  return {
    router,
    dropStreams: () => {
      for (const res of open) res.destroy();
      open.clear();
    },
  };
}

/**
 * CSRF prevention for the SSE endpoint (RELIABILITY.md S9). graphql-sse accepts any POST whose content-type merely
 * contains `application/json`, so `text/plain; x=application/json` (a CORS "simple" request a foreign page can send
 * without a preflight) would run a mutation. A POST must be `application/json` by media type; `GET` stays open for
 * EventSource clients (graphql-sse refuses mutations over GET with 405).
 */
function requireJsonPost(req: Request, res: Response, next: NextFunction): void {
  if (req.method !== 'POST' || req.is('application/json') === 'application/json') {
    next();
    return;
  }
  res.status(415).json({ errors: [{ message: 'POST requests must have content-type application/json.', extensions: { code: 'BAD_REQUEST' } }] });
}
