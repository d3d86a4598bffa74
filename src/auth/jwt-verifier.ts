import { readFile } from 'node:fs/promises';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors as joseErrors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
} from 'jose';
import { LRUCache } from 'lru-cache';
import { ConfigError } from '../config.js';
import { DomainError } from '../core/domain-error.js';
import type { Logger } from '../core/logger.js';
import { DEPRECATED_SCOPE_ALIASES, scopeNamed, type Principal, type Scope } from './principal.js';
import { webcrypto } from 'node:crypto';
import type { CryptoKey as JoseCryptoKey } from 'jose';

/** How {@link JwtVerifier.create} finds keys and which claims it enforces. */
export interface JwtVerifierOptions {
  /** Path of a JSON Web Key Set file with public keys; read once, at construction. */
  readonly jwksFile?: string;
  /** `http(s)` URL of the issuer's JSON Web Key Set; fetched lazily, cached, refetched on an unknown `kid`. */
  readonly jwksUrl?: string;
  /** Shared HS256 secret (at least 32 bytes of UTF-8). */
  readonly hs256Secret?: string;
  /** Required `iss` claim value; unchecked when undefined. */
  readonly issuer?: string;
  /** Required `aud` claim value (one of the token's audiences); unchecked when undefined. */
  readonly audience?: string;
  /** Allowed clock skew for `exp` and `nbf`, in seconds. Defaults to {@link DEFAULT_CLOCK_TOLERANCE_SECONDS}. */
  readonly clockToleranceSeconds?: number;
  /**
   * Narrows the accepted `alg` values. Must be a subset of what the key source allows: `HS256` for a secret,
   * {@link ASYMMETRIC_ALGORITHMS} for a JWKS. Defaults to everything the key source allows.
   */
  readonly allowedAlgorithms?: readonly string[];
  /**
   * Most verified tokens remembered, so a client's repeated token skips the signature check; the least recently
   * used is forgotten first. Default {@link DEFAULT_VERIFIED_TOKEN_CACHE_SIZE}; 0 turns the cache off.
   */
  readonly verifiedTokenCacheSize?: number;
  /** Receives the deprecation warning for a scope named by its former name, once per token issuer (`iss`). */
  readonly logger?: Pick<Logger, 'warn'>;
}

/** Default {@link JwtVerifierOptions.clockToleranceSeconds}. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;

/** Minimum HS256 secret length in bytes: RFC 7518 §3.2 requires a key at least as long as the hash output. */
export const MIN_HS256_SECRET_BYTES = 32;

/**
 * Algorithms accepted with a JWKS. Symmetric algorithms are excluded so a token "signed" with a public key as an
 * HMAC secret (algorithm confusion) can never verify; `none` is never accepted.
 */
export const ASYMMETRIC_ALGORITHMS: readonly string[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

const SYMMETRIC_ALGORITHMS: readonly string[] = ['HS256'];

/**
 * Remote JWKS caching, in milliseconds. A fetched set is reused for {@link REMOTE_JWKS_CACHE_MAX_AGE_MS}; an
 * unknown `kid` triggers a refetch at most once per {@link REMOTE_JWKS_COOLDOWN_MS} so garbage tokens cannot
 * turn the gateway into a request amplifier against the issuer.
 */
export const REMOTE_JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;
/** See {@link REMOTE_JWKS_CACHE_MAX_AGE_MS}. */
export const REMOTE_JWKS_COOLDOWN_MS = 30_000;
/** Timeout of one JWKS fetch, in milliseconds. */
export const REMOTE_JWKS_TIMEOUT_MS = 5_000;

type KeySource = JoseCryptoKey | JWTVerifyGetKey;

/** Default {@link JwtVerifierOptions.verifiedTokenCacheSize}. */
export const DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 10_000;
/** Longest a verified token is trusted without checking its signature again, in ms. */
const VERIFIED_TOKEN_TTL_MS = 5 * 60_000;
/** Issuers remembered as already warned about a deprecated scope name; beyond this, no more warnings are logged. */
const MAX_WARNED_ISSUERS = 1_000;

/** Marks a failure to obtain the key set, as opposed to a bad token, so it maps to `UPSTREAM_UNAVAILABLE`. */
class KeySetUnavailable extends Error {
  constructor(cause: unknown) {
    super('JSON Web Key Set unavailable', { cause });
    this.name = 'KeySetUnavailable';
  }
}

/**
 * Verifies bearer JWTs against exactly one key source and turns them into {@link Principal}s. Stateless apart
 * from the remote JWKS cache; one instance serves the whole process.
 */
export class JwtVerifier {
  /**
   * Tokens verified recently, by their exact text. Clients send the same token with every request until it
   * expires, and a signature check costs far more than the rest of the security path. Least recently used first
   * out, so the tokens of active clients stay while one-off tokens make room. Each entry lives until the token
   * expires (plus the clock tolerance) and at most {@link VERIFIED_TOKEN_TTL_MS}, which bounds how long a key
   * removed from the JWKS keeps vouching for tokens it signed. `undefined` when the cache is off.
   */
  private readonly verified: LRUCache<string, Principal> | undefined;
  /** Issuers already warned about a deprecated scope name (`''` stands for tokens without `iss`). */
  private readonly warnedIssuers = new Set<string>();

  private constructor(
    private readonly key: KeySource,
    private readonly verifyOptions: JWTVerifyOptions,
    private readonly toleranceMs: number,
    cacheSize: number,
    private readonly logger: Pick<Logger, 'warn'> | undefined,
    // Read through Date.now at each call, so the clock can be faked in tests as it is for jose.
    private readonly now: () => number = () => Date.now(),
  ) {
    this.verified =
      cacheSize === 0
        ? undefined
        : new LRUCache<string, Principal>({
            max: cacheSize,
            ttl: VERIFIED_TOKEN_TTL_MS,
            // Expired entries are dropped when next read; the size bound holds either way, so no timers are needed.
            ttlAutopurge: false,
            // Every read consults the clock (lru-cache would otherwise reuse a reading for up to 1 ms).
            ttlResolution: 0,
            perf: { now: () => this.now() },
          });
  }

  /**
   * Builds a verifier. Reads and validates the JWKS file now; a JWKS URL is only fetched on the first
   * verification, so an issuer outage does not prevent startup.
   * @throws ConfigError when zero or several key sources are configured, the secret is shorter than
   *   {@link MIN_HS256_SECRET_BYTES}, `allowedAlgorithms` is empty or names an algorithm the key source may not
   *   use, the URL is not http(s), or the JWKS file cannot be read, is not a key set, or holds private or
   *   symmetric keys.
   */
  static async create(options: JwtVerifierOptions): Promise<JwtVerifier> {
    const sources = (['jwksFile', 'jwksUrl', 'hs256Secret'] as const).filter((name) => options[name] !== undefined);
    if (sources.length !== 1) {
      throw new ConfigError(
        `invalid JWT configuration: exactly one of jwksFile, jwksUrl or hs256Secret must be set (got ${sources.length === 0 ? 'none' : sources.join(', ')})`,
      );
    }
    const tolerance = options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS;
    if (!Number.isFinite(tolerance) || tolerance < 0) {
      throw new ConfigError('invalid JWT configuration: clockToleranceSeconds must be a non-negative number');
    }
    const cacheSize = options.verifiedTokenCacheSize ?? DEFAULT_VERIFIED_TOKEN_CACHE_SIZE;
    if (!Number.isInteger(cacheSize) || cacheSize < 0) {
      throw new ConfigError('invalid JWT configuration: verifiedTokenCacheSize must be a non-negative integer');
    }

    let key: KeySource;
    let permitted: readonly string[];
    if (options.hs256Secret !== undefined) {
      const secret = new TextEncoder().encode(options.hs256Secret);
      if (secret.byteLength < MIN_HS256_SECRET_BYTES) {
        throw new ConfigError(`invalid JWT configuration: the HS256 secret must be at least ${MIN_HS256_SECRET_BYTES} bytes`);
      }
      // Imported once: given raw bytes, jose would import the key into WebCrypto again on every verification.
      key = await webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
      permitted = SYMMETRIC_ALGORITHMS;
    } else if (options.jwksFile !== undefined) {
      const jwks = await readJwksFile(options.jwksFile);
      try {
        key = createLocalJWKSet(jwks);
      } catch (cause) {
        throw new ConfigError(`invalid JWT configuration: JWKS file ${options.jwksFile} is not a valid key set (${String(cause)})`);
      }
      permitted = ASYMMETRIC_ALGORITHMS;
    } else {
      key = remoteKeySet(parseJwksUrl(options.jwksUrl ?? ''));
      permitted = ASYMMETRIC_ALGORITHMS;
    }

    const algorithms = options.allowedAlgorithms ?? permitted;
    if (algorithms.length === 0) throw new ConfigError('invalid JWT configuration: allowedAlgorithms must not be empty');
    const refused = algorithms.filter((alg) => !permitted.includes(alg));
    if (refused.length > 0) {
      throw new ConfigError(
        `invalid JWT configuration: allowedAlgorithms ${refused.join(', ')} not usable with ${sources[0] ?? 'this key source'} (allowed: ${permitted.join(', ')})`,
      );
    }

    const verifyOptions: JWTVerifyOptions = {
      algorithms: [...algorithms],
      clockTolerance: tolerance,
      // A token without `exp` would stay valid for ever, and so would every socket and subscription opened with it.
      requiredClaims: ['sub', 'exp'],
      ...(options.issuer === undefined ? {} : { issuer: options.issuer }),
      ...(options.audience === undefined ? {} : { audience: options.audience }),
    };
    return new JwtVerifier(key, verifyOptions, tolerance * 1000, cacheSize, options.logger);
  }

  /**
   * Verifies `token` (compact JWS, without the `Bearer ` prefix): signature, algorithm, `iss`/`aud` when
   * configured, a present `exp` and `exp`/`nbf` within the clock tolerance, and a non-empty `sub`. Scopes come from `scope`
   * (space-separated) and `scp` (array or space-separated); scopes this gateway does not know are dropped, and a
   * deprecated scope name grants the scope that replaced it (see `DEPRECATED_SCOPE_ALIASES`).
   * @throws DomainError `UNAUTHENTICATED` with `details.reason` `TOKEN_EXPIRED` or `TOKEN_INVALID`; the
   *   message never contains the token.
   * @throws DomainError `UPSTREAM_UNAVAILABLE` (retryable) when the remote JWKS cannot be fetched.
   */
  async verify(token: string): Promise<Principal> {
    // A hit is never past the token's expiry: each entry's TTL ends there (a miss verifies again, which reports
    // the expiry with its proper reason).
    const cached = this.verified?.get(token);
    if (cached !== undefined) return cached;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.key, this.verifyOptions));
    } catch (error) {
      throw translateError(error);
    }
    const { principal, deprecated } = principalFromClaims(payload);
    if (deprecated.length > 0) this.warnDeprecated(deprecated, payload.iss);
    if (this.verified !== undefined) {
      const expiresAt = principal.expiresAt;
      const ttl = Math.min(VERIFIED_TOKEN_TTL_MS, expiresAt === undefined ? VERIFIED_TOKEN_TTL_MS : expiresAt + this.toleranceMs - this.now());
      if (ttl > 0) this.verified.set(token, principal, { ttl });
    }
    return principal;
  }

  /** Logs that tokens of `issuer` still use deprecated scope names, the first time this issuer does. */
  private warnDeprecated(names: readonly string[], issuer: string | undefined): void {
    const key = issuer ?? '';
    if (this.logger === undefined || this.warnedIssuers.has(key) || this.warnedIssuers.size >= MAX_WARNED_ISSUERS) return;
    this.warnedIssuers.add(key);
    const renamed = names.map((name) => `${name} -> ${DEPRECATED_SCOPE_ALIASES[name] ?? '?'}`);
    this.logger.warn(
      { issuer: issuer ?? null, deprecatedScopes: names, renamed },
      `JWT issuer grants deprecated scope names (${renamed.join(', ')}); they are accepted for one release: issue the new names`,
    );
  }
}

/**
 * Builds the principal from verified claims, with the deprecated scope names the token used (already replaced
 * by their new scopes in the principal).
 * @throws DomainError `UNAUTHENTICATED` on malformed claims.
 */
function principalFromClaims(payload: JWTPayload): { readonly principal: Principal; readonly deprecated: readonly string[] } {
  const { sub, exp } = payload;
  if (typeof sub !== 'string' || sub === '') throw invalid('the "sub" claim must be a non-empty string');
  const tenant: unknown = payload['tenant'];
  if (tenant !== undefined && (typeof tenant !== 'string' || tenant === '')) {
    throw invalid('the "tenant" claim must be a non-empty string');
  }
  const scopes = new Set<Scope>();
  const deprecated = new Set<string>();
  for (const name of [...scopeNamesFrom(payload['scope'], 'scope'), ...scopeNamesFrom(payload['scp'], 'scp')]) {
    const scope = scopeNamed(name);
    if (scope === undefined) continue;
    scopes.add(scope);
    if (scope !== name) deprecated.add(name);
  }
  return {
    principal: { kind: 'jwt', subject: sub, tenant, scopes, expiresAt: exp === undefined ? undefined : exp * 1000 },
    deprecated: [...deprecated],
  };
}

/**
 * Reads the names of one scope claim. Names this gateway does not know are dropped later (by `scopeNamed`),
 * because issuers often mint scopes for other audiences too.
 */
function scopeNamesFrom(claim: unknown, name: string): string[] {
  if (claim === undefined) return [];
  let names: unknown[];
  if (typeof claim === 'string') names = claim.split(' ');
  else if (Array.isArray(claim)) names = claim;
  else throw invalid(`the "${name}" claim must be a string or an array of strings`);
  if (!names.every((value): value is string => typeof value === 'string')) {
    throw invalid(`the "${name}" claim must be a string or an array of strings`);
  }
  return names;
}

function invalid(why: string, cause?: unknown): DomainError {
  return new DomainError('UNAUTHENTICATED', `Invalid bearer token: ${why}.`, {
    details: { reason: 'TOKEN_INVALID' },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * Maps a verification failure to a client-safe error. jose messages may quote claim values, so none is copied;
 * the original stays available as `cause` for server-side logs.
 */
function translateError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  if (error instanceof KeySetUnavailable) {
    return new DomainError('UPSTREAM_UNAVAILABLE', 'The token issuer key set is unavailable; try again later.', {
      retryable: true,
      cause: error.cause,
    });
  }
  if (error instanceof joseErrors.JWTExpired) {
    return new DomainError('UNAUTHENTICATED', 'The bearer token has expired.', {
      details: { reason: 'TOKEN_EXPIRED' },
      cause: error,
    });
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    if (error.claim === 'nbf') return invalid('the token is not yet valid', error);
    return error.reason === 'missing'
      ? invalid(`the "${error.claim}" claim is missing`, error)
      : invalid(`the "${error.claim}" claim is not accepted`, error);
  }
  if (error instanceof joseErrors.JOSEAlgNotAllowed) return invalid('the signing algorithm is not accepted', error);
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) return invalid('signature verification failed', error);
  if (error instanceof joseErrors.JWKSNoMatchingKey || error instanceof joseErrors.JWKSMultipleMatchingKeys) {
    return invalid('no matching signing key', error);
  }
  return invalid('the token is malformed or cannot be verified', error);
}

/**
 * Wraps the remote key set so fetch failures (network, timeout, non-200, not a key set) are told apart from
 * token problems: they are the issuer's fault, not the client's.
 */
function remoteKeySet(url: URL): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(url, {
    cacheMaxAge: REMOTE_JWKS_CACHE_MAX_AGE_MS,
    cooldownDuration: REMOTE_JWKS_COOLDOWN_MS,
    timeoutDuration: REMOTE_JWKS_TIMEOUT_MS,
  });
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (error) {
      if (
        error instanceof joseErrors.JWKSNoMatchingKey ||
        error instanceof joseErrors.JWKSMultipleMatchingKeys ||
        error instanceof joseErrors.JOSENotSupported
      ) {
        throw error;
      }
      throw new KeySetUnavailable(error);
    }
  };
}

function parseJwksUrl(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch (cause) {
    throw new ConfigError(`invalid JWT configuration: jwksUrl is not a URL (${String(cause)})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('invalid JWT configuration: jwksUrl must be an http(s) URL');
  }
  return url;
}

/**
 * Reads a JWKS file and refuses private or symmetric keys: publishing them is an operator mistake that would
 * either leak signing material or reopen algorithm confusion.
 */
async function readJwksFile(path: string): Promise<JSONWebKeySet> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new ConfigError(`invalid JWT configuration: cannot read JWKS file ${path}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) {
    throw new ConfigError(`invalid JWT configuration: JWKS file ${path} must be a JSON object with a "keys" array`);
  }
  const keys = (parsed as { keys: unknown[] }).keys;
  if (keys.length === 0) throw new ConfigError(`invalid JWT configuration: JWKS file ${path} contains no keys`);
  keys.forEach((jwk, index) => {
    if (typeof jwk !== 'object' || jwk === null) {
      throw new ConfigError(`invalid JWT configuration: JWKS file ${path}: keys[${index}] is not an object`);
    }
    const { kty, d, k } = jwk as { kty?: unknown; d?: unknown; k?: unknown };
    if (kty === 'oct' || k !== undefined) {
      throw new ConfigError(`invalid JWT configuration: JWKS file ${path}: keys[${index}] is a symmetric key; only public keys are allowed`);
    }
    if (d !== undefined) {
      throw new ConfigError(`invalid JWT configuration: JWKS file ${path}: keys[${index}] is a private key; publish only the public part`);
    }
  });
  return parsed as JSONWebKeySet;
}
