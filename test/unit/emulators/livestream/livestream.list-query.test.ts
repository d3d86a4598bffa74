import { describe, expect, it } from 'vitest';
import type { ListRequest, ListSchema } from '../../../../src/emulators/livestream/livestream.list-query.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, listPage } from '../../../../src/emulators/livestream/livestream.list-query.js';
import { LiveStreamRpcError } from '../../../../src/emulators/livestream/livestream.status.js';

interface Item {
  readonly name: string;
  readonly state: 'ACTIVE' | 'ERROR';
  readonly created: number;
  readonly done: boolean;
  readonly labels: Record<string, string>;
}

const SCHEMA: ListSchema<Item> = {
  name: (item) => item.name,
  labels: (item) => item.labels,
  fields: {
    name: { type: 'string', get: (item) => item.name, sortable: true },
    state: { type: 'enum', get: (item) => item.state, values: ['ACTIVE', 'ERROR'], sortable: true },
    create_time: { type: 'timestamp', get: (item) => item.created, sortable: true },
    done: { type: 'bool', get: (item) => item.done },
  },
};

const T0 = Date.UTC(2025, 0, 1);
const ITEMS: Item[] = [
  { name: 'p/items/a', state: 'ACTIVE', created: T0 + 3000, done: true, labels: { env: 'prod', tier: 'gold' } },
  { name: 'p/items/b', state: 'ERROR', created: T0 + 1000, done: false, labels: { env: 'prod' } },
  { name: 'p/items/c', state: 'ACTIVE', created: T0 + 1000, done: true, labels: { env: 'dev' } },
  { name: 'p/items/d', state: 'ACTIVE', created: T0 + 2000, done: false, labels: {} },
];

function names(request: Partial<ListRequest>, items: readonly Item[] = ITEMS): string[] {
  return listPage(items, { pageSize: 10, pageToken: '', filter: '', orderBy: '', ...request }, SCHEMA, 'scope').items.map((item) => item.name.slice(-1));
}

function rejects(request: Partial<ListRequest>): void {
  expect(() => names(request)).toThrow(LiveStreamRpcError);
  try {
    names(request);
  } catch (error) {
    expect((error as LiveStreamRpcError).status).toBe('INVALID_ARGUMENT');
  }
}

describe('listPage', () => {
  it('evaluates equality, inequality, label, has, NOT and timestamp comparisons joined by AND', () => {
    expect(names({ filter: 'labels.env=prod' })).toEqual(['a', 'b']);
    expect(names({ filter: 'labels.env = "prod" AND state = ACTIVE' })).toEqual(['a']);
    expect(names({ filter: 'state!=ACTIVE' })).toEqual(['b']);
    expect(names({ filter: 'labels:tier' })).toEqual(['a']);
    expect(names({ filter: 'labels.env:*' })).toEqual(['a', 'b', 'c']);
    expect(names({ filter: 'NOT labels.env=prod' })).toEqual(['c', 'd']);
    expect(names({ filter: '-state=ACTIVE' })).toEqual(['b']);
    expect(names({ filter: 'createTime>="2025-01-01T00:00:02Z"' })).toEqual(['a', 'd']);
    expect(names({ filter: 'done=true' })).toEqual(['a', 'c']);
    expect(names({ filter: 'name="p/items/*"' })).toEqual(['a', 'b', 'c', 'd']);
  });

  it('evaluates OR, parentheses and negated composites with OR binding tighter than AND', () => {
    expect(names({ filter: 'state=ERROR OR labels.env=dev' })).toEqual(['b', 'c']);
    // AIP-160 precedence: `done=true AND state=ACTIVE OR labels.env=prod` is `done=true AND (state=ACTIVE OR labels.env=prod)`
    // -> a, c; with AND binding tighter it would be a, b, c.
    expect(names({ filter: 'done=true AND state=ACTIVE OR labels.env=prod' })).toEqual(['a', 'c']);
    expect(names({ filter: '(done=true AND state=ACTIVE) OR labels.env=prod' })).toEqual(['a', 'b', 'c']);
    expect(names({ filter: 'NOT (labels.env=prod OR labels.env=dev)' })).toEqual(['d']);
    expect(names({ filter: '-(state=ACTIVE AND done=true)' })).toEqual(['b', 'd']);
    expect(names({ filter: 'state=ACTIVE -labels:env' })).toEqual(['d']);
    expect(names({ filter: '(state=ACTIVE)' })).toEqual(['a', 'c', 'd']);
  });

  it('validates every restriction of a filter even where evaluation would short-circuit', () => {
    // `state=ACTIVE` alone would decide most items, but the unknown field beside it is refused, even over no items.
    rejects({ filter: 'state=ACTIVE OR color=red' });
    rejects({ filter: 'NOT (state=ACTIVE OR state=SLEEPING)' });
    expect(() => listPage([], { pageSize: 10, pageToken: '', filter: 'state=ACTIVE OR color=red', orderBy: '' }, SCHEMA, 'scope')).toThrow(LiveStreamRpcError);
  });

  it('rejects malformed filters and unknown fields or values with INVALID_ARGUMENT', () => {
    for (const filter of ['state=ACTIVE OR', '(state=ACTIVE', 'state=', 'state=SLEEPING', 'color=red', 'create_time>yesterday', 'done=maybe', 'state<ACTIVE', 'labels=x', '"unterminated', 'ACTIVE']) {
      rejects({ filter });
    }
  });

  it('orders by one or more keys in either direction with the name as the final tie-breaker', () => {
    expect(names({ orderBy: 'create_time' })).toEqual(['b', 'c', 'd', 'a']);
    expect(names({ orderBy: 'create_time desc' })).toEqual(['a', 'd', 'b', 'c']);
    expect(names({ orderBy: 'state desc, createTime desc' })).toEqual(['b', 'a', 'd', 'c']);
    expect(names({ orderBy: 'name desc' })).toEqual(['d', 'c', 'b', 'a']);
    for (const orderBy of ['done', 'create_time sideways', 'colour asc', 'name asc extra']) rejects({ orderBy });
  });

  it('pages with keyset tokens so each item appears once even when items change between pages', () => {
    const items = [...ITEMS];
    const first = listPage(items, { pageSize: 2, pageToken: '', filter: '', orderBy: 'create_time' }, SCHEMA, 'scope');
    expect(first.items.map((item) => item.name.slice(-1))).toEqual(['b', 'c']);
    // An item sorting before the cursor and a deletion of one already seen must not shift the next page.
    items.push({ name: 'p/items/0', state: 'ACTIVE', created: T0, done: false, labels: {} });
    items.splice(1, 1);
    const second = listPage(items, { pageSize: 2, pageToken: first.nextPageToken, filter: '', orderBy: 'create_time' }, SCHEMA, 'scope');
    expect(second.items.map((item) => item.name.slice(-1))).toEqual(['d', 'a']);
    expect(second.nextPageToken).toBe('');
  });

  it('rejects a token from another query, a garbled token and a negative page size', () => {
    const first = listPage(ITEMS, { pageSize: 1, pageToken: '', filter: '', orderBy: '' }, SCHEMA, 'scope');
    rejects({ pageToken: first.nextPageToken, filter: 'state=ACTIVE' });
    rejects({ pageToken: first.nextPageToken, orderBy: 'create_time' });
    expect(() => listPage(ITEMS, { pageSize: 1, pageToken: first.nextPageToken, filter: '', orderBy: '' }, SCHEMA, 'other')).toThrow(LiveStreamRpcError);
    rejects({ pageToken: 'not-a-token' });
    rejects({ pageSize: -1 });
  });

  it('uses the default page size for 0 and caps large ones', () => {
    const many: Item[] = Array.from({ length: MAX_PAGE_SIZE + 5 }, (_, index) => ({ name: `p/items/${String(index).padStart(5, '0')}`, state: 'ACTIVE', created: T0, done: false, labels: {} }));
    expect(listPage(many, { pageSize: 0, pageToken: '', filter: '', orderBy: '' }, SCHEMA, 's').items).toHaveLength(DEFAULT_PAGE_SIZE);
    expect(listPage(many, { pageSize: 5000, pageToken: '', filter: '', orderBy: '' }, SCHEMA, 's').items).toHaveLength(MAX_PAGE_SIZE);
  });

  it('holds as many items as the page-size policy picks, at least one, and pages by token alone when the server picks', () => {
    const request = { pageSize: 2, pageToken: '', filter: '', orderBy: '' };
    const walk = (pick: (requested: number) => number): { pages: string[][]; asked: number[] } => {
      const asked: number[] = [];
      const pages: string[][] = [];
      let pageToken = '';
      do {
        const page = listPage(ITEMS, { ...request, pageToken }, SCHEMA, 'scope', (requested) => {
          asked.push(requested);
          return pick(requested);
        });
        pages.push(page.items.map((item) => item.name.slice(-1)));
        pageToken = page.nextPageToken;
      } while (pageToken !== '');
      return { pages, asked };
    };
    expect(walk(() => 0)).toEqual({ pages: [['a'], ['b'], ['c'], ['d']], asked: [2, 2, 2, 2] });
    expect(walk((requested) => requested * 2 + 1).pages).toEqual([['a', 'b', 'c', 'd']]);
    expect(walk((requested) => requested + 1).pages).toEqual([['a', 'b', 'c'], ['d']]);
  });
});
