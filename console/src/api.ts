import { useCallback, useEffect, useRef, useState } from 'react';
import { createClient, type Client } from 'graphql-ws';

/** A credential the user typed; kept in sessionStorage only, so it ends with the browser tab. */
export interface Credential {
  readonly kind: 'bearer' | 'apiKey';
  readonly value: string;
}

const STORAGE_KEY = 'media-graph.console.credential';

/** The credential of this tab, or undefined when none was entered (development runs anonymous). */
export function loadCredential(): Credential | undefined {
  const text = sessionStorage.getItem(STORAGE_KEY);
  if (text === null) return undefined;
  const parsed = JSON.parse(text) as Partial<Credential>;
  return (parsed.kind === 'bearer' || parsed.kind === 'apiKey') && typeof parsed.value === 'string' ? { kind: parsed.kind, value: parsed.value } : undefined;
}

/** Keeps `credential` for this tab (sessionStorage), or forgets it when undefined. */
export function storeCredential(credential: Credential | undefined): void {
  if (credential === undefined) sessionStorage.removeItem(STORAGE_KEY);
  else sessionStorage.setItem(STORAGE_KEY, JSON.stringify(credential));
  closeSubscriptions();
}

/** HTTP headers that carry `credential` (none when anonymous). */
export function authHeaders(credential: Credential | undefined): Record<string, string> {
  if (credential === undefined) return {};
  return { authorization: credential.kind === 'bearer' ? `Bearer ${credential.value}` : `ApiKey ${credential.value}` };
}

/**
 * A GraphQL error the API answered with; `code` is its `extensions.code`, `scope` its `extensions.scope` (the scope a
 * `FORBIDDEN` refusal names, when it names one).
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly scope?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface GraphqlResponse<T> {
  readonly data?: T | null;
  readonly errors?: readonly { readonly message: string; readonly extensions?: { readonly code?: string; readonly scope?: unknown } }[];
}

/**
 * Runs a query or mutation over HTTP POST `/graphql` with the tab's credential; `options.signal` aborts the request.
 * @throws ApiError with the first error's code when the answer has errors or no data (HTTP 401 is `UNAUTHENTICATED`);
 *   the signal's reason (a DOMException `AbortError` unless given) when it aborted the request.
 */
export async function gql<T>(query: string, variables: Readonly<Record<string, unknown>> = {}, options: { readonly signal?: AbortSignal } = {}): Promise<T> {
  const response = await fetch('/graphql', {
    method: 'POST',
    signal: options.signal,
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...authHeaders(loadCredential()) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json().catch(() => ({}))) as GraphqlResponse<T>;
  const first = body.errors?.[0];
  if (first !== undefined) throw new ApiError(first.message, first.extensions?.code, typeof first.extensions?.scope === 'string' ? first.extensions.scope : undefined);
  if (body.data === undefined || body.data === null) throw new ApiError(`HTTP ${String(response.status)}`, response.status === 401 ? 'UNAUTHENTICATED' : undefined);
  return body.data;
}

let client: Client | undefined;

function subscriptionClient(): Client {
  if (client !== undefined) return client;
  const url = new URL('/graphql', window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  client = createClient({
    url: url.href,
    lazy: true,
    retryAttempts: 5,
    connectionParams: () => {
      const credential = loadCredential();
      if (credential === undefined) return {};
      return credential.kind === 'bearer' ? { authorization: `Bearer ${credential.value}` } : { apiKey: credential.value };
    },
  });
  return client;
}

/** Closes the shared graphql-ws connection (its subscriptions end); the next subscription opens a new one. */
export function closeSubscriptions(): void {
  void client?.dispose();
  client = undefined;
}

/** Receives the events of one subscription. */
export interface SubscriptionSink<T> {
  next(data: T): void;
  error(error: ApiError): void;
  complete(): void;
}

/**
 * Starts a subscription over graphql-ws (one shared connection, opened on first use) with the tab's credential.
 * Returns the function that stops it; `sink.complete` is not called after that.
 */
export function subscribe<T>(query: string, variables: Readonly<Record<string, unknown>>, sink: SubscriptionSink<T>): () => void {
  let stopped = false;
  const stop = subscriptionClient().subscribe<T>(
    { query, variables: { ...variables } },
    {
      next: (result) => {
        if (stopped) return;
        const first = result.errors?.[0];
        if (first !== undefined) sink.error(new ApiError(first.message, typeof first.extensions?.['code'] === 'string' ? first.extensions['code'] : undefined));
        else if (result.data !== undefined && result.data !== null) sink.next(result.data);
      },
      error: (error: unknown) => {
        if (stopped) return;
        sink.error(new ApiError(error instanceof Error ? error.message : describeClose(error), undefined));
      },
      complete: () => {
        if (!stopped) sink.complete();
      },
    },
  );
  return () => {
    stopped = true;
    stop();
  };
}

function describeClose(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const { code, reason } = error as { code: unknown; reason?: unknown };
    return `connection closed (${String(code)}${typeof reason === 'string' && reason !== '' ? `: ${reason}` : ''})`;
  }
  return 'connection failed';
}

/** The message to show for a failed call. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.code === undefined ? error.message : `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** The message to show for a failed write or a panel's read: the refusal wording ({@link refusalOf}) when it is one. */
export function problemOf(error: unknown): string {
  return refusalOf(error) ?? messageOf(error);
}

/**
 * What to tell the user when the API refused a whole view for this credential, or undefined when `error` is no such
 * refusal (show {@link messageOf} then). The wording names the missing scope when the API named it.
 */
export function refusalOf(error: unknown): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  if (error.code === 'FORBIDDEN') {
    return error.scope === undefined
      ? 'Your credential may not see this. Ask for access, or sign in with another credential.'
      : `Your credential lacks the ${error.scope} scope this view needs. Ask for it, or sign in with another credential.`;
  }
  if (error.code === 'UNAUTHENTICATED') return 'Your sign-in is no longer accepted. Sign out and sign in again.';
  return undefined;
}

/** A Relay connection as the console selects it: nodes and where the next page starts. */
export interface Connection<T> {
  readonly edges: readonly { readonly node: T }[];
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
}

/** One page of a list: its items and the cursor to pass as `after` for the next page (null on the last page). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly next: string | null;
}

/** The items of `connection` and the cursor of the page after it. */
export function pageOf<T>(connection: Connection<T>): Page<T> {
  return { items: connection.edges.map((edge) => edge.node), next: connection.pageInfo.hasNextPage ? connection.pageInfo.endCursor : null };
}

/**
 * `iso` (an API DateTimeISO) in this browser's locale and time zone, to the second (`medium`) or to the minute with a
 * numeric date (`short`, for tables with many times); an em dash for null.
 */
export function formatDateTime(iso: string | null | undefined, style: 'medium' | 'short' = 'medium'): string {
  return iso === null || iso === undefined ? '—' : new Date(iso).toLocaleString(undefined, { dateStyle: style, timeStyle: style });
}

/** A list read page by page: what was loaded so far, and how to load more or start over. */
export interface PagedList<T> {
  /** The items of every page loaded since the last (re)load, in list order. */
  readonly items: readonly T[];
  /** True while there is a page after the last one loaded. */
  readonly hasMore: boolean;
  /** Why the last load failed; undefined after a successful one. */
  readonly error: unknown;
  /** False until the first page answered (or failed). */
  readonly loaded: boolean;
  /** True when the list is known to hold nothing: loaded, without items, and the last load did not fail. */
  readonly empty: boolean;
  /** Appends the next page; does nothing on the last page. Changes identity when the next cursor does. */
  readonly more: () => void;
  /**
   * Loads the first page again, replacing the items; answers of earlier loads still on their way are dropped. Keeps its
   * identity while `load` does, so effects may depend on it.
   */
  readonly reload: () => void;
}

/**
 * Loads the first page with `load(null)` when mounted and whenever `load` changes (pass a `useCallback`), then more
 * on request. Failures end up in `error`, never thrown.
 */
export function usePagedList<T>(load: (after: string | null) => Promise<Page<T>>): PagedList<T> {
  const [state, setState] = useState<{ readonly items: readonly T[]; readonly next: string | null; readonly error: unknown; readonly loaded: boolean }>({
    items: [],
    next: null,
    error: undefined,
    loaded: false,
  });
  // A reload starts a new generation; pages of an older one arrive too late to be shown.
  const generation = useRef(0);
  const fetchPage = useCallback(
    async (after: string | null) => {
      if (after === null) generation.current += 1;
      const mine = generation.current;
      try {
        const page = await load(after);
        if (mine === generation.current) setState((previous) => ({ items: after === null ? page.items : [...previous.items, ...page.items], next: page.next, error: undefined, loaded: true }));
      } catch (error) {
        if (mine === generation.current) setState((previous) => ({ ...previous, error, loaded: true }));
      }
    },
    [load],
  );
  useEffect(() => {
    void fetchPage(null);
  }, [fetchPage]);
  const { next } = state;
  const more = useCallback(() => {
    if (next !== null) void fetchPage(next);
  }, [fetchPage, next]);
  const reload = useCallback(() => void fetchPage(null), [fetchPage]);
  const empty = state.loaded && state.items.length === 0 && state.error === undefined;
  return { items: state.items, hasMore: next !== null, error: state.error, loaded: state.loaded, empty, more, reload };
}
