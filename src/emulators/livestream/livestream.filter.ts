import { invalidArgument } from './livestream.status.js';

/**
 * The syntax of AIP-160 list filters, as the emulator accepts them: the grammar of https://google.aip.dev/160
 * (EBNF at aip.dev/assets/misc/ebnf-filtering.txt) restricted to restrictions of the form `field OP value`.
 *
 * ```
 * expression : sequence {WS "AND" WS sequence}
 * sequence   : factor {WS factor}            -- exact-match semantics: a sequence is an AND
 * factor     : term {WS "OR" WS term}
 * term       : ["NOT" WS | "-"] simple
 * simple     : restriction | "(" expression ")"
 * restriction: member comparator value      -- comparator one of = != < <= > >= :
 * ```
 *
 * So OR binds tighter than AND (and than a sequence): `a AND b OR c` is `a AND (b OR c)`, and
 * `New York Giants OR Yankees` is `New AND York AND (Giants OR Yankees)`. Keywords are case-sensitive. Not
 * accepted (INVALID_ARGUMENT, emulator choice): global restrictions (a bare value without field and
 * comparator), functions, and nesting deeper than {@link MAX_FILTER_DEPTH}.
 */

/** The comparators of a restriction. */
export type FilterOperator = '=' | '!=' | '<' | '<=' | '>' | '>=' | ':';

/** A parsed filter. Evaluation (fields, types) is the list's business, see `listPage`. */
export type FilterNode =
  | { readonly kind: 'and'; readonly operands: readonly FilterNode[] }
  | { readonly kind: 'or'; readonly operands: readonly FilterNode[] }
  | { readonly kind: 'not'; readonly operand: FilterNode }
  | {
      readonly kind: 'restriction';
      /** The member path, e.g. `['labels', 'env']` for `labels.env`. */
      readonly path: readonly string[];
      readonly operator: FilterOperator;
      /** The value as written, quotes removed and escapes resolved. */
      readonly value: string;
    };

/** Deepest nesting of parentheses and negations accepted, so a hostile filter cannot exhaust the stack. */
export const MAX_FILTER_DEPTH = 32;

interface Token {
  readonly kind: 'string' | 'op' | 'paren' | 'word';
  readonly text: string;
  /** Whether whitespace (or the start of the filter) comes right before the token. */
  readonly spaced: boolean;
  /** Offset in the filter, for messages. */
  readonly at: number;
}

const TOKEN_PATTERN = /(\s*)(?:"((?:[^"\\]|\\.)*)"|(<=|>=|!=|[=<>:])|([()])|([^\s"=<>!:()]+))/y;
const MEMBER_PATTERN = /^[A-Za-z_][\w-]*(?:\.[\w-]+)*$/;
const KEYWORDS = new Set(['AND', 'OR', 'NOT']);

/** Splits a filter into tokens: quoted strings (unescaped), comparators, parentheses and bare words. */
function tokenize(filter: string): Token[] {
  const tokens: Token[] = [];
  let position = 0;
  while (position < filter.length) {
    if (filter.slice(position).trim() === '') break;
    TOKEN_PATTERN.lastIndex = position;
    const match = TOKEN_PATTERN.exec(filter);
    if (match === null) throw invalidArgument(`invalid filter: unexpected input at offset ${position}`);
    const spaced = position === 0 || (match[1] ?? '') !== '';
    const at = position + (match[1] ?? '').length;
    position = TOKEN_PATTERN.lastIndex;
    if (match[2] !== undefined) tokens.push({ kind: 'string', text: match[2].replace(/\\(.)/g, '$1'), spaced, at });
    else if (match[3] !== undefined) tokens.push({ kind: 'op', text: match[3], spaced, at });
    else if (match[4] !== undefined) tokens.push({ kind: 'paren', text: match[4], spaced, at });
    else tokens.push({ kind: 'word', text: match[5] ?? '', spaced, at });
  }
  return tokens;
}

function describeToken(token: Token | undefined): string {
  return token === undefined ? 'the end of the filter' : `${JSON.stringify(token.text)} at offset ${token.at}`;
}

/** Recursive descent over the tokens of one filter; one instance per parse. */
class FilterParser {
  private index = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): FilterNode {
    const node = this.expression(0);
    const rest = this.peek();
    if (rest !== undefined) throw invalidArgument(`invalid filter: unexpected ${describeToken(rest)}`);
    return node;
  }

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.index + offset];
  }

  private isKeyword(token: Token | undefined, keyword: string): boolean {
    return token?.kind === 'word' && token.text === keyword;
  }

  /** expression : sequence {AND sequence} */
  private expression(depth: number): FilterNode {
    const operands = [this.sequence(depth)];
    while (this.isKeyword(this.peek(), 'AND')) {
      this.index += 1;
      operands.push(this.sequence(depth));
    }
    return operands.length === 1 && operands[0] !== undefined ? operands[0] : { kind: 'and', operands };
  }

  /** sequence : factor {factor}, for as long as a term follows (exact match: the factors are ANDed). */
  private sequence(depth: number): FilterNode {
    const operands = [this.factor(depth)];
    while (this.startsTerm(this.peek())) operands.push(this.factor(depth));
    return operands.length === 1 && operands[0] !== undefined ? operands[0] : { kind: 'and', operands };
  }

  private startsTerm(token: Token | undefined): boolean {
    if (token === undefined) return false;
    if (token.kind === 'paren') return token.text === '(';
    return token.kind === 'word' && token.text !== 'AND' && token.text !== 'OR';
  }

  /** factor : term {OR term} */
  private factor(depth: number): FilterNode {
    const operands = [this.term(depth)];
    while (this.isKeyword(this.peek(), 'OR')) {
      this.index += 1;
      operands.push(this.term(depth));
    }
    return operands.length === 1 && operands[0] !== undefined ? operands[0] : { kind: 'or', operands };
  }

  /** term : [NOT WS | -] simple */
  private term(depth: number): FilterNode {
    const token = this.peek();
    if (this.isKeyword(token, 'NOT')) {
      this.index += 1;
      const next = this.peek();
      // `NOT` must be followed by whitespace (AIP-160); `NOT(a)` would read as a function call.
      if (next !== undefined && !next.spaced) throw invalidArgument(`invalid filter: NOT must be followed by a space (offset ${next.at})`);
      return { kind: 'not', operand: this.simple(this.deeper(depth)) };
    }
    if (token?.kind === 'word' && token.text.startsWith('-')) {
      const next = this.peek(1);
      if (token.text === '-') {
        // A lone `-` negates what is attached to it: `-(a OR b)`.
        if (next === undefined || next.spaced) throw invalidArgument(`invalid filter: \`-\` must be attached to what it negates (offset ${token.at})`);
        this.index += 1;
        return { kind: 'not', operand: this.simple(this.deeper(depth)) };
      }
      // `-field OP value`: the minus is part of the word token; negate the restriction it starts.
      this.index += 1;
      return { kind: 'not', operand: this.restriction({ ...token, text: token.text.slice(1), at: token.at + 1 }) };
    }
    return this.simple(depth);
  }

  /** simple : restriction | ( expression ) */
  private simple(depth: number): FilterNode {
    const token = this.peek();
    if (token?.kind === 'paren' && token.text === '(') {
      this.index += 1;
      const inner = this.expression(this.deeper(depth));
      const close = this.peek();
      if (close?.kind !== 'paren' || close.text !== ')') throw invalidArgument(`invalid filter: expected ")", got ${describeToken(close)}`);
      this.index += 1;
      return inner;
    }
    if (token === undefined || token.kind !== 'word') throw invalidArgument(`invalid filter: expected a restriction, got ${describeToken(token)}`);
    this.index += 1;
    return this.restriction(token);
  }

  /** restriction : member comparator value (`member` is the already consumed `field` token). */
  private restriction(field: Token): FilterNode {
    if (KEYWORDS.has(field.text) || !MEMBER_PATTERN.test(field.text)) {
      throw invalidArgument(`invalid filter: expected a field name, got ${describeToken(field)}`);
    }
    const operator = this.peek();
    if (operator?.kind !== 'op') {
      // A bare value is a global restriction, which the emulator does not search for.
      throw invalidArgument(`invalid filter: expected \`${field.text} OPERATOR value\`, got ${describeToken(operator)} after ${JSON.stringify(field.text)}`);
    }
    this.index += 1;
    const value = this.peek();
    if (value === undefined || value.kind === 'op' || value.kind === 'paren' || (value.kind === 'word' && KEYWORDS.has(value.text))) {
      throw invalidArgument(`invalid filter: missing value after ${JSON.stringify(`${field.text}${operator.text}`)}, got ${describeToken(value)}`);
    }
    this.index += 1;
    return { kind: 'restriction', path: field.text.split('.'), operator: operator.text as FilterOperator, value: value.text };
  }

  private deeper(depth: number): number {
    if (depth + 1 > MAX_FILTER_DEPTH) throw invalidArgument(`invalid filter: nested deeper than ${MAX_FILTER_DEPTH} levels`);
    return depth + 1;
  }
}

/**
 * Parses an AIP-160 filter (see the grammar above). The empty (or blank) filter is `undefined`: everything matches.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT for a syntax error or an unsupported construct (a global
 *   restriction, a function call, nesting deeper than {@link MAX_FILTER_DEPTH}).
 */
export function parseFilter(filter: string): FilterNode | undefined {
  const tokens = tokenize(filter);
  return tokens.length === 0 ? undefined : new FilterParser(tokens).parse();
}
