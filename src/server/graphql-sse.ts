import { GraphQLError, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { createHandler } from 'graphql-sse/lib/use/express';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { createRequestContext, type Services } from '../auth/request-context.js';
import type { Security } from '../auth/security.js';
import { endAtExpiry } from './expiring-subscription.js';
import { formatError } from './format-error.js';
import { accessOf, authenticateRequests, ROUTER_SECRET_HEADER } from './http-security.js';
import type { OperationGuard } from './operation-guard.js';
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

export function createSseRouter(
  path: string,
  schema: GraphQLSchema,
  services: Services,
  shared: SharedSubscriptions,
  security: { readonly security: Security; readonly guard: OperationGuard },
): SseEndpoint {
  const development = services.config.env === 'development';
  // graphql-sse types its context as a plain record; ours is an interface with the same runtime shape.
  const contextFor = (raw: Request): Record<string, unknown> => {
    const controller = new AbortController();
    raw.once('close', () => controller.abort());
    return createRequestContext(services, controller.signal, accessOf(raw)) as unknown as Record<string, unknown>;
  };
  const handler = createHandler<Record<string, unknown>>({
    schema,
    // Identical subscriptions run once and fan out, exactly as over graphql-ws; they end when the credential does.
    subscribe: async (args) => {
      const result = await shared.subscribe(args);
      const expiresAt = (args.contextValue as { access?: { principal: { expiresAt: number | undefined } } }).access?.principal.expiresAt;
      return Symbol.asyncIterator in result ? endAtExpiry(result, expiresAt) : result;
    },
    context: (req) => contextFor(req.raw),
    onSubscribe: (req, params) => {
      // The same parse, limits, safelist and federation checks as HTTP and graphql-ws. graphql-sse would answer a
      // syntax error with a bare 400 (no code); it is reported in the stream instead, coded like over HTTP.
      // graphql-sse only accepts results with `data`.
      const secret = req.raw.headers[ROUTER_SECRET_HEADER];
      const checked = security.guard.check(params, typeof secret === 'string' ? secret : undefined, { validate: false, access: accessOf(req.raw) });
      if (!checked.ok) return { data: undefined, errors: [...checked.errors] };
      if (checked.document === undefined) {
        return {
          data: undefined,
          errors: [new GraphQLError('A persisted query must be sent with its text over this transport.', { extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED' } })],
        };
      }
      // Parsed once here; graphql-sse still validates these arguments itself.
      return { schema, document: checked.document, operationName: params.operationName, variableValues: params.variables, contextValue: contextFor(req.raw) };
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
    authenticateRequests(security.security, services.logger),
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
