import { Redis } from 'ioredis';
import { ConfigError, type Config } from '../config.js';
import { DomainError, isDomainError } from '../core/domain-error.js';
import type { Logger } from '../core/logger.js';
import { authRefusals, rateLimited } from '../core/metrics.js';
import { Access } from './access.js';
import { Authenticator, credentialsFromConnectionParams, credentialsFromHeaders, type HeaderMap } from './authenticator.js';
import { ANONYMOUS_DEVELOPER, hasScope, type Principal, type Scope } from './principal.js';
import { TenantRateLimiter, type RateLimiter } from './rate-limiter.js';
import { compileTenantPolicy, UNRESTRICTED_POLICY, type TenantPolicy } from './tenant-policy.js';
import { loadTenants, type TenantDirectory } from './tenants.js';

/** A policy that reaches nothing: for callers whose tenant is unknown or who name no tenant where tenants exist. */
const NOTHING: TenantPolicy = compileTenantPolicy('nothing', {});

/**
 * The process-wide security setup: authentication (JWT, API keys), tenant policies and per-tenant rate limits.
 * Built once at startup by {@link Security.create}; every transport (HTTP, graphql-ws, SSE, byte endpoints) turns
 * its credentials into an {@link Access} here, so they all authenticate and authorize the same way.
 */
export class Security {
  private constructor(
    private readonly authenticator: Authenticator,
    private readonly tenants: TenantDirectory | undefined,
    private readonly limiter: RateLimiter,
    /** True when no authentication method is configured: anonymous callers get full access. */
    readonly development: boolean,
    private readonly redis: Redis | undefined,
  ) {}

  /** Closes the shared rate-limit store connection, if any. Idempotent. */
  async close(): Promise<void> {
    if (this.redis !== undefined && this.redis.status !== 'end') await this.redis.quit().catch(() => this.redis?.disconnect());
  }

  /**
   * Loads the configured key sources, API keys and tenants. With no authentication configured it allows the
   * anonymous development mode only on a loopback address outside production, and warns.
   * @throws ConfigError when a file is invalid, or when auth is missing where it is required.
   */
  static async create(config: Config, logger: Logger): Promise<Security> {
    const authenticator = await Authenticator.create({
      ...(config.auth.jwt === undefined ? {} : { jwt: config.auth.jwt }),
      ...(config.auth.apiKeysFile === undefined ? {} : { apiKeysFile: config.auth.apiKeysFile }),
      logger,
    });
    const tenants = config.auth.tenantsFile === undefined ? undefined : await loadTenants(config.auth.tenantsFile);
    const development = !authenticator.configured;
    if (development) {
      if (config.env === 'production' || !isLoopback(config.host)) {
        throw new ConfigError(
          `invalid configuration: authentication is not configured, which is allowed only in development on a loopback HOST (HOST=${config.host}, NODE_ENV=${config.env}). ` +
            'Set AUTH_JWKS_FILE, AUTH_JWKS_URL or AUTH_JWT_SECRET (with AUTH_ISSUER and AUTH_AUDIENCE), or AUTH_API_KEYS_FILE.',
        );
      }
      logger.warn('authentication is not configured: anonymous callers have full access (development mode, loopback only)');
    }
    const redis = config.auth.rateLimit.redisUrl === undefined ? undefined : connectRedis(config.auth.rateLimit.redisUrl, logger);
    const limiter = new TenantRateLimiter({
      defaultPerSecond: config.auth.rateLimit.requestsPerSecond,
      defaultBurst: config.auth.rateLimit.burst,
      overrides: tenants?.rateLimitOverrides ?? new Map(),
      ...(redis === undefined ? {} : { redis }),
    });
    return new Security(authenticator, tenants, limiter, development, redis);
  }

  /**
   * Authenticates HTTP request headers (`Authorization: Bearer|ApiKey`, `x-api-key`).
   * @throws DomainError UNAUTHENTICATED for missing (outside development) or invalid credentials.
   */
  async fromHeaders(headers: HeaderMap): Promise<Access> {
    return countRefusal(async () => this.accessFor(await this.authenticator.authenticate(credentialsFromHeaders(headers))));
  }

  /**
   * Authenticates graphql-ws `connectionParams` (`authorization`, `apiKey` / `x-api-key`).
   * @throws DomainError UNAUTHENTICATED for missing (outside development) or invalid credentials.
   */
  async fromConnectionParams(params: Readonly<Record<string, unknown>> | undefined): Promise<Access> {
    return countRefusal(async () => this.accessFor(await this.authenticator.authenticate(credentialsFromConnectionParams(params))));
  }

  /**
   * The access a signed URL grants by itself: `scope` on its tenant's resources ('*' = every tenant).
   * @throws DomainError FORBIDDEN when the URL's tenant no longer exists.
   */
  forSignedUrl(tenant: string, scope: Scope): Access {
    const principal: Principal = { kind: 'anonymous', subject: 'signed-url', tenant: tenant === '*' ? undefined : tenant, scopes: new Set([scope]), expiresAt: undefined };
    if (tenant === '*') return new Access(principal, UNRESTRICTED_POLICY);
    const policy = this.tenants?.get(tenant);
    if (policy === undefined && this.tenants !== undefined) throw new DomainError('FORBIDDEN', 'The signed URL is invalid or has expired.');
    return new Access(principal, policy ?? UNRESTRICTED_POLICY);
  }

  /**
   * Charges one request (or `cost` units) to the caller's tenant (or subject, for callers without a tenant).
   * Anonymous development callers are not limited.
   * @throws DomainError RATE_LIMITED with `details.retryAfterMs`.
   */
  async charge(access: Access, cost = 1): Promise<void> {
    const principal = access.principal;
    if (principal.kind === 'anonymous' && this.development) return;
    try {
      await this.limiter.consume(principal.tenant ?? `${principal.kind}:${principal.subject}`, cost);
    } catch (error) {
      if (isDomainError(error) && error.code === 'RATE_LIMITED') rateLimited.inc();
      throw error;
    }
  }

  private accessFor(principal: Principal | undefined): Access {
    if (principal === undefined) {
      if (this.development) return new Access(ANONYMOUS_DEVELOPER, UNRESTRICTED_POLICY);
      throw new DomainError('UNAUTHENTICATED', 'Authentication is required: send a bearer token or an API key.');
    }
    return new Access(principal, this.policyOf(principal));
  }

  /**
   * Without a tenants file, scopes alone decide. With one, a caller reaches its tenant's resources; a caller
   * naming no tenant reaches everything only as admin, and an unknown tenant reaches nothing.
   */
  private policyOf(principal: Principal): TenantPolicy {
    if (this.tenants === undefined) return UNRESTRICTED_POLICY;
    if (principal.tenant === undefined) return hasScope(principal, 'admin') ? UNRESTRICTED_POLICY : NOTHING;
    return this.tenants.get(principal.tenant) ?? NOTHING;
  }
}

/**
 * Runs an authentication, counting a refusal of the caller (`UNAUTHENTICATED`, `FORBIDDEN`) in
 * `media_graph_auth_refusals_total` before it propagates; other errors propagate uncounted.
 */
export async function countRefusal(authenticate: () => Promise<Access>): Promise<Access> {
  try {
    return await authenticate();
  } catch (error) {
    // A key source that cannot be reached (JWKS down) refuses nobody in particular: only refusals of the caller count.
    if (isDomainError(error) && (error.code === 'UNAUTHENTICATED' || error.code === 'FORBIDDEN')) authRefusals.labels(error.code.toLowerCase()).inc();
    throw error;
  }
}

/**
 * The rate-limit store connection. Commands fail at once while Redis is unreachable (no offline queue), so the
 * limiter's in-memory insurance takes over instead of requests waiting on a reconnect.
 */
function connectRedis(url: string, logger: Logger): Redis {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  let down = false;
  redis.on('error', (error: Error) => {
    if (!down) logger.warn({ err: error }, 'rate-limit Redis unreachable: counting in memory until it is back');
    down = true;
  });
  redis.on('ready', () => {
    if (down) logger.info('rate-limit Redis reachable again');
    down = false;
  });
  return redis;
}

/** Whether `host` (the configured bind address) only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}
