import type { DvrSession } from '../../datasources/livestream/livestream.types.js';
import { Directive, Field, GraphQLISODateTime, ID, ObjectType, registerEnumType } from '../../core/type-graphql.js';
import { NodeType } from '../node/node.type.js';
import { LabelType, LiveStreamErrorType } from './livestream.common.js';

/** What `DvrSession` resolvers receive as their root. */
export type DvrSessionSource = DvrSession;

/** GraphQL mirror of the domain `DvrSessionState` (the public REST enum). */
export enum DvrSessionStateEnum {
  STATE_UNSPECIFIED = 'STATE_UNSPECIFIED',
  PENDING = 'PENDING',
  UPDATING = 'UPDATING',
  SCHEDULED = 'SCHEDULED',
  LIVE = 'LIVE',
  FINISHED = 'FINISHED',
  FAILED = 'FAILED',
  DELETING = 'DELETING',
  POST_PROCESSING = 'POST_PROCESSING',
  COOLDOWN = 'COOLDOWN',
  STOPPING = 'STOPPING',
}
registerEnumType(DvrSessionStateEnum, {
  name: 'DvrSessionState',
  description: 'State of a DVR session, as the Live Stream REST reference lists it.',
  valuesConfig: {
    STATE_UNSPECIFIED: { description: 'The service did not report a state.' },
    PENDING: { description: 'The session is being created.' },
    UPDATING: { description: 'The session windows are being updated.' },
    SCHEDULED: { description: 'The session waits for its first window to start.' },
    LIVE: { description: 'The session is recording.' },
    FINISHED: { description: 'The last window has ended.' },
    FAILED: { description: 'The session failed; `error` says why.' },
    DELETING: { description: 'The session is being deleted.' },
    POST_PROCESSING: { description: 'The recording is being finalised.' },
    COOLDOWN: { description: 'The session is cooling down after a window ended.' },
    STOPPING: { description: 'The session is stopping.' },
  },
});

@ObjectType('DvrManifest', { description: 'A manifest of a DVR recording.' })
export class DvrManifestType {
  @Field(() => String, { description: 'Key of the channel manifest this recording follows, e.g. `manifest_hls`.' })
  manifestKey!: string;

  @Field(() => String, {
    nullable: true,
    description: 'Where the recording manifest is written: `{channel output uri}/dvr/{dvrSessionId}/{manifest file name}`; null until the service sets it.',
  })
  outputUri!: string | null;
}

@ObjectType('DvrWindow', { description: 'One recorded time interval of a DVR session.' })
export class DvrWindowType {
  @Field(() => GraphQLISODateTime, { description: 'Start of the interval (UTC, inclusive).' })
  startTime!: Date;

  @Field(() => GraphQLISODateTime, { description: 'End of the interval (UTC, exclusive).' })
  endTime!: Date;
}

@Directive('@key(fields: "id")')
@ObjectType('DvrSession', {
  implements: [NodeType],
  description:
    'A DVR session of a Live Stream channel: a recording over one or more time windows. The public REST fields plus a derived view: `startTime`/`endTime` span the windows, and `retentionWindowSeconds`, `completeUntil` and `dvrEndTime` follow from the channel retention config.',
})
export class DvrSessionType {
  @Field(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id!: string;

  @Field(() => String, { description: 'Full resource name: `projects/{project}/locations/{location}/channels/{channelId}/dvrSessions/{dvrSessionId}`.' })
  name!: string;

  @Field(() => String, { description: 'The session id: the last segment of `name`.' })
  dvrSessionId!: string;

  @Field(() => String, { description: 'Full resource name of the channel the session records.' })
  channelName!: string;

  @Field(() => DvrSessionStateEnum, { description: 'Current state (REST `state`).' })
  state!: DvrSessionStateEnum;

  @Field(() => LiveStreamErrorType, { nullable: true, description: 'Why the session is `FAILED`; null in any other state.' })
  error!: LiveStreamErrorType | null;

  @Field(() => [LabelType], { description: 'User labels, sorted by key.' })
  labels!: LabelType[];

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the session was created (UTC).' })
  createTime!: Date | null;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the session was last updated (UTC).' })
  updateTime!: Date | null;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'Derived: the earliest `startTime` of all `dvrWindows`. Null when the session has no windows.',
  })
  startTime!: Date | null;

  @Field(() => GraphQLISODateTime, {
    nullable: true,
    description: 'Derived: the latest `endTime` of all `dvrWindows`. Null when the session has no windows.',
  })
  endTime!: Date | null;
}
