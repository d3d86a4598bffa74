import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../core/logger.js';
import { requestError, type ErrorDetails } from './format-error.js';

/** Why a request body was refused; the names body-parser uses, plus `entity.too.deep`. */
export type BodyErrorType =
  | 'entity.too.large'
  | 'entity.too.deep'
  | 'entity.parse.failed'
  | 'charset.unsupported'
  | 'encoding.unsupported'
  | 'request.size.invalid'
  | 'request.aborted';

/**
 * A refused request body (see `jsonBody`). `message` and `details` are written for clients (no body content, no
 * parser message); {@link bodyErrorHandler} answers it with `status`.
 */
export class BodyError extends Error {
  constructor(
    readonly type: BodyErrorType,
    message: string,
    /** HTTP status of the answer (400, 413, 415). */
    readonly status: number,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/**
 * Express error handler for refused request bodies, in the GraphQL error shape with `extensions.code` and
 * `extensions.retryable` (false: the same body is refused again): 413 `PAYLOAD_TOO_LARGE` (`maxBytes`) for a body
 * over the limit; 400 `BAD_REQUEST` for one nested too deep (`limit: "jsonDepth"`, `max`), not JSON, cut short or
 * corrupt; 415 `BAD_REQUEST` for an unsupported charset or content coding. body-parser's own errors (routes
 * that still use it) are answered by their `type` the same way. Anything else is a 500 `INTERNAL_SERVER_ERROR`,
 * logged with `err`.
 */
export function bodyErrorHandler(logger: Logger): (error: unknown, req: Request, res: Response, next: NextFunction) => void {
  return (error, _req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    if (error instanceof BodyError) {
      const code = error.type === 'entity.too.large' ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
      res.status(error.status).json({ errors: [requestError(code, error.message, error.details)] });
      return;
    }
    const type = typeof error === 'object' && error !== null && 'type' in error ? (error as { type: unknown }).type : undefined;
    if (type === 'entity.too.large') {
      res.status(413).json({ errors: [requestError('PAYLOAD_TOO_LARGE', 'Request body too large.')] });
      return;
    }
    if (type === 'entity.parse.failed' || type === 'encoding.unsupported' || type === 'charset.unsupported') {
      res.status(400).json({ errors: [requestError('BAD_REQUEST', 'Malformed request body.')] });
      return;
    }
    logger.error({ err: error instanceof Error ? { name: error.name, message: error.message } : String(error) }, 'request failed before GraphQL');
    res.status(500).json({ errors: [requestError('INTERNAL_SERVER_ERROR', 'Internal server error.')] });
  };
}
