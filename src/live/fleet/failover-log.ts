import type { FailoverCause, ReaderFailover } from '../live.types.js';
import type { FleetKeys } from './fleet-keys.js';
import { RECORD_FAILOVER } from './fleet-scripts.js';
import type { RedisClient } from './redis-connection.js';

/** How many failovers the fleet keeps (the newest). */
export const FAILOVER_LOG_LENGTH = 100;

/** How long the list outlives its last entry: a fleet that stopped leaves nothing behind for good. */
const FAILOVER_LOG_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** Version of the entry encoding, so a rolling deploy can tell old entries from new ones. */
const VERSION = 1;

const CAUSES: ReadonlySet<string> = new Set<FailoverCause>(['HANDOVER', 'EXPIRED']);

/**
 * The fleet's record of reader failovers: a capped Redis list under the `{fleet}` hash tag (`<prefix>{fleet}:failovers`),
 * newest first, written by the instance that took a lease over from another one. It is for operators only: nothing
 * in fleet mode reads it to decide anything, so a record that could not be written costs an entry, never safety.
 */
export class FailoverLog {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: FleetKeys,
  ) {}

  /**
   * Appends one failover, stamped with the Redis server's time, and trims the list to {@link FAILOVER_LOG_LENGTH}.
   * @throws the client's error when Redis is unreachable.
   */
  async record(failover: Omit<ReaderFailover, 'at'>): Promise<void> {
    const entry = { v: VERSION, stream: failover.stream, from: failover.from, to: failover.to, token: failover.fencingToken, cause: failover.cause };
    await RECORD_FAILOVER.run(this.client, [this.keys.fleet.failovers], [JSON.stringify(entry), FAILOVER_LOG_LENGTH, FAILOVER_LOG_TTL_MS]);
  }
}

/** An entry of the failover list that this version did not write (or something else wrote to the key). */
export class FailoverEntryError extends Error {
  constructor(why: string) {
    super(`failover entry: ${why}`);
    this.name = 'FailoverEntryError';
  }
}

/**
 * Decodes one entry of the failover list. Pure.
 * @throws FailoverEntryError when it is not an entry this version wrote.
 */
export function decodeFailover(raw: string): ReaderFailover {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new FailoverEntryError(`not JSON (${String(error)})`);
  }
  if (typeof value !== 'object' || value === null) throw new FailoverEntryError('not an object');
  const entry = value as Record<string, unknown>;
  if (entry['v'] !== VERSION) throw new FailoverEntryError('of another version');
  const { stream, from, to, token, cause, at } = entry;
  if (typeof stream !== 'string' || typeof from !== 'string' || typeof to !== 'string' || typeof token !== 'string') {
    throw new FailoverEntryError('stream, instances or token missing');
  }
  if (typeof cause !== 'string' || !CAUSES.has(cause)) throw new FailoverEntryError('unknown cause');
  if (typeof at !== 'number' || !Number.isFinite(at)) throw new FailoverEntryError('no time');
  return { stream, from, to, fencingToken: token, cause: cause as FailoverCause, at };
}
