import type { FeedStatus, GapReason, LiveEvent } from '../../live/live.types.js';
import { Field, InputType, Int, ObjectType, createUnionType, registerEnumType, GraphQLISODateTime } from '../../core/type-graphql.js';
import { LiveFragmentType } from './live-fragment.type.js';

/** GraphQL mirror of {@link GapReason}. */
export enum GapReasonEnum {
  RETENTION = 'RETENTION',
  SLOW_CONSUMER = 'SLOW_CONSUMER',
  UPSTREAM_ERROR = 'UPSTREAM_ERROR',
  UPSTREAM_RESET = 'UPSTREAM_RESET',
}
registerEnumType(GapReasonEnum, {
  name: 'GapReason',
  description: 'Why fragments are missing from a subscription.',
  valuesConfig: {
    RETENTION: { description: 'The requested position is older than the stream retention; delivery resumed at the earliest (or newest) available fragment.' },
    SLOW_CONSUMER: { description: 'This subscriber did not keep up; its buffer overflowed and fragments were skipped.' },
    UPSTREAM_ERROR: { description: 'Kinesis could not deliver the fragments.' },
    UPSTREAM_RESET: {
      description:
        "The stream's fragment numbers started over (the stream was recreated or its service restarted). Fragments after the gap may have lower numbers than those before it; compare only within one side of the gap.",
    },
  },
});

/** GraphQL mirror of {@link FeedStatus}. */
export enum FeedStatusEnum {
  CONNECTED = 'CONNECTED',
  RECONNECTING = 'RECONNECTING',
  THROTTLED = 'THROTTLED',
  STALLED = 'STALLED',
  ENDED = 'ENDED',
}
registerEnumType(FeedStatusEnum, {
  name: 'StreamFeedStatus',
  description: 'State of the upstream connection that feeds a subscription.',
  valuesConfig: {
    CONNECTED: { description: 'Reading from Kinesis.' },
    RECONNECTING: { description: 'The connection dropped or stalled; resuming from the last fragment without loss.' },
    THROTTLED: { description: 'Kinesis limits (calls or connections per stream) delay the reader; it backs off and retries.' },
    STALLED: {
      description:
        'Connected, but every recent fragment Kinesis sent was at or before the last one delivered, so nothing could be delivered; CONNECTED follows with the next new fragment.',
    },
    ENDED: { description: 'The reader stopped.' },
  },
});

/** Where a live subscription starts (mirrors GetMedia StartSelector types). */
export enum StreamStartTypeEnum {
  NOW = 'NOW',
  EARLIEST = 'EARLIEST',
  FRAGMENT_NUMBER = 'FRAGMENT_NUMBER',
  SERVER_TIMESTAMP = 'SERVER_TIMESTAMP',
  PRODUCER_TIMESTAMP = 'PRODUCER_TIMESTAMP',
  CONTINUATION_TOKEN = 'CONTINUATION_TOKEN',
}
registerEnumType(StreamStartTypeEnum, {
  name: 'StreamStartType',
  description: 'Where a live fragment subscription starts.',
  valuesConfig: {
    NOW: { description: 'With the next fragment the producer sends.' },
    EARLIEST: { description: 'With the oldest fragment still retained.' },
    FRAGMENT_NUMBER: { description: 'Right after `fragmentNumber` (resume after the last fragment you saw).' },
    SERVER_TIMESTAMP: { description: 'With the first fragment received by Kinesis at or after `timestamp`.' },
    PRODUCER_TIMESTAMP: { description: 'With the first fragment the producer stamped at or after `timestamp`.' },
    CONTINUATION_TOKEN: { description: 'Right after the fragment that issued `continuationToken`.' },
  },
});

@InputType('StreamStartInput', { description: 'Start position of a live fragment subscription.' })
export class StreamStartInput {
  @Field(() => StreamStartTypeEnum, { defaultValue: StreamStartTypeEnum.NOW, description: 'Kind of start position.' })
  type!: StreamStartTypeEnum;

  @Field(() => String, { nullable: true, description: 'For FRAGMENT_NUMBER: the fragment to start after.' })
  fragmentNumber?: string;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'For SERVER_TIMESTAMP and PRODUCER_TIMESTAMP.' })
  timestamp?: Date;

  @Field(() => String, { nullable: true, description: 'For CONTINUATION_TOKEN: a `LiveFragment.continuationToken`.' })
  continuationToken?: string;
}

@ObjectType('FragmentEvent', { description: 'A new fragment of the stream.' })
export class FragmentEventType {
  @Field(() => String, { description: 'Stream name or ARN as subscribed.' })
  stream!: string;

  @Field(() => LiveFragmentType, { description: 'The fragment metadata.' })
  fragment!: LiveFragmentType;
}

@ObjectType('GapEvent', { description: 'Fragments between two deliveries are missing; the reason says why. Never silent.' })
export class GapEventType {
  @Field(() => String, { description: 'Stream name or ARN as subscribed.' })
  stream!: string;

  @Field(() => GapReasonEnum, { description: 'Why fragments are missing.' })
  reason!: GapReasonEnum;

  @Field(() => String, { nullable: true, description: 'Last fragment delivered (or requested) before the gap.' })
  afterFragmentNumber!: string | null;

  @Field(() => String, { nullable: true, description: 'First fragment delivered after the gap, when known.' })
  beforeFragmentNumber!: string | null;

  @Field(() => Int, { nullable: true, description: 'Number of fragments skipped, when known.' })
  missedFragments!: number | null;
}

@ObjectType('StatusEvent', { description: 'The upstream connection feeding this subscription changed state.' })
export class StatusEventType {
  @Field(() => String, { description: 'Stream name or ARN as subscribed.' })
  stream!: string;

  @Field(() => FeedStatusEnum, { description: 'New state.' })
  status!: FeedStatusEnum;

  @Field(() => String, { nullable: true, description: 'Short machine-readable detail (e.g. `connection limit`), when any.' })
  detail!: string | null;
}

/** Union of the events a `streamFragments` subscription delivers. */
export const StreamEventUnion = createUnionType({
  name: 'StreamEvent',
  description: 'An event of a live fragment subscription: a fragment, a gap, or a status change.',
  types: () => [FragmentEventType, GapEventType, StatusEventType] as const,
  resolveType: (value) => ('__typename' in value && typeof value.__typename === 'string' ? value.__typename : undefined),
});

/** Anything the union resolves, tagged for `resolveType`. */
export type StreamEventSource =
  | (FragmentEventType & { readonly __typename: 'FragmentEvent' })
  | (GapEventType & { readonly __typename: 'GapEvent' })
  | (StatusEventType & { readonly __typename: 'StatusEvent' });

/** Maps a hub event to its GraphQL shape. Pure. */
export function toStreamEvent(event: LiveEvent): StreamEventSource {
  switch (event.kind) {
    case 'fragment': {
      const f = event.fragment;
      return {
        __typename: 'FragmentEvent',
        stream: event.stream,
        fragment: {
          fragmentNumber: f.fragmentNumber ?? '',
          serverTimestamp: f.serverTimestamp === null ? null : new Date(f.serverTimestamp),
          producerTimestamp: f.producerTimestamp === null ? null : new Date(f.producerTimestamp),
          millisBehindNow: f.millisBehindNow,
          continuationToken: f.continuationToken,
          clusterTimecode: f.clusterTimecode,
          timecodeScale: f.timecodeScale,
          frameCount: f.frameCount,
          keyframeCount: f.keyframeCount,
          payloadBytes: f.payloadBytes,
          trackStats: f.trackStats.map((s) => ({ ...s })),
          tracks: f.tracks.map((t) => ({ ...t })),
          tags: f.tags.map((t) => ({ name: t.name, value: t.value, binaryBase64: t.binary === null ? null : Buffer.from(t.binary).toString('base64') })),
          complete: f.complete,
        },
      };
    }
    case 'gap':
      return {
        __typename: 'GapEvent',
        stream: event.stream,
        reason: event.reason as GapReason as GapReasonEnum,
        afterFragmentNumber: event.afterFragmentNumber,
        beforeFragmentNumber: event.beforeFragmentNumber,
        missedFragments: event.missedFragments,
      };
    case 'status':
      return { __typename: 'StatusEvent', stream: event.stream, status: event.status as FeedStatus as FeedStatusEnum, detail: event.detail };
  }
}
