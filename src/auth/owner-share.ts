import type { Config } from '../config.js';
import type { Logger } from '../core/logger.js';
import { closeClient, redisConnector, type RedisClient, type RedisConnector } from '../live/fleet/redis-connection.js';
import { OwnershipMemo, type LearnedOwner, type OwnedResourceKind, type OwnerShare } from './ownership-memo.js';

const KINDS: ReadonlySet<string> = new Set<OwnedResourceKind>(['oci', 'livestream-operation']);

/**
 * An {@link OwnerShare} over Redis Pub/Sub: each learned owner is published once on `<prefix>owners`, and every
 * instance subscribed applies it to its own memo. Fire and forget: an instance that is down or reconnecting misses
 * what is published meanwhile (it learns those owners again from the provider, one read each). Memo entries can only
 * refuse, never grant, so a message that is lost, late or forged never opens another tenant's resource.
 *
 * Lifetime: from construction (two connections: commands and a subscriber) to `close()`.
 */
export class RedisOwnerShare implements OwnerShare {
  private readonly publisher: RedisClient;
  private readonly subscriber: RedisClient;
  private listener: ((learned: LearnedOwner) => void) | undefined;
  private closing: Promise<void> | undefined;
  /** Resolves once the subscription is in place (what is published before is not received); never rejects. */
  readonly ready: Promise<void>;

  constructor(
    connect: RedisConnector,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {
    this.publisher = connect('command', 'owners:publish');
    this.subscriber = connect('blocking', 'owners:subscribe');
    for (const client of [this.publisher, this.subscriber]) client.on('error', (err: unknown) => logger.debug({ err }, 'owner share Redis connection error'));
    // ioredis subscribes again by itself after a reconnection.
    this.ready = this.subscriber.subscribe(channel).then(
      () => undefined,
      (err: unknown) => logger.warn({ err }, 'owner share could not subscribe; owners are learned per instance until it can'),
    );
    this.subscriber.on('message', (from: string, message: string) => {
      if (from === this.channel) this.receive(message);
    });
  }

  publish(learned: LearnedOwner): void {
    this.publisher.publish(this.channel, JSON.stringify(learned)).catch((err: unknown) => this.logger.debug({ err }, 'owner share could not publish'));
  }

  onLearned(listener: (learned: LearnedOwner) => void): void {
    this.listener = listener;
  }

  close(): Promise<void> {
    this.closing ??= Promise.all([closeClient(this.subscriber, this.logger), closeClient(this.publisher, this.logger)]).then(() => undefined);
    return this.closing;
  }

  private receive(message: string): void {
    let learned: unknown;
    try {
      learned = JSON.parse(message);
    } catch (err) {
      this.logger.warn({ err }, 'owner share ignored a message that is not JSON');
      return;
    }
    const entry = learned as Partial<LearnedOwner>;
    if (typeof entry.kind !== 'string' || !KINDS.has(entry.kind) || typeof entry.id !== 'string' || typeof entry.owner !== 'string') {
      this.logger.warn('owner share ignored a message that is not a learned owner');
      return;
    }
    this.listener?.({ kind: entry.kind as OwnedResourceKind, id: entry.id, owner: entry.owner });
  }
}

/**
 * The process's ownership memo: shared through Redis in fleet mode (`LIVE_HUB=redis`, on the fleet's `REDIS_URL` and
 * `REDIS_KEY_PREFIX`), local otherwise. Close it with the gateway.
 */
export function createOwnershipMemo(config: Config, logger: Logger): OwnershipMemo {
  const options = config.auth.ownerMemo;
  if (config.live.hub !== 'redis' || config.redis === undefined || options.maxEntries === 0) return new OwnershipMemo(options);
  const ttl = config.live.leaseTtlMs;
  const connect = redisConnector(config.redis.target, { commandTimeoutMs: Math.max(250, Math.floor(ttl / 2)), blockMs: 2_000 });
  return new OwnershipMemo({ ...options, share: new RedisOwnerShare(connect, `${config.redis.keyPrefix}owners`, logger) });
}
