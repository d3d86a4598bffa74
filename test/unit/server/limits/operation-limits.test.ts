import { buildSchema, getIntrospectionQuery, GraphQLError, parse, specifiedRules, validate, type GraphQLSchema, type IntrospectionOptions } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildFederatedSchema } from '../../../../src/schema/build-schema.js';
import {
  checkLimits,
  checkOperation,
  DEFAULT_OPERATION_LIMITS,
  estimateCost,
  INTROSPECTION_DEPTH,
  isOperationLimitError,
  limitOf,
  limitValidationRules,
  parseWithLimits,
  type OperationLimitName,
} from '../../../../src/server/limits/operation-limits.js';

const WIDE_ROOT = Array.from({ length: 200 }, (_, index) => `  f${index}: Int`).join('\n');

const SDL = `
  type Query {
    viewer: User
    users(first: Int, after: String): UserConnection!
    search(text: String!): [SearchResult!]!
    tags: [String!]!
    expensive: Int
  ${WIDE_ROOT}
  }
  type User {
    id: ID!
    name: String
    best: User
    friends(first: Int = 10, after: String): UserConnection!
    posts(first: Int, after: String): PostConnection!
  }
  type UserConnection { edges: [UserEdge!]! pageInfo: PageInfo! }
  type UserEdge { cursor: String! node: User! }
  type Post { id: ID! title: String }
  type PostConnection { edges: [PostEdge!]! pageInfo: PageInfo! }
  type PostEdge { cursor: String! node: Post! }
  type PageInfo { hasNextPage: Boolean! endCursor: String }
  union SearchResult = User | Post
`;

/** SDL cannot carry field extensions; set them the way type-graphql's `@Extensions` would. */
function testSchema(): GraphQLSchema {
  const schema = buildSchema(SDL);
  const query = schema.getQueryType()?.getFields();
  const user = schema.getType('User');
  if (query?.expensive === undefined || query.search === undefined || user === undefined || !('getFields' in user)) throw new Error('test schema changed');
  query.expensive.extensions = { cost: 10 };
  query.search.extensions = { listSize: 50 };
  const posts = user.getFields().posts;
  if (posts === undefined) throw new Error('test schema changed');
  posts.extensions = { defaultFirst: 5 };
  return schema;
}

const schema = testSchema();
const limits = DEFAULT_OPERATION_LIMITS;

/** Parses with the limits and validates with everything, as a transport would. */
function check(query: string, variables?: Record<string, unknown> | null, operationName?: string): readonly GraphQLError[] {
  return checkOperation(schema, parseWithLimits(query, limits), limits, variables, operationName);
}

function limitsOf(errors: readonly GraphQLError[]): (OperationLimitName | undefined)[] {
  return errors.map((error) => limitOf(error));
}

/** `{ viewer { best { best … { id } } } }` with `depth` field levels in total. */
function nested(depth: number): string {
  return `{ viewer ${'{ best '.repeat(depth - 2)}{ id }${' }'.repeat(depth - 2)} }`;
}

/** Runs `run` and returns its result with the wall time (ms) and heap growth (bytes) it took. */
function measure<T>(run: () => T): { result: T; ms: number; heapBytes: number } {
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const result = run();
  const ms = performance.now() - started;
  return { result, ms, heapBytes: process.memoryUsage().heapUsed - heapBefore };
}

/** 11 fragments: F0 is `base`, each later one spreads the previous ten times, so `{ ...F10 }` expands to 10^10. */
function fragmentBomb(base: string, type = 'Query'): string {
  const fragments = [`fragment F0 on ${type} { ${base} }`];
  for (let level = 1; level <= 10; level += 1) {
    fragments.push(`fragment F${level} on ${type} { ${Array.from({ length: 10 }, () => `...F${level - 1}`).join(' ')} }`);
  }
  return fragments.join('\n');
}

describe('DEFAULT_OPERATION_LIMITS', () => {
  it('holds the documented defaults when nothing is configured', () => {
    expect(DEFAULT_OPERATION_LIMITS).toEqual({ maxTokens: 5_000, maxDepth: 12, maxAliases: 30, maxRootFields: 10, maxDirectives: 20, maxCost: 5_000 });
    expect(Object.isFrozen(DEFAULT_OPERATION_LIMITS)).toBe(true);
  });
});

describe('checkOperation', () => {
  it('accepts ordinary queries when they stay within every limit', () => {
    const query = `
      query Viewer($after: String) {
        __typename
        viewer {
          ...UserFields
          friends(first: 5, after: $after) { edges { cursor node { ...UserFields best { id } } } pageInfo { hasNextPage endCursor } }
          posts { edges { node { id title } } }
        }
        search(text: "cat") { __typename ... on User { id } ... on Post { title } }
        tags
        mine: expensive
      }
      fragment UserFields on User { id name }`;
    expect(check(query, { after: null })).toEqual([]);
    expect(check('{ viewer { id } }')).toEqual([]);
  });

  it('rejects the operation by depth when fields nest 50 levels deep (S1)', () => {
    const errors = check(nested(50));
    expect(limitsOf(errors)).toEqual(['depth']);
    expect(errors[0]?.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth', max: 12 });
    expect(errors[0]?.message).toBe('Operation depth 50 exceeds the maximum depth of 12.');
  });

  it('accepts depth 12 and rejects depth 13 when maxDepth is 12', () => {
    expect(check(nested(12))).toEqual([]);
    expect(limitsOf(check(nested(13)))).toEqual(['depth']);
  });

  it('counts depth through fragment spreads and inline fragments when they hide the nesting', () => {
    const query = `{ viewer { ...A } }
      fragment A on User { best { ... on User { best { ...B } } } }
      fragment B on User { best { best { best { best { best { best { best { best { best { id } } } } } } } } } }`;
    const errors = check(query);
    expect(errors.map((error) => error.message)).toEqual(['Operation depth 13 exceeds the maximum depth of 12.']);
  });

  it('rejects a 50-deep ofType chain when it hides inside introspection', () => {
    const chain = `${'ofType { '.repeat(50)}name${' }'.repeat(50)}`;
    const errors = check(`{ __schema { types { ${chain} } } }`);
    expect(limitsOf(errors)).toEqual(['depth']);
    expect(errors[0]?.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth', max: INTROSPECTION_DEPTH });
    expect(check(`{ __type(name: "User") { ${chain} } }`).map((error) => limitOf(error))).toEqual(['depth']);
  });

  it('rejects the operation by aliases when it uses 1,000 aliases (S2)', () => {
    const aliases = Array.from({ length: 1_000 }, (_, index) => `secretAlias${index}: id`).join(' ');
    const errors = check(`{ viewer { ${aliases} } }`);
    expect(limitsOf(errors)).toEqual(['aliases']);
    expect(errors[0]?.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'aliases', max: 30 });
    expect(errors[0]?.message).toBe('Operation uses 1000 aliases; the maximum is 30.');
  });

  it('accepts 30 aliases and rejects 31 when they come through a fragment used twice', () => {
    const fifteen = Array.from({ length: 15 }, (_, index) => `a${index}: id`).join(' ');
    expect(check(`{ viewer { ...F best { ...F } } } fragment F on User { ${fifteen} }`)).toEqual([]);
    expect(limitsOf(check(`{ viewer { ...F best { ...F } x: id } } fragment F on User { ${fifteen} }`))).toEqual(['aliases']);
  });

  it('rejects the operation by root fields when it selects 200 root fields (S3)', () => {
    const fields = Array.from({ length: 200 }, (_, index) => `f${index}`).join(' ');
    const errors = check(`{ ${fields} }`);
    expect(limitsOf(errors)).toEqual(['rootFields']);
    expect(errors[0]?.message).toBe('Operation selects 200 root fields; the maximum is 10.');
  });

  it('counts root fields through fragments once per spread when fragments hide them', () => {
    const eleven = Array.from({ length: 11 }, (_, index) => `f${index}`).join(' ');
    expect(limitsOf(check(`{ ...Roots } fragment Roots on Query { ${eleven} }`))).toEqual(['rootFields']);
    expect(limitsOf(check(`{ ... on Query { ${eleven} } }`))).toEqual(['rootFields']);
    expect(check(`{ f0 f0 f0 ...R ...R ...R } fragment R on Query { f1 f2 }`)).toEqual([]);
    expect(limitsOf(check(`{ f0 f0 f0 ...R ...R ...R ...R } fragment R on Query { f1 f2 }`))).toEqual(['rootFields']);
  });

  it('rejects a fragment bomb within 500 ms and a few MB when fragments expand to 10^10 selections (S4)', () => {
    const document = parseWithLimits(`{ ...F10 }\n${fragmentBomb('viewer { id }')}`, limits);
    const { result, ms, heapBytes } = measure(() => checkOperation(schema, document, limits));
    expect(result.map((error) => [limitOf(error), error.message])).toEqual([
      ['rootFields', 'Operation selects 10000000000 root fields; the maximum is 10.'],
      ['cost', 'Operation cost 10000000000 exceeds the maximum cost of 5000.'],
    ]);
    // The budget is 50 ms; asserted generously so a busy CI machine does not flake.
    expect(ms).toBeLessThan(500);
    expect(heapBytes).toBeLessThan(10 * 1024 * 1024);
  });

  it('rejects a fragment bomb by aliases when its fragments alias fields', () => {
    const document = parseWithLimits(`{ viewer { ...F10 } }\n${fragmentBomb('x: id', 'User')}`, limits);
    const { result, ms } = measure(() => checkOperation(schema, document, limits));
    expect(limitsOf(result)).toEqual(['aliases', 'cost']);
    expect(ms).toBeLessThan(500);
  });

  it('rejects a fragment bomb of free leaves when only the expanded field count is large', () => {
    const document = parseWithLimits(`{ viewer { ...F10 } }\n${fragmentBomb('id', 'User')}`, limits);
    expect(estimateCost(schema, document)).toBe(1);
    const { result, ms } = measure(() => checkOperation(schema, document, limits));
    expect(result.map((error) => [limitOf(error), error.message])).toEqual([
      ['cost', 'Operation selects 10000000001 fields after fragment expansion, more than the maximum cost of 5000 allows.'],
    ]);
    expect(ms).toBeLessThan(500);
  });

  it('terminates with graphql-js cycle errors when fragments spread each other', () => {
    const query = `{ viewer { ...A ...Self } }
      fragment A on User { best { ...B } }
      fragment B on User { best { ...A } }
      fragment Self on User { id ...Self }`;
    const errors = check(query);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((error) => error.message.startsWith('Cannot spread fragment'))).toBe(true);
    expect(estimateCost(schema, parse(query))).toBe(3);
  });

  it('accepts 20 directives and rejects 21 when directives are counted across the document', () => {
    const ids = (count: number): string => Array.from({ length: count }, () => 'id @include(if: true)').join(' ');
    expect(check(`{ viewer { ${ids(19)} ...U } } fragment U on User { name @skip(if: false) }`)).toEqual([]);
    const errors = check(`{ viewer { ${ids(20)} ...U } } fragment U on User { name @skip(if: false) }`);
    expect(limitsOf(errors)).toEqual(['directives']);
    expect(errors[0]?.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'directives', max: 20 });
    expect(errors[0]?.message).toBe('Document uses 21 directives; the maximum is 20.');
  });

  it('reports every limit of the selected operation when one document breaks several', () => {
    const aliases = Array.from({ length: 31 }, (_, index) => `a${index}: f${index}`).join(' ');
    const errors = check(`{ ${aliases} deep: ${nested(13).slice(2, -2)} }`);
    expect(limitsOf(errors).sort()).toEqual(['aliases', 'depth', 'rootFields']);
  });

  it('never echoes the document when it reports a limit', () => {
    const aliases = Array.from({ length: 40 }, (_, index) => `secretAlias${index}: f${index}`).join(' ');
    for (const error of check(`query SecretOperation { ${aliases} }`)) {
      expect(error.message).not.toMatch(/secret/i);
      expect(JSON.stringify(error.toJSON())).not.toMatch(/secret/i);
    }
  });

  it('checks only the named operation when the document holds several', () => {
    const query = `
      query Cheap { viewer { id } }
      query Huge { users(first: 1000) { edges { node { friends(first: 1000) { edges { node { id } } } } } } }`;
    expect(check(query, null, 'Cheap')).toEqual([]);
    expect(limitsOf(check(query, null, 'Huge'))).toEqual(['cost']);
    // Without a name a static check cannot know which one runs, so every operation must pass.
    expect(limitsOf(check(query))).toEqual(['cost']);
    // An unknown name is for execution to report; the limits have nothing to measure.
    expect(check(query, null, 'Missing')).toEqual([]);
  });

  it('stays linear when hundreds of operations spread one large fragment', () => {
    const operations = Array.from({ length: 400 }, (_, index) => `query Q${index} { ...Big }`).join('\n');
    const big = `fragment Big on Query { viewer { ${Array.from({ length: 2_000 }, () => 'id').join(' ')} } }`;
    const document = parseWithLimits(`${operations}\n${big}`, limits);
    const { result, ms } = measure(() => validate(schema, document, limitValidationRules(limits)));
    expect(result).toEqual([]);
    expect(ms).toBeLessThan(500);
  });

  it('prices a shared fragment with the largest variable default when no operation name is known', () => {
    const query = `
      query Small($n: Int = 2) { ...Page }
      query Large($n: Int = 3000) { ...Page }
      fragment Page on Query { users(first: $n) { edges { cursor } } }`;
    expect(check(query, null, 'Small')).toEqual([]);
    expect(limitsOf(check(query, null, 'Large'))).toEqual([]);
    expect(estimateCost(schema, parse(query), 'Small')).toBe(3);
    expect(estimateCost(schema, parse(query), 'Large')).toBe(3_001);
    expect(estimateCost(schema, parse(query))).toBe(3_001);
    // Named, each operation is exact; unnamed, the shared fragment is priced for the worst declaring operation.
    expect(check(query.replace('3000', '6000'), null, 'Small')).toEqual([]);
    expect(limitsOf(check(query.replace('3000', '6000')))).toEqual(['cost', 'cost']);
  });

  it('uses request variables for first when the rule is created with them', () => {
    const query = 'query ($n: Int) { users(first: $n) { edges { node { id } } } }';
    expect(check(query, { n: 2_000 })).toEqual([]);
    expect(limitsOf(check(query, { n: 3_000 }))).toEqual(['cost']);
  });

  it('returns only the limit errors when a hostile document also breaks standard rules', () => {
    const errors = check(`{ ${nested(40).slice(2, -2)} unknownField }`);
    expect(limitsOf(errors)).toEqual(['depth']);
    expect(check('{ unknownField }').map((error) => limitOf(error))).toEqual([undefined]);
  });
});

describe('limitValidationRules', () => {
  it('reports limit errors alongside specifiedRules when appended to them (Apollo validationRules)', () => {
    const document = parse(`${nested(20)} `);
    const errors = validate(schema, document, [...specifiedRules, ...limitValidationRules(limits)]);
    expect(errors.map((error) => error.extensions)).toEqual([{ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth', max: 12 }]);
    expect(errors.every((error) => isOperationLimitError(error))).toBe(true);
  });

  it('rejects 600-level nesting without a RangeError when a transport parsed it with only maxTokens', () => {
    const query = `{ viewer ${'{ best '.repeat(598)}{ id }${' }'.repeat(598)} }`;
    const document = parse(query, { maxLexicalTokens: limits.maxTokens });
    const errors = checkOperation(schema, document, limits);
    expect(limitsOf(errors)).toEqual(['depth']);
    expect(errors[0]?.message).toBe('Operation depth 600 exceeds the maximum depth of 12.');
  });

  it('applies the operation name and variables it was created with when they are given', () => {
    const document = parse('query A { viewer { id } } query B($n: Int = 9000) { users(first: $n) { edges { cursor } } }');
    const run = (options: Parameters<typeof limitValidationRules>[1]): (OperationLimitName | undefined)[] =>
      validate(schema, document, limitValidationRules(limits, options)).map((error) => limitOf(error));
    expect(run({ operationName: 'A' })).toEqual([]);
    expect(run({ operationName: 'B' })).toEqual(['cost']);
    expect(run({ operationName: 'B', variables: { n: 10 } })).toEqual([]);
  });
});

describe('estimateCost', () => {
  const cost = (query: string, variables?: Record<string, unknown> | null, operationName?: string): number =>
    estimateCost(schema, parse(query), operationName, variables);

  it('multiplies the sub-selection by a literal first when the field is a connection', () => {
    // users 1 + 100 × (edges 1 + node 1); scalars are free.
    expect(cost('{ users(first: 100) { edges { node { id name } } } }')).toBe(201);
    expect(cost('{ users(first: 100) { edges { node { friends(first: 100) { edges { node { id } } } } } } }')).toBe(1 + 100 * (1 + 1 + (1 + 100 * 2)));
  });

  it('reads first from variables, then the variable default, then the schema when no literal is given', () => {
    const query = 'query ($n: Int) { users(first: $n) { edges { node { id } } } }';
    expect(cost(query, { n: 7 })).toBe(15);
    expect(cost('query ($n: Int = 3) { users(first: $n) { edges { node { id } } } }')).toBe(7);
    expect(cost('query ($n: Int = 3) { users(first: $n) { edges { node { id } } } }', { n: 4 })).toBe(9);
    // Neither given: 20 by default…
    expect(cost(query)).toBe(41);
    expect(cost(query, { n: 'many' })).toBe(41);
    // …the argument's schema default (friends: first = 10) or extensions.defaultFirst (posts: 5) when present.
    expect(cost('{ viewer { friends { edges { node { id } } } } }')).toBe(1 + 1 + 10 * 2);
    expect(cost('{ viewer { posts { edges { node { id } } } } }')).toBe(1 + 1 + 5 * 2);
  });

  it('counts a page of zero as one when first is 0', () => {
    expect(cost('{ users(first: 0) { edges { node { id } } } }')).toBe(3);
  });

  it('uses extensions.cost and extensions.listSize when the schema sets them', () => {
    expect(cost('{ expensive tags }')).toBe(10);
    // search 1 + listSize 50 × (best 1), through inline fragments on the union.
    expect(cost('{ search(text: "x") { __typename ... on User { id best { id } } } }')).toBe(51);
  });

  it('charges fragments once per spread when they are reused', () => {
    expect(cost('{ viewer { ...U best { ...U } } } fragment U on User { best { id } }')).toBe(1 + 1 + (1 + 1));
  });

  it('prices introspection at zero when the standard introspection query runs', () => {
    expect(cost(getIntrospectionQuery())).toBe(0);
    expect(cost('{ __type(name: "User") { name fields { name } } viewer { id } }')).toBe(1);
  });

  it('returns the most expensive operation without a name and 0 for an unknown name', () => {
    const query = 'query A { viewer { id } } query B { users(first: 2) { edges { cursor } } }';
    expect(cost(query)).toBe(3);
    expect(cost(query, null, 'A')).toBe(1);
    expect(cost(query, null, 'Missing')).toBe(0);
  });
});

describe('parseWithLimits', () => {
  it('throws graphql-js token error tagged as the tokens limit when the document has 20k tokens (S5)', () => {
    const query = `{ ${Array.from({ length: 20_000 }, (_, index) => `f${index % 200}`).join(' ')} }`;
    const { result: thrown, ms } = measure(() => {
      try {
        parseWithLimits(query, limits);
      } catch (error) {
        return error;
      }
      return undefined;
    });
    expect(thrown).toBeInstanceOf(GraphQLError);
    const error = thrown as GraphQLError;
    expect(error.message).toBe('Syntax Error: Document contains more that 5000 tokens. Parsing aborted.');
    expect(error.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'tokens', max: 5_000 });
    expect(error.locations).toEqual([{ line: 1, column: expect.any(Number) as number }]);
    expect(ms).toBeLessThan(500);
  });

  it('recognises graphql-js own token error when the document was parsed elsewhere', () => {
    let raw: unknown;
    try {
      parse(`{ ${'a '.repeat(30)} }`, { maxLexicalTokens: 10 });
    } catch (error) {
      raw = error;
    }
    expect(raw).toBeInstanceOf(GraphQLError);
    expect(limitOf(raw as GraphQLError)).toBe('tokens');
    expect(limitOf(new GraphQLError('Syntax Error: Document contains more than 10 tokens. Parsing aborted.'))).toBe('tokens');
    expect(limitOf(new GraphQLError('Syntax Error: Unexpected Name "x".'))).toBeUndefined();
  });

  it('throws a clean depth error, not a RangeError, when selections nest 600 levels', () => {
    const query = `{ viewer ${'{ best '.repeat(598)}{ id }${' }'.repeat(598)} }`;
    expect(() => parseWithLimits(query, limits)).toThrow(GraphQLError);
    try {
      parseWithLimits(query, limits);
    } catch (error) {
      expect(error).not.toBeInstanceOf(RangeError);
      expect((error as GraphQLError).message).toBe('Document nesting exceeds the maximum of 64 levels.');
      expect((error as GraphQLError).extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED', limit: 'depth', max: 64 });
    }
  });

  it('throws a clean depth error when list values nest deeper than the recursive parser could survive', () => {
    // 2,400 nested lists fit in 5,000 tokens and overflow graphql-js's parser with a RangeError.
    const query = `{ search(text: ${'['.repeat(2_400)}${']'.repeat(2_400)}) { __typename } }`;
    expect(() => parse(query, { maxLexicalTokens: limits.maxTokens })).toThrow(RangeError);
    expect(() => parseWithLimits(query, limits)).toThrow('Document nesting exceeds the maximum of 64 levels.');
  });

  it('leaves other syntax errors to graphql-js when the document is malformed', () => {
    expect(() => parseWithLimits('{ viewer { id }', limits)).toThrow('Syntax Error: Expected Name, found <EOF>.');
    expect(() => parseWithLimits('{ viewer { "unterminated } }', limits)).toThrow(/Syntax Error: Unterminated string/);
  });

  it('returns the document when it is within the limits', () => {
    expect(parseWithLimits(nested(40), limits).definitions).toHaveLength(1);
  });
});

describe('checkOperation on the federated schema', () => {
  let federated: GraphQLSchema;
  beforeAll(async () => {
    federated = await buildFederatedSchema();
  });

  const FLAGS = ['descriptions', 'specifiedByUrl', 'directiveIsRepeatable', 'schemaDescription', 'inputValueDeprecation', 'oneOf'] as const;

  it('accepts the standard introspection query when any combination of options is used', () => {
    for (let mask = 0; mask < 1 << FLAGS.length; mask += 1) {
      const options: IntrospectionOptions = {};
      FLAGS.forEach((flag, bit) => {
        options[flag] = (mask & (1 << bit)) !== 0;
      });
      const document = parseWithLimits(getIntrospectionQuery(options), limits);
      expect(checkOperation(federated, document, limits), JSON.stringify(options)).toEqual([]);
    }
  });

  it('accepts the introspection query when experimental directive deprecation is requested too', () => {
    const query = getIntrospectionQuery({ ...Object.fromEntries(FLAGS.map((flag) => [flag, true])), experimentalDirectiveDeprecation: true });
    expect(checkOperation(federated, parseWithLimits(query, limits), limits)).toEqual([]);
  });

  it('accepts the federation service query when a gateway fetches the SDL', () => {
    expect(checkOperation(federated, parseWithLimits('query __ApolloGetServiceDefinition__ { _service { sdl } }', limits), limits)).toEqual([]);
  });
});

describe('checkLimits', () => {
  const errorsOf = (errors: readonly GraphQLError[]): unknown[] => errors.map((error) => ({ message: error.message, extensions: error.extensions, locations: error.locations }));
  const viaValidate = (query: string, variables?: Record<string, unknown>, operationName?: string): unknown[] =>
    errorsOf(validate(schema, parse(query), limitValidationRules(limits, { variables, operationName }), { maxErrors: 25 }));
  const direct = (query: string, variables?: Record<string, unknown>, operationName?: string): unknown[] =>
    errorsOf(checkLimits(schema, parse(query), limits, { variables, operationName }));

  const DOCUMENTS: readonly (readonly [string, string, Record<string, unknown>?, string?])[] = [
    ['a document within every limit', '{ viewer { id name } users(first: 5) { edges { node { id } } } }'],
    ['too many aliases and root fields', `{ ${Array.from({ length: 40 }, (_, index) => `a${index}: f${index}`).join(' ')} }`],
    ['too many directives', `{ viewer { ${Array.from({ length: 30 }, (_, index) => `n${index}: name @include(if: true)`).join(' ')} } }`],
    ['a cost that depends on the variables', 'query Q($n: Int) { users(first: $n) { edges { node { friends(first: $n) { edges { node { id } } } } } } }', { n: 100 }],
    ['too deep', `{ ${'viewer { best { '.repeat(8)}id${' } }'.repeat(8)} }`],
    ['two operations, one named to run', 'query A { viewer { id } } query B { expensive }', undefined, 'B'],
  ];

  for (const [what, query, variables, operationName] of DOCUMENTS) {
    it(`reports exactly what the validation rules report when given ${what}`, () => {
      expect(direct(query, variables, operationName)).toEqual(viaValidate(query, variables, operationName));
    });
  }

  it('reports at least one error for each refused document above, so the comparison is not between empty lists', () => {
    const refused = DOCUMENTS.slice(1, 5).map(([, query, variables]) => direct(query, variables).length);
    expect(refused.every((count) => count > 0)).toBe(true);
  });
});
