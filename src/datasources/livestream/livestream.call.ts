import { DomainError, badInput } from '../../core/domain-error.js';
import { abortError, withDeadline } from '../../core/deadline.js';

export { untilAborted } from '../../core/deadline.js';
import { translateLiveStreamError } from './livestream.errors.js';
import type { ListQuery } from './livestream.types.js';
import { LIVESTREAM_MAX_PAGE_SIZE } from './livestream.types.js';

/**
 * Plumbing shared by the Live Stream datasources: one deadline per call (retries included), cancellation of the
 * SDK call when it fires, error translation, and the input checks that reject bad arguments before any upstream
 * call.
 */

/**
 * Runs `run` under a deadline of `timeoutMs` (and the caller's `signal`), translating failures.
 *
 * @param run gets the call's signal and its deadline (epoch ms).
 * @throws DomainError UPSTREAM_TIMEOUT when the deadline fired, the translated provider error otherwise;
 *   AbortError when the caller's signal aborted.
 */
export async function runCall<T>(
  timeoutMs: number,
  parent: AbortSignal | undefined,
  run: (signal: AbortSignal, deadlineAt: number) => Promise<T>,
): Promise<T> {
  if (parent?.aborted) throw abortError(parent);
  const deadlineAt = Date.now() + timeoutMs;
  try {
    return await withDeadline(timeoutMs, parent, (signal) => run(signal, deadlineAt));
  } catch (error) {
    if (parent?.aborted) throw abortError(parent);
    throw translateLiveStreamError(error);
  }
}

const RESOURCE_ID = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks that `name` matches `pattern` (a resource name shape) so malformed names never reach the service.
 *
 * @throws DomainError BAD_USER_INPUT otherwise.
 */
export function requireName(name: string, pattern: RegExp, what: string): string {
  if (!pattern.test(name)) throw badInput(`The ${what} name is not valid.`);
  return name;
}

/** `projects/{p}/locations/{l}`. */
export const LOCATION_NAME = /^projects\/[^/]+\/locations\/[^/]+$/;
/** `projects/{p}/locations/{l}/assets/{a}`. */
export const ASSET_NAME = /^projects\/[^/]+\/locations\/[^/]+\/assets\/[^/]+$/;
/** `projects/{p}/locations/{l}/channels/{c}`. */
export const CHANNEL_NAME = /^projects\/[^/]+\/locations\/[^/]+\/channels\/[^/]+$/;
/** `projects/{p}/locations/{l}/channels/{c}/dvrSessions/{d}`. */
export const DVR_SESSION_NAME = /^projects\/[^/]+\/locations\/[^/]+\/channels\/[^/]+\/dvrSessions\/[^/]+$/;
/** `projects/{p}/locations/{l}/operations/{o}`. */
export const OPERATION_NAME = /^projects\/[^/]+\/locations\/[^/]+\/operations\/[^/]+$/;

/**
 * Checks a new resource id against the documented rule (1-63 of `[a-z0-9-]`, `[a-z0-9]` at both ends).
 *
 * @throws DomainError BAD_USER_INPUT otherwise.
 */
export function requireResourceId(id: string, field: string): string {
  if (!RESOURCE_ID.test(id)) {
    throw badInput(`${field} must be 1-63 lower-case letters, digits or dashes, starting and ending with a letter or digit.`);
  }
  return id;
}

/**
 * The request id of a mutation: the caller's (a client retrying its own call passes the same one), or a new UUID.
 *
 * @throws DomainError BAD_USER_INPUT when the caller's id is not a non-zero UUID (the API's rule).
 */
export function requestIdFor(given: string | undefined, generate: () => string): string {
  if (given === undefined) return generate();
  if (!UUID.test(given) || /^[0-]+$/.test(given)) throw badInput('The request id must be a UUID.');
  return given;
}

/**
 * Checks list parameters.
 *
 * @throws DomainError BAD_USER_INPUT for a page size outside 1..{@link LIVESTREAM_MAX_PAGE_SIZE}.
 */
export function requirePageQuery(query: ListQuery): ListQuery {
  if (!Number.isInteger(query.pageSize) || query.pageSize < 1 || query.pageSize > LIVESTREAM_MAX_PAGE_SIZE) {
    throw new DomainError('BAD_USER_INPUT', `The page size must be between 1 and ${LIVESTREAM_MAX_PAGE_SIZE}.`, {
      details: { maxPageSize: LIVESTREAM_MAX_PAGE_SIZE },
    });
  }
  return query;
}

/** `''` (what the API sends at the end of a list) and null become `undefined`. */
export function pageToken(token: string | null | undefined): string | undefined {
  return token === null || token === undefined || token === '' ? undefined : token;
}
