import { Writable } from 'node:stream';
import { OciError } from 'oci-common';
import { describe, expect, it } from 'vitest';
import { OciUpstreamError, scrubSecrets, translateOciError } from '../../../../src/datasources/oci/oci.errors.js';
import { DomainError } from '../../../../src/core/domain-error.js';
import { createLogger } from '../../../../src/core/logger.js';

function capture(): { logger: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger(
    'debug',
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString('utf8'));
        callback();
      },
    }),
  );
  return { logger, lines };
}

function ociError(status: number, serviceCode: string, message = 'provider text', endpoint = 'GET https://x.example/20211101/actions/generatePlaylist?token=SECRET'): OciError {
  return new OciError(status, serviceCode, message, 'REQ-1', 'MediaStream', 'generatePlaylist', '2025-01-01T00:00:00Z', endpoint, '');
}

describe('translateOciError', () => {
  it.each([
    [400, 'InvalidParameter', 'BAD_USER_INPUT'],
    [400, 'MissingParameter', 'BAD_USER_INPUT'],
    [401, 'NotAuthenticated', 'UPSTREAM_UNAVAILABLE'],
    [403, 'NotAllowed', 'UPSTREAM_UNAVAILABLE'],
    [404, 'NotAuthorizedOrNotFound', 'NOT_FOUND'],
    [409, 'Conflict', 'CONFLICT'],
    [409, 'IncorrectState', 'CONFLICT'],
    [412, 'NoEtagMatch', 'CONFLICT'],
    [429, 'TooManyRequests', 'UPSTREAM_THROTTLED'],
    [500, 'InternalServerError', 'UPSTREAM_UNAVAILABLE'],
    [503, 'ServiceUnavailable', 'UPSTREAM_UNAVAILABLE'],
    [507, 'None', 'UPSTREAM_UNAVAILABLE'],
    [418, 'Teapot', 'INTERNAL_SERVER_ERROR'],
  ])('maps %i %s to %s', (status, serviceCode, code) => {
    const { logger } = capture();
    const error = translateOciError(ociError(status, serviceCode), { operation: 'GetMediaAsset', logger });
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe(code);
  });

  it('keeps a sanitized cause without the request URL when translating', () => {
    const { logger } = capture();
    const error = translateOciError(ociError(500, 'InternalServerError', 'failed for token SECRET'), {
      operation: 'GeneratePlaylist',
      logger,
      secrets: ['SECRET'],
    }) as DomainError;
    expect(error.cause).toBeInstanceOf(OciUpstreamError);
    expect(error.cause).toMatchObject({ status: 500, serviceCode: 'InternalServerError', opcRequestId: 'REQ-1' });
    expect(String(error.cause)).toBe('OciUpstreamError: OCI GeneratePlaylist failed (500 InternalServerError, opc-request-id REQ-1): failed for token [redacted]');
    expect(JSON.stringify({ error, cause: String(error.cause) })).not.toContain('SECRET');
    expect(error.message).toBe('The media service is unavailable; try again later.');
  });

  it('names the refused parameter in the API spelling and keeps the scrubbed message for development on a 400', () => {
    const { logger } = capture();
    const paging = translateOciError(ociError(400, 'InvalidParameter', 'Invalid limit: must be an integer from 1 to 100.'), { operation: 'ListMediaAssets', logger }) as DomainError;
    expect(paging.code).toBe('BAD_USER_INPUT');
    expect(paging.message).toBe('The media service refused the request parameters: first.');
    expect(paging.details).toEqual({ argument: 'first' });
    expect(paging.debugMessage).toBe('Invalid limit: must be an integer from 1 to 100.');
    const expiry = translateOciError(ociError(400, 'InvalidParameter', 'timeExpires must be in the future, not near SECRET.'), {
      operation: 'GenerateSessionToken',
      logger,
      secrets: ['SECRET'],
    }) as DomainError;
    expect(expiry.details).toEqual({ argument: 'expiresAt' });
    expect(expiry.debugMessage).toBe('timeExpires must be in the future, not near [redacted].');
  });

  it('logs refused credentials once at error level without the message or secrets', () => {
    const { logger, lines } = capture();
    const error = translateOciError(ociError(401, 'NotAuthenticated'), { operation: 'ListMediaAssets', logger, keyFingerprint: 'aa:bb', secrets: ['SECRET'] }) as DomainError;
    expect(error.retryable).toBe(false);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({ level: 50, provider: 'oci', operation: 'ListMediaAssets', status: 401, keyFingerprint: 'aa:bb', opcRequestId: 'REQ-1' });
    expect(lines[0]).not.toContain('SECRET');
  });

  it('does not log when the error is not about credentials', () => {
    const { logger, lines } = capture();
    translateOciError(ociError(404, 'NotAuthorizedOrNotFound'), { operation: 'GetMediaAsset', logger });
    expect(lines).toHaveLength(0);
  });

  it('maps the retrier’s transport failure objects to UPSTREAM_UNAVAILABLE', () => {
    const { logger } = capture();
    const error = translateOciError({ code: undefined, message: 'fetch failed', requestEndpoint: 'GET https://x?token=SECRET' }, { operation: 'GetMediaAsset', logger }) as DomainError;
    expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(String(error.cause)).not.toContain('SECRET');
  });

  it('masks an error without status that is not a transport failure as INTERNAL_SERVER_ERROR', () => {
    const { logger } = capture();
    expect((translateOciError(new RangeError('bug'), { operation: 'GetMediaAsset', logger }) as DomainError).code).toBe('INTERNAL_SERVER_ERROR');
  });

  it('returns domain errors and AbortErrors unchanged', () => {
    const { logger } = capture();
    const domain = new DomainError('UPSTREAM_TIMEOUT', 'late');
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    expect(translateOciError(domain, { operation: 'x', logger })).toBe(domain);
    expect(translateOciError(abort, { operation: 'x', logger })).toBe(abort);
  });
});

describe('scrubSecrets', () => {
  it('removes raw and URL-encoded secrets when they occur several times', () => {
    const secret = 'a/b+c==';
    expect(scrubSecrets(`x ${secret} y ${encodeURIComponent(secret)} z ${secret}`, [secret])).toBe('x [redacted] y [redacted] z [redacted]');
  });

  it('ignores empty secrets', () => {
    expect(scrubSecrets('unchanged', [''])).toBe('unchanged');
  });
});
