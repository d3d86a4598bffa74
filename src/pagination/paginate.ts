import { DomainError } from '../errors/domain-error.js';
import type { CursorCodec, CursorPosition } from './cursor-codec.js';

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
 * so any edge can be resumed from. Pages are requested with `first + 1` items (capped by the provider) so one
 * call usually answers `hasNextPage` as well; when the provider returns fewer items than `first`, further pages
 * are fetched until `first` edges are collected or the list ends.
 *
 * Cost: at most `ceil((first + 1) / returnedPerCall)` provider calls, plus one re-read of the resumed page.
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
    if (
      start.token !== null &&
      options.tokenTtlMs !== undefined &&
      now() - start.tokenIssuedAt >= options.tokenTtlMs
    ) {
      throw new DomainError('CURSOR_EXPIRED', 'The cursor has expired; start the listing again without `after`.', {
        retryable: false,
      });
    }
  }

  // Checked after the cursor so that `first: 0` cannot be used to skip verification (S14).
  if (first === 0) {
    return { edges, pageInfo: { hasNextPage: false, hasPreviousPage: start !== undefined, startCursor: null, endCursor: null } };
  }

  const wanted = Math.min(options.providerMaxPageSize, first + 1);
  let token: string | undefined = start?.token ?? undefined;
  let tokenIssuedAt = start?.tokenIssuedAt ?? 0;
  let pageSize = start?.pageSize ?? wanted;
  let skip = start === undefined ? 0 : start.offset + 1;
  let hasNextPage = false;

  for (;;) {
    const fetchedAt = now();
    const page = await options.fetchPage({ token, pageSize });
    let index = skip;
    for (; index < page.items.length && edges.length < first; index += 1) {
      const position: CursorPosition = { token: token ?? null, pageSize, offset: index, tokenIssuedAt };
      edges.push({ cursor: options.codec.encode(options.listKey, position), node: page.items[index] as T });
    }
    if (edges.length >= first) {
      hasNextPage = index < page.items.length || page.nextToken !== undefined;
      break;
    }
    if (page.nextToken === undefined) break;
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
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
}
