import { LRUCache } from 'lru-cache';

/** The kinds of provider resource whose owner only the provider's answer names. */
export type OwnedResourceKind = 'oci' | 'livestream-operation';

/** One owner learned: what {@link OwnershipMemo.remember} records. */
export interface LearnedOwner {
  readonly kind: OwnedResourceKind;
  readonly id: string;
  readonly owner: string;
}

/**
 * Where instances of a fleet tell each other the owners they learn (fleet mode: Redis Pub/Sub), so that a probe one
 * instance has refused is refused by the others without an upstream call too. Best effort: an entry that does not
 * arrive only costs the read it would have saved.
 */
export interface OwnerShare {
  /** Tells the other instances; never throws (a failure is the share's to log). */
  publish(learned: LearnedOwner): void;
  /** Registers the one listener for owners other instances learned. */
  onLearned(listener: (learned: LearnedOwner) => void): void;
  /** Stops sharing and closes its connections. Idempotent. */
  close(): Promise<void>;
}

/** Sizing of an {@link OwnershipMemo}. */
export interface OwnershipMemoOptions {
  /** Most resources remembered; the least recently used is forgotten first. 0 disables the memo. */
  readonly maxEntries: number;
  /** How long an entry is trusted, in milliseconds (a resource that changes owner is misplaced at most this long). */
  readonly ttlMs: number;
  /** Clock in milliseconds, for tests; default `performance.now`. */
  readonly now?: (() => number) | undefined;
  /** Shares what this memo learns with the other instances of a fleet (and learns what they learn). */
  readonly share?: OwnerShare | undefined;
}

/**
 * Who owns the provider resources whose names do not say: the compartment OCID of an OCI resource (media asset,
 * distribution channel, packaging configuration), the target resource name of a Live Stream operation. The
 * tenant boundary learns an owner from every provider answer it checks, and consults the memo before the next
 * read, so asking again for another tenant's resource is refused without an upstream call.
 *
 * An entry can only ever refuse: a resource the memo places inside the caller's tenant is still read and the answer
 * checked, so a stale entry never grants access. It can wrongly refuse a resource that changed compartment for at
 * most `ttlMs` (or until a list answer that shows the new compartment replaces it); Live Stream operation targets
 * never change.
 *
 * In fleet mode the memo is shared: what one instance learns reaches the others (see {@link OwnerShare}), each
 * keeping it for its own `ttlMs`, so the fleet, not each instance, pays the one read of an unseen operation.
 *
 * Lifetime: the process, shared by every request; `close()` ends the sharing. Memory: bounded by `maxEntries` (each
 * entry is two short strings).
 */
export class OwnershipMemo {
  readonly #owners: LRUCache<string, string> | undefined;
  readonly #share: OwnerShare | undefined;

  constructor(options: OwnershipMemoOptions) {
    this.#owners =
      options.maxEntries === 0
        ? undefined
        : new LRUCache<string, string>({
            max: options.maxEntries,
            ttl: options.ttlMs,
            // Expired entries are dropped when next read; the size bound holds either way, so no timers are needed.
            ttlAutopurge: false,
            // lru-cache caches the clock for ttlResolution ms; 0 makes every read consult it, as the TTL contract needs.
            ttlResolution: 0,
            ...(options.now === undefined ? {} : { perf: { now: options.now } }),
          });
    this.#share = this.#owners === undefined ? undefined : options.share;
    this.#share?.onLearned((learned) => this.#owners?.set(`${learned.kind}\u0000${learned.id}`, learned.owner));
  }

  /** Records that `id` (an OCID, or an operation name) belongs to `owner`, and tells the fleet when shared. */
  remember(kind: OwnedResourceKind, id: string, owner: string): void {
    const key = `${kind}\u0000${id}`;
    // Only news is shared: list answers re-learn the same owners over and over.
    const known = this.#owners?.get(key) === owner;
    this.#owners?.set(key, owner);
    if (!known) this.#share?.publish({ kind, id, owner });
  }

  /** Ends the sharing (the memo keeps working for this instance alone). Idempotent. */
  async close(): Promise<void> {
    await this.#share?.close();
  }

  /** The owner last seen for `id`, or `undefined` when unknown or older than the TTL. */
  ownerOf(kind: OwnedResourceKind, id: string): string | undefined {
    return this.#owners?.get(`${kind}\u0000${id}`);
  }

  /** How many owners are remembered (expired entries may still count until they are next touched). */
  get size(): number {
    return this.#owners?.size ?? 0;
  }
}
