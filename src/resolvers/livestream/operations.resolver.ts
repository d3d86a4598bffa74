import { ASSET_NAME, DVR_SESSION_NAME, OPERATION_NAME, requireName } from '../../datasources/livestream/livestream.call.js';
import { readLiveStreamOperation, type ReadOperation } from '../../datasources/livestream/livestream.loaders.js';
import type { LongRunningOperation } from '../../datasources/livestream/livestream.types.js';
import { badInput, isDomainError } from '../../core/domain-error.js';
import { Arg, Ctx, FieldResolver, ID, Int, Query, Resolver, Root, Subscription } from '../../core/type-graphql.js';
import type { RequestContext } from '../../auth/services.js';
import { encodeGlobalId } from '../node/global-id.js';
import { LiveStreamErrorType, liveStream, toLiveStreamError } from './livestream.common.js';
import { watchOperation } from './operation-watch.js';
import {
  LiveStreamResourceUnion,
  OperationResultUnion,
  OperationType,
  toResultSource,
  type LiveStreamResultSource,
  type OperationSource,
} from './operation.type.js';

/** The longest `wait` of `Query.operation`, in seconds. */
export const MAX_OPERATION_WAIT_SECONDS = 30;

const OPERATION_NAME_DESCRIPTION = 'Full operation name, as a mutation returned it: `projects/{project}/locations/{location}/operations/{operationId}`.';

/** Live Stream long-running operations: read, wait, watch. */
@Resolver(() => OperationType)
export class OperationsResolver {
  @Query(() => OperationType, {
    nullable: true,
    description:
      'A Live Stream long-running operation by name; null when it does not exist. With `wait`, polls until the operation is done or `wait` seconds have passed, and returns the last state (check `done`).',
  })
  async operation(
    @Arg('name', () => String, { description: OPERATION_NAME_DESCRIPTION }) name: string,
    @Arg('wait', () => Int, {
      defaultValue: 0,
      description: `Seconds to wait for the operation to finish, 0 to ${MAX_OPERATION_WAIT_SECONDS}; 0 reads its current state.`,
    })
    wait: number,
    @Ctx() { services, loaders, signal }: RequestContext,
  ): Promise<LongRunningOperation | null> {
    if (!Number.isInteger(wait) || wait < 0 || wait > MAX_OPERATION_WAIT_SECONDS) {
      throw badInput(`\`wait\` must be between 0 and ${MAX_OPERATION_WAIT_SECONDS} seconds.`, { argument: 'wait', max: MAX_OPERATION_WAIT_SECONDS });
    }
    const sources = liveStream(services);
    requireName(name, OPERATION_NAME, 'operation');
    if (wait === 0) return loaders.liveStreamOperation.load(name);
    let first: ReadOperation;
    try {
      first = await readLiveStreamOperation(sources, name, { signal });
    } catch (error) {
      if (isDomainError(error) && error.code === 'NOT_FOUND') return null;
      throw error;
    }
    // Keep polling over the transport that decodes the operation (REST for DVR sessions).
    const source = first.via === 'rest' ? sources.dvr : sources.api;
    const latest = first.operation.done ? first.operation : await source.waitForOperation(name, { timeoutMs: wait * 1000, signal });
    loaders.liveStreamOperation.clear(name).prime(name, latest);
    return latest;
  }

  @Subscription(() => OperationType, {
    description:
      'Watches a Live Stream long-running operation: sends its current state, then the operation each time it changes (polled with backoff, at most 5 s apart), and completes after sending it done. `NOT_FOUND` when it does not exist.',
    subscribe: async ({ args, context }) => {
      const ctx = context as RequestContext;
      const { name } = args as { name: string };
      const sources = liveStream(ctx.services);
      requireName(name, OPERATION_NAME, 'operation');
      // Read once before subscribing, so an unknown operation fails the subscription instead of its first event.
      const first = await readLiveStreamOperation(sources, name, { signal: ctx.signal });
      return watchOperation(sources, first, ctx.signal);
    },
    name: 'operation',
  })
  watchOperation(
    @Root() operation: LongRunningOperation,
    @Arg('name', () => String, { description: OPERATION_NAME_DESCRIPTION }) _name: string,
    @Ctx() { loaders }: RequestContext,
  ): LongRunningOperation {
    // One context serves every event of the subscription: forget what earlier events loaded of the target.
    const target = operation.metadata?.target;
    if (target !== undefined) {
      loaders.liveStreamAsset.clear(target);
      loaders.dvrSession.clear(target);
      // The session's retention fields read its channel: re-read it per event too, so a channel read that failed
      // for one event is not carried into the next.
      if (DVR_SESSION_NAME.test(target)) loaders.liveStreamChannel.clear(target.slice(0, target.indexOf('/dvrSessions/')));
    }
    return operation;
  }

  @FieldResolver(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id(@Root() operation: OperationSource): string {
    return encodeGlobalId('Operation', operation.name);
  }

  @FieldResolver(() => LiveStreamErrorType, {
    nullable: true,
    description: 'Why the operation failed (or that it was cancelled); null while it runs or when it succeeded.',
  })
  error(@Root() operation: OperationSource): LiveStreamErrorType | null {
    return toLiveStreamError(operation.error);
  }

  @FieldResolver(() => OperationResultUnion, {
    nullable: true,
    description:
      'What the operation returned once done without error: the Asset (asset creates), the DvrSession (DVR creates and updates) or an EmptyResult (deletes), as it was when the operation finished. Null while it runs or when it failed.',
  })
  result(@Root() operation: OperationSource): LiveStreamResultSource | null {
    return toResultSource(operation);
  }

  @FieldResolver(() => LiveStreamResourceUnion, {
    nullable: true,
    description:
      'The resource named by `metadata.target`, read now (one extra read): e.g. the asset in CREATING while its create runs. Null when it no longer exists (after a delete) or the target is unknown.',
  })
  async resource(@Root() operation: OperationSource, @Ctx() { loaders }: RequestContext): Promise<LiveStreamResultSource | null> {
    const target = operation.metadata?.target;
    if (target === undefined) return null;
    if (ASSET_NAME.test(target)) {
      const asset = await loaders.liveStreamAsset.load(target);
      return asset === null ? null : { ...asset, __typename: 'Asset' };
    }
    if (DVR_SESSION_NAME.test(target)) {
      const session = await loaders.dvrSession.load(target);
      return session === null ? null : { ...session, __typename: 'DvrSession' };
    }
    return null;
  }
}
