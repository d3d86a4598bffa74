import { GraphQLError, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { Router, type NextFunction, type Request, type Response } from 'express';
import { createRequestContext, type Services } from '../auth/request-context.js';
import type { Security } from '../auth/security.js';
import { reenterRequestScope } from './access-log.js';
import { endAtExpiry, endAtShutdown } from './expiring-subscription.js';
import { formatError, requestError } from './format-error.js';
import { accessOf, authenticateRequests, chargeRequests, ROUTER_SECRET_HEADER } from './http-security.js';
import { jsonBody } from './json-body.js';
import type { OperationGuard } from './operation-guard.js';
import type { PulledTransport, SharedSubscriptions } from './shared-subscriptions.js';
import { createSseHandler } from './sse-handler.js';

/** What a stream still open after its subscriptions ended at shutdown says last: an SSE comment, which clients skip. */
const SHUTDOWN_COMMENT = ': server shutting down; reconnect to resume\n\n';

/**
 * How long {@link SseEndpoint.endStreams} waits for the subscriptions' last events to be handed to their
 * responses. graphql-sse writes them without waiting for a slow client, so this bounds only a subscription whose
 * source does not return promptly.
 */
const SHUTDOWN_FLUSH_MS = 1_000;

/** The SSE router and a way to end its open streams at shutdown. */
export interface SseEndpoint {
  readonly router: Router;
  /**
   * Ends every open subscription and event stream, at shutdown, before the live hub closes. Each subscription
   * delivers what was queued for it, then one result with a retryable `SHUTTING_DOWN` error and a `complete`
   * event, as a graphql-ws client gets 1001 (RELIABILITY.md R3): the client knows it was a deploy, not the end of
   * its subscription, and subscribes again from its last fragment. A distinct-connection stream then ends; a
   * single-connection stream gets an SSE comment saying the server is going away and a clean end; a request whose
   * stream has not started yet is cut. Resolves when all of that is written (at most about a second). Never rejects.
   */
  endStreams(): Promise<void>;
}

/**
 * Serves graphql-sse (distinct connections mode and single connection mode) at `path` with the same schema,
 * context, authentication, body limits and error formatting as HTTP. Credentials are checked from the headers
 * before the body is read; a GET or POST that is no event-stream request (no `Accept: text/event-stream`, no
 * single-connection token) gets 406 `BAD_REQUEST` naming the header. The operation's signal aborts when the
 * client disconnects. Lifetime: the gateway's; {@link SseEndpoint.endStreams} ends the open streams.
 */
export function createSseRouter(
  path: string,
  schema: GraphQLSchema,
  services: Services,
  shared: SharedSubscriptions,
  security: { readonly security: Security; readonly guard: OperationGuard },
): SseEndpoint {
  const development = services.config.env === 'development';
  const transports = new WeakMap<object, PulledTransport>();
  const stopping = new AbortController();
  // Subscriptions that have not yet delivered their last result; shutdown waits for this to empty.
  let running = 0;
  let allFinished: (() => void) | undefined;
  const finished = (): void => {
    running -= 1;
    if (running === 0) allFinished?.();
  };
  // graphql-sse types its context as a plain record; ours is an interface with the same runtime shape.
  const contextFor = (raw: Request): Record<string, unknown> => {
    const controller = new AbortController();
    raw.once('close', () => controller.abort());
    const context = createRequestContext(services, controller.signal, accessOf(raw)) as unknown as Record<string, unknown>;
    // The response's own queue counts against the subscriber's buffer (RELIABILITY.md R1; see PulledTransport).
    transports.set(context, { queuedBytes: () => raw.res?.writableLength ?? 0 });
    return context;
  };
  const handler = createSseHandler<Record<string, unknown>>({
    schema,
    // Identical subscriptions run once and fan out, exactly as over graphql-ws; they end when the credential does.
    subscribe: async (args) => {
      const result = await shared.subscribe(args, undefined, transports.get(args.contextValue));
      const expiresAt = (args.contextValue as { access?: { principal: { expiresAt: number | undefined } } }).access?.principal.expiresAt;
      if (!(Symbol.asyncIterator in result)) return result;
      running += 1;
      return endAtShutdown(endAtExpiry(result, expiresAt), stopping.signal, finished);
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
    // Credentials first, from the headers alone: a caller without them costs no body read (RELIABILITY.md S16).
    authenticateRequests(security.security, services.logger),
    requireJsonPost,
    requireEventStream,
    // graphql-sse would otherwise buffer a body of any size in memory; this is the same size and depth limit as
    // `/graphql` (RELIABILITY.md S6, S16). Errors (413, too deep, malformed JSON) go to the gateway's body error handler.
    jsonBody({
      limitBytes: services.config.graphqlBodyLimitBytes,
      maxDepth: services.config.limits.jsonMaxDepth,
      types: ['application/json'],
      queryParameters: ['variables', 'extensions'],
    }),
    // The body arrived outside the request's scope: without it, upstream calls and the subscription's span would not
    // know their request.
    reenterRequestScope(),
    chargeRequests(security.security, services.logger),
    (req, res, next) => {
      open.add(res);
      res.once('close', () => open.delete(res));
      handler(req, res).catch(next);
    },
  );
  return {
    router,
    endStreams: async () => {
      const drained = new Promise<void>((resolve) => {
        allFinished = resolve;
        if (running === 0) resolve();
      });
      stopping.abort();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_FLUSH_MS)))]);
      clearTimeout(timer);
      // graphql-sse writes `complete` and ends a distinct-connection response once its iterator is done, a
      // microtask or two after the last result; what is still open after a turn of the event loop is a
      // single-connection stream or a request that never started streaming.
      await new Promise<void>((resolve) => setImmediate(resolve));
      for (const res of open) {
        // Ended by graphql-sse and still flushing its last events to a slow reader: the HTTP drain waits for it.
        if (res.writableEnded) continue;
        if (res.headersSent && String(res.getHeader('content-type')).startsWith('text/event-stream')) res.end(SHUTDOWN_COMMENT);
        else res.destroy();
      }
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
  res.status(415).json({ errors: [requestError('BAD_REQUEST', 'POST requests must have content-type application/json.')] });
}

/** graphql-sse's header that names a reserved stream (single connection mode); `?token=` does the same. */
const STREAM_TOKEN_HEADER = 'x-graphql-event-stream-token';

/**
 * Refuses with 406 a GET or POST that is not an event-stream request: graphql-sse would answer it 404 "Stream not
 * found", which reads as a media stream that does not exist. A request in single connection mode (it names a
 * reserved stream's token) passes, as do PUT and DELETE. An `Accept` that lists `text/event-stream` among others
 * is narrowed to it, since graphql-sse recognises only that exact value.
 */
function requireEventStream(req: Request, res: Response, next: NextFunction): void {
  if ((req.method !== 'GET' && req.method !== 'POST') || req.headers[STREAM_TOKEN_HEADER] !== undefined || new URL(req.url, 'http://localhost').searchParams.has('token')) {
    next();
    return;
  }
  const accept = req.headers.accept ?? '';
  if (accept !== 'text/event-stream' && listsEventStream(accept)) req.headers.accept = 'text/event-stream';
  if (req.headers.accept === 'text/event-stream') {
    next();
    return;
  }
  res
    .status(406)
    .json({ errors: [requestError('BAD_REQUEST', 'This endpoint streams Server-Sent Events: send the header `Accept: text/event-stream`.', { header: 'accept' })] });
}

/** Whether an `Accept` header names `text/event-stream` with a non-zero quality. */
function listsEventStream(accept: string): boolean {
  return accept.split(',').some((range) => {
    const [type, ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    return type === 'text/event-stream' && !parameters.some((parameter) => /^q=0(?:\.0*)?$/.test(parameter));
  });
}
