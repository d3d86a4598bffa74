import { createHash, createPublicKey, sign, type KeyObject } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateOciApiKey, ociKeyFingerprint, type OciApiKeyPair } from '../../../../src/emulators/oci/oci.api-keys.js';
import {
  buildSigningString,
  parseSignatureHeader,
  verifyOciSignature,
  type SignedRequest,
} from '../../../../src/emulators/oci/oci.signature.js';

const NOW = Date.UTC(2025, 2, 3, 12, 0, 0);
const KEY_ID = 'ocid1.tenancy.oc1..t/ocid1.user.oc1..u/fp';

let key: OciApiKeyPair;
let other: OciApiKeyPair;
let publicKey: KeyObject;

beforeAll(() => {
  key = generateOciApiKey();
  other = generateOciApiKey();
  publicKey = createPublicKey(key.publicKeyPem);
});

interface Draft {
  method?: string;
  target?: string;
  headers?: IncomingHttpHeaders;
  body?: string;
  signed?: string[];
  /** Authorization parameters to replace or drop (`undefined`). */
  params?: Record<string, string | undefined>;
  signWith?: string;
}

/** Signs a request the way OCI clients do (independently of the code under test's signing-string builder). */
function signedRequest(draft: Draft = {}): SignedRequest {
  const method = draft.method ?? 'GET';
  const target = draft.target ?? '/20211101/mediaAssets?compartmentId=c&limit=5';
  const body = Buffer.from(draft.body ?? '', 'utf8');
  const headers: IncomingHttpHeaders = { host: 'media.example', 'x-date': new Date(NOW).toUTCString(), ...draft.headers };
  if (method === 'POST' && draft.headers?.['content-length'] === undefined) {
    headers['content-type'] ??= 'application/json';
    headers['content-length'] = String(body.length);
    headers['x-content-sha256'] ??= createHash('sha256').update(body).digest('base64');
  }
  const names = draft.signed ?? (method === 'POST' ? ['x-date', '(request-target)', 'host', 'content-type', 'content-length', 'x-content-sha256'] : ['x-date', '(request-target)', 'host']);
  const lines = names.map((name) => {
    const lower = name.toLowerCase();
    return lower === '(request-target)' ? `(request-target): ${method.toLowerCase()} ${target}` : `${lower}: ${String(headers[lower])}`;
  });
  const signature = sign('sha256', Buffer.from(lines.join('\n')), draft.signWith ?? key.privateKeyPem).toString('base64');
  const params: Record<string, string | undefined> = {
    version: '1',
    keyId: KEY_ID,
    algorithm: 'rsa-sha256',
    headers: names.join(' '),
    signature,
    ...draft.params,
  };
  const rendered = Object.entries(params)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => `${name}="${value}"`)
    .join(',');
  return { method, target, headers: { ...headers, authorization: `Signature ${rendered}` }, body };
}

function verify(request: SignedRequest, now = NOW) {
  return verifyOciSignature(request, (keyId) => (keyId === KEY_ID ? publicKey : undefined), now);
}

describe('verifyOciSignature', () => {
  it('accepts a GET signed over x-date, (request-target) and host', () => {
    expect(verify(signedRequest())).toEqual({ ok: true, keyId: KEY_ID });
  });

  it('accepts a POST whose signature covers the body headers, listed in mixed case as the SDK lists them', () => {
    const request = signedRequest({
      method: 'POST',
      target: '/dc/abc.example/20211101/actions/generateSessionToken',
      body: '{"packagingConfigId":"p","scopes":["PLAYLIST"]}',
      signed: ['x-date', '(request-target)', 'host', 'Content-Type', 'Content-Length', 'x-content-sha256'],
    });
    expect(verify(request).ok).toBe(true);
  });

  it('accepts the Date header when the request has no x-date', () => {
    const request = signedRequest({ headers: { 'x-date': undefined, date: new Date(NOW).toUTCString() }, signed: ['date', '(request-target)', 'host'] });
    expect(verify(request).ok).toBe(true);
  });

  it.each([
    ['missing-authorization', (): SignedRequest => ({ ...signedRequest(), headers: { host: 'media.example' } })],
    ['malformed-authorization', (): SignedRequest => ({ ...signedRequest(), headers: { ...signedRequest().headers, authorization: 'Bearer abc' } })],
    ['malformed-authorization', (): SignedRequest => signedRequest({ params: { signature: undefined } })],
    ['unsupported-version', (): SignedRequest => signedRequest({ params: { version: undefined } })],
    ['unsupported-algorithm', (): SignedRequest => signedRequest({ params: { algorithm: 'hmac-sha256' } })],
    ['missing-required-header', (): SignedRequest => signedRequest({ signed: ['x-date', '(request-target)'] })],
    ['missing-required-header', (): SignedRequest => signedRequest({ signed: ['(request-target)', 'host'] })],
    ['missing-required-header', (): SignedRequest => signedRequest({ method: 'POST', body: '{}', signed: ['x-date', '(request-target)', 'host'] })],
    ['unknown-key', (): SignedRequest => signedRequest({ params: { keyId: 'ocid1.tenancy.oc1..t/ocid1.user.oc1..u/other' } })],
    ['bad-signature', (): SignedRequest => signedRequest({ signWith: other.privateKeyPem })],
    ['bad-signature', (): SignedRequest => ({ ...signedRequest(), target: '/20211101/mediaAssets?compartmentId=other' })],
    ['bad-signature', (): SignedRequest => ({ ...signedRequest(), headers: { ...signedRequest().headers, host: 'evil.example' } })],
    ['bad-signature', (): SignedRequest => signedRequest({ params: { signature: 'bm90IGEgc2lnbmF0dXJl' } })],
  ])('refuses with %s', (reason, build) => {
    expect(verify(build())).toMatchObject({ ok: false, reason });
  });

  it('refuses with stale-date when the date is more than five minutes away from the service clock', () => {
    const request = signedRequest();
    expect(verify(request, NOW + 5 * 60_000).ok).toBe(true);
    expect(verify(request, NOW + 5 * 60_000 + 1)).toMatchObject({ ok: false, reason: 'stale-date' });
    expect(verify(request, NOW - 5 * 60_000 - 1)).toMatchObject({ ok: false, reason: 'stale-date' });
  });

  it('refuses with bad-date when the signed date cannot be parsed', () => {
    expect(verify(signedRequest({ headers: { 'x-date': 'not a date' } }))).toMatchObject({ ok: false, reason: 'bad-date' });
  });

  it('refuses with body-hash-mismatch when the body differs from the signed digest', () => {
    const request = signedRequest({ method: 'POST', body: '{"scopes":["PLAYLIST"]}' });
    // Same length, different bytes: only the digest can tell.
    expect(verify({ ...request, body: Buffer.from('{"scopes":["PLAYLISX"]}', 'utf8') })).toMatchObject({
      ok: false,
      reason: 'body-hash-mismatch',
    });
  });

  it('refuses with content-length-mismatch when the body length differs from the signed length', () => {
    const request = signedRequest({ method: 'POST', body: '{}' });
    expect(verify({ ...request, body: Buffer.from('{} ', 'utf8') })).toMatchObject({ ok: false, reason: 'content-length-mismatch' });
  });

  it('reports the keyId of a refused request when the header carried one', () => {
    expect(verify(signedRequest({ signWith: other.privateKeyPem }))).toEqual({ ok: false, reason: 'bad-signature', keyId: KEY_ID });
  });
});

describe('parseSignatureHeader', () => {
  it('reads parameters by lower-case name when separated by commas with optional spaces', () => {
    const params = parseSignatureHeader('Signature version="1", keyId="a/b/c",algorithm="rsa-sha256",headers="date host",signature="c2ln"');
    expect(Object.fromEntries(params ?? [])).toEqual({ version: '1', keyid: 'a/b/c', algorithm: 'rsa-sha256', headers: 'date host', signature: 'c2ln' });
  });

  it.each([
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['an unquoted value', 'Signature keyId=abc'],
    ['an unterminated value', 'Signature keyId="abc'],
    ['a duplicate parameter', 'Signature keyId="a",keyId="b"'],
    ['garbage after a value', 'Signature keyId="a" x'],
  ])('returns undefined when given %s', (_label, header) => {
    expect(parseSignatureHeader(header)).toBeUndefined();
  });
});

describe('buildSigningString', () => {
  it('joins the listed headers in order with the request target when all are present', () => {
    const request: SignedRequest = { method: 'GET', target: '/a?b=1', headers: { host: 'h', date: 'd' }, body: Buffer.alloc(0) };
    expect(buildSigningString(['date', '(request-target)', 'host'], request)).toBe('date: d\n(request-target): get /a?b=1\nhost: h');
  });

  it('returns undefined when a listed header is absent', () => {
    const request: SignedRequest = { method: 'GET', target: '/', headers: { host: 'h' }, body: Buffer.alloc(0) };
    expect(buildSigningString(['date', 'host'], request)).toBeUndefined();
  });
});

describe('ociKeyFingerprint', () => {
  it('formats the MD5 of the DER public key as 16 colon-separated hex pairs', () => {
    const der = createPublicKey(key.publicKeyPem).export({ type: 'spki', format: 'der' });
    const hex = createHash('md5').update(der).digest('hex');
    expect(ociKeyFingerprint(key.publicKeyPem)).toBe(hex.match(/../g)?.join(':'));
    expect(key.fingerprint).toBe(ociKeyFingerprint(key.publicKeyPem));
  });
});
