import { describe, expect, it } from 'vitest';
import { CursorCodec } from '../../../src/pagination/cursor-codec.js';
import { paginateForward, type ConnectionData, type PageFetcher, type ProviderPage } from '../../../src/pagination/paginate.js';

const LIST = 'objects:fake:vod';
const TTL_MS = 15 * 60 * 1000;

interface FetchCall {
  readonly token: string | undefined;
  readonly pageSize: number;
}

/**
 * A fake provider over `items`: tokens are its own opaque strings (`t<offset>`), pages hold at most
 * `min(pageSize, maxPerCall)` items, like a provider that returns fewer items than asked.
 */
function fakeProvider(items: readonly string[], maxPerCall = Number.POSITIVE_INFINITY): { fetchPage: PageFetcher<string>; calls: FetchCall[] } {
  const calls: FetchCall[] = [];
  const fetchPage: PageFetcher<string> = (request) => {
    calls.push({ token: request.token, pageSize: request.pageSize });
    const start = request.token === undefined ? 0 : Number(request.token.slice(1));
    const end = Math.min(items.length, start + Math.min(request.pageSize, maxPerCall));
    const page: ProviderPage<string> = { items: items.slice(start, end), nextToken: end < items.length ? `t${end}` : undefined };
    return Promise.resolve(page);
  };
  return { fetchPage, calls };
}

function numbered(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `item-${index}`);
}

const codec = new CursorCodec(Buffer.alloc(32, 1));

function nodes(connection: ConnectionData<string>): string[] {
  return connection.edges.map((edge) => edge.node);
}

describe('paginateForward', () => {
  it('returns the first window and its page info when no cursor is given', async () => {
    const items = numbered(10);
    const { fetchPage, calls } = fakeProvider(items);
    const result = await paginateForward({ listKey: LIST, first: 4, after: null, codec, fetchPage, providerMaxPageSize: 1000, tokenTtlMs: TTL_MS });
    expect(nodes(result)).toEqual(items.slice(0, 4));
    expect(result.pageInfo).toEqual({
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: result.edges[0]?.cursor,
      endCursor: result.edges[3]?.cursor,
    });
    expect(calls).toHaveLength(1);
    expect(calls[0]?.token).toBeUndefined();
    expect(calls[0]?.pageSize).toBeGreaterThanOrEqual(4);
  });

  it('returns exactly the rest of the list when resuming from every edge', async () => {
    const items = numbered(23);
    const maxPerCall = 4;
    const { fetchPage } = fakeProvider(items, maxPerCall);
    const options = { listKey: LIST, codec, fetchPage, providerMaxPageSize: 1000, tokenTtlMs: TTL_MS };
    const all = await paginateForward({ ...options, first: 100, after: undefined });
    expect(nodes(all)).toEqual(items);
    for (const [index, edge] of all.edges.entries()) {
      const rest = await paginateForward({ ...options, first: 100, after: edge.cursor });
      expect(nodes(rest)).toEqual(items.slice(index + 1));
      expect(rest.pageInfo.hasNextPage).toBe(false);
      expect(rest.pageInfo.hasPreviousPage).toBe(true);
    }
  });

  it('walks the whole list without gaps or repeats when following endCursor with small windows', async () => {
    const items = numbered(17);
    for (const first of [1, 2, 3, 5, 16, 17, 18]) {
      const { fetchPage } = fakeProvider(items, 4);
      const seen: string[] = [];
      let after: string | null = null;
      for (let guard = 0; guard < 100; guard += 1) {
        const page: ConnectionData<string> = await paginateForward({ listKey: LIST, first, after, codec, fetchPage, providerMaxPageSize: 1000, tokenTtlMs: TTL_MS });
        seen.push(...nodes(page));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor;
      }
      expect(seen).toEqual(items);
    }
  });

  it('returns first edges when one provider call returns fewer items than first', async () => {
    const items = numbered(50);
    const { fetchPage, calls } = fakeProvider(items, 3);
    const result = await paginateForward({ listKey: LIST, first: 10, after: null, codec, fetchPage, providerMaxPageSize: 1000, tokenTtlMs: TTL_MS });
    expect(nodes(result)).toEqual(items.slice(0, 10));
    expect(result.pageInfo.hasNextPage).toBe(true);
    expect(calls.map((call) => call.token)).toEqual([undefined, 't3', 't6', 't9']);
  });

  it('reads on in the provider\'s largest pages when a page comes back short because entries are filtered out', async () => {
    // A tenant's share of a provider list: every tenth entry is visible.
    const items = numbered(100);
    const calls: FetchCall[] = [];
    const fetchPage: PageFetcher<string> = (request) => {
      calls.push({ token: request.token, pageSize: request.pageSize });
      const start = request.token === undefined ? 0 : Number(request.token.slice(1));
      const end = Math.min(items.length, start + request.pageSize);
      const visible = items.slice(start, end).filter((_, index) => (start + index) % 10 === 0);
      return Promise.resolve({ items: visible, nextToken: end < items.length ? `t${end}` : undefined });
    };
    const result = await paginateForward({ listKey: LIST, first: 5, after: null, codec, fetchPage, providerMaxPageSize: 50, tokenTtlMs: TTL_MS });
    expect(nodes(result)).toEqual(['item-0', 'item-10', 'item-20', 'item-30', 'item-40']);
    expect(result.pageInfo.hasNextPage).toBe(true);
    expect(calls).toEqual([
      { token: undefined, pageSize: 5 },
      { token: 't5', pageSize: 50 },
    ]);
    // Resuming from the last edge re-reads its page with the size recorded in the cursor and goes on from there.
    const rest = await paginateForward({ listKey: LIST, first: 10, after: result.pageInfo.endCursor, codec, fetchPage, providerMaxPageSize: 50, tokenTtlMs: TTL_MS });
    expect(nodes(rest)).toEqual(['item-50', 'item-60', 'item-70', 'item-80', 'item-90']);
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });

  it('caps the requested page size at the provider maximum when first + 1 exceeds it', async () => {
    const items = numbered(30);
    const { fetchPage, calls } = fakeProvider(items);
    const result = await paginateForward({ listKey: LIST, first: 12, after: null, codec, fetchPage, providerMaxPageSize: 5, tokenTtlMs: TTL_MS });
    expect(nodes(result)).toEqual(items.slice(0, 12));
    expect(calls).toEqual([
      { token: undefined, pageSize: 5 },
      { token: 't5', pageSize: 5 },
      { token: 't10', pageSize: 5 },
    ]);
  });

  it('records in each cursor the token, page size and offset of the page the edge came from', async () => {
    const items = numbered(9);
    let clock = 1_000_000;
    const { fetchPage, calls } = fakeProvider(items, 4);
    const timed: PageFetcher<string> = async (request) => {
      const page = await fetchPage(request);
      clock += 1000;
      return page;
    };
    const result = await paginateForward({ listKey: LIST, first: 8, after: null, codec, fetchPage: timed, providerMaxPageSize: 1000, tokenTtlMs: TTL_MS, now: () => clock });
    expect(calls.map((call) => call.token)).toEqual([undefined, 't4']);
    const [firstCall, secondCall] = calls;
    const positions = result.edges.map((edge) => codec.decode(LIST, edge.cursor));
    for (const [index, position] of positions.entries()) {
      // `t4` was issued by the first call, which started at 1 000 000.
      const expected =
        index < 4
          ? { token: null, pageSize: firstCall?.pageSize, offset: index, tokenIssuedAt: 0 }
          : { token: 't4', pageSize: secondCall?.pageSize, offset: index - 4, tokenIssuedAt: 1_000_000 };
      expect(position, `edge ${index}`).toMatchObject(expected);
    }
  });

  it('re-reads the resumed page with the page size recorded in the cursor when first differs', async () => {
    const items = numbered(20);
    const { fetchPage, calls } = fakeProvider(items);
    const options = { listKey: LIST, codec, fetchPage, providerMaxPageSize: 1000, tokenTtlMs: TTL_MS };
    const firstWindow = await paginateForward({ ...options, first: 6, after: null });
    const recorded = codec.decode(LIST, firstWindow.edges[2]?.cursor ?? '').pageSize;
    calls.length = 0;
    const second = await paginateForward({ ...options, first: 2, after: firstWindow.edges[2]?.cursor });
    expect(nodes(second)).toEqual(['item-3', 'item-4']);
    expect(calls[0]).toEqual({ token: undefined, pageSize: recorded });
  });

  it('reports hasNextPage false when the window ends exactly at the end of the list', async () => {
    const items = numbered(8);
    const { fetchPage } = fakeProvider(items, 4);
    const result = await paginateForward({ listKey: LIST, first: 8, after: null, codec, fetchPage, providerMaxPageSize: 1000, tokenTtlMs: TTL_MS });
    expect(nodes(result)).toEqual(items);
    expect(result.pageInfo.hasNextPage).toBe(false);
  });

  it('reports hasNextPage true when the window ends at a page boundary with more pages behind it', async () => {
    const items = numbered(9);
    const { fetchPage } = fakeProvider(items, 4);
    const result = await paginateForward({ listKey: LIST, first: 8, after: null, codec, fetchPage, providerMaxPageSize: 1000, tokenTtlMs: TTL_MS });
    expect(result.pageInfo.hasNextPage).toBe(true);
  });

  it('returns an empty window with null cursors when the list is empty', async () => {
    const { fetchPage, calls } = fakeProvider([]);
    const result = await paginateForward({ listKey: LIST, first: 5, after: null, codec, fetchPage, providerMaxPageSize: 1000, tokenTtlMs: TTL_MS });
    expect(result).toEqual({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
    expect(calls).toHaveLength(1);
  });

  it('returns an empty window after the last edge with hasPreviousPage true when resuming from the end', async () => {
    const items = numbered(3);
    const { fetchPage } = fakeProvider(items);
    const options = { listKey: LIST, codec, fetchPage, providerMaxPageSize: 1000, tokenTtlMs: TTL_MS };
    const all = await paginateForward({ ...options, first: 3, after: null });
    const after = await paginateForward({ ...options, first: 3, after: all.pageInfo.endCursor });
    expect(after.edges).toEqual([]);
    expect(after.pageInfo).toEqual({ hasNextPage: false, hasPreviousPage: true, startCursor: null, endCursor: null });
  });

  it('returns no edges and makes no provider call when first is 0', async () => {
    const { fetchPage, calls } = fakeProvider(numbered(5));
    const result = await paginateForward({ listKey: LIST, first: 0, after: null, codec, fetchPage, providerMaxPageSize: 1000, tokenTtlMs: TTL_MS });
    expect(result).toEqual({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
    expect(calls).toHaveLength(0);
  });

  it('still verifies the cursor when first is 0', async () => {
    const items = numbered(5);
    const { fetchPage, calls } = fakeProvider(items);
    const options = { listKey: LIST, codec, fetchPage, providerMaxPageSize: 1000, tokenTtlMs: TTL_MS };
    const window = await paginateForward({ ...options, first: 2, after: null });
    calls.length = 0;
    const empty = await paginateForward({ ...options, first: 0, after: window.pageInfo.endCursor });
    expect(empty.pageInfo.hasPreviousPage).toBe(true);
    await expect(paginateForward({ ...options, first: 0, after: 'forged.cursor' })).rejects.toMatchObject({ code: 'CURSOR_INVALID' });
    expect(calls).toHaveLength(0);
  });

  it('throws CURSOR_EXPIRED before any provider call when the cursor token is as old as the TTL', async () => {
    const items = numbered(10);
    let clock = 5_000_000;
    const { fetchPage, calls } = fakeProvider(items, 3);
    const options = { listKey: LIST, codec, fetchPage, providerMaxPageSize: 1000, tokenTtlMs: TTL_MS, now: () => clock };
    const window = await paginateForward({ ...options, first: 5, after: null });
    const onSecondPage = window.edges[4]?.cursor;
    expect(codec.decode(LIST, onSecondPage ?? '').token).toBe('t3');
    calls.length = 0;

    clock += TTL_MS - 1;
    await expect(paginateForward({ ...options, first: 1, after: onSecondPage })).resolves.toMatchObject({ edges: [{ node: 'item-5' }] });
    calls.length = 0;

    clock += 1;
    await expect(paginateForward({ ...options, first: 1, after: onSecondPage })).rejects.toMatchObject({ code: 'CURSOR_EXPIRED', retryable: false });
    expect(calls).toHaveLength(0);
  });

  it('never expires a cursor inside the first page because resuming there needs no provider token', async () => {
    const items = numbered(10);
    let clock = 0;
    const { fetchPage } = fakeProvider(items);
    const options = { listKey: LIST, codec, fetchPage, providerMaxPageSize: 1000, tokenTtlMs: TTL_MS, now: () => clock };
    const window = await paginateForward({ ...options, first: 3, after: null });
    clock += 10 * TTL_MS;
    const rest = await paginateForward({ ...options, first: 2, after: window.edges[0]?.cursor });
    expect(nodes(rest)).toEqual(['item-1', 'item-2']);
  });

  it('does not check expiry when the provider tokens do not expire', async () => {
    const items = numbered(10);
    let clock = 0;
    const { fetchPage } = fakeProvider(items, 2);
    const options = { listKey: LIST, codec, fetchPage, providerMaxPageSize: 1000, tokenTtlMs: undefined, now: () => clock };
    const window = await paginateForward({ ...options, first: 3, after: null });
    clock += 10 * TTL_MS;
    const rest = await paginateForward({ ...options, first: 2, after: window.pageInfo.endCursor });
    expect(nodes(rest)).toEqual(['item-3', 'item-4']);
  });

  it('throws CURSOR_INVALID with 0 provider calls when the cursor belongs to another list or is tampered with', async () => {
    const items = numbered(10);
    const { fetchPage, calls } = fakeProvider(items);
    const options = { codec, fetchPage, providerMaxPageSize: 1000, tokenTtlMs: TTL_MS };
    const window = await paginateForward({ ...options, listKey: LIST, first: 2, after: null });
    calls.length = 0;
    const cursor = window.pageInfo.endCursor ?? '';
    await expect(paginateForward({ ...options, listKey: 'objects:fake:other', first: 2, after: cursor })).rejects.toMatchObject({ code: 'CURSOR_INVALID' });
    const tampered = `${Buffer.from(JSON.stringify([1, null, 3, 7, 0])).toString('base64url')}${cursor.slice(cursor.indexOf('.'))}`;
    await expect(paginateForward({ ...options, listKey: LIST, first: 2, after: tampered })).rejects.toMatchObject({ code: 'CURSOR_INVALID' });
    expect(calls).toHaveLength(0);
  });

  it('propagates the provider error when a page fetch fails', async () => {
    const failure = new Error('provider down');
    const fetchPage: PageFetcher<string> = () => Promise.reject(failure);
    await expect(paginateForward({ listKey: LIST, first: 2, after: null, codec, fetchPage, providerMaxPageSize: 10, tokenTtlMs: TTL_MS })).rejects.toBe(failure);
  });
});

describe('paginateForward with a provider that returns empty pages', () => {
  it('stops after three empty pages in a row and reports more when tokens keep coming', async () => {
    let calls = 0;
    const fetchPage: PageFetcher<string> = () => {
      calls += 1;
      return Promise.resolve({ items: [], nextToken: `t${calls}` });
    };
    const result = await paginateForward({ listKey: LIST, first: 5, after: null, codec, fetchPage, providerMaxPageSize: 1000, tokenTtlMs: TTL_MS });
    expect(result.edges).toEqual([]);
    expect(result.pageInfo.hasNextPage).toBe(true);
    expect(calls).toBe(3);
  });

  it('hands out an end cursor that continues after the empty pages when the window has no edge', async () => {
    // Pages t0..t2 are empty, t3 holds the first item: the shape of a tenant's share of a shared provider list.
    const pages: Record<string, { items: string[]; nextToken: string | undefined }> = {
      start: { items: [], nextToken: 't1' },
      t1: { items: [], nextToken: 't2' },
      t2: { items: [], nextToken: 't3' },
      t3: { items: ['mine'], nextToken: undefined },
    };
    const asked: string[] = [];
    const fetchPage: PageFetcher<string> = ({ token }) => {
      asked.push(token ?? 'start');
      return Promise.resolve(pages[token ?? 'start'] ?? { items: [], nextToken: undefined });
    };
    const options = { listKey: LIST, codec, fetchPage, providerMaxPageSize: 10, tokenTtlMs: TTL_MS };
    const empty = await paginateForward({ ...options, first: 1, after: null });
    expect(empty.edges).toEqual([]);
    expect(empty.pageInfo.hasNextPage).toBe(true);
    expect(empty.pageInfo.endCursor).not.toBeNull();
    const next = await paginateForward({ ...options, first: 1, after: empty.pageInfo.endCursor });
    expect(next.edges.map((edge) => edge.node)).toEqual(['mine']);
    expect(asked).toEqual(['start', 't1', 't2', 't3']);
  });
});
