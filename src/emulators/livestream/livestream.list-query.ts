import { createHash } from 'node:crypto';
import { parseFilter, type FilterNode, type FilterOperator } from './livestream.filter.js';
import { invalidArgument } from './livestream.status.js';

/**
 * List requests of the emulator: AIP-160 filters (syntax in `livestream.filter.ts`, evaluated here against each
 * resource kind's fields), AIP-132 `order_by`, and AIP-158 pagination, shared by
 * ListAssets, ListChannels, ListOperations (gRPC) and dvrSessions.list (REST). See PROTOCOL.md, "Lists".
 */

/** Default page size when the request gives 0 or none (emulator choice; the API says "server will pick"). */
export const DEFAULT_PAGE_SIZE = 50;
/** Largest page returned; larger `page_size` values are lowered to it (AIP-158). */
export const MAX_PAGE_SIZE = 1000;

/**
 * How many items a list page holds for the `page_size` a request asked (0 when it left the choice to the server).
 * The reference lets the server pick ("The server may return fewer items than requested"; AIP-158 also allows
 * pages that are short for other reasons), so tests can make the emulator answer fewer or more than asked.
 */
export type PageSizePolicy = (requested: number) => number;

/** The emulator's default policy: `page_size` itself, {@link DEFAULT_PAGE_SIZE} for 0, at most {@link MAX_PAGE_SIZE}. */
export const requestedPageSize: PageSizePolicy = (requested) => Math.min(requested === 0 ? DEFAULT_PAGE_SIZE : requested, MAX_PAGE_SIZE);

/** A value a filter or ordering reads from a resource: strings, epoch-millisecond timestamps, booleans. */
type FieldValue = string | number | boolean | undefined;

/** How one filterable field is read and compared. */
export interface FieldSpec<T> {
  readonly type: 'string' | 'enum' | 'timestamp' | 'bool';
  readonly get: (item: T) => FieldValue;
  /** `enum` fields: the accepted names. */
  readonly values?: readonly string[];
  /** Whether `order_by` may name the field. */
  readonly sortable?: boolean;
}

/** The fields of one resource kind, keyed by snake_case name (camelCase is accepted too). */
export interface ListSchema<T> {
  readonly fields: Readonly<Record<string, FieldSpec<T>>>;
  /** The resource's labels, for `labels.KEY` terms; omitted = the resource has none. */
  readonly labels?: (item: T) => Readonly<Record<string, string>>;
  /** The resource name: the final tie-breaker of every ordering. */
  readonly name: (item: T) => string;
}

/** The list parameters of a request, transport-neutral. */
export interface ListRequest {
  readonly pageSize: number;
  readonly pageToken: string;
  readonly filter: string;
  readonly orderBy: string;
}

interface SortKey {
  readonly field: string;
  readonly descending: boolean;
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 's').test(value);
}

function compare(left: string | number, right: string | number): number {
  if (left < right) return -1;
  return left > right ? 1 : 0;
}

function applyOperator(operator: FilterOperator, actual: string | number | undefined, expected: string | number): boolean {
  if (actual === undefined) return operator === '!=';
  switch (operator) {
    case '=':
      return typeof actual === 'string' && typeof expected === 'string' ? globMatch(expected, actual) : actual === expected;
    case '!=':
      return typeof actual === 'string' && typeof expected === 'string' ? !globMatch(expected, actual) : actual !== expected;
    case '<':
      return compare(actual, expected) < 0;
    case '<=':
      return compare(actual, expected) <= 0;
    case '>':
      return compare(actual, expected) > 0;
    case '>=':
      return compare(actual, expected) >= 0;
    case ':':
      return typeof actual === 'string' && typeof expected === 'string' ? actual.includes(expected) || expected === '*' : actual === expected;
  }
}

type Restriction = Extract<FilterNode, { readonly kind: 'restriction' }>;

/** Compiles one restriction into a predicate, validating field, operator and value against the schema. */
function compileRestriction<T>(term: Restriction, schema: ListSchema<T>): (item: T) => boolean {
  const [head, ...rest] = term.path;
  const headName = term.path.map(snakeCase).join('.');
  let predicate: (item: T) => boolean;
  if (snakeCase(head ?? '') === 'labels' && schema.labels !== undefined) {
    const labels = schema.labels;
    if (rest.length === 0) {
      // `labels:KEY` is AIP-160's "has" on a map: true when the key is present.
      if (term.operator !== ':') throw invalidArgument('invalid filter: labels alone only supports `labels:KEY`');
      predicate = (item) => Object.hasOwn(labels(item), term.value);
    } else {
      const key = rest.join('.');
      if (term.operator === ':' && term.value === '*') predicate = (item) => Object.hasOwn(labels(item), key);
      else if (term.operator !== '=' && term.operator !== '!=' && term.operator !== ':') {
        throw invalidArgument(`invalid filter: labels.${key} supports =, != and :`);
      } else predicate = (item) => applyOperator(term.operator, labels(item)[key], term.value);
    }
  } else {
    // Nested fields (`metadata.verb`) are listed in the schema under their dotted snake_case path.
    const spec = schema.fields[term.path.map(snakeCase).join('.')];
    if (spec === undefined) throw invalidArgument(`invalid filter: unknown field ${JSON.stringify(term.path.join('.'))}`);
    let expected: string | number | boolean;
    switch (spec.type) {
      case 'string':
        expected = term.value;
        break;
      case 'enum':
        if (!(spec.values ?? []).includes(term.value)) throw invalidArgument(`invalid filter: ${headName} has no value ${JSON.stringify(term.value)}`);
        if (term.operator !== '=' && term.operator !== '!=') throw invalidArgument(`invalid filter: ${headName} supports = and !=`);
        expected = term.value;
        break;
      case 'timestamp': {
        const parsed = Date.parse(term.value);
        if (!/^\d{4}-\d{2}-\d{2}T/.test(term.value) || Number.isNaN(parsed)) {
          throw invalidArgument(`invalid filter: ${headName} needs an RFC 3339 timestamp`);
        }
        expected = parsed;
        break;
      }
      case 'bool':
        if (term.value !== 'true' && term.value !== 'false') throw invalidArgument(`invalid filter: ${headName} needs true or false`);
        if (term.operator !== '=' && term.operator !== '!=') throw invalidArgument(`invalid filter: ${headName} supports = and !=`);
        expected = term.value === 'true';
        break;
    }
    const get = spec.get;
    predicate = (item) => {
      const actual = get(item);
      if (typeof expected === 'boolean' || typeof actual === 'boolean') {
        return term.operator === '=' ? actual === expected : actual !== expected;
      }
      return applyOperator(term.operator, actual, expected);
    };
  }
  return predicate;
}

/**
 * Compiles a parsed filter into one predicate. Every restriction is validated, also those that evaluation would
 * short-circuit, so a bad field is INVALID_ARGUMENT whatever the data.
 */
function compileFilter<T>(node: FilterNode, schema: ListSchema<T>): (item: T) => boolean {
  switch (node.kind) {
    case 'restriction':
      return compileRestriction(node, schema);
    case 'not': {
      const operand = compileFilter(node.operand, schema);
      return (item) => !operand(item);
    }
    case 'and': {
      const operands = node.operands.map((operand) => compileFilter(operand, schema));
      return (item) => operands.every((operand) => operand(item));
    }
    case 'or': {
      const operands = node.operands.map((operand) => compileFilter(operand, schema));
      return (item) => operands.some((operand) => operand(item));
    }
  }
}

/**
 * Parses an `order_by` value (`field [asc|desc], ...`).
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT for an unknown or unsortable field or a bad direction.
 */
function parseOrderBy<T>(orderBy: string, schema: ListSchema<T>): SortKey[] {
  if (orderBy.trim() === '') return [{ field: 'name', descending: false }];
  return orderBy.split(',').map((clause) => {
    const parts = clause.trim().split(/\s+/);
    const field = snakeCase(parts[0] ?? '');
    const direction = (parts[1] ?? 'asc').toLowerCase();
    if (parts.length > 2 || (direction !== 'asc' && direction !== 'desc')) throw invalidArgument(`invalid order_by clause ${JSON.stringify(clause.trim())}`);
    if (field !== 'name' && schema.fields[field]?.sortable !== true) throw invalidArgument(`invalid order_by: cannot order by ${JSON.stringify(parts[0])}`);
    return { field, descending: direction === 'desc' };
  });
}

function sortValue<T>(item: T, field: string, schema: ListSchema<T>): string | number {
  if (field === 'name') return schema.name(item);
  const value = schema.fields[field]?.get(item);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value ?? '';
}

interface PageToken {
  readonly f: string;
  readonly k: Array<string | number>;
}

function encodeToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

function decodeToken(text: string, fingerprint: string, keyLength: number): PageToken {
  let token: unknown;
  try {
    token = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalidArgument('invalid page_token');
  }
  const candidate = token as Partial<PageToken> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.f !== 'string' || !Array.isArray(candidate.k)) {
    throw invalidArgument('invalid page_token');
  }
  if (candidate.f !== fingerprint || candidate.k.length !== keyLength) {
    // AIP-158: other request fields must not change between pages.
    throw invalidArgument('page_token does not match the request (parent, filter and order_by must stay the same)');
  }
  return { f: candidate.f, k: candidate.k };
}

/**
 * Filters, orders and pages `items` for one list request. Pages are keyset-based: the token carries the sort key
 * of the last returned item, so items created or deleted between pages neither repeat nor shift the listing.
 *
 * @param scope the list's identity (e.g. its parent) bound into the token with the filter and ordering.
 * @param pick how many items a page holds for the requested `page_size` (at least 1); default {@link requestedPageSize}.
 * @returns the page and the next token (`''` at the end, as the API sends it).
 * @throws LiveStreamRpcError INVALID_ARGUMENT for a negative page size, a bad filter/order_by or a foreign token.
 */
export function listPage<T>(
  items: readonly T[],
  request: ListRequest,
  schema: ListSchema<T>,
  scope: string,
  pick: PageSizePolicy = requestedPageSize,
): { items: T[]; nextPageToken: string } {
  if (!Number.isInteger(request.pageSize) || request.pageSize < 0) throw invalidArgument('page_size must not be negative');
  const pageSize = Math.max(1, Math.floor(pick(request.pageSize)));
  const parsed = parseFilter(request.filter);
  const matches = parsed === undefined ? () => true : compileFilter(parsed, schema);
  const keys = [...parseOrderBy(request.orderBy, schema), { field: 'name', descending: false }];
  const fingerprint = createHash('sha256').update(`${scope}\0${request.filter}\0${request.orderBy}`).digest('hex').slice(0, 16);
  const keyOf = (item: T): Array<string | number> => keys.map((key) => sortValue(item, key.field, schema));
  const compareKeys = (left: ReadonlyArray<string | number>, right: ReadonlyArray<string | number>): number => {
    for (const [index, key] of keys.entries()) {
      const order = compare(left[index] ?? '', right[index] ?? '');
      if (order !== 0) return key.descending ? -order : order;
    }
    return 0;
  };
  const after = request.pageToken === '' ? undefined : decodeToken(request.pageToken, fingerprint, keys.length).k;
  const selected = items
    .filter((item) => matches(item))
    .map((item) => ({ item, key: keyOf(item) }))
    .filter((entry) => after === undefined || compareKeys(entry.key, after) > 0)
    .sort((left, right) => compareKeys(left.key, right.key));
  const page = selected.slice(0, pageSize);
  const last = page.at(-1);
  const nextPageToken = selected.length > pageSize && last !== undefined ? encodeToken({ f: fingerprint, k: last.key }) : '';
  return { items: page.map((entry) => entry.item), nextPageToken };
}
