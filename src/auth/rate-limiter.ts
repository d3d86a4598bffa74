import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { DomainError } from '../core/domain-error.js';

/** A request-rate limit: a sustained rate with room for short bursts. */
export interface RateLimitSettings {
  /** Sustained requests (cost units) per second; may be fractional (0.5 = one every two seconds). */
  readonly requestsPerSecond: number;
  /** Most requests (cost units) accepted at once after a quiet period; a whole number, at least 1. */
  readonly burst: number;
}

/**
 * Counts requests per key (a tenant id) and refuses those over the key's limit. Implementations may keep
 * their counters in process memory or in a shared store (e.g. Redis), so every method is asynchronous.
 */
export interface RateLimiter {
  /**
   * Charges `cost` units to `key`.
   * @param cost units to charge, a positive finite number; defaults to 1.
   * @throws DomainError `RATE_LIMITED` (retryable, `details.retryAfterMs` in milliseconds) when over the limit.
   * @throws Error when the limiter itself fails (a store error); never a bare non-Error value.
   */
  consume(key: string, cost?: number): Promise<void>;
}

/** Options for {@link TenantRateLimiter}. */
export interface TenantRateLimiterOptions {
  /** Sustained requests per second for tenants without an override. */
  readonly defaultPerSecond: number;
  /** Burst for tenants without an override. */
  readonly defaultBurst: number;
  /** Per-tenant limits, by tenant id (the `rateLimit` sections of the tenants file). */
  readonly overrides: ReadonlyMap<string, RateLimitSettings>;
  /**
   * Shared store: counters live in Redis, so every instance of a deployment charges the same budget. While Redis
   * cannot be reached each instance falls back to its own in-memory counters (a tenant may then get up to N
   * times its limit across N instances) rather than refusing or waving through every request.
   */
  readonly redis?: Redis;
}

function checkSettings(settings: RateLimitSettings, what: string): void {
  const { requestsPerSecond, burst } = settings;
  if (!Number.isFinite(requestsPerSecond) || requestsPerSecond <= 0) {
    throw new RangeError(`${what}: requestsPerSecond must be a positive finite number, got ${requestsPerSecond}`);
  }
  if (!Number.isInteger(burst) || burst < 1) {
    throw new RangeError(`${what}: burst must be a whole number of at least 1, got ${burst}`);
  }
}

/**
 * Builds the rate-limiter-flexible options for `settings`.
 *
 * rate-limiter-flexible has no token bucket; every limiter counts points in fixed windows that start with a
 * key's first request. Of the two usual mappings, `BurstyRateLimiter` (a per-second limiter plus a second
 * "burst" pool refilled every N seconds) lets a tenant sustain `requestsPerSecond + burstPool / N`, i.e. more
 * than the configured rate. A single window of `burst` points lasting `burst / requestsPerSecond` seconds does
 * enforce the sustained rate exactly: over any span of T seconds a tenant gets at most
 * `requestsPerSecond * T + 2 * burst`, so over time exactly `requestsPerSecond`. The price, compared with a
 * true token bucket, is that two bursts can meet across a window boundary (up to 2 × burst back to back), and a
 * tenant that spends its burst waits for the whole window instead of a trickle; `retryAfterMs` tells it how long.
 * A refused request still counts in its window, which changes nothing for a client that waits `retryAfterMs`
 * (the window's end does not move) and keeps one that hammers from squeezing requests in.
 */
function limiterFor(settings: RateLimitSettings, keyPrefix: string, redis: Redis | undefined): RateLimiterAbstract {
  const memory = memoryLimiter(settings, keyPrefix);
  if (redis === undefined) return memory;
  return new RateLimiterRedis({
    storeClient: redis,
    keyPrefix: `media-graph:${keyPrefix}`,
    points: settings.burst,
    duration: settings.burst / settings.requestsPerSecond,
    insuranceLimiter: memory,
  });
}

function memoryLimiter(settings: RateLimitSettings, keyPrefix: string): RateLimiterMemory {
  return new RateLimiterMemory({
    keyPrefix,
    points: settings.burst,
    duration: settings.burst / settings.requestsPerSecond,
  });
}

/**
 * Translates a rate-limiter-flexible rejection: a `RateLimiterRes` means "over the limit", anything else is a
 * failure of the limiter that must reach the caller as an `Error`.
 */
function translateRejection(rejection: unknown): Error {
  if (rejection instanceof RateLimiterRes) {
    return new DomainError('RATE_LIMITED', 'Rate limit exceeded for this tenant.', {
      details: { retryAfterMs: Math.max(1, Math.ceil(rejection.msBeforeNext)) },
    });
  }
  if (rejection instanceof Error) return rejection;
  return new Error('The rate limiter failed.', { cause: rejection });
}

/**
 * Per-tenant rate limits (see {@link memoryLimiter} for the exact semantics). Counters live in this process,
 * or in Redis when {@link TenantRateLimiterOptions.redis} is given, which makes the limit hold across every
 * instance of a deployment.
 */
export class TenantRateLimiter implements RateLimiter {
  private readonly defaultSettings: RateLimitSettings;
  private readonly defaultLimiter: RateLimiterAbstract;
  private readonly overrides = new Map<string, { settings: RateLimitSettings; limiter: RateLimiterAbstract }>();

  /** @throws RangeError when a rate is not positive and finite or a burst is not a whole number ≥ 1. */
  constructor(options: TenantRateLimiterOptions) {
    this.defaultSettings = { requestsPerSecond: options.defaultPerSecond, burst: options.defaultBurst };
    checkSettings(this.defaultSettings, 'default rate limit');
    this.defaultLimiter = limiterFor(this.defaultSettings, 'tenant-rate', options.redis);
    for (const [key, settings] of options.overrides) {
      checkSettings(settings, `rate limit of '${key}'`);
      // One limiter per overridden tenant: points and duration are per limiter, and tenants are few.
      this.overrides.set(key, { settings, limiter: limiterFor(settings, `tenant-rate-override:${key}`, options.redis) });
    }
  }

  /** The limit that applies to `key`: its override, or the default. */
  settingsFor(key: string): RateLimitSettings {
    return this.overrides.get(key)?.settings ?? this.defaultSettings;
  }

  /**
   * Charges `cost` units to `key`.
   * @param cost units to charge; defaults to 1.
   * @throws RangeError when `cost` is not a positive finite number (a programming error).
   * @throws DomainError `RATE_LIMITED` with `details.retryAfterMs` (milliseconds until the window resets) when
   * over the limit; not retryable, with `details.cost` and `details.burst`, when `cost` exceeds the burst and so
   * can never be accepted.
   * @throws Error when rate-limiter-flexible fails for another reason.
   */
  async consume(key: string, cost = 1): Promise<void> {
    if (!Number.isFinite(cost) || cost <= 0) throw new RangeError(`cost must be a positive finite number, got ${cost}`);
    const entry = this.overrides.get(key);
    const settings = entry?.settings ?? this.defaultSettings;
    if (cost > settings.burst) {
      // Charging it would only poison the window for the tenant's other requests.
      throw new DomainError('RATE_LIMITED', 'Request cost exceeds the rate limit for this tenant.', {
        retryable: false,
        details: { cost, burst: settings.burst },
      });
    }
    const limiter = entry?.limiter ?? this.defaultLimiter;
    try {
      await limiter.consume(key, cost);
    } catch (rejection) {
      throw translateRejection(rejection);
    }
  }
}
