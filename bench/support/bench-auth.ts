import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Scope } from '../../src/auth/principal.js';

/**
 * Authentication for a benchmark's gateway process. Production refuses to start without authentication, and the
 * benchmarks run the gateway as production, so each run gets a fresh HS256 secret and one bearer token.
 */
export interface BenchAuth {
  /** Gateway environment: the JWT settings, and a rate limit lifted because every load client is this one identity. */
  readonly env: Readonly<Record<string, string>>;
  /** `Bearer <token>`: the value of an `authorization` header or connection parameter. */
  readonly authorization: string;
}

const ISSUER = 'https://bench.media-graph.invalid/';
const AUDIENCE = 'media-graph';

/**
 * A new secret and a token for `subject` with `scopes`, valid for two hours (longer than any benchmark's deadline).
 * The secret never leaves this process and the gateway child it is handed to.
 */
export async function createBenchAuth(subject: string, scopes: readonly Scope[]): Promise<BenchAuth> {
  const secret = randomBytes(32).toString('hex');
  const token = await new SignJWT({ scope: scopes.join(' ') })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(subject)
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('2h')
    .sign(new TextEncoder().encode(secret));
  return {
    env: {
      AUTH_JWT_SECRET: secret,
      AUTH_ISSUER: ISSUER,
      AUTH_AUDIENCE: AUDIENCE,
      RATE_LIMIT_PER_SECOND: '1000000',
      RATE_LIMIT_BURST: '1000000',
    },
    authorization: `Bearer ${token}`,
  };
}
