import { describe, expect, it } from 'vitest';
import { DomainError, type ErrorCode } from '../../../../src/core/domain-error.js';
import { kinesisErrorName, translateKinesisError } from '../../../../src/datasources/kinesis/kinesis.errors.js';

const ARN = 'arn:aws:kinesisvideo:us-east-1:123456789012:stream/secret-cam/1';

/** An error shaped like the ones the Kinesis Video SDKs throw. */
function sdkError(name: string, status: number | undefined, message = `failed for ${ARN}`): Error {
  const error = new Error(message);
  error.name = name;
  Object.assign(error, { $metadata: status === undefined ? {} : { httpStatusCode: status } });
  return error;
}

function translated(error: unknown): DomainError {
  const result = translateKinesisError(error);
  expect(result).toBeInstanceOf(DomainError);
  expect(result.message).not.toContain('arn:aws');
  return result as DomainError;
}

describe('translateKinesisError', () => {
  it('maps every error name in the table to its client code', () => {
    const table: ReadonlyArray<readonly [string, number, ErrorCode]> = [
      ['ResourceNotFoundException', 404, 'NOT_FOUND'],
      ['ClientLimitExceededException', 400, 'UPSTREAM_THROTTLED'],
      ['ConnectionLimitExceededException', 400, 'UPSTREAM_THROTTLED'],
      ['InvalidArgumentException', 400, 'BAD_USER_INPUT'],
      ['InvalidEndpointException', 400, 'UPSTREAM_UNAVAILABLE'],
      ['NotAuthorizedException', 401, 'UPSTREAM_UNAVAILABLE'],
      ['AccessDeniedException', 403, 'UPSTREAM_UNAVAILABLE'],
      ['TimeoutError', 500, 'UPSTREAM_TIMEOUT'],
    ];
    for (const [name, status, code] of table) expect(translated(sdkError(name, status)).code).toBe(code);
  });

  it('falls back on the HTTP status, then on no response, when the name is unknown', () => {
    expect(translated(sdkError('Unknown', 404)).code).toBe('NOT_FOUND');
    expect(translated(sdkError('Unknown', 429)).code).toBe('UPSTREAM_THROTTLED');
    expect(translated(sdkError('Unknown', 502)).code).toBe('UPSTREAM_UNAVAILABLE');
    expect(translated(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).code).toBe('UPSTREAM_UNAVAILABLE');
    expect(translated(sdkError('Unknown', 400)).code).toBe('INTERNAL_SERVER_ERROR');
    expect(translated('not an error').code).toBe('INTERNAL_SERVER_ERROR');
  });

  it('names the refused argument and keeps the provider message for development when InvalidArgumentException says which', () => {
    const error = translated(sdkError('InvalidArgumentException', 400, 'StartTimestamp must not be later than EndTimestamp'));
    expect(error.message).toBe('Kinesis Video rejected the request arguments: startTimestamp.');
    expect(error.details).toEqual({ argument: 'startTimestamp' });
    expect(error.debugMessage).toBe('StartTimestamp must not be later than EndTimestamp');
    const paging = translated(sdkError('InvalidArgumentException', 400, "1 validation error detected: Value '0' at 'maxResults' failed to satisfy constraint"));
    expect(paging.details).toEqual({ argument: 'first' });
  });

  it('keeps the generic message when InvalidArgumentException names no argument', () => {
    const error = translated(sdkError('InvalidArgumentException', 400, 'The request was refused.'));
    expect(error.message).toBe('Kinesis Video rejected the request arguments.');
    expect(error.details).toEqual({});
  });

  it('returns domain errors and aborts unchanged when they are passed in', () => {
    const domain = new DomainError('NOT_FOUND', 'x');
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(translateKinesisError(domain)).toBe(domain);
    expect(translateKinesisError(abort)).toBe(abort);
    expect(kinesisErrorName(abort)).toBe('AbortError');
    expect(kinesisErrorName(undefined)).toBe('');
  });
});
