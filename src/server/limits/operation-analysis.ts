import {
  getNamedType,
  getNullableType,
  isCompositeType,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  SchemaMetaFieldDef,
  TypeMetaFieldDef,
  TypeNameMetaFieldDef,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
} from 'graphql';

/**
 * Page size assumed for a Relay connection field whose `first` is absent (or not a usable number) and whose
 * schema gives neither an argument default nor `extensions.defaultFirst`. Matches the common connection default.
 */
export const FALLBACK_FIRST = 20;

/** Variable values as a transport received them (before graphql-js coercion); `null`/`undefined` = none known. */
export type RawVariables = Readonly<Record<string, unknown>> | null | undefined;

/**
 * What one operation measures, counted as if every fragment spread were expanded in place (but computed without
 * expanding: each fragment definition is walked once per document and its totals are reused per spread).
 */
export interface OperationMeasures {
  /** Deepest field nesting outside introspection; `{ a { b } }` is 2. 0 when the operation only introspects. */
  readonly depth: number;
  /** Deepest nesting of a path that goes through `__schema` or `__type` (counted from the operation root); 0 if none. */
  readonly introspectionDepth: number;
  /** Aliased fields after fragment expansion. */
  readonly aliases: number;
  /** Root field selections, through inline fragments and spreads, counted once per spread (`{ a a }` is 2). */
  readonly rootFields: number;
  /** Estimated cost (see {@link measureOperations}); may be `Infinity` for absurd documents, never `NaN`. */
  readonly cost: number;
  /**
   * Field selections after fragment expansion, leaves and introspection included, without list multipliers.
   * Catches fragment bombs made only of free leaves (`{ id }` × 10^10), which the cost model prices at 0.
   */
  readonly fields: number;
}

/** Totals of one selection set (or fragment definition), before it is merged into its parent. */
interface Totals {
  height: number;
  introspectionHeight: number;
  aliases: number;
  cost: number;
  fields: number;
  /** Field selections directly in this selection set or in fragments merged into it (not below a field). */
  topFields: number;
}

/** How a finished child selection set is merged into the frame that pushed it. */
type Pending =
  | { readonly kind: 'merge' }
  | { readonly kind: 'field'; readonly introspection: boolean; readonly ownCost: number; readonly multiplier: number };

/** One selection set being walked; the explicit stack replaces recursion so nesting can never overflow the JS stack. */
interface Frame {
  readonly selections: readonly SelectionNode[];
  readonly parentType: GraphQLNamedType | undefined;
  /** Set when this frame computes a fragment definition, so its totals are memoized when it finishes. */
  readonly fragmentName: string | undefined;
  readonly totals: Totals;
  index: number;
  pending: Pending | undefined;
}

/** What the declaring operations default a variable to. */
interface VariableDefaults {
  /** Largest usable Int default, if any operation gives one. */
  largest: number | undefined;
  /** Some declaring operation gives no usable default, so the field's own page size may apply. */
  missing: boolean;
}

/**
 * State shared by every operation measured from one document. Fragment totals are memoized once for all of them,
 * so a document of many operations spreading one big fragment still costs O(document), not operations × fragment.
 */
interface WalkContext {
  readonly schema: GraphQLSchema;
  /** Largest `first` a connection accepts; larger values are refused by the field itself, so they cost this much. */
  readonly maxFirst: number;
  readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  readonly variables: RawVariables;
  /**
   * Per variable name, the Int defaults of the measured operations declaring it. Exact when one operation is
   * measured; with several, fragments are priced with the largest, which keeps the shared memo sound (an upper
   * bound for each operation).
   */
  readonly variableDefaults: ReadonlyMap<string, VariableDefaults>;
  readonly memo: Map<string, Totals>;
  /** Fragments on the current walk path; a spread of one of these is a cycle (reported by NoFragmentCyclesRule). */
  readonly inProgress: Set<string>;
}

/** Fragment definitions of `document` by name; the first wins on duplicates (UniqueFragmentNamesRule reports those). */
function fragmentsOf(document: DocumentNode): Map<string, FragmentDefinitionNode> {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION && !fragments.has(definition.name.value)) {
      fragments.set(definition.name.value, definition);
    }
  }
  return fragments;
}

/**
 * The operations a request may execute: the one named `operationName`; when no name is given, every operation
 * (one in a normal request; with several, graphql-js refuses to execute without a name, but a static check that
 * does not know the name must hold all of them to the limits). Unknown name → none (graphql-js reports it).
 */
function selectOperations(document: DocumentNode, operationName: string | null | undefined): OperationDefinitionNode[] {
  const operations = document.definitions.filter((definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION);
  if (operationName === undefined || operationName === null) return operations;
  return operations.filter((operation) => operation.name?.value === operationName);
}

/** A finite, non-negative number, or undefined; keeps `NaN`/negative extension values out of the arithmetic. */
function nonNegative(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/** The schema field a field node selects, including the introspection meta-fields graphql-js adds implicitly. */
function fieldDefinition(schema: GraphQLSchema, parentType: GraphQLNamedType | undefined, node: FieldNode): GraphQLField<unknown, unknown> | undefined {
  const name = node.name.value;
  if (name === TypeNameMetaFieldDef.name) return TypeNameMetaFieldDef;
  if (name === SchemaMetaFieldDef.name && parentType === schema.getQueryType()) return SchemaMetaFieldDef;
  if (name === TypeMetaFieldDef.name && parentType === schema.getQueryType()) return TypeMetaFieldDef;
  // Unions (and leaves, for invalid documents) have no fields besides __typename.
  if (!isObjectType(parentType) && !isInterfaceType(parentType)) return undefined;
  return parentType.getFields()[name];
}

/**
 * The page size a field with a `first` argument will use: the literal, else the request's variable, else the
 * operation's variable default, else the schema's argument default, else `extensions.defaultFirst`, else
 * {@link FALLBACK_FIRST}. Anything that is not a usable number falls through; the result is at least 1, so a
 * `first: 0` page still pays for its sub-selection once (cheap to allow, and keeps costs monotonic).
 */
function pageSize(node: FieldNode, field: GraphQLField<unknown, unknown>, context: WalkContext): number {
  let fallback = nonNegative(field.args.find((definition) => definition.name === 'first')?.defaultValue);
  fallback ??= nonNegative(field.extensions.defaultFirst);
  fallback ??= FALLBACK_FIRST;
  const value = node.arguments?.find((candidate) => candidate.name.value === 'first')?.value;
  let size = fallback;
  if (value?.kind === Kind.INT) {
    size = nonNegative(Number.parseInt(value.value, 10)) ?? fallback;
  } else if (value?.kind === Kind.VARIABLE) {
    const name = value.name.value;
    const variables = context.variables;
    const provided = variables !== null && variables !== undefined && Object.hasOwn(variables, name) ? nonNegative(variables[name]) : undefined;
    if (provided !== undefined) {
      size = provided;
    } else {
      const defaults = context.variableDefaults.get(name);
      if (defaults?.largest !== undefined) size = defaults.missing ? Math.max(defaults.largest, fallback) : defaults.largest;
    }
  }
  return Math.max(1, Math.min(size, context.maxFirst));
}

function newFrame(selections: readonly SelectionNode[], parentType: GraphQLNamedType | undefined, fragmentName?: string): Frame {
  return { selections, parentType, fragmentName, totals: { height: 0, introspectionHeight: 0, aliases: 0, cost: 0, fields: 0, topFields: 0 }, index: 0, pending: undefined };
}

/** Merges a finished child's totals into its parent according to how the child was reached. */
function absorb(parent: Totals, pending: Pending, child: Totals): void {
  parent.aliases += child.aliases;
  parent.fields += child.fields;
  if (pending.kind === 'merge') {
    parent.topFields += child.topFields;
    // Inline fragments and spreads add no nesting level and no cost of their own.
    parent.height = Math.max(parent.height, child.height);
    parent.introspectionHeight = Math.max(parent.introspectionHeight, child.introspectionHeight);
    parent.cost += child.cost;
    return;
  }
  if (pending.introspection) {
    // Everything below __schema/__type is introspection; it is answered from memory, so it is free.
    parent.introspectionHeight = Math.max(parent.introspectionHeight, 1 + Math.max(child.height, child.introspectionHeight));
    return;
  }
  parent.height = Math.max(parent.height, 1 + child.height);
  if (child.introspectionHeight > 0) parent.introspectionHeight = Math.max(parent.introspectionHeight, 1 + child.introspectionHeight);
  // multiplier ≥ 1 and costs are finite or +Infinity, so this can never produce NaN.
  parent.cost += pending.ownCost + pending.multiplier * child.cost;
}

/**
 * Walks one selection set iteratively (explicit stack: a 5,000-token document cannot overflow the JS stack here)
 * and returns its totals. Each fragment definition is walked at most once per context; later spreads reuse the
 * memoized totals, so a fragment bomb costs O(document) time while its totals reflect full expansion. A spread
 * of a fragment already on the walk path (a cycle) or of an unknown fragment contributes nothing: graphql-js's
 * NoFragmentCyclesRule / KnownFragmentNamesRule report those documents.
 */
function walk(selections: readonly SelectionNode[], rootType: GraphQLNamedType | undefined, context: WalkContext): Totals {
  const stack: Frame[] = [newFrame(selections, rootType)];
  let finished: Totals | undefined;
  for (;;) {
    const frame = stack[stack.length - 1];
    if (frame === undefined) throw new Error('operation walk lost its frame');
    if (finished !== undefined && frame.pending !== undefined) {
      absorb(frame.totals, frame.pending, finished);
      frame.pending = undefined;
      finished = undefined;
    }
    const selection = frame.selections[frame.index];
    if (selection === undefined) {
      stack.pop();
      if (frame.fragmentName !== undefined) {
        context.inProgress.delete(frame.fragmentName);
        context.memo.set(frame.fragmentName, frame.totals);
      }
      if (stack.length === 0) return frame.totals;
      finished = frame.totals;
      continue;
    }
    frame.index += 1;
    const totals = frame.totals;
    switch (selection.kind) {
      case Kind.FIELD: {
        totals.fields += 1;
        totals.topFields += 1;
        if (selection.alias !== undefined) totals.aliases += 1;
        const name = selection.name.value;
        const introspection = name === SchemaMetaFieldDef.name || name === TypeMetaFieldDef.name;
        const field = fieldDefinition(context.schema, frame.parentType, selection);
        const namedType = field === undefined ? undefined : getNamedType(field.type);
        const composite = namedType === undefined ? selection.selectionSet !== undefined : isCompositeType(namedType);
        const ownCost = introspection ? 0 : (nonNegative(field?.extensions.cost) ?? (composite ? 1 : 0));
        if (selection.selectionSet === undefined) {
          if (introspection) totals.introspectionHeight = Math.max(totals.introspectionHeight, 1);
          else totals.height = Math.max(totals.height, 1);
          totals.cost += ownCost;
          break;
        }
        let multiplier = 1;
        if (field !== undefined && !introspection) {
          if (field.args.some((argument) => argument.name === 'first')) multiplier = pageSize(selection, field, context);
          else if (isListType(getNullableType(field.type))) multiplier = Math.max(1, nonNegative(field.extensions.listSize) ?? 1);
        }
        frame.pending = { kind: 'field', introspection, ownCost, multiplier };
        stack.push(newFrame(selection.selectionSet.selections, namedType));
        break;
      }
      case Kind.INLINE_FRAGMENT: {
        const typeCondition = selection.typeCondition === undefined ? frame.parentType : context.schema.getType(selection.typeCondition.name.value);
        frame.pending = { kind: 'merge' };
        stack.push(newFrame(selection.selectionSet.selections, typeCondition ?? undefined));
        break;
      }
      case Kind.FRAGMENT_SPREAD: {
        const name = selection.name.value;
        const memoized = context.memo.get(name);
        if (memoized !== undefined) {
          absorb(totals, { kind: 'merge' }, memoized);
          break;
        }
        const fragment = context.fragments.get(name);
        if (fragment === undefined || context.inProgress.has(name)) break;
        context.inProgress.add(name);
        frame.pending = { kind: 'merge' };
        stack.push(newFrame(fragment.selectionSet.selections, context.schema.getType(fragment.typeCondition.name.value) ?? undefined, name));
        break;
      }
    }
  }
}

/** One measured operation of a document. */
export interface MeasuredOperation {
  readonly operation: OperationDefinitionNode;
  readonly measures: OperationMeasures;
}

/**
 * Measures the operations of `document` a request may execute (see {@link selectOperations}) against `schema`,
 * in O(document size) time and O(nesting + fragments) memory, without recursion.
 *
 * Cost model: a field costs `extensions.cost` when the schema sets a finite non-negative number there, otherwise
 * 1 if its (unwrapped) type is an object, interface or union and 0 for scalar/enum leaves. A field with a `first`
 * argument (Relay connection) multiplies the cost of its sub-selection by the page size (see `pageSize`); another
 * list field multiplies it by `extensions.listSize` (default 1). `__schema` and `__type` cost 0 with everything
 * below them. Fields the schema does not know (invalid documents) cost like untyped composites/leaves.
 *
 * Never throws for any parsed document, including ones graphql-js validation would reject.
 */
export function measureOperations(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName?: string | null,
  variables?: RawVariables,
  maxFirst: number = Number.POSITIVE_INFINITY,
): MeasuredOperation[] {
  const operations = selectOperations(document, operationName);
  const variableDefaults = new Map<string, VariableDefaults>();
  for (const operation of operations) {
    for (const definition of operation.variableDefinitions ?? []) {
      const literal = definition.defaultValue;
      // Only a literal Int default can feed `first`; anything else falls back to the schema's page size.
      const value = literal?.kind === Kind.INT ? nonNegative(Number.parseInt(literal.value, 10)) : undefined;
      const name = definition.variable.name.value;
      const defaults = variableDefaults.get(name) ?? { largest: undefined, missing: false };
      if (value === undefined) defaults.missing = true;
      else defaults.largest = Math.max(defaults.largest ?? 0, value);
      variableDefaults.set(name, defaults);
    }
  }
  const context: WalkContext = { schema, maxFirst, fragments: fragmentsOf(document), variables, variableDefaults, memo: new Map(), inProgress: new Set() };
  return operations.map((operation) => {
    const totals = walk(operation.selectionSet.selections, schema.getRootType(operation.operation) ?? undefined, context);
    return {
      operation,
      measures: {
        depth: totals.height,
        introspectionDepth: totals.introspectionHeight,
        aliases: totals.aliases,
        rootFields: totals.topFields,
        cost: totals.cost,
        fields: totals.fields,
      },
    };
  });
}
