import { describe, expect, it } from 'vitest';
import { DomainError, type ErrorCode } from '../../../../src/core/domain-error.js';
import { translateMediaStoreError } from '../../../../src/datasources/mediastore/mediastore.errors.js';

const SECRET_MESSAGE = 'arn:aws:mediastore:us-east-1:123456789012:container/secret-container AKIAIOSFODNN7EXAMPLE';

/** An error shaped like the ones the MediaStore Data SDK throws. */
function sdkError(name: string, status: number | undefined): Error {
  const error = new Error(SECRET_MESSAGE);
  error.name = name;
  Object.assign(error, { $metadata: status === undefined ? {} : { httpStatusCode: status } });
  return error;
}

function translate(error: unknown, operation = 'DescribeObject', sentNextToken = false): Error {
  return translateMediaStoreError(error, { operation, sentNextToken });
}

function expectCode(error: Error, code: ErrorCode): void {
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  expect(error.message).not.toContain('arn:aws');
  expect(error.message).not.toContain('AKIA');
}

describe('translateMediaStoreError', () => {
  it('maps every documented error name to its client code', () => {
    const table: ReadonlyArray<readonly [string, number, ErrorCode, string?]> = [
      ['ContainerNotFoundException', 404, 'NOT_FOUND'],
      ['ObjectNotFoundException', 404, 'NOT_FOUND'],
      ['RequestedRangeNotSatisfiableException', 416, 'RANGE_NOT_SATISFIABLE', 'GetObject'],
      ['InternalServerError', 500, 'UPSTREAM_UNAVAILABLE'],
      ['InternalFailure', 500, 'UPSTREAM_UNAVAILABLE'],
      ['ServiceUnavailable', 503, 'UPSTREAM_UNAVAILABLE'],
      ['ThrottlingException', 400, 'UPSTREAM_THROTTLED'],
      ['ValidationError', 400, 'BAD_USER_INPUT'],
      ['AccessDeniedException', 400, 'UPSTREAM_UNAVAILABLE'],
      ['NotAuthorized', 400, 'UPSTREAM_UNAVAILABLE'],
      ['RequestExpired', 400, 'UPSTREAM_UNAVAILABLE'],
      ['IncompleteSignature', 400, 'UPSTREAM_UNAVAILABLE'],
      ['InvalidClientTokenId', 403, 'UPSTREAM_UNAVAILABLE'],
      ['MissingAuthenticationToken', 403, 'UPSTREAM_UNAVAILABLE'],
    ];
    for (const [name, status, code, operation] of table) {
      const translated = translate(sdkError(name, status), operation);
      expectCode(translated, code);
      expect(translated.cause, name).toBeInstanceOf(Error);
    }
  });

  it('maps the emulator-chosen names of undocumented cases by their status alone', () => {
    // Names the reference never gives: only the status may decide (413 too large, 408 cancelled upload).
    expectCode(translate(sdkError('RequestEntityTooLargeException', 413), 'PutObject'), 'PAYLOAD_TOO_LARGE');
    expectCode(translate(sdkError('AnyOtherName', 413), 'PutObject'), 'PAYLOAD_TOO_LARGE');
    expectCode(translate(sdkError('RequestTimeoutException', 408), 'PutObject'), 'UPSTREAM_TIMEOUT');
    // The names the client used to depend on mean nothing now; their statuses decide.
    expectCode(translate(sdkError('EntityTooLarge', 413), 'PutObject'), 'PAYLOAD_TOO_LARGE');
    expectCode(translate(sdkError('RequestTimeout', 400), 'PutObject'), 'BAD_USER_INPUT');
  });

  it('reports CURSOR_EXPIRED when ListItems sent a NextToken and the store refused it, whatever the 4xx is called', () => {
    for (const [name, message] of [
      ['ValidationError', 'NextToken has expired: tokens expire 15 minutes after they are issued'],
      ['ValidationError', 'NextToken is not valid for this request'],
      ['ExpiredNextTokenException', 'Token expired'],
      ['InvalidNextTokenException', 'Invalid token'],
      ['SomethingNew', 'whatever'],
    ] as const) {
      expectCode(translate(Object.assign(sdkError(name, 400), { message }), 'ListItems', true), 'CURSOR_EXPIRED');
    }
  });

  it('keeps BAD_USER_INPUT when ListItems with a NextToken was refused for another named parameter', () => {
    const error = Object.assign(sdkError('ValidationError', 400), { message: 'Value at Path failed to satisfy constraint: too deep' });
    const translated = translate(error, 'ListItems', true) as DomainError;
    expectCode(translated, 'BAD_USER_INPUT');
    expect(translated.details).toEqual({ argument: 'path' });
  });

  it('names the refused parameter and keeps the provider message for development when ValidationError says which', () => {
    const error = Object.assign(sdkError('ValidationError', 400), { message: 'Value at ContentType failed to satisfy constraint: Member must satisfy regular expression pattern' });
    const translated = translate(error, 'PutObject') as DomainError;
    expectCode(translated, 'BAD_USER_INPUT');
    expect(translated.message).toBe('The object store refused the request parameters: contentType.');
    expect(translated.details).toEqual({ argument: 'contentType' });
    expect(translated.debugMessage).toBe(error.message);
  });

  it('reports an unknown 4xx as BAD_USER_INPUT, never INTERNAL_SERVER_ERROR, and not as a cursor problem without a NextToken', () => {
    for (const status of [400, 405, 409, 422]) {
      expectCode(translate(sdkError('SomethingNew', status), 'ListItems'), 'BAD_USER_INPUT');
      expectCode(translate(sdkError('SomethingNew', status), 'PutObject'), 'BAD_USER_INPUT');
    }
  });

  it('falls back on the HTTP status when the name is unknown', () => {
    expectCode(translate(sdkError('Unknown', 404)), 'NOT_FOUND');
    expectCode(translate(sdkError('Unknown', 413)), 'PAYLOAD_TOO_LARGE');
    expectCode(translate(sdkError('Unknown', 429)), 'UPSTREAM_THROTTLED');
    expectCode(translate(sdkError('Unknown', 502)), 'UPSTREAM_UNAVAILABLE');
    expectCode(translate(sdkError('Unknown', undefined)), 'INTERNAL_SERVER_ERROR');
  });

  it('maps network failures without a response to UPSTREAM_UNAVAILABLE', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND']) {
      const error = Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code });
      expectCode(translate(error), 'UPSTREAM_UNAVAILABLE');
    }
  });

  it('returns an abort unchanged so cancellation is not reported as an upstream failure', () => {
    const abort = new Error('Request aborted');
    abort.name = 'AbortError';
    expect(translate(abort)).toBe(abort);
  });

  it('returns a DomainError unchanged when one is passed in', () => {
    const domain = new DomainError('UPSTREAM_TIMEOUT', 'The upstream service did not answer in time.');
    expect(translate(domain)).toBe(domain);
  });

  it('masks a thrown non-Error value as INTERNAL_SERVER_ERROR', () => {
    expectCode(translate('just a string'), 'INTERNAL_SERVER_ERROR');
    expectCode(translate(undefined), 'INTERNAL_SERVER_ERROR');
  });
});
