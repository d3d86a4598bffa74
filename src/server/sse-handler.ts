import type { Request, Response } from 'express';
import { createHandler, type HandlerOptions, type OperationContext, type ResponseInit } from 'graphql-sse';
import type { GraphQLFormattedError } from 'graphql';
import { requestError } from './format-error.js';

/** What graphql-sse hands our hooks as `req.context`: the Express response, as its own Express adapter does. */
export interface SseRequestContext {
  readonly res: Response;
}

/** The code of a graphql-sse protocol refusal, by its HTTP status. */
const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'BAD_REQUEST',
  406: 'BAD_REQUEST',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'BAD_REQUEST',
  429: 'RATE_LIMITED',
};

/**
 * graphql-sse's messages that mislead on their own: a media API has streams of its own, and "Stream not found" reads
 * as a Kinesis stream that does not exist.
 */
const CLEARER_MESSAGES: Readonly<Record<string, string>> = {
  'Stream not found': 'No event stream is reserved for this token (graphql-sse single-connection mode): reserve one with PUT first.',
  'Stream already open': 'The event stream for this token is already open on another connection.',
  'Stream already registered': 'An event stream is already reserved for this token.',
  'Missing query': 'The request has no `query`: over this transport an operation is sent with its text (a persisted-query hash alone is accepted only over HTTP).',
};

/**
 * Serves graphql-sse on Express exactly as `graphql-sse/lib/use/express` does (the same request adapter and the same
 * streaming loop), except that the protocol's own refusals (status 400 and above: a missing operation id, an
 * unknown stream token, a conflicting stream, a mutation over GET, a body it cannot use) answer in the GraphQL error
 * shape with `extensions.code` and `extensions.retryable`, as every other error of the gateway does. Operation
 * errors inside an event stream are untouched here: the `onNext` hook formats them.
 * @returns a handler that resolves once the response has ended; it rejects only on a bug in a hook.
 */
export function createSseHandler<Context extends OperationContext>(
  options: HandlerOptions<Request, SseRequestContext, Context>,
): (req: Request, res: Response) => Promise<void> {
  const handler = createHandler<Request, SseRequestContext, Context>(options);
  return async (req, res) => {
    const [body, init] = await handler({
      method: req.method,
      url: req.url,
      headers: {
        get(key) {
          const header = req.headers[key];
          return Array.isArray(header) ? header.join('\n') : header;
        },
      },
      body: () => (req.body === undefined ? readText(req) : (req.body as Record<PropertyKey, unknown>)),
      raw: req,
      context: { res },
    });
    if (init.status >= 400) {
      writeRefusal(res, init, typeof body === 'string' ? body : null);
      return;
    }
    // Set one by one, not through writeHead: later readers (the shutdown path) see them with getHeader.
    for (const [name, value] of Object.entries(init.headers ?? {})) res.setHeader(name, value);
    res.writeHead(init.status, init.statusText);
    if (body === null || typeof body === 'string') {
      await new Promise<void>((resolve) => res.end(body ?? undefined, () => resolve()));
      return;
    }
    const stop = (): void => {
      void body.return(undefined);
    };
    res.once('close', stop);
    for await (const value of body) {
      // The response's `close` may come late; one ended at shutdown takes no more events (`writable` stays true).
      if (res.writableEnded || res.destroyed) break;
      const written = await new Promise<boolean>((resolve, reject) => res.write(value, (error) => (error === undefined || error === null ? resolve(true) : reject(error))));
      if (!written) break;
    }
    res.off('close', stop);
    if (res.writableEnded || res.destroyed) return;
    await new Promise<void>((resolve) => res.end(() => resolve()));
  };
}

/** The request body as text, for requests no body parser read (a GET, or a body of another type). */
function readText(req: Request): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.once('error', reject);
    req.once('end', () => resolve(text));
  });
}

/** Answers a graphql-sse refusal with coded errors: its own messages kept (made clearer where they mislead). */
function writeRefusal(res: Response, init: ResponseInit, body: string | null): void {
  const code = CODE_BY_STATUS[init.status] ?? 'INTERNAL_SERVER_ERROR';
  const errors = messagesOf(body).map((error): GraphQLFormattedError => {
    // graphql-sse validates the document itself and, outside an event stream, answers 400 with graphql-js's errors:
    // only those point into the document.
    const own = typeof error.extensions?.['code'] === 'string' ? error.extensions['code'] : error.locations === undefined ? undefined : 'GRAPHQL_VALIDATION_FAILED';
    const message = CLEARER_MESSAGES[error.message] ?? error.message;
    return { ...requestError(own ?? code, message), ...(error.locations === undefined ? {} : { locations: error.locations }) };
  });
  if (errors.length === 0) errors.push(requestError(code, `${init.statusText}.`));
  for (const [name, value] of Object.entries(init.headers ?? {})) if (name !== 'content-type') res.setHeader(name, value);
  res.status(init.status).json({ errors });
}

/** The errors of a graphql-sse JSON error body (`{ errors: [...] }`), or none when the body is not one. */
function messagesOf(body: string | null): GraphQLFormattedError[] {
  if (body === null || body === '') return [];
  try {
    const parsed: unknown = JSON.parse(body);
    const errors = typeof parsed === 'object' && parsed !== null ? (parsed as { errors?: unknown }).errors : undefined;
    if (!Array.isArray(errors)) return [];
    return errors.filter((error): error is GraphQLFormattedError => typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string');
  } catch {
    // Not JSON: a plain-text refusal; the status says what happened.
    return [];
  }
}
