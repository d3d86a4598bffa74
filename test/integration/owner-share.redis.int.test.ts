import { afterEach, describe, expect, it } from 'vitest';
import { RedisOwnerShare } from '../../src/auth/owner-share.js';
import { OwnershipMemo } from '../../src/auth/ownership-memo.js';
import type { RedisTarget } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { redisConnector } from '../../src/live/fleet/redis-connection.js';
import { uniquePrefix } from '../helpers/fleet.js';
import { OwnRedisCluster } from '../helpers/redis-deployments.js';
import { redisAvailable, TEST_REDIS_URL } from '../helpers/redis.js';
import { within } from '../helpers/within.js';

const available = await redisAvailable();

const memos: OwnershipMemo[] = [];
afterEach(async () => {
  for (const memo of memos.splice(0)) await memo.close();
});

/** Three instances' memos sharing owners through `target`; resolves once one remembered owner reached the others. */
async function expectSharedAcross(target: RedisTarget): Promise<void> {
  const channel = `${uniquePrefix('owners')}owners`;
  const connect = redisConnector(target, { commandTimeoutMs: 1_000, blockMs: 2_000 });
  const shares = [0, 1, 2].map(() => new RedisOwnerShare(connect, channel, createLogger('silent')));
  await Promise.all(shares.map((share) => share.ready));
  const [a, b, c] = shares.map((share) => {
    const memo = new OwnershipMemo({ maxEntries: 100, ttlMs: 60_000, share });
    memos.push(memo);
    return memo;
  }) as [OwnershipMemo, OwnershipMemo, OwnershipMemo];
  const operation = 'projects/p/locations/l/operations/op-1';
  a.remember('livestream-operation', operation, 'projects/p/locations/l/assets/a1');
  await within(
    (async () => {
      while (b.ownerOf('livestream-operation', operation) === undefined || c.ownerOf('livestream-operation', operation) === undefined) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })(),
    5_000,
    'the other instances to learn the owner',
  );
  expect(b.ownerOf('livestream-operation', operation)).toBe('projects/p/locations/l/assets/a1');
  expect(c.ownerOf('livestream-operation', operation)).toBe('projects/p/locations/l/assets/a1');
}

describe.skipIf(!available)('RedisOwnerShare', () => {
  it('tells every instance of the fleet an operation owner one instance learned, through Redis', async () => {
    await expectSharedAcross({ mode: 'standalone', url: TEST_REDIS_URL });
  });

  it('tells every instance an owner one instance learned when Redis is a Cluster of three masters', async () => {
    const cluster = await OwnRedisCluster.start(3);
    try {
      await expectSharedAcross(cluster.target);
    } finally {
      for (const memo of memos.splice(0)) await memo.close();
      await cluster.close();
    }
  }, 60_000);
});
