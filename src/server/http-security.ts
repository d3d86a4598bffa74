import type { IncomingMessage } from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { GraphQLError } from 'graphql';
import type { Access } from '../auth/access.js';
import type { Security } from '../auth/security.js';
import { DomainError, HTTP_STATUS_BY_CODE, isDomainError } from '../core/domain-error.js';
import type { RequestContext } from '../auth/services.js';
import type { Logger } from '../core/logger.js';
import { formatError, requestError } from './format-error.js';
import type { GuardedRequest, OperationGuard } from './operation-guard.js';

const accessByRequest = new WeakMap<IncomingMessage, Access>();

/** Header a federation router presents to reach `_service` and `_entities` (see `SUBGRAPH_ROUTER_SECRET`). */
export const ROUTER_SECRET_HEADER = 'x-router-secret';

/**
 * The {@link Access} the authentication middleware attached to `req`.
 * @throws Error when the middleware did not run for this route (a wiring mistake, never a client error).
 */
export function accessOf(req: IncomingMessage): Access {
  const access = accessByRequest.get(req);
  if (access === undefined) throw new Error('no access for this request: the authentication middleware is not mounted on this route');
  return access;
}

/** The tenant of the caller {@link authenticateRequests} admitted on `req`; `undefined` when none or no middleware ran (access log). */
export function tenantOfRequest(req: IncomingMessage): string | undefined {
  return accessByRequest.get(req)?.principal.tenant;
}

/**
 * Express middleware: authenticates the request from its headers alone and attaches the resulting {@link Access}
 * for {@link accessOf}. Mount it before the body parser: a caller without valid credentials is refused before a
 * byte of its body is read (RELIABILITY.md S16). Refusals answer 401 (with `WWW-Authenticate`) or the status of
 * the error's code, in the GraphQL error shape; the body is then left unread (Node discards it).
 */
export function authenticateRequests(security: Security, logger: Logger): RequestHandler {
  return (req, res, next) => {
    security.fromHeaders(req.headers).then(
      (access) => {
        accessByRequest.set(req, access);
        next();
      },
      (error: unknown) => sendRefusal(res, error, logger),
    );
  };
}

/**
 * Express middleware, after {@link authenticateRequests} and the body parser: charges the caller's tenant one
 * request per operation (a batched POST of at most `batchMax` operations holds several). A refusal answers 429
 * with `Retry-After` (or the status of the error's code), in the GraphQL error shape.
 */
export function chargeRequests(security: Security, logger: Logger, batchMax = 0): RequestHandler {
  return (req, res, next) => {
    // A batch that will run is as many requests as it holds operations; one that will be refused (batching off,
    // or longer than `batchMax`) costs one, like any refused request.
    const body: unknown = req.body;
    security.charge(accessOf(req), Array.isArray(body) && body.length <= batchMax ? Math.max(1, body.length) : 1).then(
      () => next(),
      (error: unknown) => sendRefusal(res, error, logger),
    );
  };
}

/**
 * Express middleware for the GraphQL HTTP endpoint, after the body parser: every operation of the request
 * (a GET's query string, a POST body, or each entry of a batch) passes the {@link OperationGuard} before Apollo
 * sees it. Batches are refused with 400 when longer than `batchMax` (Apollo refuses them all when it is 0).
 */
export function guardOperations(guard: OperationGuard, batchMax: number, development: boolean, logger: Logger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const requests = operationsOf(req);
    if (requests === undefined) {
      next();
      return;
    }
    if (requests.length > 1 && batchMax > 0 && requests.length > batchMax) {
      sendErrors(res, 400, [new DomainError('BAD_USER_INPUT', `A batch may hold at most ${batchMax} operations.`, { details: { max: batchMax } })], development, logger);
      return;
    }
    const secret = req.headers[ROUTER_SECRET_HEADER];
    for (const request of requests) {
      const result = guard.check(request, typeof secret === 'string' ? secret : undefined, { validate: false, access: accessOf(req) });
      if (!result.ok) {
        sendErrors(res, result.status, result.errors, development, logger);
        return;
      }
    }
    next();
  };
}

/** The operations of a GraphQL HTTP request, or undefined when it has none Apollo would run (Apollo answers those). */
function operationsOf(req: Request): GuardedRequest[] | undefined {
  if (req.method === 'GET') {
    const query = req.query as Record<string, unknown>;
    return [
      {
        query: typeof query['query'] === 'string' ? query['query'] : undefined,
        operationName: typeof query['operationName'] === 'string' ? query['operationName'] : undefined,
        variables: parseJsonObject(query['variables']),
        extensions: parseJsonObject(query['extensions']),
      },
    ];
  }
  const body: unknown = req.body;
  if (Array.isArray(body)) return body.filter(isRecord).map(toGuarded);
  return isRecord(body) ? [toGuarded(body)] : undefined;
}

function toGuarded(body: Record<string, unknown>): GuardedRequest {
  return {
    query: typeof body['query'] === 'string' ? body['query'] : undefined,
    operationName: typeof body['operationName'] === 'string' ? body['operationName'] : undefined,
    variables: isRecord(body['variables']) ? body['variables'] : undefined,
    extensions: isRecord(body['extensions']) ? body['extensions'] : undefined,
  };
}

function parseJsonObject(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    // Apollo reports the malformed parameter itself; the guard then checks the query without variables.
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sendErrors(res: Response, status: number, errors: readonly (GraphQLError | DomainError)[], development: boolean, logger: Logger): void {
  const formatted = errors.map((error) => (isDomainError(error) ? requestError(error.code, error.message, error.details, error.retryable) : formatError(error, { development, logger })));
  res.status(status).json({ errors: formatted });
}

/** Answers an authentication or rate-limit refusal; anything else is an internal error, logged. */
function sendRefusal(res: Response, error: unknown, logger: Logger): void {
  if (!isDomainError(error)) {
    logger.error({ err: error instanceof Error ? { name: error.name, message: error.message } : String(error) }, 'authentication failed unexpectedly');
    res.status(500).json({ errors: [requestError('INTERNAL_SERVER_ERROR', 'Internal server error.')] });
    return;
  }
  if (error.code === 'UNAUTHENTICATED') res.setHeader('WWW-Authenticate', 'Bearer, ApiKey');
  const retryAfterMs = error.details['retryAfterMs'];
  if (error.code === 'RATE_LIMITED' && typeof retryAfterMs === 'number') res.setHeader('Retry-After', String(Math.max(1, Math.ceil(retryAfterMs / 1000))));
  res.status(HTTP_STATUS_BY_CODE[error.code]).json({ errors: [requestError(error.code, error.message, error.details, error.retryable)] });
}

/**
 * Apollo plugin that refuses a subscription sent as a plain HTTP request with a coded 400 `BAD_REQUEST` naming
 * the transports that carry one. Apollo's HTTP handler would otherwise run the subscription's resolver as if it
 * were a query and fail inside it with a masked 500, which tells the caller nothing.
 * @param ssePath where Server-Sent Events subscriptions are served, named in the error message.
 */
export function subscriptionsNeedStreamingTransport(graphqlPath: string, ssePath: string): ApolloServerPlugin<RequestContext> {
  const message = `A subscription runs over WebSocket (graphql-ws) at ${graphqlPath} or Server-Sent Events at ${ssePath}, not over a plain HTTP request.`;
  return {
    requestDidStart: () =>
      Promise.resolve({
        didResolveOperation: ({ operation }) =>
          operation?.operation === 'subscription'
            ? Promise.reject(new GraphQLError(message, { extensions: { code: 'BAD_REQUEST', retryable: false, http: { status: 400 } } }))
            : Promise.resolve(),
      }),
  };
}

/**
 * Apollo plugin that guards automatic persisted queries sent by hash alone. {@link guardOperations} sees no text
 * in such a request; Apollo resolves the hash to a text some earlier request registered, and what that text may
 * do depends on who asks now (scopes, router secret, `_entities` count and cost with these variables). So once
 * Apollo has resolved the operation, the same document checks run on it before anything executes; a refusal
 * answers with the guard's error and status, exactly as for the text sent in full.
 */
export function persistedQueryGuard(guard: OperationGuard): ApolloServerPlugin<RequestContext> {
  return {
    // Only a request that arrived without text skipped the middleware's checks.
    requestDidStart: ({ request }) =>
      Promise.resolve(
        typeof request.query === 'string' && request.query !== ''
          ? undefined
          : {
              didResolveOperation: ({ document, request: resolved, contextValue }) => {
                const secret = resolved.http?.headers.get(ROUTER_SECRET_HEADER) ?? undefined;
                const result = guard.checkDocument(document, resolved, secret, { validate: false, access: contextValue.access });
                if (result.ok) return Promise.resolve();
                // Apollo answers one thrown error; the guard's first is the one the full text would have led with.
                const [first] = result.errors;
                return Promise.reject(
                  new GraphQLError(first?.message ?? 'The operation was refused.', {
                    nodes: first?.nodes,
                    extensions: { ...first?.extensions, http: { status: result.status } },
                  }),
                );
              },
            },
      ),
  };
}
