import type { FleetKeys } from './fleet-keys.js';
import { ANNOUNCE } from './fleet-scripts.js';
import type { RedisClient } from './redis-connection.js';

/** The fleet as the last announcement saw it. */
export interface FleetView {
  /** Instances announced and not expired (this one included while it watches or holds anything). */
  readonly members: ReadonlySet<string>;
  /**
   * Streams with a reader somewhere (S): the sum of the members' held counts. Every stream some instance watches has
   * exactly one reader in steady state; one waiting for its first reader is counted once it has it.
   */
  readonly watched: number;
  /** Leases held, by instance. */
  readonly held: ReadonlyMap<string, number>;
}

/**
 * An instance's place in the fleet, for spreading reader leases: instances that watch or hold something announce
 * themselves (expiring) with the number of leases they hold. From that, each instance's share is ⌈S/N⌉ readers for
 * S streams with a reader and N instances. An instance at or over its share does not take a free lease while another interested
 * instance is under its share (unless the lease stays free for a while: liveness first), and hands over leases
 * it holds beyond its share to streams where such an instance is interested. Views are refreshed every tick, so a
 * count can be a tick old: the bound in steady state is ⌈S/N⌉ + 1.
 */
export class FleetMembership {
  private current: FleetView | undefined;

  constructor(
    private readonly client: RedisClient,
    private readonly keys: FleetKeys,
    readonly instance: string,
    private readonly ttlMs: number,
  ) {}

  /** The last view, or undefined before the first announcement answered. */
  get view(): FleetView | undefined {
    return this.current;
  }

  /**
   * Announces this instance (`active`: it watches or holds something) with its held count and the number of streams
   * it watches (for operators), or withdraws it, and refreshes the view.
   * @throws the client's error when Redis is unreachable (the previous view stays).
   */
  async announce(active: boolean, held: number, watching = 0): Promise<FleetView> {
    const k = this.keys.fleet;
    const [members, flat] = (await ANNOUNCE.run(this.client, [k.members, k.held, k.activity], [this.instance, this.ttlMs, active ? '1' : '0', held, watching])) as [
      string[],
      string[],
    ];
    const live = new Set(members);
    const counts = new Map<string, number>();
    for (let i = 0; i + 1 < flat.length; i += 2) if (live.has(flat[i] as string)) counts.set(flat[i] as string, Number(flat[i + 1]));
    let watched = 0;
    for (const count of counts.values()) watched += count;
    this.current = { members: live, watched, held: counts };
    return this.current;
  }

  /** ⌈S/N⌉ under the current view; Infinity before the first view. */
  share(): number {
    return shareOf(this.current);
  }

  /** See {@link mayAcquire}, for this instance under the current view. */
  mayAcquire(held: number, interested: readonly string[], freeForMs: number, deferMs: number): boolean {
    return mayAcquire(this.current, this.instance, held, interested, freeForMs, deferMs);
  }

  /** See {@link anotherUnderShare}, for this instance under the current view. */
  anotherUnderShare(interested: readonly string[]): boolean {
    return anotherUnderShare(this.current, this.instance, interested);
  }

  /** See {@link roomOf}, for this instance under the current view. */
  room(): number {
    return roomOf(this.current, this.instance);
  }
}

/** An instance's share of readers, ⌈S/N⌉, under `view`; Infinity without a view. Pure. */
export function shareOf(view: FleetView | undefined): number {
  if (view === undefined) return Infinity;
  return Math.ceil(Math.max(1, view.watched) / Math.max(1, view.members.size));
}

/**
 * Whether instance `me`, holding `held` leases, may take a free lease of a stream whose interested instances are
 * `interested`, the lease having been free (as `me` saw it) for `freeForMs` out of a patience of `deferMs`: yes under
 * its share, yes once the patience is over, otherwise only when no other interested instance is under its share. Pure.
 */
export function mayAcquire(view: FleetView | undefined, me: string, held: number, interested: readonly string[], freeForMs: number, deferMs: number): boolean {
  if (held < shareOf(view) || freeForMs >= deferMs) return true;
  return !anotherUnderShare(view, me, interested);
}

/** Whether an announced instance other than `me` among `interested` is under its share. Pure. */
export function anotherUnderShare(view: FleetView | undefined, me: string, interested: readonly string[]): boolean {
  if (view === undefined) return false;
  const share = shareOf(view);
  return interested.some((id) => id !== me && view.members.has(id) && (view.held.get(id) ?? 0) < share);
}

/** Free places under their share among the instances other than `me`: how many leases `me` may hand over. Pure. */
export function roomOf(view: FleetView | undefined, me: string): number {
  if (view === undefined) return 0;
  const share = shareOf(view);
  let room = 0;
  for (const id of view.members) if (id !== me) room += Math.max(0, share - (view.held.get(id) ?? 0));
  return room;
}
