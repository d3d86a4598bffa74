import { randomUUID } from 'node:crypto';

/** The header a request id arrives and leaves in (the router's, a load balancer's, or the client's). */
export const REQUEST_ID_HEADER = 'x-request-id';

/** Longest request id accepted from a caller; longer ones are replaced, since the id lands in every log line. */
export const MAX_REQUEST_ID_LENGTH = 128;

/** Characters a caller's request id may use: enough for UUIDs, ULIDs, AWS and W3C trace ids; nothing a log or header could misread. */
const SAFE_ID = /^[A-Za-z0-9._:@=+/-]+$/;

/**
 * The request id for a request: the caller's `x-request-id` when it is one value of 1-{@link MAX_REQUEST_ID_LENGTH}
 * safe characters, else a new UUID. Pure apart from the random UUID.
 */
export function requestIdFrom(header: string | readonly string[] | undefined): string {
  if (typeof header === 'string' && header.length > 0 && header.length <= MAX_REQUEST_ID_LENGTH && SAFE_ID.test(header)) return header;
  return randomUUID();
}
