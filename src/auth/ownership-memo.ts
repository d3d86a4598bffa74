import { LRUCache } from 'lru-cache';

/** The kinds of provider resource whose owner only the provider's answer names. */
export type OwnedResourceKind = 'oci' | 'livestream-operation';

/** Sizing of an {@link OwnershipMemo}. */
export interface OwnershipMemoOptions {
  /** Most resources remembered; the least recently used is forgotten first. 0 disables the memo. */
  readonly maxEntries: number;
  /** How long an entry is trusted, in milliseconds (a resource that changes owner is misplaced at most this long). */
  readonly ttlMs: number;
  /** Clock in milliseconds, for tests; default `performance.now`. */
  readonly now?: (() => number) | undefined;
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
 * Lifetime: the process, shared by every request. Memory: bounded by `maxEntries` (each entry is two short strings).
 */
export class OwnershipMemo {
  readonly #owners: LRUCache<string, string> | undefined;

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
  }

  /** Records that `id` (an OCID, or an operation name) belongs to `owner`. */
  remember(kind: OwnedResourceKind, id: string, owner: string): void {
    this.#owners?.set(`${kind}\u0000${id}`, owner);
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
