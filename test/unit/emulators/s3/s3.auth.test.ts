import { describe, expect, it } from 'vitest';
import { checkRequestAuth } from '../../../../src/emulators/s3/s3.auth.js';

const now = Date.UTC(2026, 0, 1, 12, 0, 0);
const presigned = (overrides: Record<string, string> = {}): URLSearchParams =>
  new URLSearchParams({
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': 'AKID/20260101/us-east-1/s3/aws4_request',
    'X-Amz-Date': '20260101T115900Z',
    'X-Amz-Expires': '900',
    'X-Amz-SignedHeaders': 'host',
    'X-Amz-Signature': 'abc',
    ...overrides,
  });

describe('checkRequestAuth', () => {
  it('accepts a SigV4-shaped header and refuses a malformed one', () => {
    expect(checkRequestAuth('AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=c', new URLSearchParams(), now)).toEqual({ kind: 'header', error: undefined });
    expect(checkRequestAuth('Basic abc', new URLSearchParams(), now).error?.code).toBe('AuthorizationHeaderMalformed');
  });

  it('refuses an anonymous request with AccessDenied', () => {
    expect(checkRequestAuth(undefined, new URLSearchParams(), now)).toMatchObject({ kind: 'none', error: { code: 'AccessDenied' } });
  });

  it('accepts a presigned URL within its lifetime and refuses it after', () => {
    expect(checkRequestAuth(undefined, presigned(), now)).toEqual({ kind: 'query', error: undefined });
    expect(checkRequestAuth(undefined, presigned({ 'X-Amz-Expires': '30' }), now)).toMatchObject({ error: { code: 'AccessDenied', message: 'Request has expired' } });
  });

  it('refuses presigned parameters that are missing, malformed or longer-lived than a week', () => {
    const broken: Record<string, string>[] = [{ 'X-Amz-Signature': '' }, { 'X-Amz-Date': '2026-01-01' }, { 'X-Amz-Expires': '604801' }, { 'X-Amz-Algorithm': 'HMAC' }];
    for (const overrides of broken) {
      expect(checkRequestAuth(undefined, presigned(overrides), now).error?.code).toBe('AuthorizationQueryParametersError');
    }
  });
});
