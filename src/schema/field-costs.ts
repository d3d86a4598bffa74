import { isCompositeType, getNamedType, type GraphQLField, type GraphQLSchema } from 'graphql';

/**
 * What a field costs on top of its structural price (1 for an object field, 0 for a leaf) when resolving it makes
 * a provider call: one lookup (batched by a loader, but a loader batches only within one request) or one page.
 * Upstream calls are what a hostile query spends that the gateway cannot take back, so they dominate the estimate.
 */
export const UPSTREAM_CALL_COST = 10;

/**
 * Fields below the root whose resolvers call a provider (through a loader or a datasource), as `Type.field`.
 * Every root field calls one already (except `_service`), so the root types are not listed. A new field resolver
 * that reaches a loader or a datasource belongs here; {@link applyFieldCosts} throws when a listed field is gone.
 */
export const UPSTREAM_FIELDS: readonly string[] = [
  'MediaObject.cacheControl',
  'Stream.fragments',
  'Channel.dvrSessions',
  'DvrSession.channel',
  // Derived from the channel's retention: one (batched) channel read per channel.
  'DvrSession.retentionWindowSeconds',
  'DvrSession.completeUntil',
  'DvrSession.dvrEndTime',
  'Operation.resource',
  'MediaAsset.parent',
  'MediaAsset.master',
  // A listed asset lacks its storage location; these read the full asset.
  'MediaAsset.bucketName',
  'MediaAsset.namespaceName',
  'MediaAsset.objectName',
  'StreamPackagingConfig.distributionChannel',
  'StreamDistributionChannel.packagingConfigs',
  'Playlist.packagingConfig',
  'Playlist.mediaAsset',
];

/** Root fields that answer without a provider call. */
const LOCAL_ROOT_FIELDS: ReadonlySet<string> = new Set(['Query._service']);

function structuralCost(field: GraphQLField<unknown, unknown>): number {
  return isCompositeType(getNamedType(field.type)) ? 1 : 0;
}

/**
 * Writes `extensions.cost` on the fields of the finished schema that make provider calls: every root field but
 * `_service`, and {@link UPSTREAM_FIELDS}. The operation limits read it (see `estimateCost`); a field without it
 * keeps the structural price. Applied to the schema `buildSubgraphSchema` returns, because building the subgraph
 * from SDL drops extensions set earlier. Mutates `schema`; call once per schema.
 * @throws Error naming every listed field the schema does not have.
 */
export function applyFieldCosts(schema: GraphQLSchema): void {
  const priced = (field: GraphQLField<unknown, unknown>): void => {
    field.extensions = { ...field.extensions, cost: structuralCost(field) + UPSTREAM_CALL_COST };
  };
  for (const type of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
    if (type === null || type === undefined) continue;
    for (const field of Object.values(type.getFields())) {
      if (!LOCAL_ROOT_FIELDS.has(`${type.name}.${field.name}`)) priced(field);
    }
  }
  const missing: string[] = [];
  for (const key of UPSTREAM_FIELDS) {
    const [typeName = '', fieldName = ''] = key.split('.');
    const type = schema.getType(typeName);
    const field = type !== undefined && 'getFields' in type ? type.getFields()[fieldName] : undefined;
    if (field === undefined || !('args' in field)) missing.push(key);
    else priced(field);
  }
  if (missing.length > 0) throw new Error(`UPSTREAM_FIELDS names fields the schema does not have: ${missing.join(', ')}`);
}
