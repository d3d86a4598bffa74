import { GraphQLError, Kind, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import { DEFAULT_RETRY_AFTER_MS, isDomainError, isRetryableCode } from '../core/domain-error.js';
import type { Logger } from '../core/logger.js';
import { authRefusals, graphqlErrors } from '../core/metrics.js';

/** GraphQL-level codes produced by parsing/validation/coercion; safe to show as they are (no provider data). */
const PASS_THROUGH_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'BAD_REQUEST',
]);

/**
 * Codes the gateway's own pre-execution checks put on GraphQLErrors (authentication, root-field scopes, router
 * secret, rate limits); written here, never by a provider, so their messages and details are safe to show.
 */
const GATEWAY_CODES = new Set(['FORBIDDEN', 'RATE_LIMITED', 'UNAUTHENTICATED']);

/** Extension keys never passed through: transport internals and anything that could carry a stack. */
const HIDDEN_EXTENSIONS = new Set(['stacktrace', 'exception', 'http', 'originalError']);

/** Client-safe scalar details of an error, merged into `extensions`. */
export type ErrorDetails = Readonly<Record<string, string | number | boolean | null>>;

/** Options for {@link formatError}. */
export interface FormatErrorOptions {
  /** Development adds the original message of masked errors under `extensions.debugMessage`. */
  readonly development: boolean;
  readonly logger: Logger;
}

/**
 * The one place where errors become what clients see, for HTTP, graphql-ws and SSE alike.
 * - `DomainError` (possibly wrapped by graphql-js): its code, client message, `retryable` and safe details.
 * - Parse/validation/coercion errors from graphql-js and Apollo: unchanged, without stack traces.
 * - Anything else: masked as `INTERNAL_SERVER_ERROR` and logged with its cause; never a stack, a provider
 *   message, an ARN or a credential (RELIABILITY.md S11).
 * Every result carries `extensions.code` and `extensions.retryable` (see {@link contractExtensions}).
 */
export function formatError(error: GraphQLError, options: FormatErrorOptions): GraphQLFormattedError {
  const original = unwrap(error);
  const locations = error.locations;
  const path = error.path;
  const base = { ...(locations === undefined ? {} : { locations }), ...(path === undefined ? {} : { path }) };
  if (isDomainError(original)) {
    if (original.code === 'INTERNAL_SERVER_ERROR') {
      options.logger.warn({ code: original.code, path, err: describeCause(original.cause) }, 'upstream or internal error');
    } else if (original.code.startsWith('UPSTREAM_')) {
      // An outage fails many requests: its warning is the circuit breaker's, once per state change; each request's
      // code is in its access line, and the cause here for whoever turns debug on.
      options.logger.debug({ code: original.code, path, err: describeCause(original.cause) }, 'upstream or internal error');
    }
    const extensions = contractExtensions(original.code, original.details, original.retryable);
    // The provider's own message helps while developing; outside development it could name resources.
    if (options.development && original.debugMessage !== undefined) extensions['debugMessage'] = original.debugMessage;
    return { message: original.message, ...base, extensions };
  }
  const code = typeof error.extensions['code'] === 'string' ? error.extensions['code'] : undefined;
  if (original === undefined || original.name === 'GraphQLError') {
    if (code !== undefined && (PASS_THROUGH_CODES.has(code) || GATEWAY_CODES.has(code))) {
      // Scalar details such as `limit`/`max` of a limit error or the missing `scope` stay; nothing nested does.
      const extensions: Record<string, string | number | boolean | null> = {};
      for (const [key, value] of Object.entries(error.extensions)) {
        if (HIDDEN_EXTENSIONS.has(key)) continue;
        if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') extensions[key] = value;
      }
      const retryable = typeof extensions['retryable'] === 'boolean' ? extensions['retryable'] : undefined;
      return { message: error.message, ...base, extensions: contractExtensions(code, extensions, retryable) };
    }
    if (code === undefined && error.path === undefined && isVariableError(error)) {
      // graphql-js variable coercion errors ("got invalid value", "was not provided") on the graphql-ws and SSE
      // paths. Over HTTP, Apollo codes the same errors BAD_USER_INPUT; without this they would be masked (the
      // scalar's own GraphQLError is their originalError) or reported as validation failures.
      return { message: error.message, ...base, extensions: contractExtensions('BAD_USER_INPUT') };
    }
    if (code === undefined && original === undefined && error.path === undefined) {
      // graphql-js validation errors without an Apollo code (graphql-ws, SSE paths).
      return { message: error.message, ...base, extensions: contractExtensions('GRAPHQL_VALIDATION_FAILED') };
    }
  }
  options.logger.error({ path, err: describeCause(original ?? error) }, 'unexpected error masked');
  graphqlErrors.labels('INTERNAL_SERVER_ERROR').inc();
  return {
    message: 'Internal server error.',
    ...base,
    extensions: {
      code: 'INTERNAL_SERVER_ERROR',
      retryable: false,
      ...(options.development ? { debugMessage: (original ?? error).message } : {}),
    },
  };
}

/**
 * The `extensions` every error a client sees carries, whatever the transport: `details`, then `code` and
 * `retryable` (`retryable` as given, else the code's default from `isRetryableCode`). A retryable `RATE_LIMITED`
 * always says how long to wait: its own `retryAfterMs`, or `DEFAULT_RETRY_AFTER_MS` when its source knows none.
 */
export function contractExtensions(code: string, details: ErrorDetails = {}, retryable?: boolean): Record<string, string | number | boolean | null> {
  graphqlErrors.labels(code).inc();
  if (code === 'FORBIDDEN') authRefusals.labels('forbidden').inc();
  const canRetry = retryable ?? isRetryableCode(code);
  const extensions: Record<string, string | number | boolean | null> = { ...details, code, retryable: canRetry };
  if (code === 'RATE_LIMITED' && canRetry && typeof extensions['retryAfterMs'] !== 'number') extensions['retryAfterMs'] = DEFAULT_RETRY_AFTER_MS;
  return extensions;
}

/**
 * A request-level error in the shape {@link formatError} gives, for answers written without graphql-js or Apollo
 * (body parser refusals, authentication and rate-limit refusals, SSE protocol errors). `message` must be safe for
 * clients; `details` are merged into `extensions`.
 */
export function requestError(code: string, message: string, details: ErrorDetails = {}, retryable?: boolean): GraphQLFormattedError {
  return { message, extensions: contractExtensions(code, details, retryable) };
}

/**
 * A result as clients receive it: errors through {@link formatError}, `errors` omitted when there are none. The
 * same shape graphql-ws sends, so results written directly to a socket and those sent by graphql-ws agree.
 */
export function formatResult(result: ExecutionResult, options: FormatErrorOptions): ExecutionResult | { readonly data?: unknown; readonly errors: readonly GraphQLFormattedError[] } {
  if (result.errors === undefined) return result;
  const { errors, ...rest } = result;
  return { ...rest, errors: errors.map((error) => formatError(error, options)) };
}

/**
 * Tags a graphql-js syntax error with `GRAPHQL_PARSE_FAILED`, the code Apollo gives parse errors over HTTP, so
 * that graphql-ws and SSE report an unparsable document exactly as HTTP does (see `formatError`).
 */
export function toParseFailedError(syntaxError: GraphQLError): GraphQLError {
  return new GraphQLError(syntaxError.message, {
    ...(syntaxError.source === undefined ? {} : { source: syntaxError.source }),
    ...(syntaxError.positions === undefined ? {} : { positions: syntaxError.positions }),
    extensions: { code: 'GRAPHQL_PARSE_FAILED' },
  });
}

/**
 * Whether graphql-js raised `error` while coercing a variable value. Same test as Apollo's (one variable
 * definition node and one of graphql-js's coercion messages), so both transports classify alike; validation
 * errors about variables ("is never used", "is not defined") do not match.
 */
function isVariableError(error: GraphQLError): boolean {
  const node = error.nodes?.length === 1 ? error.nodes[0] : undefined;
  if (node?.kind !== Kind.VARIABLE_DEFINITION) return false;
  const prefix = `Variable "$${node.variable.name.value}" `;
  return ['got invalid value ', 'of required type ', 'of non-null type '].some((rest) => error.message.startsWith(`${prefix}${rest}`));
}

/** graphql-js and Apollo may wrap a thrown error in one or more GraphQLErrors; find what was really thrown. */
function unwrap(error: GraphQLError): Error | undefined {
  let current: Error | undefined = error.originalError;
  // Duck-typed on purpose: a GraphQLError from another copy of graphql-js must unwrap too.
  while (current !== undefined && current.name === 'GraphQLError' && 'originalError' in current) {
    const inner: unknown = current.originalError;
    if (!(inner instanceof Error)) break;
    current = inner;
  }
  return current;
}

function describeCause(cause: unknown): { name: string; message: string } | undefined {
  if (cause instanceof Error) return { name: cause.name, message: cause.message };
  return cause === undefined ? undefined : { name: 'non-error', message: String(cause) };
}
