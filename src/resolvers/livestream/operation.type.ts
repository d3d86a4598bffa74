import type { LongRunningOperation, OperationResult } from '../../datasources/livestream/livestream.types.js';
import { Directive, Field, GraphQLISODateTime, ID, ObjectType, createUnionType } from '../../core/type-graphql.js';
import { NodeType } from '../node/node.type.js';
import { AssetType, type AssetSource } from './asset.type.js';
import { DvrSessionType, type DvrSessionSource } from './dvr-session.type.js';
import { LiveStreamErrorType } from './livestream.common.js';

/** What `Operation` resolvers receive as their root. */
export type OperationSource = LongRunningOperation;

@ObjectType('OperationMetadata', { description: 'What a Live Stream long-running operation does and when it ran.' })
export class OperationMetadataType {
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the operation started (UTC).' })
  createTime!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the operation finished (UTC); null while it runs.' })
  endTime!: Date | null;

  @Field(() => String, { nullable: true, description: 'Full resource name of the resource the operation acts on.' })
  target!: string | null;

  @Field(() => String, { nullable: true, description: 'What the operation does: `create`, `update` or `delete`.' })
  verb!: string | null;

  @Field(() => Boolean, { description: 'True when cancellation of the operation was requested.' })
  requestedCancellation!: boolean;

  @Field(() => String, { nullable: true, description: 'API version that started the operation, e.g. `v1`.' })
  apiVersion!: string | null;
}

@ObjectType('EmptyResult', { description: 'The result of a finished operation that returns no resource (deletes).' })
export class EmptyResultType {
  @Field(() => String, { nullable: true, description: 'Full resource name of the resource the operation acted on (now deleted), when known.' })
  target!: string | null;
}

/** A tagged source of the `OperationResult` and `LiveStreamResource` unions. */
export type LiveStreamResultSource =
  | (AssetSource & { readonly __typename: 'Asset' })
  | (DvrSessionSource & { readonly __typename: 'DvrSession' })
  | (EmptyResultType & { readonly __typename: 'EmptyResult' });

/** Union members are tagged sources ({@link LiveStreamResultSource}); type-graphql types them as the classes. */
const byTypename = (value: object): string | undefined =>
  '__typename' in value && typeof value.__typename === 'string' ? value.__typename : undefined;

/** `OperationResult`: what a successful operation returned. */
export const OperationResultUnion = createUnionType({
  name: 'OperationResult',
  description: 'What a successfully finished Live Stream operation returned: the created or updated resource, or an empty result for deletes.',
  types: () => [AssetType, DvrSessionType, EmptyResultType] as const,
  resolveType: byTypename,
});

/** `LiveStreamResource`: the resource an operation acts on. */
export const LiveStreamResourceUnion = createUnionType({
  name: 'LiveStreamResource',
  description: 'A Live Stream resource that long-running operations act on.',
  types: () => [AssetType, DvrSessionType] as const,
  resolveType: byTypename,
});

/**
 * The result of a done operation, tagged for the union; null while it runs, when it failed, or when the
 * response type is not one this API decodes.
 */
export function toResultSource(operation: LongRunningOperation): LiveStreamResultSource | null {
  const result: OperationResult | undefined = operation.result;
  if (!operation.done || result === undefined) return null;
  switch (result.type) {
    case 'Asset':
      return { ...result.asset, __typename: 'Asset' };
    case 'DvrSession':
      return { ...result.dvrSession, __typename: 'DvrSession' };
    case 'Empty':
      return { target: operation.metadata?.target ?? null, __typename: 'EmptyResult' };
    case 'Unknown':
      return null;
  }
}

@Directive('@key(fields: "id")')
@ObjectType('Operation', {
  implements: [NodeType],
  description:
    'A Google Cloud Live Stream long-running operation (asset and DVR session creates, updates and deletes). While `done` is false it runs; once done, exactly one of `error` and `result` is set.',
})
export class OperationType {
  @Field(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id!: string;

  @Field(() => String, { description: 'Full operation name: `projects/{project}/locations/{location}/operations/{operationId}`.' })
  name!: string;

  @Field(() => Boolean, { description: 'True once the operation has finished (successfully or not).' })
  done!: boolean;

  @Field(() => LiveStreamErrorType, { nullable: true, description: 'Why the operation failed (or that it was cancelled); null while it runs or when it succeeded.' })
  error!: LiveStreamErrorType | null;

  @Field(() => OperationMetadataType, { nullable: true, description: 'What the operation does and when it ran; null when the service sent none.' })
  metadata!: OperationMetadataType | null;
}
