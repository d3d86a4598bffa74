import { describe, expect, it } from 'vitest';
import { DomainError } from '../../../../src/core/domain-error.js';
import { translateS3Error } from '../../../../src/datasources/s3/s3.errors.js';

/** An error shaped as the S3 SDK throws it. */
function sdkError(name: string, status: number | undefined, message = 'provider says no'): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

function codeOf(error: Error): string {
  expect(error).toBeInstanceOf(DomainError);
  return (error as DomainError).code;
}

describe('translateS3Error', () => {
  it.each([
    ['NoSuchKey', 404, 'NOT_FOUND'],
    ['NotFound', 404, 'NOT_FOUND'],
    ['NoSuchBucket', 404, 'UPSTREAM_UNAVAILABLE'],
    ['AccessDenied', 403, 'UPSTREAM_FORBIDDEN'],
    ['Forbidden', 403, 'UPSTREAM_FORBIDDEN'],
    ['SlowDown', 503, 'UPSTREAM_THROTTLED'],
    ['ServiceUnavailable', 503, 'UPSTREAM_THROTTLED'],
    ['InternalError', 500, 'UPSTREAM_UNAVAILABLE'],
    ['InvalidRange', 416, 'RANGE_NOT_SATISFIABLE'],
    ['EntityTooLarge', 400, 'PAYLOAD_TOO_LARGE'],
    ['RequestTimeout', 400, 'UPSTREAM_TIMEOUT'],
    ['InvalidAccessKeyId', 403, 'UPSTREAM_UNAVAILABLE'],
    ['NoSuchUpload', 404, 'UPSTREAM_UNAVAILABLE'],
  ])('maps %s (%i) to %s', (name, status, code) => {
    expect(codeOf(translateS3Error(sdkError(name, status)))).toBe(code);
  });

  it('never turns an unknown 4xx into INTERNAL_SERVER_ERROR', () => {
    for (const status of [400, 401, 405, 409, 412, 418, 422, 451]) {
      expect(codeOf(translateS3Error(sdkError('SomethingNew', status))), String(status)).toBe('UPSTREAM_UNAVAILABLE');
    }
    expect(codeOf(translateS3Error(sdkError('SomethingNew', 403)))).toBe('UPSTREAM_FORBIDDEN');
  });

  it('keeps the provider message out of the client message and marks throttling retryable', () => {
    const error = translateS3Error(sdkError('AccessDenied', 403, 'User arn:aws:iam::1:user/x is not authorized by policy p')) as DomainError;
    expect(error.message).not.toContain('arn:aws');
    expect(error.retryable).toBe(false);
    expect((translateS3Error(sdkError('SlowDown', 503)) as DomainError).retryable).toBe(true);
  });

  it('passes our own cancellation and domain errors through unchanged', () => {
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(translateS3Error(abort)).toBe(abort);
    const domain = new DomainError('PAYLOAD_TOO_LARGE', 'x');
    expect(translateS3Error(domain)).toBe(domain);
  });

  it('reports a transport failure as UPSTREAM_UNAVAILABLE and anything else as INTERNAL_SERVER_ERROR', () => {
    expect(codeOf(translateS3Error(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })))).toBe('UPSTREAM_UNAVAILABLE');
    expect(codeOf(translateS3Error(new TypeError('bug')))).toBe('INTERNAL_SERVER_ERROR');
  });
});
