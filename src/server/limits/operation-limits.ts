import {
  GraphQLError,
  Lexer,
  parse,
  Source,
  specifiedRules,
  TokenKind,
  validate,
  visit,
  type ASTNode,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { measureOperations } from './operation-analysis.js';

/**
 * Per-operation ceilings enforced before execution, identically for HTTP (Apollo Server), graphql-ws and
 * graphql-sse. All values are inclusive maxima (a value equal to the maximum passes); they should be positive
 * integers.
 */
export interface OperationLimits {
  /**
   * Lexical tokens per document, passed to graphql-js's parser (`maxLexicalTokens`, formerly `maxTokens`) so an
   * oversized document fails while parsing instead of after building a huge AST.
   */
  readonly maxTokens: number;
  /**
   * Field nesting of the executed operation, counted through fragment spreads and inline fragments (which add no
   * level themselves); `{ a { b } }` is 2. Paths through `__schema`/`__type` are held to
   * `max(maxDepth, INTROSPECTION_DEPTH)` so the standard introspection query (15 levels) always passes while a
   * 50-deep `ofType` chain does not.
   */
  readonly maxDepth: number;
  /** Aliased fields in the executed operation, counted as if fragments were expanded (one per spread). */
  readonly maxAliases: number;
  /** Root field selections of the executed operation, through fragments, once per spread (`{ a a }` is two). */
  readonly maxRootFields: number;
  /** Directive usages anywhere in the document (operations, fragments, variable definitions). */
  readonly maxDirectives: number;
  /**
   * Estimated cost of the executed operation; see {@link estimateCost} for the model. The same maximum also bounds
   * the number of field selections after fragment expansion (leaves included), because the cost model prices
   * scalar leaves at 0 and a fragment bomb of leaves would otherwise pass; with the defaults only fragment reuse
   * can reach it (every field is at least one token, and 5,000 tokens are allowed).
   */
  readonly maxCost: number;
  /**
   * The `first` cap connections enforce themselves (`PAGE_SIZE_MAX`); optional. A larger `first` is priced at
   * this value, so the field's own `BAD_USER_INPUT` (naming the cap) is what the client sees, not a cost error.
   */
  readonly maxFirst?: number;
}

/** Defaults sized for this API's real clients (IDE, generated operations, standard introspection). */
export const DEFAULT_OPERATION_LIMITS: OperationLimits = Object.freeze({
  maxTokens: 5_000,
  maxDepth: 12,
  maxAliases: 30,
  maxRootFields: 10,
  maxDirectives: 20,
  maxCost: 5_000,
});

/** Which limit an error from this module reports, as found in `extensions.limit`. */
export type OperationLimitName = 'depth' | 'aliases' | 'rootFields' | 'directives' | 'cost' | 'tokens';

/** The `extensions` of every error this module creates. */
export interface OperationLimitErrorExtensions {
  readonly code: 'GRAPHQL_VALIDATION_FAILED';
  readonly limit: OperationLimitName;
  readonly max: number;
}

/**
 * Depth of `getIntrospectionQuery()` with every option (graphql 16): `__schema.types.fields.args.type` plus the
 * nine `ofType` levels of its `TypeRef` fragment and their leaves. Introspection paths may always be this deep.
 */
export const INTROSPECTION_DEPTH = 15;

/** Upper bound of `validate`'s error list in {@link checkOperation}; graphql-js appends its own "too many" error. */
export const MAX_VALIDATION_ERRORS = 25;

/**
 * Bracket nesting (`{`, `[`, `(`) allowed before parsing: graphql-js's parser is recursive and overflows the JS
 * stack on about 2,000 nested list values, which fit in 5,000 tokens. A document can legitimately nest a few
 * brackets per field level (inline fragments, argument objects), hence 4 per allowed level, at least 64, and
 * never more than 512 so the parser stays far from the stack limit whatever `maxDepth` says.
 */
function nestingLimit(limits: OperationLimits): number {
  return Math.min(512, Math.max(64, 4 * Math.max(limits.maxDepth, INTROSPECTION_DEPTH)));
}

function limitError(message: string, limit: OperationLimitName, max: number, options: { nodes?: ASTNode; source?: Source; positions?: number[] } = {}): GraphQLError {
  const extensions: OperationLimitErrorExtensions = { code: 'GRAPHQL_VALIDATION_FAILED', limit, max };
  return new GraphQLError(message, { ...options, extensions: { ...extensions } });
}

/** Renders a count for a message without echoing anything from the document. */
function amount(value: number): string {
  return Number.isFinite(value) ? String(Math.ceil(value)) : 'unbounded';
}

/**
 * Whether `error` was raised because a limit of this module was exceeded (any {@link OperationLimitName}).
 * Also true for graphql-js's own token-limit syntax error, so a raw `parse(query, { maxTokens })` failure (for
 * example from Apollo Server's `parseOptions`) is recognised too.
 */
export function isOperationLimitError(error: GraphQLError): boolean {
  return limitOf(error) !== undefined;
}

/**
 * The limit `error` reports, or `undefined` when it is not a limit error. Token-limit errors are recognised by
 * `extensions.limit === 'tokens'` (from {@link parseWithLimits}) or by graphql-js's message
 * "Syntax Error: Document contains more that N tokens. Parsing aborted." (graphql 16 spells it "that"; "than" is
 * accepted for later versions).
 */
export function limitOf(error: GraphQLError): OperationLimitName | undefined {
  const limit = error.extensions['limit'];
  if (error.extensions['code'] === 'GRAPHQL_VALIDATION_FAILED' && typeof limit === 'string' && isLimitName(limit)) return limit;
  return TOKEN_LIMIT_MESSAGE.test(error.message) ? 'tokens' : undefined;
}

const LIMIT_NAMES: ReadonlySet<string> = new Set<OperationLimitName>(['depth', 'aliases', 'rootFields', 'directives', 'cost', 'tokens']);

function isLimitName(value: string): value is OperationLimitName {
  return LIMIT_NAMES.has(value);
}

const TOKEN_LIMIT_MESSAGE = /Document contains more th(?:at|an) \d+ tokens\. Parsing aborted\./;

/**
 * Refuses documents whose bracket nesting exceeds {@link nestingLimit} before the recursive parser sees them.
 * Scans at most `maxTokens` tokens with graphql-js's (iterative) lexer; a lexical error stops the scan so that
 * `parse` reports it exactly as graphql-js words it.
 */
function checkNesting(source: Source, limits: OperationLimits): void {
  const max = nestingLimit(limits);
  const lexer = new Lexer(source);
  let nesting = 0;
  try {
    for (let count = 0; count <= limits.maxTokens; count += 1) {
      const token = lexer.advance();
      switch (token.kind) {
        case TokenKind.EOF:
          return;
        case TokenKind.BRACE_L:
        case TokenKind.BRACKET_L:
        case TokenKind.PAREN_L:
          nesting += 1;
          if (nesting > max) {
            throw limitError(`Document nesting exceeds the maximum of ${max} levels.`, 'depth', max, { source, positions: [token.start] });
          }
          break;
        case TokenKind.BRACE_R:
        case TokenKind.BRACKET_R:
        case TokenKind.PAREN_R:
          nesting = Math.max(0, nesting - 1);
          break;
        default:
          break;
      }
    }
  } catch (error) {
    if (error instanceof GraphQLError && limitOf(error) === 'depth') throw error;
    // A lexical syntax error: fall through so graphql-js's parser reports it in its usual words.
  }
}

/**
 * Parses `query` with the token limit and a bracket-nesting guard, so no document can make the recursive parser
 * overflow the stack.
 *
 * @throws GraphQLError with `extensions { code: 'GRAPHQL_VALIDATION_FAILED', limit: 'tokens', max: maxTokens }`
 *   and graphql-js's own message ("Syntax Error: Document contains more that N tokens. Parsing aborted.") when
 *   the document has more than `maxTokens` tokens; the parse stops at that token, so this is fast.
 * @throws GraphQLError with `extensions { …, limit: 'depth', max }` ("Document nesting exceeds the maximum of N
 *   levels.") when brackets nest deeper than max(64, 4 × max(maxDepth, 15)) capped at 512.
 * @throws GraphQLError (graphql-js syntax error, no extensions) for any other syntax error.
 * Use {@link limitOf} to tell them apart.
 */
export function parseWithLimits(query: string, limits: OperationLimits): DocumentNode {
  const source = new Source(query);
  checkNesting(source, limits);
  try {
    return parse(source, { maxLexicalTokens: limits.maxTokens });
  } catch (error) {
    if (error instanceof GraphQLError && TOKEN_LIMIT_MESSAGE.test(error.message)) {
      throw limitError(error.message, 'tokens', limits.maxTokens, {
        ...(error.source === undefined ? {} : { source: error.source }),
        ...(error.positions === undefined ? {} : { positions: [...error.positions] }),
      });
    }
    throw error;
  }
}

/** Options of {@link limitValidationRules}. */
export interface LimitValidationOptions {
  /** Raw request variables, used to read `first: $n`; without them the operation's variable defaults apply. */
  readonly variables?: Record<string, unknown> | null;
  /**
   * The operation that will execute. Without it every operation in the document must satisfy the limits (what a
   * static rule, such as Apollo Server's cached `validationRules`, has to do); an unknown name checks nothing
   * here (execution reports the unknown operation).
   */
  readonly operationName?: string | null;
}

/**
 * graphql-js validation rules enforcing `limits` (all but `maxTokens`, which {@link parseWithLimits} applies),
 * to append to `specifiedRules`, e.g. Apollo Server's `validationRules` or a transport's `validate` call.
 *
 * Every error carries `extensions { code: 'GRAPHQL_VALIDATION_FAILED', limit, max }`, the operation (or document)
 * node for its location, and a message naming the limit and its maximum, never document text. All work is
 * O(document size) and iterative: fragments are measured once and reused per spread (fragment bombs are
 * counted as expanded but never expanded), fragment cycles are skipped (NoFragmentCyclesRule reports them).
 *
 * Note: a static rule list cannot see per-request variables; `first: $n` then uses the variable's default, or
 * the field's default page size. Call {@link checkOperation} with the request's variables for the exact cost.
 */
export function limitValidationRules(limits: OperationLimits, options: LimitValidationOptions = {}): ValidationRule[] {
  const limitsRule: ValidationRule = (context) => ({
    Document(document) {
      for (const error of limitErrorsOf(context.getSchema(), document, limits, options)) context.reportError(error);
      // This rule needs nothing from the per-node visit.
      return false;
    },
  });
  return [limitsRule];
}

/**
 * The limit errors of `document` (all limits but `maxTokens`), exactly as {@link limitValidationRules} reports
 * them, without graphql-js's validation walk: the operations are measured by their own walk and the directive
 * count is kept per document. For callers that check limits on every request, where `validate()`'s TypeInfo walk
 * would cost more than the limits themselves. At most {@link MAX_VALIDATION_ERRORS} errors, then graphql-js's
 * "too many" error, as `validate` would.
 */
export function checkLimits(schema: GraphQLSchema, document: DocumentNode, limits: OperationLimits, options: LimitValidationOptions = {}): GraphQLError[] {
  const errors = limitErrorsOf(schema, document, limits, options);
  if (errors.length <= MAX_VALIDATION_ERRORS) return errors;
  return [...errors.slice(0, MAX_VALIDATION_ERRORS), new GraphQLError('Too many validation errors, error limit reached. Validation aborted.')];
}

/** Directive counts of documents already seen; documents are immutable once parsed. */
const directiveCounts = new WeakMap<DocumentNode, number>();

function directiveCountOf(document: DocumentNode): number {
  let count = directiveCounts.get(document);
  if (count === undefined) {
    let directives = 0;
    visit(document, {
      Directive() {
        directives += 1;
      },
    });
    count = directives;
    directiveCounts.set(document, count);
  }
  return count;
}

function limitErrorsOf(schema: GraphQLSchema, document: DocumentNode, limits: OperationLimits, options: LimitValidationOptions): GraphQLError[] {
  const errors: GraphQLError[] = [];
  for (const { operation, measures } of measureOperations(schema, document, options.operationName, options.variables, limits.maxFirst)) {
    if (measures.depth > limits.maxDepth) {
      errors.push(limitError(`Operation depth ${measures.depth} exceeds the maximum depth of ${limits.maxDepth}.`, 'depth', limits.maxDepth, { nodes: operation }));
    }
    const introspectionMax = Math.max(limits.maxDepth, INTROSPECTION_DEPTH);
    if (measures.introspectionDepth > introspectionMax) {
      errors.push(
        limitError(`Introspection depth ${measures.introspectionDepth} exceeds the maximum depth of ${introspectionMax}.`, 'depth', introspectionMax, {
          nodes: operation,
        }),
      );
    }
    if (measures.aliases > limits.maxAliases) {
      errors.push(
        limitError(`Operation uses ${amount(measures.aliases)} aliases; the maximum is ${limits.maxAliases}.`, 'aliases', limits.maxAliases, { nodes: operation }),
      );
    }
    if (measures.rootFields > limits.maxRootFields) {
      errors.push(
        limitError(`Operation selects ${measures.rootFields} root fields; the maximum is ${limits.maxRootFields}.`, 'rootFields', limits.maxRootFields, {
          nodes: operation,
        }),
      );
    }
    if (measures.cost > limits.maxCost) {
      errors.push(limitError(`Operation cost ${amount(measures.cost)} exceeds the maximum cost of ${limits.maxCost}.`, 'cost', limits.maxCost, { nodes: operation }));
    } else if (measures.fields > limits.maxCost) {
      errors.push(
        limitError(
          `Operation selects ${amount(measures.fields)} fields after fragment expansion, more than the maximum cost of ${limits.maxCost} allows.`,
          'cost',
          limits.maxCost,
          { nodes: operation },
        ),
      );
    }
  }
  const directives = directiveCountOf(document);
  if (directives > limits.maxDirectives) {
    errors.push(limitError(`Document uses ${directives} directives; the maximum is ${limits.maxDirectives}.`, 'directives', limits.maxDirectives, { nodes: document }));
  }
  return errors;
}

/**
 * Validates `document` for execution: the limit rules first and, only if they pass, graphql-js's
 * `specifiedRules`, each with `maxErrors` = {@link MAX_VALIDATION_ERRORS}. Running the cheap linear limit rules
 * first means a hostile document never reaches the super-linear standard rules (OverlappingFieldsCanBeMerged);
 * for an acceptable document the result equals `validate(schema, document, [...specifiedRules, ...limits])`.
 *
 * @param variables raw request variables (for `first: $n`); `null`/omitted uses variable defaults.
 * @param operationName the operation to execute; see {@link LimitValidationOptions.operationName}.
 * @returns the errors, empty when the document may execute.
 * @throws Error when `schema` is invalid (graphql-js `assertValidSchema`).
 */
export function checkOperation(
  schema: GraphQLSchema,
  document: DocumentNode,
  limits: OperationLimits,
  variables?: Record<string, unknown> | null,
  operationName?: string | null,
): readonly GraphQLError[] {
  const limitErrors = validate(schema, document, limitValidationRules(limits, { variables, operationName }), { maxErrors: MAX_VALIDATION_ERRORS });
  if (limitErrors.length > 0) return limitErrors;
  return validate(schema, document, specifiedRules, { maxErrors: MAX_VALIDATION_ERRORS });
}

/**
 * Estimated cost of the operation named `operationName` (or, without a name, the most expensive operation in
 * the document), for tests and benchmarks; the limit rules use the same computation. Unknown name → 0.
 *
 * Model: a field costs its schema `extensions.cost` (a finite non-negative number, e.g. type-graphql
 * `@Extensions({ cost: 10 })`), otherwise 1 for object/interface/union fields and 0 for scalar/enum leaves. A
 * field with a `first` argument multiplies its sub-selection's cost by `first` (literal; else `variables[name]`;
 * else the operation's variable default (without a name and with several operations declaring it, the largest);
 * else the argument's schema default; else `extensions.defaultFirst`; else 20;
 * at least 1). Other list fields multiply by `extensions.listSize` (default 1). `__schema`/`__type` and all
 * below them cost 0. Fragments count once per spread. May return `Infinity`; never throws for a parsed document.
 */
export function estimateCost(schema: GraphQLSchema, document: DocumentNode, operationName?: string | null, variables?: Record<string, unknown> | null): number {
  return measureOperations(schema, document, operationName, variables).reduce((largest, { measures }) => Math.max(largest, measures.cost), 0);
}
