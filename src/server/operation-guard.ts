import { timingSafeEqual } from 'node:crypto';
import { GraphQLError, Kind, specifiedRules, validate, type DocumentNode, type FieldNode, type GraphQLSchema, type SelectionNode } from 'graphql';
import type { Access } from '../auth/access.js';
import { checkRootFieldScopes } from '../auth/field-scopes.js';
import type { Config } from '../config.js';
import { checkLimits, MAX_VALIDATION_ERRORS, parseWithLimits, type OperationLimits } from './limits/operation-limits.js';
import type { PersistedOperations } from './persisted-operations.js';
import { toParseFailedError } from './format-error.js';

/** One GraphQL request as any transport receives it. */
export interface GuardedRequest {
  readonly query?: string | null | undefined;
  readonly variables?: Readonly<Record<string, unknown>> | null | undefined;
  readonly operationName?: string | null | undefined;
  readonly extensions?: Readonly<Record<string, unknown>> | null | undefined;
}

/** What {@link OperationGuard.check} decided. */
export type GuardResult =
  | { readonly ok: true; readonly document: DocumentNode | undefined }
  | { readonly ok: false; readonly errors: readonly GraphQLError[]; readonly status: 400 | 403 };

/** Parsed documents kept per query text; clients repeat the same few documents. */
const DOCUMENT_CACHE_SIZE = 500;

/**
 * The checks every operation passes before execution, on HTTP, graphql-ws and SSE alike: token and nesting
 * limits while parsing, depth/alias/root-field/directive/cost limits (cost with the request's variables), the
 * safelist (`PERSISTED_OPERATIONS_ONLY`), the router secret for `_service`/`_entities`, and the cap on
 * `_entities` representations. Nothing here calls a provider, so a refused operation costs no upstream call.
 * Process-wide; holds a bounded cache of parsed documents.
 */
export class OperationGuard {
  private readonly documents = new Map<string, DocumentNode>();
  private readonly validated = new WeakSet<DocumentNode>();
  private readonly limits: OperationLimits;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly config: Config['limits'],
    private readonly safelist: PersistedOperations | undefined,
    private readonly routerSecret: string | undefined,
    pageSizeMax: number,
  ) {
    this.limits = {
      maxTokens: config.maxTokens,
      maxDepth: config.maxDepth,
      maxAliases: config.maxAliases,
      maxRootFields: config.maxRootFields,
      maxDirectives: config.maxDirectives,
      maxCost: config.maxCost,
      maxFirst: pageSizeMax,
    };
  }

  /**
   * Checks `request`. `routerSecret` is the `x-router-secret` the caller sent (HTTP only). With `validate`, the
   * standard graphql-js rules run too (once per document): transports that execute the document themselves
   * need that; Apollo validates on its own. A request carrying only a persisted-query hash has no text to check
   * here (`document` is then undefined): the transport must run {@link checkDocument} on the text the hash
   * resolves to before executing it, because what a hash may run depends on the caller.
   */
  check(request: GuardedRequest, routerSecret: string | undefined, options: { readonly validate: boolean; readonly access: Access }): GuardResult {
    const query = request.query;
    if (query === undefined || query === null || query === '') {
      const hash = persistedQueryHash(request.extensions);
      if (this.safelist !== undefined && (hash === undefined || !this.safelist.allowsHash(hash))) return refused(notSafelisted(), 400);
      return { ok: true, document: undefined };
    }
    let document = this.documents.get(query);
    if (document === undefined) {
      try {
        document = parseWithLimits(query, this.limits);
      } catch (error) {
        if (!(error instanceof GraphQLError)) throw error;
        return refused(error.extensions['limit'] === undefined ? toParseFailedError(error) : error, 400);
      }
      if (this.documents.size >= DOCUMENT_CACHE_SIZE) this.documents.delete(this.documents.keys().next().value as string);
      this.documents.set(query, document);
    }
    return this.checkDocument(document, request, routerSecret, options);
  }

  /**
   * The checks that follow parsing: depth/alias/root-field/directive/cost limits with the request's variables, the
   * standard rules when `validate` is set, the safelist, the router secret and `_entities` cap, and the caller's
   * scopes. For a document already parsed elsewhere, e.g. the text an automatic persisted query's hash resolved to
   * (its text passed the parse limits when it was registered, but the rest depends on the caller and variables).
   */
  checkDocument(
    document: DocumentNode,
    request: GuardedRequest,
    routerSecret: string | undefined,
    options: { readonly validate: boolean; readonly access: Access },
  ): GuardResult {
    const variables = (request.variables ?? null) as Record<string, unknown> | null;
    const limitErrors = checkLimits(this.schema, document, this.limits, { variables, operationName: request.operationName });
    if (limitErrors.length > 0) return refused(limitErrors, 400);
    if (options.validate && !this.validated.has(document)) {
      const errors = validate(this.schema, document, specifiedRules, { maxErrors: MAX_VALIDATION_ERRORS });
      if (errors.length > 0) return refused(errors, 400);
      this.validated.add(document);
    }
    if (this.safelist !== undefined && !this.safelist.allows(document, request.operationName)) return refused(notSafelisted(), 400);
    const federation = this.checkFederation(document, request, routerSecret);
    if (federation !== undefined) return federation;
    const scopeError = checkRootFieldScopes(document, request.operationName, options.access);
    return scopeError === undefined ? { ok: true, document } : refused(scopeError, 403);
  }

  private checkFederation(document: DocumentNode, request: GuardedRequest, presented: string | undefined): GuardResult | undefined {
    const fields = federationFields(document, request.operationName);
    if (fields.length === 0) return undefined;
    if (this.routerSecret !== undefined && !sameSecret(presented, this.routerSecret)) {
      return refused(new GraphQLError('The federation fields are reserved for the router.', { extensions: { code: 'FORBIDDEN' } }), 403);
    }
    let representations = 0;
    for (const field of fields) {
      if (field.name.value !== '_entities') continue;
      const argument = field.arguments?.find((arg) => arg.name.value === 'representations')?.value;
      if (argument?.kind === Kind.LIST) representations += argument.values.length;
      else if (argument?.kind === Kind.VARIABLE) {
        const value = request.variables?.[argument.name.value];
        representations += Array.isArray(value) ? value.length : 1;
      } else representations += 1;
    }
    if (representations > this.config.maxEntityRepresentations) {
      return refused(
        new GraphQLError(`At most ${this.config.maxEntityRepresentations} entity representations are accepted per request.`, {
          extensions: { code: 'BAD_USER_INPUT', max: this.config.maxEntityRepresentations },
        }),
        400,
      );
    }
    return undefined;
  }
}

/** The root `_entities` / `_service` fields of the operation that will run (aliases included). */
function federationFields(document: DocumentNode, operationName: string | null | undefined): FieldNode[] {
  const found: FieldNode[] = [];
  const collect = (selections: readonly SelectionNode[]): void => {
    for (const selection of selections) {
      if (selection.kind === Kind.FIELD && (selection.name.value === '_entities' || selection.name.value === '_service')) found.push(selection);
      // Root-level fragments could hide them; the root-field limit keeps this walk short.
      if (selection.kind === Kind.INLINE_FRAGMENT) collect(selection.selectionSet.selections);
    }
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION && (operationName == null || definition.name?.value === operationName)) {
      collect(definition.selectionSet.selections);
    } else if (definition.kind === Kind.FRAGMENT_DEFINITION && definition.typeCondition.name.value === 'Query') {
      collect(definition.selectionSet.selections);
    }
  }
  return found;
}

function persistedQueryHash(extensions: GuardedRequest['extensions']): string | undefined {
  const persisted = extensions?.['persistedQuery'];
  if (typeof persisted !== 'object' || persisted === null) return undefined;
  const hash = (persisted as Record<string, unknown>)['sha256Hash'];
  return typeof hash === 'string' ? hash : undefined;
}

function sameSecret(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function notSafelisted(): GraphQLError {
  return new GraphQLError('Only the published operations are accepted by this server.', { extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED' } });
}

function refused(errors: GraphQLError | readonly GraphQLError[], status: 400 | 403): GuardResult {
  return { ok: false, errors: Array.isArray(errors) ? errors : [errors as GraphQLError], status };
}
