import type { FleetInstance, FleetOverview, HubFeedState, ReaderLease } from '../live.types.js';
import { decodeFailover, FailoverEntryError } from './failover-log.js';
import type { FleetKeys, StreamKeys } from './fleet-keys.js';
import { FLEET_VIEW, QUARANTINE } from './fleet-scripts.js';
import { decodeEntry, decodeStatus } from './log-entry.js';
import type { RedisClient } from './redis-connection.js';

/** What Redis says about one stream's reader: its lease and the holder's last status. */
export interface StreamCoordination {
  /** Undefined when the lease is free (or quarantined after Redis lost its data: held for nobody). */
  readonly lease: ReaderLease | undefined;
  /** `ENDED` (with the error code as detail) during a fatal cooldown, else the holder's last status; undefined when none. */
  readonly state: HubFeedState | undefined;
}

/** The fleet part of an overview, and the failover entries that could not be read (another version wrote them). */
export interface FleetRead {
  readonly overview: FleetOverview;
  readonly unreadable: readonly FailoverEntryError[];
}

/**
 * Reads the lease and status of one stream in one round trip (`MGET` of three keys of the stream's slot).
 * @throws the client's error when Redis is unreachable; LogEntryError when a stored status is not one this version wrote.
 */
export async function readStreamCoordination(client: RedisClient, keys: StreamKeys): Promise<StreamCoordination> {
  const [lease, status, ended] = await client.mget(keys.lease, keys.status, keys.ended);
  return parseStreamCoordination(lease ?? null, status ?? null, ended ?? null);
}

/**
 * The stream's coordination from its `lease`, `status` and `ended` values. Pure.
 * @throws LogEntryError when `status` or `ended` is not a payload this version wrote.
 */
export function parseStreamCoordination(lease: string | null, status: string | null, ended: string | null): StreamCoordination {
  let state: HubFeedState | undefined;
  if (ended !== null) {
    const end = decodeEntry('ended', ['k', 'e', 'd', ended]);
    state = { status: 'ENDED', detail: end.kind === 'end' ? end.code : null };
  } else {
    state = decodeStatus(status);
  }
  return { lease: parseLease(lease), state };
}

/** The holder and fencing token of a lease value `<instance>|<token>`; undefined for none or the quarantine. Pure. */
export function parseLease(value: string | null): ReaderLease | undefined {
  if (value === null || value === '' || value === QUARANTINE) return undefined;
  const bar = value.lastIndexOf('|');
  if (bar <= 0) return undefined;
  return { holder: value.slice(0, bar), fencingToken: value.slice(bar + 1) };
}

/**
 * Reads the fleet's instances and its newest `failovers` failovers in one round trip on the `{fleet}` slot.
 * @throws the client's error when Redis is unreachable.
 */
export async function readFleet(client: RedisClient, keys: FleetKeys, failovers: number): Promise<FleetRead> {
  const k = keys.fleet;
  const reply = await FLEET_VIEW.run(client, [k.members, k.held, k.activity, k.failovers], [failovers]);
  return parseFleetView(reply);
}

/**
 * The fleet from a `FLEET_VIEW` reply: instances by id, failovers newest first (unreadable entries set aside). Pure.
 * @throws Error when the reply does not have the script's shape.
 */
export function parseFleetView(reply: unknown): FleetRead {
  if (!Array.isArray(reply) || reply.length !== 5) throw new Error('unexpected fleet view reply');
  const [nowText, members, held, activity, entries] = reply as [unknown, unknown, unknown, unknown, unknown];
  const now = Number(nowText);
  const heldBy = pairs(held);
  const activityOf = pairs(activity);
  const instances: FleetInstance[] = [];
  for (const [id, expiry] of pairs(members)) {
    const expiresAt = Number(expiry);
    const [watched, at] = (activityOf.get(id) ?? '').split('|');
    const streamsWatched = watched === undefined || watched === '' ? undefined : Number(watched);
    const lastSeenAt = at === undefined || at === '' ? undefined : Number(at);
    instances.push({ id, alive: expiresAt > now, lastSeenAt, expiresAt, leasesHeld: Number(heldBy.get(id) ?? 0), streamsWatched });
  }
  instances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const unreadable: FailoverEntryError[] = [];
  const failovers = (Array.isArray(entries) ? (entries as unknown[]) : []).flatMap((entry) => {
    try {
      return [decodeFailover(String(entry))];
    } catch (error) {
      if (!(error instanceof FailoverEntryError)) throw error;
      unreadable.push(error);
      return [];
    }
  });
  return { overview: { instances, failovers }, unreadable };
}

/** A flat `[key, value, key, value, ...]` reply as a map. */
function pairs(flat: unknown): Map<string, string> {
  const map = new Map<string, string>();
  if (!Array.isArray(flat)) return map;
  for (let i = 0; i + 1 < flat.length; i += 2) map.set(String(flat[i]), String(flat[i + 1]));
  return map;
}
