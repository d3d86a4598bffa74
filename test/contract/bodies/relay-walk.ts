import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { CursorCodec } from '../../../src/pagination/cursor-codec.js';
import { paginateForward, type ConnectionData, type PageFetcher } from '../../../src/pagination/paginate.js';

/** How a body walks a provider list the way the API's Relay connections do. */
export interface RelayWalk<T> {
  /** The list's identity, as a resolver would bind cursors to it. */
  readonly listKey: string;
  /** One provider page: the datasource call a resolver makes. */
  readonly fetchPage: PageFetcher<T>;
  /** The provider's largest page. */
  readonly providerMaxPageSize: number;
  /** The node's identity (its id or name). */
  readonly key: (node: T) => string;
  /** Edges per window; default 2. */
  readonly first?: number;
  /** Stops after this many edges (a real account may hold many); default 500. */
  readonly maxEdges?: number;
  /** Also check resuming from an edge inside a window (which re-reads that edge's page); default true. */
  readonly resumeInside?: boolean;
}

/**
 * Walks a list through `paginateForward` windows of `first` edges, following `endCursor`, then checks that resuming
 * from the first edge of the first full window gives its second edge next: what the API promises whatever page size
 * the provider picks (shorter or longer pages than asked, as Live Stream and OCI allow).
 * @returns the node keys in the order the windows gave them; each appears once (asserted).
 */
export async function walkRelay<T>(walk: RelayWalk<T>): Promise<string[]> {
  const first = walk.first ?? 2;
  const maxEdges = walk.maxEdges ?? 500;
  const codec = new CursorCodec(randomBytes(32));
  const options = { listKey: walk.listKey, codec, providerMaxPageSize: walk.providerMaxPageSize, tokenTtlMs: undefined, fetchPage: walk.fetchPage };
  const seen: string[] = [];
  let resumeFrom: { cursor: string; next: string } | undefined;
  let after: string | null = null;
  for (;;) {
    const window: ConnectionData<T> = await paginateForward<T>({ ...options, first, after });
    expect(window.edges.length).toBeLessThanOrEqual(first);
    const keys = window.edges.map((edge) => walk.key(edge.node));
    const [head, second] = window.edges;
    if (resumeFrom === undefined && head !== undefined && second !== undefined) resumeFrom = { cursor: head.cursor, next: walk.key(second.node) };
    seen.push(...keys);
    if (!window.pageInfo.hasNextPage || seen.length >= maxEdges) break;
    expect(window.pageInfo.endCursor).not.toBeNull();
    after = window.pageInfo.endCursor;
  }
  expect(new Set(seen).size).toBe(seen.length);
  if (resumeFrom !== undefined && walk.resumeInside !== false) {
    const resumed = await paginateForward<T>({ ...options, first: 1, after: resumeFrom.cursor });
    expect(resumed.edges.map((edge) => walk.key(edge.node))).toEqual([resumeFrom.next]);
  }
  return seen;
}
