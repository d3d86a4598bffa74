import { GraphQLError, Kind, type DocumentNode, type GraphQLSchema, type SelectionNode } from 'graphql';
import type { Access } from './access.js';
import { hasScope, type Scope } from './principal.js';

/**
 * The scope each root field needs, declared here once: the schema build appends it to the field's description
 * (partners see it by introspection) and fails when a root field has no entry, so a new field cannot ship
 * without a declaration; {@link checkRootFieldScopes} refuses an operation whose root fields need a scope the
 * caller lacks before anything runs. `null`: any authenticated caller (the data-level boundary in
 * `tenant-services.ts` still checks the scope of whatever `node`/`_entities` resolve to, by type).
 */
export const ROOT_FIELD_SCOPES: Readonly<Record<string, Scope | null>> = {
  'Query.objects': 'objects:read',
  'Query.object': 'objects:read',
  'Query.streams': 'streams:read',
  'Query.stream': 'streams:read',
  'Query.assets': 'livestream:read',
  'Query.asset': 'livestream:read',
  'Query.channels': 'livestream:read',
  'Query.channel': 'livestream:read',
  'Query.dvrSession': 'livestream:read',
  'Query.operation': 'livestream:read',
  'Query.playlist': 'oci:issue',
  'Query.mediaAssets': 'oci:issue',
  'Query.mediaAsset': 'oci:issue',
  'Query.streamPackagingConfigs': 'oci:issue',
  'Query.streamPackagingConfig': 'oci:issue',
  'Query.streamDistributionChannels': 'oci:issue',
  'Query.streamDistributionChannel': 'oci:issue',
  'Query.liveHub': 'ops:read',
  'Query.node': null,
  'Query.nodes': null,
  'Query._entities': null,
  'Query._service': null,
  'Mutation.putObject': 'objects:write',
  'Mutation.deleteObject': 'objects:write',
  'Mutation.createObjectUpload': 'objects:write',
  'Mutation.createAsset': 'livestream:write',
  'Mutation.deleteAsset': 'livestream:write',
  'Mutation.createDvrSession': 'livestream:write',
  'Mutation.updateDvrSession': 'livestream:write',
  'Mutation.deleteDvrSession': 'livestream:write',
  'Mutation.generateSessionToken': 'oci:issue',
  'Subscription.streamFragments': 'streams:subscribe',
  'Subscription.operation': 'livestream:read',
};

/**
 * Appends "Requires scope …" to every root field's description.
 * @throws Error naming the root fields that have no entry in {@link ROOT_FIELD_SCOPES}.
 */
export function documentRootFieldScopes(schema: GraphQLSchema): void {
  const missing: string[] = [];
  for (const type of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    if (type === null || type === undefined) continue;
    for (const field of Object.values(type.getFields())) {
      const key = `${type.name}.${field.name}`;
      if (!(key in ROOT_FIELD_SCOPES)) {
        missing.push(key);
        continue;
      }
      const scope = ROOT_FIELD_SCOPES[key];
      const requirement = scope === null || scope === undefined ? 'Requires an authenticated caller; what it returns is checked by type.' : `Requires scope \`${scope}\`.`;
      field.description = field.description === null || field.description === undefined ? requirement : `${field.description}\n\n${requirement}`;
    }
  }
  if (missing.length > 0) throw new Error(`root fields without a declared scope in ROOT_FIELD_SCOPES: ${missing.join(', ')}`);
}

/**
 * The first scope the selected operation's root fields need and `access` lacks, as a FORBIDDEN error, or
 * undefined when the caller may run it. Root fields reached through fragments count; introspection and
 * `__typename` need nothing. Unknown root fields are left to validation.
 */
export function checkRootFieldScopes(document: DocumentNode, operationName: string | null | undefined, access: Access): GraphQLError | undefined {
  const fragments = new Map<string, readonly SelectionNode[]>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition.selectionSet.selections);
  }
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    if (operationName != null && definition.name?.value !== operationName) continue;
    const root = definition.operation === 'query' ? 'Query' : definition.operation === 'mutation' ? 'Mutation' : 'Subscription';
    const pending: (readonly SelectionNode[])[] = [definition.selectionSet.selections];
    const seen = new Set<string>();
    for (let selections = pending.pop(); selections !== undefined; selections = pending.pop()) {
      for (const selection of selections) {
        if (selection.kind === Kind.INLINE_FRAGMENT) pending.push(selection.selectionSet.selections);
        else if (selection.kind === Kind.FRAGMENT_SPREAD) {
          const name = selection.name.value;
          const spread = fragments.get(name);
          if (spread !== undefined && !seen.has(name)) {
            seen.add(name);
            pending.push(spread);
          }
        } else {
          const scope = ROOT_FIELD_SCOPES[`${root}.${selection.name.value}`];
          if (scope !== undefined && scope !== null && !hasScope(access.principal, scope)) {
            return new GraphQLError(`This operation requires the ${scope} scope.`, { extensions: { code: 'FORBIDDEN', scope } });
          }
        }
      }
    }
  }
  return undefined;
}
