import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { JwtVerifier, type JwtVerifierOptions } from '../../../src/auth/jwt-verifier.js';
import { DomainError } from '../../../src/core/domain-error.js';
import { createLogger } from '../../../src/core/logger.js';

const ISSUER = 'https://issuer.test/';
const AUDIENCE = 'media-graph';
const SECRET = 'an-hs256-secret-that-is-32-bytes-or-more';

interface SigningKey {
  readonly alg: 'RS256' | 'ES256';
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  readonly spki: string;
}

async function signingKey(alg: 'RS256' | 'ES256', kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { alg, kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' }, spki: await exportSPKI(publicKey) };
}

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function claims(overrides: JWTPayload = {}): JWTPayload {
  return { iss: ISSUER, aud: AUDIENCE, sub: 'user-1', tenant: 'tenant-a', scope: 'objects:read streams:read', exp: nowSeconds() + 600, ...overrides };
}

async function sign(key: SigningKey, payload: JWTPayload = claims()): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT' }).sign(key.privateKey);
}

async function signHs256(payload: JWTPayload, secret: Uint8Array = new TextEncoder().encode(SECRET)): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(secret);
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Runs `action`, expects a DomainError, and checks that its message does not echo `token`. */
async function rejection(action: Promise<unknown>, token: string): Promise<DomainError> {
  const error = await action.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(DomainError);
  const domainError = error as DomainError;
  expect(domainError.message).not.toContain(token);
  for (const part of token.split('.').filter((segment) => segment.length > 8)) expect(domainError.message).not.toContain(part);
  return domainError;
}

describe('JwtVerifier', () => {
  let dir: string;
  let rsa: SigningKey;
  let ec: SigningKey;
  let jwksFile: string;
  let fileVerifier: JwtVerifier;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'media-graph-jwt-'));
    rsa = await signingKey('RS256', 'rsa-1');
    ec = await signingKey('ES256', 'ec-1');
    jwksFile = join(dir, 'jwks.json');
    await writeFile(jwksFile, JSON.stringify({ keys: [rsa.publicJwk, ec.publicJwk] }));
    fileVerifier = await JwtVerifier.create({ jwksFile, issuer: ISSUER, audience: AUDIENCE });
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe('construction', () => {
    it('throws when no key source is configured', async () => {
      await expect(JwtVerifier.create({ issuer: ISSUER })).rejects.toThrow(/exactly one of jwksFile, jwksUrl or hs256Secret/);
    });

    it('throws when several key sources are configured', async () => {
      await expect(JwtVerifier.create({ jwksFile, hs256Secret: SECRET })).rejects.toThrow(/exactly one of .*got jwksFile, hs256Secret/);
    });

    it('throws when the HS256 secret is shorter than 32 bytes', async () => {
      await expect(JwtVerifier.create({ hs256Secret: 'x'.repeat(31) })).rejects.toThrow(/at least 32 bytes/);
    });

    it('throws when allowedAlgorithms names HS256 with a JWKS', async () => {
      await expect(JwtVerifier.create({ jwksFile, allowedAlgorithms: ['RS256', 'HS256'] })).rejects.toThrow(/HS256 not usable/);
    });

    it('throws when allowedAlgorithms names none', async () => {
      await expect(JwtVerifier.create({ hs256Secret: SECRET, allowedAlgorithms: ['none'] })).rejects.toThrow(/none not usable/);
    });

    it('throws when the JWKS file holds a private key', async () => {
      const path = join(dir, 'private.json');
      const { privateKey } = await generateKeyPair('ES256', { extractable: true });
      await writeFile(path, JSON.stringify({ keys: [await exportJWK(privateKey)] }));
      await expect(JwtVerifier.create({ jwksFile: path })).rejects.toThrow(/keys\[0\] is a private key/);
    });

    it('throws naming the file when the JWKS file is missing', async () => {
      const path = join(dir, 'missing.json');
      await expect(JwtVerifier.create({ jwksFile: path })).rejects.toThrow(path);
    });

    it('throws when the JWKS URL is not http(s)', async () => {
      await expect(JwtVerifier.create({ jwksUrl: 'file:///etc/jwks.json' })).rejects.toThrow(/http\(s\)/);
    });
  });

  describe('with a JWKS file', () => {
    it('returns the principal when an RS256 token is valid', async () => {
      const exp = nowSeconds() + 600;
      const principal = await fileVerifier.verify(await sign(rsa, claims({ exp })));
      expect(principal).toEqual({
        kind: 'jwt',
        subject: 'user-1',
        tenant: 'tenant-a',
        scopes: new Set(['objects:read', 'streams:read']),
        expiresAt: exp * 1000,
      });
    });

    it('returns the principal when an ES256 token is valid', async () => {
      const principal = await fileVerifier.verify(await sign(ec, claims({ sub: 'user-2', tenant: undefined })));
      expect(principal.subject).toBe('user-2');
      expect(principal.tenant).toBeUndefined();
    });

    it('rejects the token when the issuer is wrong', async () => {
      const token = await sign(rsa, claims({ iss: 'https://evil.test/' }));
      const error = await rejection(fileVerifier.verify(token), token);
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(error.details).toEqual({ reason: 'TOKEN_INVALID' });
      expect(error.message).toContain('"iss"');
    });

    it('rejects the token when the audience is wrong', async () => {
      const token = await sign(rsa, claims({ aud: 'another-api' }));
      const error = await rejection(fileVerifier.verify(token), token);
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(error.message).toContain('"aud"');
    });

    it('rejects with reason TOKEN_EXPIRED when the token expired beyond the tolerance', async () => {
      const token = await sign(rsa, claims({ exp: nowSeconds() - 120 }));
      const error = await rejection(fileVerifier.verify(token), token);
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(error.message).toMatch(/expired/);
      expect(error.details).toEqual({ reason: 'TOKEN_EXPIRED' });
    });

    it('accepts the token when it expired within the clock tolerance', async () => {
      const principal = await fileVerifier.verify(await sign(rsa, claims({ exp: nowSeconds() - 10 })));
      expect(principal.subject).toBe('user-1');
    });

    it('rejects the token when nbf is in the future beyond the tolerance', async () => {
      const token = await sign(rsa, claims({ nbf: nowSeconds() + 300 }));
      const error = await rejection(fileVerifier.verify(token), token);
      expect(error.details).toEqual({ reason: 'TOKEN_INVALID' });
      expect(error.message).toMatch(/not yet valid/);
    });

    it('accepts the token when nbf is in the future within the clock tolerance', async () => {
      await expect(fileVerifier.verify(await sign(rsa, claims({ nbf: nowSeconds() + 10 })))).resolves.toMatchObject({ subject: 'user-1' });
    });

    it('rejects expired tokens when the tolerance is configured to zero', async () => {
      const strict = await JwtVerifier.create({ jwksFile, clockToleranceSeconds: 0 });
      const token = await sign(rsa, claims({ exp: nowSeconds() - 10 }));
      expect((await rejection(strict.verify(token), token)).details).toEqual({ reason: 'TOKEN_EXPIRED' });
    });

    it('rejects the token when sub is missing', async () => {
      const token = await sign(rsa, claims({ sub: undefined }));
      const error = await rejection(fileVerifier.verify(token), token);
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(error.message).toContain('"sub"');
    });

    it('rejects the token when it has no exp', async () => {
      const token = await sign(rsa, claims({ exp: undefined }));
      const error = await rejection(fileVerifier.verify(token), token);
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(error.message).toContain('"exp"');
    });

    it('rejects the token when tenant is not a string', async () => {
      const token = await sign(rsa, claims({ tenant: 42 }));
      expect((await rejection(fileVerifier.verify(token), token)).message).toContain('"tenant"');
    });

    it('rejects the token when alg is none', async () => {
      const token = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claims())}.`;
      const error = await rejection(fileVerifier.verify(token), token);
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(error.details).toEqual({ reason: 'TOKEN_INVALID' });
    });

    it('rejects the token when it is HS256 signed with the RSA public key bytes (algorithm confusion)', async () => {
      const token = await signHs256(claims(), new TextEncoder().encode(rsa.spki));
      const error = await rejection(fileVerifier.verify(token), token);
      expect(error.code).toBe('UNAUTHENTICATED');
      expect(error.message).toMatch(/algorithm/);
    });

    it('rejects the token when it is signed by a key outside the set', async () => {
      const stranger = await signingKey('RS256', 'rsa-1');
      const token = await sign(stranger);
      expect((await rejection(fileVerifier.verify(token), token)).code).toBe('UNAUTHENTICATED');
    });

    it('rejects the token when the signature was tampered with', async () => {
      const [header, , signature] = (await sign(rsa)).split('.');
      const token = `${header}.${base64url(claims({ scope: 'admin' }))}.${signature}`;
      expect((await rejection(fileVerifier.verify(token), token)).message).toMatch(/signature/);
    });

    it('rejects the input without echoing it when it is not a JWT', async () => {
      const token = 'not-a-jwt-at-all-but-a-long-secretish-string';
      expect((await rejection(fileVerifier.verify(token), token)).code).toBe('UNAUTHENTICATED');
    });

    it('rejects the token when the algorithm is outside allowedAlgorithms', async () => {
      const rsaOnly = await JwtVerifier.create({ jwksFile, allowedAlgorithms: ['RS256'] });
      const token = await sign(ec);
      expect((await rejection(rsaOnly.verify(token), token)).message).toMatch(/algorithm/);
    });
  });

  describe('scope parsing', () => {
    it('ignores unknown scopes when scope is a space-separated string', async () => {
      const principal = await fileVerifier.verify(await sign(rsa, claims({ scope: 'objects:write  openid profile streams:subscribe' })));
      expect(principal.scopes).toEqual(new Set(['objects:write', 'streams:subscribe']));
    });

    it('merges scp with scope when scp is an array', async () => {
      const principal = await fileVerifier.verify(await sign(rsa, claims({ scope: 'admin', scp: ['livestream:read', 'email', 'oci:issue'] })));
      expect(principal.scopes).toEqual(new Set(['admin', 'livestream:read', 'oci:issue']));
    });

    it('grants oci:issue and warns once per issuer when a token names the deprecated playback:issue', async () => {
      const lines: string[] = [];
      const destination = new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(chunk.toString('utf8'));
          callback();
        },
      });
      const verifier = await JwtVerifier.create({ jwksFile, audience: AUDIENCE, logger: createLogger('warn', destination) });
      const old = await verifier.verify(await sign(rsa, claims({ scope: 'playback:issue objects:read' })));
      expect(old.scopes).toEqual(new Set(['oci:issue', 'objects:read']));
      await verifier.verify(await sign(rsa, claims({ sub: 'user-2', scp: ['playback:issue'] })));
      await verifier.verify(await sign(rsa, claims({ iss: 'https://other.test/', scope: 'playback:issue' })));
      await verifier.verify(await sign(rsa, claims({ iss: 'https://third.test/', scope: 'oci:issue' })));
      const warnings = lines.map((line) => JSON.parse(line) as { issuer?: string; renamed?: string[]; msg?: string });
      expect(warnings.map((warning) => warning.issuer)).toEqual([ISSUER, 'https://other.test/']);
      expect(warnings[0]?.renamed).toEqual(['playback:issue -> oci:issue']);
      expect(warnings[0]?.msg).toContain('deprecated');
    });

    it('returns no scopes when neither claim is present', async () => {
      const principal = await fileVerifier.verify(await sign(rsa, claims({ scope: undefined })));
      expect(principal.scopes.size).toBe(0);
    });

    it('rejects the token when scp holds a non-string', async () => {
      const token = await sign(rsa, claims({ scp: ['objects:read', 7] }));
      expect((await rejection(fileVerifier.verify(token), token)).message).toContain('"scp"');
    });
  });

  describe('with an HS256 secret', () => {
    let verifier: JwtVerifier;
    beforeAll(async () => {
      verifier = await JwtVerifier.create({ hs256Secret: SECRET, issuer: ISSUER, audience: AUDIENCE });
    });

    it('returns the principal when the token is valid', async () => {
      const principal = await verifier.verify(await signHs256(claims({ scope: 'admin' })));
      expect(principal).toMatchObject({ kind: 'jwt', subject: 'user-1', tenant: 'tenant-a' });
      expect(principal.scopes).toEqual(new Set(['admin']));
    });

    it('answers a repeated token from its cache and still refuses it once it has expired', async () => {
      const cached = await JwtVerifier.create({ hs256Secret: SECRET, issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 0 });
      const token = await signHs256(claims({ exp: nowSeconds() + 2 }));
      const first = await cached.verify(token);
      expect(await cached.verify(token)).toBe(first);
      vi.useFakeTimers({ now: Date.now() + 5_000 });
      try {
        const refused = await rejection(cached.verify(token), token);
        expect(refused.details).toEqual({ reason: 'TOKEN_EXPIRED' });
      } finally {
        vi.useRealTimers();
      }
    });

    it('keeps a token in use and forgets the least recently used one when the cache is full', async () => {
      const small = await JwtVerifier.create({ hs256Secret: SECRET, issuer: ISSUER, audience: AUDIENCE, verifiedTokenCacheSize: 2 });
      const [inUse, idle, newcomer] = await Promise.all(['a', 'b', 'c'].map((sub) => signHs256(claims({ sub }))));
      if (inUse === undefined || idle === undefined || newcomer === undefined) throw new Error('unreachable');
      const first = await small.verify(inUse);
      const idleFirst = await small.verify(idle);
      // The client of `inUse` keeps sending it: the oldest entry, but the most recently used.
      expect(await small.verify(inUse)).toBe(first);
      await small.verify(newcomer);
      // A cached answer is the same object; a verified-again token yields a new one.
      expect(await small.verify(inUse)).toBe(first);
      expect(await small.verify(idle)).not.toBe(idleFirst);
    });

    it('verifies every time when the cache is turned off', async () => {
      const uncached = await JwtVerifier.create({ hs256Secret: SECRET, verifiedTokenCacheSize: 0 });
      const token = await signHs256(claims());
      expect(await uncached.verify(token)).not.toBe(await uncached.verify(token));
      await expect(JwtVerifier.create({ hs256Secret: SECRET, verifiedTokenCacheSize: -1 })).rejects.toThrow('verifiedTokenCacheSize');
    });

    it('rejects the token when it was signed with another secret', async () => {
      const token = await signHs256(claims(), new TextEncoder().encode('another-secret-that-is-also-32-bytes-long'));
      expect((await rejection(verifier.verify(token), token)).message).toMatch(/signature/);
    });

    it('rejects the token when it is RS256 signed', async () => {
      const token = await sign(rsa);
      expect((await rejection(verifier.verify(token), token)).message).toMatch(/algorithm/);
    });
  });

  describe('with a JWKS URL', () => {
    let server: Server;
    let baseUrl: string;
    let requests = 0;

    beforeAll(async () => {
      server = createServer((request, response) => {
        requests += 1;
        if (request.url === '/jwks.json') {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ keys: [rsa.publicJwk, ec.publicJwk] }));
        } else {
          response.writeHead(503);
          response.end();
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await new Promise<void>((resolve, reject) => server.close((error) => (error === undefined ? resolve() : reject(error))));
    });

    it('verifies tokens with one fetch when the set is reachable', async () => {
      const options: JwtVerifierOptions = { jwksUrl: `${baseUrl}/jwks.json`, issuer: ISSUER, audience: AUDIENCE };
      const verifier = await JwtVerifier.create(options);
      const before = requests;
      await expect(verifier.verify(await sign(rsa))).resolves.toMatchObject({ subject: 'user-1' });
      await expect(verifier.verify(await sign(ec))).resolves.toMatchObject({ subject: 'user-1' });
      expect(requests - before).toBe(1);
    });

    it('rejects as UNAUTHENTICATED when the token is signed by an unknown key', async () => {
      const verifier = await JwtVerifier.create({ jwksUrl: `${baseUrl}/jwks.json` });
      const token = await sign(await signingKey('ES256', 'unknown-kid'));
      expect((await rejection(verifier.verify(token), token)).code).toBe('UNAUTHENTICATED');
    });

    it('throws a retryable UPSTREAM_UNAVAILABLE when the set cannot be fetched', async () => {
      const verifier = await JwtVerifier.create({ jwksUrl: `${baseUrl}/broken` });
      const token = await sign(rsa);
      const error = await rejection(verifier.verify(token), token);
      expect(error.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(error.retryable).toBe(true);
    });
  });
});
