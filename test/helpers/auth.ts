import { SignJWT } from 'jose';

/** HS256 secret the test gateways that need authentication are configured with (`AUTH_JWT_SECRET`). */
export const TEST_JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789';

/** Issuer and audience those gateways check. */
export const TEST_ISSUER = 'https://issuer.test.invalid/';
export const TEST_AUDIENCE = 'media-graph-tests';

/** Environment that turns JWT authentication on for {@link startTestGateway}. */
export const JWT_AUTH_ENV: Readonly<Record<string, string>> = {
  AUTH_JWT_SECRET: TEST_JWT_SECRET,
  AUTH_ISSUER: TEST_ISSUER,
  AUTH_AUDIENCE: TEST_AUDIENCE,
};

/** Claims of a test token; `expiresInSeconds` may be negative for an expired token. */
export interface TestTokenClaims {
  readonly sub?: string;
  readonly tenant?: string;
  readonly scope?: string;
  readonly expiresInSeconds?: number;
  readonly secret?: string;
}

/** A signed HS256 JWT for the test gateways. */
export async function mintToken(claims: TestTokenClaims = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ...(claims.tenant === undefined ? {} : { tenant: claims.tenant }), scope: claims.scope ?? 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(claims.sub ?? 'tester')
    .setIssuer(TEST_ISSUER)
    .setAudience(TEST_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.expiresInSeconds ?? 3600));
  return jwt.sign(new TextEncoder().encode(claims.secret ?? TEST_JWT_SECRET));
}

/** `{ authorization: 'Bearer …' }` for a fresh token with `claims`. */
export async function bearer(claims: TestTokenClaims = {}): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await mintToken(claims)}` };
}
