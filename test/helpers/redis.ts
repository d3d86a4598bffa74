import { Redis } from 'ioredis';

/** Redis the tests use: `TEST_REDIS_URL`, or the local server every development machine and CI runner has. */
export const TEST_REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * Whether Redis answers. Outside CI a missing Redis skips the dependent tests loudly; in CI it is a failure.
 * @throws Error in CI (`CI=true`) when Redis does not answer.
 */
export async function redisAvailable(): Promise<boolean> {
  const probe = new Redis(TEST_REDIS_URL, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined);
  try {
    await probe.connect();
    await probe.ping();
    return true;
  } catch (error) {
    const reason = `Redis not reachable at ${TEST_REDIS_URL}: ${error instanceof Error ? error.message : String(error)}`;
    if (process.env['CI'] === 'true') throw new Error(`${reason}: CI must provide it (tests cannot be skipped in CI)`);
    console.warn(`[redis] SKIPPING tests that need Redis: ${reason}`);
    return false;
  } finally {
    probe.disconnect();
  }
}
