import type { NextFunction, Request, Response } from 'express';

/**
 * Express error handler for what the body parser refuses: 413 `PAYLOAD_TOO_LARGE` for a body over the limit, 400
 * `BAD_REQUEST` for one that is not JSON in a supported charset, in the GraphQL error shape. Anything else is a 500.
 */
export function bodyErrorHandler(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  const type = typeof error === 'object' && error !== null && 'type' in error ? (error as { type: unknown }).type : undefined;
  if (res.headersSent) {
    next(error);
    return;
  }
  if (type === 'entity.too.large') {
    res.status(413).json({ errors: [{ message: 'Request body too large.', extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
    return;
  }
  if (type === 'entity.parse.failed' || type === 'encoding.unsupported' || type === 'charset.unsupported') {
    res.status(400).json({ errors: [{ message: 'Malformed request body.', extensions: { code: 'BAD_REQUEST' } }] });
    return;
  }
  res.status(500).json({ errors: [{ message: 'Internal server error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
}
