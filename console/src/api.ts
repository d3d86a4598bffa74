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

/** A GraphQL error the API answered with; `code` is its `extensions.code`. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface GraphqlResponse<T> {
  readonly data?: T | null;
  readonly errors?: readonly { readonly message: string; readonly extensions?: { readonly code?: string } }[];
}

/**
 * Runs a query or mutation over HTTP POST `/graphql` with the tab's credential.
 * @throws ApiError with the first error's code when the answer has errors or no data (HTTP 401 is `UNAUTHENTICATED`).
 */
export async function gql<T>(query: string, variables: Readonly<Record<string, unknown>> = {}): Promise<T> {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...authHeaders(loadCredential()) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json().catch(() => ({}))) as GraphqlResponse<T>;
  const first = body.errors?.[0];
  if (first !== undefined) throw new ApiError(first.message, first.extensions?.code);
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
