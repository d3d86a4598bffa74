import { describe, expect, it } from 'vitest';
import { isRetryableRead, liveStreamStatusOf, translateLiveStreamError } from '../../../../src/datasources/livestream/livestream.errors.js';
import { DomainError, type ErrorCode } from '../../../../src/core/domain-error.js';

const SECRET = 'projects/secret-project-123/locations/us-central1 token ya29.secret';

/** An error shaped like the gRPC SDK's (google-gax GoogleError / grpc ServiceError). */
function grpcError(code: number): Error {
  return Object.assign(new Error(`${code} STATUS: ${SECRET}`), { code, details: SECRET });
}

/** An error shaped like google-auth-library's GaxiosError for a Google JSON error response. */
function restError(httpStatus: number, status?: string): Error {
  const data = status === undefined ? 'plain text body' : { error: { code: httpStatus, message: SECRET, status } };
  return Object.assign(new Error(SECRET), { code: httpStatus, response: { status: httpStatus, data } });
}

function expectCode(error: Error, code: ErrorCode): void {
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe(code);
  expect(error.message).not.toContain('secret');
  expect((error as DomainError).cause).toBeDefined();
}

const TABLE: ReadonlyArray<readonly [string, number, number, ErrorCode]> = [
  ['NOT_FOUND', 5, 404, 'NOT_FOUND'],
  ['ALREADY_EXISTS', 6, 409, 'CONFLICT'],
  ['INVALID_ARGUMENT', 3, 400, 'BAD_USER_INPUT'],
  ['FAILED_PRECONDITION', 9, 400, 'BAD_USER_INPUT'],
  ['OUT_OF_RANGE', 11, 400, 'BAD_USER_INPUT'],
  ['PERMISSION_DENIED', 7, 403, 'UPSTREAM_UNAVAILABLE'],
  ['UNAUTHENTICATED', 16, 401, 'UPSTREAM_UNAVAILABLE'],
  ['RESOURCE_EXHAUSTED', 8, 429, 'UPSTREAM_THROTTLED'],
  ['UNAVAILABLE', 14, 503, 'UPSTREAM_UNAVAILABLE'],
  ['DEADLINE_EXCEEDED', 4, 504, 'UPSTREAM_TIMEOUT'],
  ['INTERNAL', 13, 500, 'INTERNAL_SERVER_ERROR'],
  ['UNIMPLEMENTED', 12, 501, 'INTERNAL_SERVER_ERROR'],
  ['ABORTED', 10, 409, 'INTERNAL_SERVER_ERROR'],
  ['CANCELLED', 1, 499, 'INTERNAL_SERVER_ERROR'],
];

describe('translateLiveStreamError', () => {
  it('maps every gRPC status code through the one table', () => {
    for (const [name, code, , expected] of TABLE) {
      expect(liveStreamStatusOf(grpcError(code))).toBe(name);
      expectCode(translateLiveStreamError(grpcError(code)), expected);
    }
  });

  it('maps every REST error status through the same table', () => {
    for (const [name, , httpStatus, expected] of TABLE) {
      expect(liveStreamStatusOf(restError(httpStatus, name))).toBe(name);
      expectCode(translateLiveStreamError(restError(httpStatus, name)), expected);
    }
  });

  it('falls back to the HTTP status when a REST error body has no status', () => {
    expectCode(translateLiveStreamError(restError(404)), 'NOT_FOUND');
    expectCode(translateLiveStreamError(restError(429)), 'UPSTREAM_THROTTLED');
    expectCode(translateLiveStreamError(restError(503)), 'UPSTREAM_UNAVAILABLE');
    expectCode(translateLiveStreamError(restError(502)), 'INTERNAL_SERVER_ERROR');
  });

  it('treats REST network failures as UPSTREAM_UNAVAILABLE', () => {
    const refused = Object.assign(new Error(SECRET), { code: 'ECONNREFUSED' });
    expect(liveStreamStatusOf(refused)).toBe('UNAVAILABLE');
    expectCode(translateLiveStreamError(refused), 'UPSTREAM_UNAVAILABLE');
  });

  it('names the refused argument from a gRPC field violation and keeps the status message for development', () => {
    const error = Object.assign(new Error('3 INVALID_ARGUMENT: Request contains an invalid argument.'), {
      code: 3,
      details: 'Request contains an invalid argument.',
      statusDetails: [{ fieldViolations: [{ field: 'order_by', description: 'unknown field crc32c' }] }],
    });
    const translated = translateLiveStreamError(error) as DomainError;
    expect(translated.code).toBe('BAD_USER_INPUT');
    expect(translated.message).toBe('Live Stream rejected the request arguments: orderBy.');
    expect(translated.details).toEqual({ argument: 'orderBy' });
    expect(translated.debugMessage).toBe('Request contains an invalid argument.');
  });

  it('names the refused argument from a REST BadRequest detail or from the message when the service gives one', () => {
    const detailed = Object.assign(new Error('Request failed with status code 400'), {
      code: 400,
      response: {
        status: 400,
        data: {
          error: {
            code: 400,
            status: 'INVALID_ARGUMENT',
            message: 'Invalid DVR session.',
            details: [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', fieldViolations: [{ field: 'dvr_session.dvr_windows', description: 'empty' }] }],
          },
        },
      },
    });
    expect((translateLiveStreamError(detailed) as DomainError).details).toEqual({ argument: 'dvrSession.dvrWindows' });
    const worded = Object.assign(new Error('3 INVALID_ARGUMENT: invalid filter: state has no value "SLEEPING"'), {
      code: 3,
      details: 'invalid filter: state has no value "SLEEPING"',
    });
    const translated = translateLiveStreamError(worded) as DomainError;
    expect(translated.details).toEqual({ argument: 'filter' });
    expect(translated.debugMessage).toBe('invalid filter: state has no value "SLEEPING"');
  });

  it('returns domain errors and aborts unchanged and masks anything else', () => {
    const domain = new DomainError('NOT_FOUND', 'gone');
    expect(translateLiveStreamError(domain)).toBe(domain);
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(translateLiveStreamError(abort)).toBe(abort);
    expectCode(translateLiveStreamError(new TypeError(SECRET)), 'INTERNAL_SERVER_ERROR');
    expectCode(translateLiveStreamError(SECRET), 'INTERNAL_SERVER_ERROR');
  });
});

describe('isRetryableRead', () => {
  it('allows UNAVAILABLE and RESOURCE_EXHAUSTED only', () => {
    expect(isRetryableRead(grpcError(14))).toBe(true);
    expect(isRetryableRead(grpcError(8))).toBe(true);
    expect(isRetryableRead(restError(429, 'RESOURCE_EXHAUSTED'))).toBe(true);
    expect(isRetryableRead(restError(503))).toBe(true);
    for (const code of [3, 4, 5, 6, 7, 9, 13, 16]) expect(isRetryableRead(grpcError(code))).toBe(false);
    expect(isRetryableRead(new Error('bug'))).toBe(false);
  });
});
