import { createHash } from 'node:crypto';
import { get, type IncomingMessage } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ListItemsCommand, type MediaStoreDataClient } from '@aws-sdk/client-mediastore-data';

/** The load client's view of one complete listing. */
export interface ListingPass {
  /** Wall time of each page request, in order, ms. */
  readonly pageLatenciesMs: readonly number[];
  /** Every listed name, in order. */
  readonly names: readonly string[];
  /** Entries that were not objects with an ETag (must be 0). */
  readonly malformed: number;
}

/** What a download delivered. */
export interface DownloadPass {
  readonly status: number;
  /** The response's `Content-Length` header, or `null` when absent. */
  readonly declaredLength: number | null;
  readonly receivedBytes: number;
  /** Hex SHA-256 of the received body. */
  readonly sha256: string;
  /** Request start to last byte, ms. */
  readonly wallMs: number;
}

const LIST_QUERY = `query BenchListObjects($path: String!, $first: Int!, $after: String) {
  objects(path: $path, first: $first, after: $after) {
    edges { cursor node { name path type ... on MediaObject { eTag contentType contentLength lastModified } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

const URL_QUERY = `query BenchObjectUrl($path: String!) { object(path: $path) { url contentLength } }`;

interface ListEdge {
  readonly node: { readonly name: string; readonly type: string; readonly eTag?: string | null };
}

interface ListPage {
  readonly edges: readonly ListEdge[];
  readonly pageInfo: { readonly hasNextPage: boolean; readonly endCursor: string | null };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** POSTs one GraphQL operation and returns `data`; any GraphQL error fails the benchmark. */
async function postGraphql(graphqlUrl: string, authorization: string, query: string, variables: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await fetch(graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', authorization },
    body: JSON.stringify({ query, variables }),
  });
  const body: unknown = await response.json();
  if (!isRecord(body)) throw new Error(`GraphQL answered ${response.status} with a non-object body`);
  if (body['errors'] !== undefined) throw new Error(`GraphQL answered ${response.status} with errors: ${JSON.stringify(body['errors'])}`);
  const data = body['data'];
  if (!response.ok || !isRecord(data)) throw new Error(`GraphQL answered ${response.status} without data`);
  return data;
}

function asListPage(data: Record<string, unknown>): ListPage {
  const page = data['objects'];
  // Shallow checks only: this runs inside the timed loop, and the names are verified in full afterwards.
  if (!isRecord(page) || !Array.isArray(page['edges']) || !isRecord(page['pageInfo'])) {
    throw new Error(`unexpected objects() shape: ${JSON.stringify(page).slice(0, 200)}`);
  }
  return page as unknown as ListPage;
}

/** Lists `folder` completely through the gateway's `objects` query, `pageSize` edges per request, sending `authorization`. */
export async function listThroughGraphql(graphqlUrl: string, authorization: string, folder: string, pageSize: number): Promise<ListingPass> {
  const pageLatenciesMs: number[] = [];
  const names: string[] = [];
  let malformed = 0;
  let after: string | null = null;
  for (;;) {
    const started = performance.now();
    const page = asListPage(await postGraphql(graphqlUrl, authorization, LIST_QUERY, { path: folder, first: pageSize, after }));
    pageLatenciesMs.push(performance.now() - started);
    for (const edge of page.edges) {
      names.push(edge.node.name);
      if (edge.node.type !== 'OBJECT' || typeof edge.node.eTag !== 'string') malformed += 1;
    }
    if (!page.pageInfo.hasNextPage) break;
    if (page.pageInfo.endCursor === null) throw new Error('hasNextPage without an endCursor');
    after = page.pageInfo.endCursor;
  }
  return { pageLatenciesMs, names, malformed };
}

/** Lists `folder` completely with the bare SDK client (`ListItems`, `MaxResults: pageSize`). */
export async function listThroughSdk(client: MediaStoreDataClient, folder: string, pageSize: number): Promise<ListingPass> {
  const pageLatenciesMs: number[] = [];
  const names: string[] = [];
  let malformed = 0;
  let token: string | undefined;
  for (;;) {
    const started = performance.now();
    const output = await client.send(new ListItemsCommand({ Path: folder, MaxResults: pageSize, NextToken: token }));
    pageLatenciesMs.push(performance.now() - started);
    for (const item of output.Items ?? []) {
      names.push(item.Name ?? '');
      if (item.Type !== 'OBJECT' || typeof item.ETag !== 'string') malformed += 1;
    }
    if (output.NextToken === undefined || output.NextToken === '') break;
    token = output.NextToken;
  }
  return { pageLatenciesMs, names, malformed };
}

/**
 * Asks the gateway for the signed download URL of `path`.
 * @throws Error when the object does not exist or the URL is not on 127.0.0.1.
 */
export async function signedDownloadUrl(graphqlUrl: string, authorization: string, path: string): Promise<{ url: string; contentLength: number }> {
  const data = await postGraphql(graphqlUrl, authorization, URL_QUERY, { path });
  const object = data['object'];
  if (!isRecord(object) || typeof object['url'] !== 'string' || typeof object['contentLength'] !== 'number') {
    throw new Error(`object(${path}) returned no url/contentLength: ${JSON.stringify(object)}`);
  }
  const url = new URL(object['url']);
  if (url.hostname !== '127.0.0.1') throw new Error(`signed URL points at ${url.host}, not 127.0.0.1`);
  return { url: object['url'], contentLength: object['contentLength'] };
}

/** Holding a download back part-way, to see what the server keeps in memory while its client does not read. */
export interface DownloadPause {
  /** Stop reading once this many bytes have arrived. */
  readonly afterBytes: number;
  /** Runs while nothing is read; reading resumes when it settles (a rejection fails the download). */
  readonly whilePaused: () => Promise<void>;
}

/**
 * Downloads `url` with `node:http`, hashing the body as it streams (nothing is kept in memory). The body is
 * consumed by async iteration, so while the loop awaits nothing is read and TCP backpressure reaches the
 * server, which is what `pause` relies on.
 */
export async function download(url: string, pause?: DownloadPause): Promise<DownloadPass> {
  const started = performance.now();
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    const request = get(url, resolve);
    request.once('error', reject);
  });
  const hash = createHash('sha256');
  let receivedBytes = 0;
  let pending = pause;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    hash.update(chunk);
    receivedBytes += chunk.byteLength;
    if (pending !== undefined && receivedBytes >= pending.afterBytes) {
      const current = pending;
      pending = undefined;
      await current.whilePaused();
    }
  }
  const wallMs = performance.now() - started;
  const header = response.headers['content-length'];
  return {
    status: response.statusCode ?? 0,
    declaredLength: header === undefined ? null : Number(header),
    receivedBytes,
    sha256: hash.digest('hex'),
    wallMs,
  };
}
