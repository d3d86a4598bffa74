import { describe, expect, it } from 'vitest';
import { MAX_FILTER_DEPTH, parseFilter, type FilterNode } from '../../../../src/emulators/livestream/livestream.filter.js';
import { LiveStreamRpcError } from '../../../../src/emulators/livestream/livestream.status.js';

/** `field OP value` as a node. */
function r(field: string, operator: '=' | '!=' | '<' | '<=' | '>' | '>=' | ':', value: string): FilterNode {
  return { kind: 'restriction', path: field.split('.'), operator, value };
}

const and = (...operands: FilterNode[]): FilterNode => ({ kind: 'and', operands });
const or = (...operands: FilterNode[]): FilterNode => ({ kind: 'or', operands });
const not = (operand: FilterNode): FilterNode => ({ kind: 'not', operand });

function rejected(filter: string): string {
  try {
    parseFilter(filter);
  } catch (error) {
    expect(error).toBeInstanceOf(LiveStreamRpcError);
    expect((error as LiveStreamRpcError).status).toBe('INVALID_ARGUMENT');
    return (error as LiveStreamRpcError).message;
  }
  throw new Error(`filter ${JSON.stringify(filter)} was accepted`);
}

describe('parseFilter', () => {
  it('returns undefined for an empty or blank filter', () => {
    expect(parseFilter('')).toBeUndefined();
    expect(parseFilter('   ')).toBeUndefined();
  });

  it('parses a restriction with any comparator, quoted values with escapes, and dotted members', () => {
    expect(parseFilter('state=ACTIVE')).toEqual(r('state', '=', 'ACTIVE'));
    expect(parseFilter('labels.env = "prod \\"eu\\""')).toEqual(r('labels.env', '=', 'prod "eu"'));
    expect(parseFilter('metadata.create_time>="2025-01-01T00:00:00Z"')).toEqual(r('metadata.create_time', '>=', '2025-01-01T00:00:00Z'));
    expect(parseFilter('labels:tier')).toEqual(r('labels', ':', 'tier'));
    for (const operator of ['!=', '<', '<=', '>'] as const) expect(parseFilter(`a${operator}1`)).toEqual(r('a', operator, '1'));
  });

  it('binds OR tighter than AND when both appear without parentheses', () => {
    // AIP-160: `a AND b OR c` is `a AND (b OR c)`, not `(a AND b) OR c`.
    expect(parseFilter('a=1 AND b=2 OR c=3')).toEqual(and(r('a', '=', '1'), or(r('b', '=', '2'), r('c', '=', '3'))));
    expect(parseFilter('a=1 OR b=2 AND c=3 OR d=4')).toEqual(and(or(r('a', '=', '1'), r('b', '=', '2')), or(r('c', '=', '3'), r('d', '=', '4'))));
    expect(parseFilter('a=1 OR b=2 OR c=3')).toEqual(or(r('a', '=', '1'), r('b', '=', '2'), r('c', '=', '3')));
  });

  it('groups with parentheses to override the precedence', () => {
    expect(parseFilter('(a=1 AND b=2) OR c=3')).toEqual(or(and(r('a', '=', '1'), r('b', '=', '2')), r('c', '=', '3')));
    expect(parseFilter('((a=1))')).toEqual(r('a', '=', '1'));
    expect(parseFilter('(a=1 OR b=2)AND(c=3)')).toEqual(and(or(r('a', '=', '1'), r('b', '=', '2')), r('c', '=', '3')));
  });

  it('reads whitespace-separated factors as a sequence ANDed at lower precedence than OR', () => {
    // The EBNF's example: `New York Giants OR Yankees` is `New York (Giants OR Yankees)`.
    expect(parseFilter('a=1 b=2 OR c=3')).toEqual(and(r('a', '=', '1'), or(r('b', '=', '2'), r('c', '=', '3'))));
    expect(parseFilter('a=1 b=2 AND c=3')).toEqual(and(and(r('a', '=', '1'), r('b', '=', '2')), r('c', '=', '3')));
  });

  it('negates a restriction or a composite with NOT or an attached minus', () => {
    expect(parseFilter('NOT a=1')).toEqual(not(r('a', '=', '1')));
    expect(parseFilter('-a=1')).toEqual(not(r('a', '=', '1')));
    expect(parseFilter('NOT (a=1 OR b=2)')).toEqual(not(or(r('a', '=', '1'), r('b', '=', '2'))));
    expect(parseFilter('-(a=1 OR b=2)')).toEqual(not(or(r('a', '=', '1'), r('b', '=', '2'))));
    // Negation binds to its term only: `NOT a OR b` is `(NOT a) OR b`.
    expect(parseFilter('NOT a=1 OR b=2')).toEqual(or(not(r('a', '=', '1')), r('b', '=', '2')));
    // A minus inside a value is part of the value.
    expect(parseFilter('a=-1')).toEqual(r('a', '=', '-1'));
  });

  it('rejects malformed filters with INVALID_ARGUMENT', () => {
    for (const filter of [
      'a=1 OR',
      'a=1 AND',
      'OR a=1',
      'AND a=1',
      '(a=1',
      'a=1)',
      '()',
      'a=',
      'a=1 b',
      'a=OR',
      'a=(b)',
      '=1',
      'NOT',
      'NOT(a=1)',
      '- a=1',
      'NOT NOT a=1',
      '"unterminated',
      'a==1',
      'a!1',
    ]) {
      rejected(filter);
    }
  });

  it('rejects global restrictions and function calls, which the emulator does not support', () => {
    expect(rejected('Hugo')).toContain('OPERATOR');
    rejected('"Victor Hugo"');
    rejected('regex(name, "x")');
    rejected('a=1 and b=2');
  });

  it('rejects nesting deeper than MAX_FILTER_DEPTH and accepts it up to the limit', () => {
    const nested = (depth: number): string => `${'('.repeat(depth)}a=1${')'.repeat(depth)}`;
    expect(parseFilter(nested(MAX_FILTER_DEPTH))).toEqual(r('a', '=', '1'));
    expect(rejected(nested(MAX_FILTER_DEPTH + 1))).toContain('nested deeper');
    expect(rejected(nested(100_000))).toContain('nested deeper');
    expect(rejected(`${'NOT '.repeat(2)}a=1`)).toContain('field');
  });
});
