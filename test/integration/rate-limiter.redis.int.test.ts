import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { TenantRateLimiter } from '../../src/auth/rate-limiter.js';
import { redisAvailable, TEST_REDIS_URL } from '../helpers/redis.js';

const available = await redisAvailable();

describe.skipIf(!available)('TenantRateLimiter with Redis', () => {
  const clients: Redis[] = [];
  const client = (url = TEST_REDIS_URL): Redis => {
    const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: () => null });
    redis.on('error', () => undefined);
    clients.push(redis);
    return redis;
  };

  afterAll(() => {
    for (const redis of clients) redis.disconnect();
  });

  it('shares one budget between instances when both count in the same Redis', async () => {
    const options = { defaultPerSecond: 1, defaultBurst: 3, overrides: new Map() };
    const first = new TenantRateLimiter({ ...options, redis: client() });
    const second = new TenantRateLimiter({ ...options, redis: client() });
    // Commands before the connection is up would go to the in-memory insurance, which is not shared.
    await Promise.all(clients.map((redis) => (redis.status === 'ready' ? undefined : new Promise<void>((resolve) => redis.once('ready', () => resolve())))));
    const tenant = `tenant-${randomUUID()}`;
    await first.consume(tenant);
    await second.consume(tenant);
    await first.consume(tenant);
    await expect(second.consume(tenant)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await expect(first.consume(tenant)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('keeps limiting in memory when Redis cannot be reached', async () => {
    // Nothing listens on port 1: every Redis command fails and the in-memory insurance counts instead.
    const limiter = new TenantRateLimiter({ defaultPerSecond: 1, defaultBurst: 2, overrides: new Map(), redis: client('redis://127.0.0.1:1') });
    const tenant = `tenant-${randomUUID()}`;
    await limiter.consume(tenant);
    await limiter.consume(tenant);
    await expect(limiter.consume(tenant)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });
});
