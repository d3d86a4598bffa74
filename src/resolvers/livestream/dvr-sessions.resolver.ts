import { DVR_SESSION_NAME, requireName } from '../../datasources/livestream/livestream.call.js';
import { dvrRetention } from '../../datasources/livestream/livestream.mapper.js';
import type { Channel, DvrRetention, DvrSession, DvrWindow, LongRunningOperation } from '../../datasources/livestream/livestream.types.js';
import { Arg, Ctx, FieldResolver, Float, GraphQLISODateTime, ID, Mutation, Query, Resolver, Root } from '../../core/type-graphql.js';
import type { RequestContext } from '../../auth/services.js';
import { encodeGlobalId } from '../node/global-id.js';
import { ChannelType } from './channel.type.js';
import { DvrManifestType, DvrSessionType, DvrWindowType, type DvrSessionSource } from './dvr-session.type.js';
import { CreateDvrSessionInput, DeleteDvrSessionInput, UpdateDvrSessionInput, type DvrWindowInput } from './livestream.inputs.js';
import { LabelType, LiveStreamErrorType, liveStream, requestIdOf, toLabelList, toLabelRecord, toLiveStreamError } from './livestream.common.js';
import { OperationType } from './operation.type.js';

function toWindows(windows: readonly DvrWindowInput[]): DvrWindow[] {
  return windows.map((window) => ({ startTime: window.startTime, endTime: window.endTime }));
}

/**
 * The session's retention view, from its channel as the request's channel loader has it: every derived field of
 * every session of one channel shares one GetChannel per request (and `DvrSession.channel` the same one). An
 * unknown channel gives no retention (the fields are null). A channel read that fails rejects, so only the
 * derived fields asked for are null, each with the coded error (e.g. `UPSTREAM_UNAVAILABLE`, or `FORBIDDEN` for a
 * caller who may not read the channel); the session's own fields are unaffected.
 */
async function retentionOf(session: DvrSessionSource, loaders: RequestContext['loaders']): Promise<DvrRetention | undefined> {
  return dvrRetention(session, await loaders.liveStreamChannel.load(session.channelName));
}

/** DVR sessions of Live Stream channels: get, create, update, delete, and the derived retention view. */
@Resolver(() => DvrSessionType)
export class DvrSessionsResolver {
  @Query(() => DvrSessionType, {
    nullable: true,
    description: 'One DVR session by full resource name; null when it does not exist. Lookups in one request are deduplicated.',
  })
  dvrSession(
    @Arg('name', () => String, {
      description: 'Full resource name: `projects/{project}/locations/{location}/channels/{channelId}/dvrSessions/{dvrSessionId}`.',
    })
    name: string,
    @Ctx() { services, loaders }: RequestContext,
  ): Promise<DvrSession | null> {
    liveStream(services);
    return loaders.dvrSession.load(requireName(name, DVR_SESSION_NAME, 'DVR session'));
  }

  @Mutation(() => OperationType, {
    description:
      'Starts creating a DVR session on a channel with a retention config; returns the long-running operation, which ends with the session. `CONFLICT` when the id is taken.',
  })
  createDvrSession(
    @Arg('input', () => CreateDvrSessionInput, { description: 'The session to create.' }) input: CreateDvrSessionInput,
    @Ctx() { services, signal }: RequestContext,
  ): Promise<LongRunningOperation> {
    return liveStream(services).dvr.createDvrSession(
      {
        channelName: input.channel,
        dvrSessionId: input.dvrSessionId,
        manifestKey: input.manifestKey,
        windows: toWindows(input.windows),
        labels: toLabelRecord(input.labels),
      },
      { signal, requestId: requestIdOf(input.requestId) },
    );
  }

  @Mutation(() => OperationType, {
    description:
      'Starts replacing a DVR session\'s windows (update mask `dvrWindows`); returns the long-running operation, which ends with the updated session.',
  })
  async updateDvrSession(
    @Arg('input', () => UpdateDvrSessionInput, { description: 'The session and its new windows.' }) input: UpdateDvrSessionInput,
    @Ctx() { services, loaders, signal }: RequestContext,
  ): Promise<LongRunningOperation> {
    const operation = await liveStream(services).dvr.updateDvrSessionWindows(input.name, toWindows(input.windows), {
      signal,
      requestId: requestIdOf(input.requestId),
    });
    loaders.dvrSession.clear(input.name);
    return operation;
  }

  @Mutation(() => OperationType, {
    description: 'Starts deleting a DVR session; returns the long-running operation, which ends with an `EmptyResult`. `NOT_FOUND` when it does not exist.',
  })
  async deleteDvrSession(
    @Arg('input', () => DeleteDvrSessionInput, { description: 'The session to delete.' }) input: DeleteDvrSessionInput,
    @Ctx() { services, loaders, signal }: RequestContext,
  ): Promise<LongRunningOperation> {
    const operation = await liveStream(services).dvr.deleteDvrSession(input.name, { signal, requestId: requestIdOf(input.requestId) });
    loaders.dvrSession.clear(input.name);
    return operation;
  }

  @FieldResolver(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id(@Root() session: DvrSessionSource): string {
    return encodeGlobalId('DvrSession', session.name);
  }

  @FieldResolver(() => String, { description: 'The session id: the last segment of `name`.' })
  dvrSessionId(@Root() session: DvrSessionSource): string {
    return session.id;
  }

  @FieldResolver(() => ChannelType, { nullable: true, description: 'The channel the session records; null when it no longer exists.' })
  channel(@Root() session: DvrSessionSource, @Ctx() { loaders }: RequestContext): Promise<Channel | null> {
    return loaders.liveStreamChannel.load(session.channelName);
  }

  @FieldResolver(() => LiveStreamErrorType, { nullable: true, description: 'Why the session is `FAILED`; null in any other state.' })
  error(@Root() session: DvrSessionSource): LiveStreamErrorType | null {
    return toLiveStreamError(session.error);
  }

  @FieldResolver(() => [LabelType], { description: 'User labels, sorted by key.' })
  labels(@Root() session: DvrSessionSource): LabelType[] {
    return toLabelList(session.labels);
  }

  @FieldResolver(() => [DvrManifestType], { description: 'The recording manifests (REST `dvrManifests`).' })
  dvrManifests(@Root() session: DvrSessionSource): DvrSession['manifests'] {
    return session.manifests;
  }

  @FieldResolver(() => [DvrWindowType], {
    description: 'The recorded intervals (REST `dvrWindows[].timeInterval`), in the order the service returns them.',
  })
  dvrWindows(@Root() session: DvrSessionSource): DvrSession['windows'] {
    return session.windows;
  }

  @FieldResolver(() => Float, {
    nullable: true,
    description:
      'Derived: the parent channel\'s `retentionConfig.retentionWindowDuration` in seconds, read with the session. The recording manifest points at the channel\'s output segments, which the channel keeps at least this long after writing them. Null when the channel has no retention config.',
  })
  async retentionWindowSeconds(@Root() session: DvrSessionSource, @Ctx() { loaders }: RequestContext): Promise<number | null> {
    return (await retentionOf(session, loaders))?.windowSeconds ?? null;
  }

  @FieldResolver(() => GraphQLISODateTime, {
    nullable: true,
    description:
      'Derived: `startTime + retentionWindowSeconds`. Until then every segment of the recording is still stored, so the whole recording plays. Null when `startTime` or `retentionWindowSeconds` is null.',
  })
  async completeUntil(@Root() session: DvrSessionSource, @Ctx() { loaders }: RequestContext): Promise<Date | null> {
    return (await retentionOf(session, loaders))?.completeUntil ?? null;
  }

  @FieldResolver(() => GraphQLISODateTime, {
    nullable: true,
    description:
      'Derived: `endTime + retentionWindowSeconds`, the end of the DVR availability. From then on even the last segments of the recording may have been deleted. Null when `endTime` or `retentionWindowSeconds` is null.',
  })
  async dvrEndTime(@Root() session: DvrSessionSource, @Ctx() { loaders }: RequestContext): Promise<Date | null> {
    return (await retentionOf(session, loaders))?.expiresAt ?? null;
  }
}
