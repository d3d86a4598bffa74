import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../../../src/auth/api-keys.js';
import { Authenticator, credentialsFromConnectionParams, credentialsFromHeaders } from '../../../src/auth/authenticator.js';
import { ANONYMOUS_DEVELOPER, hasScope, isScope, principalKey, SCOPES, type Principal } from '../../../src/auth/principal.js';
import { DomainError } from '../../../src/core/domain-error.js';

const SECRET = 'an-hs256-secret-that-is-32-bytes-or-more';

async function token(sub = 'user-1'): Promise<string> {
  return new SignJWT({ sub, tenant: 'tenant-a', scope: 'objects:read', exp: Math.floor(Date.now() / 1000) + 600 })
    .setProtectedHeader({ alg: 'HS256' })
    .sign(new TextEncoder().encode(SECRET));
}

async function unauthenticated(action: Promise<unknown> | (() => unknown)): Promise<DomainError> {
  let error: unknown;
  try {
    await (typeof action === 'function' ? action() : action);
  } catch (thrown) {
    error = thrown;
  }
  expect(error).toBeInstanceOf(DomainError);
  expect((error as DomainError).code).toBe('UNAUTHENTICATED');
  return error as DomainError;
}

describe('Authenticator', () => {
  let dir: string;
  let apiKey: string;
  let both: Authenticator;
  let jwtOnly: Authenticator;
  let keysOnly: Authenticator;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'media-graph-auth-'));
    const generated = generateApiKey();
    apiKey = generated.key;
    const apiKeysFile = join(dir, 'keys.json');
    await writeFile(apiKeysFile, JSON.stringify({ keys: [{ id: 'partner-a', sha256: generated.sha256, tenant: 'tenant-b', scopes: ['streams:read'] }] }));
    both = await Authenticator.create({ jwt: { hs256Secret: SECRET }, apiKeysFile });
    jwtOnly = await Authenticator.create({ jwt: { hs256Secret: SECRET } });
    keysOnly = await Authenticator.create({ apiKeysFile });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports configured when any method is set', async () => {
    expect(both.configured).toBe(true);
    expect(keysOnly.configured).toBe(true);
    expect((await Authenticator.create({})).configured).toBe(false);
  });

  it('returns undefined when no credential is presented', async () => {
    await expect(both.authenticate({})).resolves.toBeUndefined();
    await expect(both.authenticate({ authorization: undefined, apiKey: undefined })).resolves.toBeUndefined();
  });

  it('verifies a JWT when the Authorization scheme is Bearer', async () => {
    await expect(both.authenticate({ authorization: `Bearer ${await token()}` })).resolves.toMatchObject({ kind: 'jwt', subject: 'user-1', tenant: 'tenant-a' });
  });

  it('accepts the scheme when it is lowercase or mixed case', async () => {
    await expect(both.authenticate({ authorization: `bearer ${await token()}` })).resolves.toMatchObject({ kind: 'jwt' });
    await expect(both.authenticate({ authorization: `apikey ${apiKey}` })).resolves.toMatchObject({ kind: 'apiKey' });
    await expect(both.authenticate({ authorization: `APIKEY ${apiKey}` })).resolves.toMatchObject({ kind: 'apiKey' });
  });

  it('authenticates an API key when the Authorization scheme is ApiKey', async () => {
    await expect(both.authenticate({ authorization: `ApiKey ${apiKey}` })).resolves.toMatchObject({ kind: 'apiKey', subject: 'partner-a', keyId: 'partner-a', tenant: 'tenant-b' });
  });

  it('authenticates an API key when it comes from x-api-key', async () => {
    await expect(both.authenticate({ apiKey })).resolves.toMatchObject({ kind: 'apiKey', subject: 'partner-a' });
  });

  it('throws UNAUTHENTICATED when both Authorization and x-api-key are present', async () => {
    const error = await unauthenticated(both.authenticate({ authorization: `Bearer ${await token()}`, apiKey }));
    expect(error.message).toMatch(/not both/);
  });

  it('throws UNAUTHENTICATED when the scheme is unsupported', async () => {
    const error = await unauthenticated(both.authenticate({ authorization: `Basic ${Buffer.from('user:password').toString('base64')}` }));
    expect(error.message).toMatch(/Unsupported Authorization scheme/);
    expect(error.message).not.toContain('dXNlcjpwYXNzd29yZA');
  });

  it.each([['a bare key', 'KEY'], ['an empty header', ''], ['three parts', 'Bearer a b']])(
    'throws UNAUTHENTICATED when the header is malformed (%s)',
    async (_label, header) => {
      const value = header.replace('KEY', apiKey);
      const error = await unauthenticated(both.authenticate({ authorization: value }));
      expect(error.message).not.toContain(apiKey);
    },
  );

  it('throws UNAUTHENTICATED when Bearer is used but JWT is not configured', async () => {
    expect((await unauthenticated(keysOnly.authenticate({ authorization: `Bearer ${await token()}` }))).message).toMatch(/Bearer tokens are not accepted/);
  });

  it('throws UNAUTHENTICATED when an API key is used but API keys are not configured', async () => {
    expect((await unauthenticated(jwtOnly.authenticate({ apiKey }))).message).toMatch(/API keys are not accepted/);
    await unauthenticated(jwtOnly.authenticate({ authorization: `ApiKey ${apiKey}` }));
  });

  it('throws without echoing the credential when verification fails', async () => {
    const bad = `${(await token()).slice(0, -4)}AAAA`;
    const error = await unauthenticated(both.authenticate({ authorization: `Bearer ${bad}` }));
    expect(error.message).not.toContain(bad);
  });
});

describe('credentialsFromHeaders', () => {
  it('reads authorization and x-api-key when present', () => {
    expect(credentialsFromHeaders({ authorization: 'Bearer t', 'x-api-key': 'k', host: 'example' })).toEqual({ authorization: 'Bearer t', apiKey: 'k' });
  });

  it('returns no credentials when neither header is present', () => {
    expect(credentialsFromHeaders({ host: 'example', authorization: undefined })).toEqual({ authorization: undefined, apiKey: undefined });
  });

  it('reads the headers when their names are not lowercase', () => {
    expect(credentialsFromHeaders({ Authorization: 'Bearer t', 'X-API-Key': 'k' })).toEqual({ authorization: 'Bearer t', apiKey: 'k' });
  });

  it('throws UNAUTHENTICATED when a header is repeated', async () => {
    await unauthenticated(() => credentialsFromHeaders({ 'x-api-key': ['a', 'b'] }));
    await unauthenticated(() => credentialsFromHeaders({ authorization: 'Bearer a', Authorization: 'Bearer b' }));
  });
});

describe('credentialsFromConnectionParams', () => {
  it('returns no credentials when params are absent', () => {
    expect(credentialsFromConnectionParams(undefined)).toEqual({});
    expect(credentialsFromConnectionParams({ other: 1 })).toEqual({ authorization: undefined, apiKey: undefined });
  });

  it.each([
    [{ authorization: 'Bearer t' }, { authorization: 'Bearer t', apiKey: undefined }],
    [{ Authorization: 'Bearer t' }, { authorization: 'Bearer t', apiKey: undefined }],
    [{ apiKey: 'k' }, { authorization: undefined, apiKey: 'k' }],
    [{ 'x-api-key': 'k' }, { authorization: undefined, apiKey: 'k' }],
  ])('reads the credential when params are %o', (params, expected) => {
    expect(credentialsFromConnectionParams(params)).toEqual(expected);
  });

  it('throws UNAUTHENTICATED when a credential is not a string', async () => {
    await unauthenticated(() => credentialsFromConnectionParams({ authorization: { token: 't' } }));
    await unauthenticated(() => credentialsFromConnectionParams({ apiKey: 42 }));
    await unauthenticated(() => credentialsFromConnectionParams({ 'x-api-key': null }));
  });

  it('throws UNAUTHENTICATED when both spellings of a field are present', async () => {
    await unauthenticated(() => credentialsFromConnectionParams({ authorization: 'Bearer a', Authorization: 'Bearer b' }));
  });
});

describe('principal', () => {
  const reader: Principal = { kind: 'jwt', subject: 'u', tenant: 't', scopes: new Set(['objects:read', 'streams:read']), expiresAt: undefined };

  it('grants a scope when the principal holds it or admin', () => {
    expect(hasScope(reader, 'objects:read')).toBe(true);
    expect(hasScope(reader, 'objects:write')).toBe(false);
    expect(hasScope({ ...reader, scopes: new Set(['admin']) }, 'objects:write')).toBe(true);
  });

  it('recognises a scope only when it matches exactly', () => {
    expect(SCOPES.every(isScope)).toBe(true);
    expect(isScope('Objects:read')).toBe(false);
  });

  it('grants every scope and tenant when the principal is the anonymous developer', () => {
    expect(ANONYMOUS_DEVELOPER).toMatchObject({ kind: 'anonymous', subject: 'anonymous', tenant: undefined, expiresAt: undefined });
    expect(ANONYMOUS_DEVELOPER.scopes.size).toBe(SCOPES.length);
  });

  it('gives equal keys when principals differ only in scope order or expiry', () => {
    const reordered: Principal = { ...reader, scopes: new Set(['streams:read', 'objects:read']), expiresAt: 5 };
    expect(principalKey(reordered)).toBe(principalKey(reader));
  });

  it('gives different keys when kind, subject, tenant or scopes differ', () => {
    const keys = new Set([
      principalKey(reader),
      principalKey({ ...reader, kind: 'apiKey' }),
      principalKey({ ...reader, subject: 'v' }),
      principalKey({ ...reader, tenant: undefined }),
      principalKey({ ...reader, scopes: new Set(['objects:read']) }),
    ]);
    expect(keys.size).toBe(5);
  });
});
