import { Writable } from 'node:stream';
import { GraphQLError, Kind, parse, type VariableDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_AFTER_MS, DomainError } from '../../../src/core/domain-error.js';
import { formatError, requestError, toParseFailedError } from '../../../src/server/format-error.js';
import { createLogger } from '../../../src/core/logger.js';

const SECRET_MESSAGE = 'AccessDenied for arn:aws:iam::123456789012:role/x secret=AKIAIOSFODNN7EXAMPLE/wJalrXUtnFEMI/K7MDENG';

function capturingLogger(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: createLogger('info', sink), lines };
}

/** An unexpected error as graphql-js hands it over after a resolver threw it. */
function resolverError(thrown: Error): GraphQLError {
  return new GraphQLError(thrown.message, { path: ['object'], originalError: thrown });
}

function variableDefinition(source: string): VariableDefinitionNode {
  const operation = parse(source).definitions[0];
  const definition = operation?.kind === Kind.OPERATION_DEFINITION ? operation.variableDefinitions?.[0] : undefined;
  if (definition === undefined) throw new Error('no variable definition');
  return definition;
}

describe('formatError', () => {
  it('masks an unexpected error carrying an ARN and a key as INTERNAL_SERVER_ERROR when in production', () => {
    const { logger } = capturingLogger();
    const formatted = formatError(resolverError(new Error(SECRET_MESSAGE)), { development: false, logger });
    expect(formatted).toEqual({ message: 'Internal server error.', path: ['object'], extensions: { code: 'INTERNAL_SERVER_ERROR', retryable: false } });
    const json = JSON.stringify(formatted);
    for (const leak of ['arn:aws', 'AKIA', 'secret=', 'stacktrace', 'exception', 'debugMessage', 'at ']) expect(json).not.toContain(leak);
  });

  it('masks an error wrapped twice by graphql-js when its original is not a domain error', () => {
    const { logger } = capturingLogger();
    const inner = resolverError(new TypeError(SECRET_MESSAGE));
    const outer = new GraphQLError(inner.message, { path: ['object'], originalError: inner });
    const formatted = formatError(outer, { development: false, logger });
    expect(formatted.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', retryable: false });
    expect(JSON.stringify(formatted)).not.toContain('arn:aws');
  });

  it('logs the cause of a masked error for operators when it hides it from clients', () => {
    const { logger, lines } = capturingLogger();
    formatError(resolverError(new Error(SECRET_MESSAGE)), { development: false, logger });
    expect(lines.join('')).toContain('unexpected error masked');
  });

  it('adds the original message as debugMessage only when in development', () => {
    const { logger } = capturingLogger();
    const formatted = formatError(resolverError(new Error('boom')), { development: true, logger });
    expect(formatted.extensions).toEqual({ code: 'INTERNAL_SERVER_ERROR', retryable: false, debugMessage: 'boom' });
  });

  it('passes a domain error through with its code, retryable flag and details when wrapped by graphql-js', () => {
    const { logger } = capturingLogger();
    const domain = new DomainError('BAD_USER_INPUT', '`first` must be at most 100.', { details: { maxFirst: 100 } });
    const formatted = formatError(resolverError(domain), { development: false, logger });
    expect(formatted).toEqual({
      message: '`first` must be at most 100.',
      path: ['object'],
      extensions: { code: 'BAD_USER_INPUT', retryable: false, maxFirst: 100 },
    });
  });

  it('keeps the client message but never the provider cause when an upstream domain error is formatted', () => {
    const { logger } = capturingLogger();
    const domain = new DomainError('UPSTREAM_UNAVAILABLE', 'The object store failed; try again later.', { cause: new Error(SECRET_MESSAGE) });
    const formatted = formatError(resolverError(domain), { development: false, logger });
    expect(formatted.extensions?.['code']).toBe('UPSTREAM_UNAVAILABLE');
    expect(JSON.stringify(formatted)).not.toContain('arn:aws');
  });

  it('codes a variable coercion error BAD_USER_INPUT when graphql-js raised it outside Apollo', () => {
    const { logger } = capturingLogger();
    const node = variableDefinition('query Q($f: Int!) { a }');
    const scalarError = new GraphQLError('Int cannot represent non-integer value: "abc"');
    const error = new GraphQLError('Variable "$f" got invalid value "abc"; Int cannot represent non-integer value: "abc"', {
      nodes: node,
      originalError: scalarError,
    });
    expect(formatError(error, { development: false, logger }).extensions).toEqual({ code: 'BAD_USER_INPUT', retryable: false });
    const missing = new GraphQLError('Variable "$f" of required type "Int!" was not provided.', { nodes: node });
    expect(formatError(missing, { development: false, logger }).extensions).toEqual({ code: 'BAD_USER_INPUT', retryable: false });
  });

  it('codes a validation error about a variable GRAPHQL_VALIDATION_FAILED when it is not a coercion error', () => {
    const { logger } = capturingLogger();
    const error = new GraphQLError('Variable "$f" is never used.', { nodes: variableDefinition('query Q($f: Int) { a }') });
    expect(formatError(error, { development: false, logger }).extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', retryable: false });
  });

  it('codes a syntax error GRAPHQL_PARSE_FAILED with its location when tagged by toParseFailedError', () => {
    const { logger } = capturingLogger();
    let syntaxError: GraphQLError | undefined;
    try {
      parse('{');
    } catch (error) {
      if (error instanceof GraphQLError) syntaxError = error;
    }
    if (syntaxError === undefined) throw new Error('parse did not fail');
    const formatted = formatError(toParseFailedError(syntaxError), { development: false, logger });
    expect(formatted).toEqual({
      message: 'Syntax Error: Expected Name, found <EOF>.',
      locations: [{ line: 1, column: 2 }],
      extensions: { code: 'GRAPHQL_PARSE_FAILED', retryable: false },
    });
  });

  it('adds retryable false and keeps scalar details when a request-level code passes through', () => {
    const { logger } = capturingLogger();
    const limit = new GraphQLError('Query is too deep.', { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth', max: 12, http: { status: 400 } } });
    expect(formatError(limit, { development: false, logger }).extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', retryable: false, limit: 'depth', max: 12 });
    for (const code of ['BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE', 'UNAUTHENTICATED', 'FORBIDDEN']) {
      expect(formatError(new GraphQLError('refused', { extensions: { code } }), { development: false, logger }).extensions, code).toEqual({ code, retryable: false });
    }
  });

  it('marks RATE_LIMITED retryable with a default retryAfterMs when its source names no wait', () => {
    const { logger } = capturingLogger();
    const cap = new GraphQLError('At most 5 operations may be open on one connection.', { extensions: { code: 'RATE_LIMITED', max: 5 } });
    expect(formatError(cap, { development: false, logger }).extensions).toEqual({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: DEFAULT_RETRY_AFTER_MS, max: 5 });
    const slow = new DomainError('RATE_LIMITED', 'The subscriber did not keep up with the stream and was disconnected.');
    expect(formatError(resolverError(slow), { development: false, logger }).extensions).toMatchObject({ retryable: true, retryAfterMs: DEFAULT_RETRY_AFTER_MS });
  });

  it("keeps a RATE_LIMITED error's own retryAfterMs, and adds none when it is not retryable", () => {
    const { logger } = capturingLogger();
    const limited = new DomainError('RATE_LIMITED', 'Rate limit exceeded for this tenant.', { details: { retryAfterMs: 400 } });
    expect(formatError(resolverError(limited), { development: false, logger }).extensions).toEqual({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: 400 });
    const tooCostly = new DomainError('RATE_LIMITED', 'Request cost exceeds the rate limit for this tenant.', { retryable: false, details: { cost: 5, burst: 2 } });
    expect(formatError(resolverError(tooCostly), { development: false, logger }).extensions).toEqual({ code: 'RATE_LIMITED', retryable: false, cost: 5, burst: 2 });
  });
});

describe('requestError', () => {
  it('builds the formatted shape with code and retryable when a refusal is written without graphql-js', () => {
    expect(requestError('BAD_REQUEST', 'Malformed request body.')).toEqual({ message: 'Malformed request body.', extensions: { code: 'BAD_REQUEST', retryable: false } });
    expect(requestError('UPSTREAM_TIMEOUT', 'Too slow.').extensions).toEqual({ code: 'UPSTREAM_TIMEOUT', retryable: true });
    expect(requestError('RATE_LIMITED', 'Slow down.', { retryAfterMs: 250 }).extensions).toEqual({ code: 'RATE_LIMITED', retryable: true, retryAfterMs: 250 });
  });
});
