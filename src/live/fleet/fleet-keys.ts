/** The Redis keys of one stream; all share the stream's hash tag, so one Cluster slot holds them all. */
export interface StreamKeys {
  /** The reader lease: `<instance>|<fencing token>`, with an expiry. */
  readonly lease: string;
  /** The fencing counter, incremented on every acquisition. */
  readonly fence: string;
  /** The Redis Stream of log entries (fragments, gaps, statuses, hand-overs). */
  readonly log: string;
  /** The number of the newest fragment in the log, where a new holder resumes. */
  readonly head: string;
  /** The holder's last reader status (a log entry payload), for instances that join or reconnect. */
  readonly status: string;
  /** The stream's end (a fatal upstream error, an `e` entry payload) while its cooldown lasts: no reader starts. */
  readonly ended: string;
  /** Sorted set: instance id → expiry (Redis time, ms) of its interest in the stream. */
  readonly interest: string;
  /** Sorted set: GetMedia session permit → expiry (Redis time, ms); the fleet-wide connection budget. */
  readonly sessions: string;
  /** Sorted set: GetMedia call → when it was made or answered (Redis time, ms); the fleet-wide call budget. */
  readonly calls: string;
}

/** The fleet-wide keys; they share the `{fleet}` hash tag. */
export interface FleetWideKeys {
  /** Sorted set: instance id → expiry of its announcement. */
  readonly members: string;
  /** Hash: instance id → how many reader leases it holds. */
  readonly held: string;
  /** Hash: instance id → `<streams watched>|<announced at, Redis time ms>`, for operators. */
  readonly activity: string;
  /** List: the newest reader failovers (JSON, newest first), capped; see `failover-log.ts`. */
  readonly failovers: string;
}

/**
 * Key names of fleet mode under one prefix (`REDIS_KEY_PREFIX`). A stream's keys are `<prefix>{<stream>}:<role>`: the
 * braces are a Redis Cluster hash tag, so every script that touches several keys of one stream stays in one slot.
 * Stream names cannot contain braces in Kinesis; anything that would end the tag early is percent-encoded anyway,
 * so no name can reach another stream's slot or keys.
 */
export class FleetKeys {
  readonly fleet: FleetWideKeys;

  /** @throws RangeError when `prefix` contains a brace (it would move the hash tag). */
  constructor(readonly prefix: string) {
    if (/[{}]/.test(prefix)) throw new RangeError('The Redis key prefix must not contain braces.');
    this.fleet = {
      members: `${prefix}{fleet}:members`,
      held: `${prefix}{fleet}:held`,
      activity: `${prefix}{fleet}:activity`,
      failovers: `${prefix}{fleet}:failovers`,
    };
  }

  /** The keys of `stream`. Pure. */
  stream(stream: string): StreamKeys {
    const base = `${this.prefix}{${tagOf(stream)}}:`;
    return {
      lease: `${base}lease`,
      fence: `${base}fence`,
      log: `${base}log`,
      head: `${base}head`,
      status: `${base}status`,
      ended: `${base}ended`,
      interest: `${base}interest`,
      sessions: `${base}sessions`,
      calls: `${base}calls`,
    };
  }
}

/** The stream name as it appears inside the hash tag; reversible, and free of braces. */
export function tagOf(stream: string): string {
  return stream.replace(/[%{}]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}
