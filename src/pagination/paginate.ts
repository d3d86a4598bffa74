import { DomainError } from '../core/domain-error.js';
import type { CursorCodec, CursorPosition } from './cursor-codec.js';

/** Consecutive empty provider pages (with a next token) tolerated within one window. */
const MAX_EMPTY_PAGES = 3;

/** One page as a provider returns it. */
export interface ProviderPage<T> {
  readonly items: readonly T[];
  /** Token for the following page; `undefined` when this is the last page. */
  readonly nextToken: string | undefined;
}

/** Fetches one provider page. `token` is `undefined` for the first page. */
export type PageFetcher<T> = (request: { readonly token: string | undefined; readonly pageSize: number }) => Promise<ProviderPage<T>>;

/** A Relay edge with its opaque cursor. */
export interface Edge<T> {
  readonly cursor: string;
  readonly node: T;
}

/** Relay `PageInfo`. */
export interface PageInfoData {
  readonly hasNextPage: boolean;
  readonly hasPreviousPage: boolean;
  readonly startCursor: string | null;
  readonly endCursor: string | null;
}

/** A resolved Relay connection. */
export interface ConnectionData<T> {
  readonly edges: readonly Edge<T>[];
  readonly pageInfo: PageInfoData;
}

/** Inputs of {@link paginateForward}. */
export interface ForwardPaginationOptions<T> {
  /** Identity of the list (kind + parameters); cursors from any other list are rejected. */
  readonly listKey: string;
  readonly first: number;
  readonly after: string | null | undefined;
  readonly codec: CursorCodec;
  readonly fetchPage: PageFetcher<T>;
  /** Largest page size the provider accepts. */
  readonly providerMaxPageSize: number;
  /** Provider token lifetime in ms (MediaStore: 15 min); `undefined` when tokens do not expire. */
  readonly tokenTtlMs: number | undefined;
  /** Clock, epoch ms; injectable for tests. */
  readonly now?: () => number;
}

/**
 * Maps a forward Relay window (`first`/`after`) onto provider page tokens.
 *
 * Each edge's cursor records the token and page size of the provider page it came from plus its offset there,
 * so any edge can be resumed from; the last edge of a page also records the next page's token, so paging
 * forward through `endCursor` costs exactly one provider call per window, like paging the provider directly.
 * Pages are requested with `first` items (capped by the provider); `hasNextPage` is true while the provider
 * returns a next token. When the provider returns fewer items than `first`, further pages are fetched until
 * `first` edges are collected or the list ends, in the provider's largest pages once a page came back short.
 * Resuming from a middle edge re-reads that edge's page once.
 * @throws DomainError `CURSOR_INVALID` for a foreign or tampered cursor and `CURSOR_EXPIRED` when the provider
 *   token inside the cursor is older than `tokenTtlMs` — both before any provider call.
 */
export async function paginateForward<T>(options: ForwardPaginationOptions<T>): Promise<ConnectionData<T>> {
  const now = options.now ?? Date.now;
  const first = options.first;
  const edges: Edge<T>[] = [];

  let start: CursorPosition | undefined;
  if (options.after !== null && options.after !== undefined) {
    start = options.codec.decode(options.listKey, options.after);
    const issuedAt = start.next?.issuedAt ?? (start.token === null ? undefined : start.tokenIssuedAt);
    if (issuedAt !== undefined && options.tokenTtlMs !== undefined && now() - issuedAt >= options.tokenTtlMs) {
      throw new DomainError('CURSOR_EXPIRED', 'The cursor has expired; start the listing again without `after`.', {
        retryable: false,
      });
    }
  }

  // Checked after the cursor so that `first: 0` cannot be used to skip verification (S14).
  if (first === 0) {
    return { edges, pageInfo: { hasNextPage: false, hasPreviousPage: start !== undefined, startCursor: null, endCursor: null } };
  }

  let wanted = Math.min(options.providerMaxPageSize, first);
  let token: string | undefined;
  let tokenIssuedAt = 0;
  let pageSize = wanted;
  let skip = 0;
  if (start?.next !== undefined) {
    // The cursor is the last edge of its page: continue on the following page without re-reading this one.
    token = start.next.token;
    tokenIssuedAt = start.next.issuedAt;
  } else if (start !== undefined) {
    token = start.token ?? undefined;
    tokenIssuedAt = start.tokenIssuedAt;
    pageSize = start.pageSize;
    skip = start.offset + 1;
  }
  let hasNextPage = false;
  // A provider may return empty pages that still carry a next token; stop after a few in a row rather than
  // spinning on upstream calls, and report what was collected with hasNextPage true.
  let emptyPagesInARow = 0;
  // Where to continue when a window ends on empty pages without a single edge (so no edge cursor exists).
  let resume: CursorPosition | undefined;

  for (;;) {
    const fetchedAt = now();
    const page = await options.fetchPage({ token, pageSize });
    emptyPagesInARow = page.items.length === 0 ? emptyPagesInARow + 1 : 0;
    let index = skip;
    for (; index < page.items.length && edges.length < first; index += 1) {
      const lastOfPage = index === page.items.length - 1 && page.nextToken !== undefined;
      const position: CursorPosition = {
        token: token ?? null,
        pageSize,
        offset: index,
        tokenIssuedAt,
        next: lastOfPage && page.nextToken !== undefined ? { token: page.nextToken, issuedAt: fetchedAt } : undefined,
      };
      edges.push({ cursor: options.codec.encode(options.listKey, position), node: page.items[index] as T });
    }
    if (edges.length >= first) {
      hasNextPage = index < page.items.length || page.nextToken !== undefined;
      break;
    }
    if (page.nextToken === undefined) break;
    // A short page with more to come means entries are being filtered out (a tenant's share of a provider list):
    // read the rest in the provider's largest pages, so reaching `first` edges, or the end of the list, takes few
    // calls, and hasNextPage is far less likely to be answered by the empty-page bound below.
    if (page.items.length < pageSize) wanted = options.providerMaxPageSize;
    if (emptyPagesInARow >= MAX_EMPTY_PAGES) {
      hasNextPage = true;
      // Lists narrowed after the fetch (a tenant's share of a provider list) can have long runs of empty pages;
      // without an edge the client would have no cursor to go on with. This one starts at the next page.
      if (edges.length === 0) {
        resume = { token: token ?? null, pageSize, offset: 0, tokenIssuedAt, next: { token: page.nextToken, issuedAt: fetchedAt } };
      }
      break;
    }
    token = page.nextToken;
    tokenIssuedAt = fetchedAt;
    pageSize = wanted;
    skip = 0;
  }

  return {
    edges,
    pageInfo: {
      hasNextPage,
      hasPreviousPage: start !== undefined,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? (resume === undefined ? null : options.codec.encode(options.listKey, resume)),
    },
  };
}
