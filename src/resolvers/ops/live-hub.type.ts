import type { FailoverCause, FeedStatus, HubMode, HubOverview } from '../../live/live.types.js';
import { Field, GraphQLISODateTime, Int, ObjectType, registerEnumType } from '../../core/type-graphql.js';
import { FeedStatusEnum } from '../streams/stream-event.type.js';

/** GraphQL mirror of {@link HubMode}. */
export enum LiveHubModeEnum {
  LOCAL = 'LOCAL',
  FLEET = 'FLEET',
}
registerEnumType(LiveHubModeEnum, {
  name: 'LiveHubMode',
  description: 'How the live fragment hub runs (`LIVE_HUB`).',
  valuesConfig: {
    LOCAL: { description: 'In process: each instance reads each watched stream itself (`LIVE_HUB=local`).' },
    FLEET: { description: 'Fleet mode: the instances sharing one Redis share one reader per stream through leases (`LIVE_HUB=redis`).' },
  },
});

/** GraphQL mirror of {@link FailoverCause}. */
export enum LiveReaderFailoverCauseEnum {
  HANDOVER = 'HANDOVER',
  EXPIRED = 'EXPIRED',
}
registerEnumType(LiveReaderFailoverCauseEnum, {
  name: 'LiveReaderFailoverCause',
  description: 'Why a stream\'s reader lease moved to another instance.',
  valuesConfig: {
    HANDOVER: { description: 'The holder gave it up on purpose (shutdown, or spreading readers across the fleet) and said so in the stream\'s log.' },
    EXPIRED: { description: 'The holder stopped renewing it (crash, partition from Redis, a long stall) and it ran out.' },
  },
});

@ObjectType('LiveReaderLease', { description: 'A stream\'s reader lease in fleet mode: only its holder reads the stream from Kinesis.' })
export class LiveReaderLeaseType {
  @Field(() => String, { description: 'The instance that holds it.' })
  holder!: string;

  @Field(() => String, { description: 'The holder\'s fencing token: a decimal integer that grows with every acquisition (compare as a big integer).' })
  fencingToken!: string;

  @Field(() => Boolean, { description: 'True when the instance answering holds it.' })
  heldByThisInstance!: boolean;
}

@ObjectType('LiveHubStream', { description: 'A stream the answering instance watches: local subscribers, a live reader, or in fleet mode a lease or an announced interest.' })
export class LiveHubStreamType {
  @Field(() => String, { description: 'Stream name as subscribed.' })
  name!: string;

  @Field(() => FeedStatusEnum, {
    nullable: true,
    description:
      'The live reader\'s last state. Fleet mode: the lease holder\'s, as stored in Redis (`ENDED` while a stream that failed for good cools down). Local mode: as this instance\'s subscribers last heard it. Null before the reader reported one, or when no subscriber is attached here.',
  })
  status!: FeedStatusEnum | null;

  @Field(() => String, { nullable: true, description: 'Short machine-readable detail of `status` (e.g. `connection limit`, or the error code of `ENDED`), when any.' })
  statusDetail!: string | null;

  @Field(() => Int, { description: 'Subscribers attached to this instance.' })
  subscribers!: number;

  @Field(() => Int, { description: 'GetMedia sessions this instance has open for the stream (live reader and catch-up readers).' })
  upstreamSessions!: number;

  @Field(() => Boolean, { description: 'True when this instance runs the stream\'s live reader.' })
  liveReaderRunning!: boolean;

  @Field(() => Int, { description: 'Recent fragments this instance keeps for subscribers that start slightly in the past.' })
  windowFragments!: number;

  @Field(() => LiveReaderLeaseType, { nullable: true, description: 'Fleet mode: the stream\'s reader lease; null when nobody holds it, and always in local mode.' })
  lease!: LiveReaderLeaseType | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Fleet mode: instances whose interest in the stream had not expired at this instance\'s last coordination tick; null in local mode.',
  })
  interestedInstances!: string[] | null;
}

@ObjectType('LiveFleetInstance', { description: 'An instance of the fleet, as its announcements in Redis describe it. An instance announces itself while it watches or holds something.' })
export class LiveFleetInstanceType {
  @Field(() => String, { description: 'Instance id (`<host>-<pid>-<random>` unless configured).' })
  id!: string;

  @Field(() => Boolean, { description: 'True for the instance answering.' })
  thisInstance!: boolean;

  @Field(() => Boolean, { description: 'False once its announcement expired (it stopped, or lost Redis); such an entry is dropped at the next announcement.' })
  alive!: boolean;

  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When it last announced itself (Redis server time); null for an instance of a version that does not record it.' })
  lastSeenAt!: Date | null;

  @Field(() => GraphQLISODateTime, { description: 'When its announcement expires unless renewed (Redis server time).' })
  expiresAt!: Date;

  @Field(() => Int, { description: 'Reader leases it holds, as it last announced.' })
  leasesHeld!: number;

  @Field(() => Int, { nullable: true, description: 'Streams it has local subscribers for, as it last announced; null for a version that does not record it.' })
  streamsWatched!: number | null;
}

@ObjectType('LiveReaderFailover', { description: 'A reader lease that an instance took over from another, as the new holder recorded it.' })
export class LiveReaderFailoverType {
  @Field(() => String, { description: 'Stream name.' })
  stream!: string;

  @Field(() => String, { description: 'The former holder.' })
  fromInstance!: string;

  @Field(() => String, { description: 'The new holder.' })
  toInstance!: string;

  @Field(() => GraphQLISODateTime, { description: 'When the new holder took the lease (Redis server time).' })
  at!: Date;

  @Field(() => String, { description: 'The new holder\'s fencing token.' })
  fencingToken!: string;

  @Field(() => LiveReaderFailoverCauseEnum, { description: 'Why the lease moved.' })
  cause!: LiveReaderFailoverCauseEnum;
}

@ObjectType('LiveFleet', { description: 'The fleet of instances sharing one Redis and key prefix (fleet mode).' })
export class LiveFleetType {
  @Field(() => [LiveFleetInstanceType], { description: 'Announced instances, by id.' })
  instances!: LiveFleetInstanceType[];

  @Field(() => [LiveReaderFailoverType], { description: 'The newest reader failovers of the fleet (at most 20), newest first.' })
  recentFailovers!: LiveReaderFailoverType[];
}

@ObjectType('LiveHubStatus', { description: 'What the live fragment hub is doing on the instance that answers, and in fleet mode across the fleet. Operator data.' })
export class LiveHubStatusType {
  @Field(() => LiveHubModeEnum, { description: 'Local or fleet mode.' })
  mode!: LiveHubModeEnum;

  @Field(() => String, { description: 'The id of the instance that answers (in fleet mode, the id its leases carry).' })
  instance!: string;

  @Field(() => [LiveHubStreamType], { description: 'The streams this instance watches, by name.' })
  streams!: LiveHubStreamType[];

  @Field(() => LiveFleetType, { nullable: true, description: 'Fleet mode: instances and recent failovers; null in local mode.' })
  fleet!: LiveFleetType | null;
}

/** Maps a hub overview to its GraphQL shape. Pure. */
export function toLiveHubStatus(overview: HubOverview): LiveHubStatusType {
  const me = overview.instance;
  return {
    mode: overview.mode as HubMode as LiveHubModeEnum,
    instance: me,
    streams: overview.streams.map((stream) => ({
      name: stream.stream,
      status: stream.state === undefined ? null : (stream.state.status as FeedStatus as FeedStatusEnum),
      statusDetail: stream.state?.detail ?? null,
      subscribers: stream.subscribers,
      upstreamSessions: stream.upstreamSessions,
      liveReaderRunning: stream.liveReaderRunning,
      windowFragments: stream.windowSize,
      lease: stream.lease === undefined ? null : { holder: stream.lease.holder, fencingToken: stream.lease.fencingToken, heldByThisInstance: stream.lease.holder === me },
      interestedInstances: stream.interested === undefined ? null : [...stream.interested],
    })),
    fleet:
      overview.fleet === undefined
        ? null
        : {
            instances: overview.fleet.instances.map((instance) => ({
              id: instance.id,
              thisInstance: instance.id === me,
              alive: instance.alive,
              lastSeenAt: instance.lastSeenAt === undefined ? null : new Date(instance.lastSeenAt),
              expiresAt: new Date(instance.expiresAt),
              leasesHeld: instance.leasesHeld,
              streamsWatched: instance.streamsWatched ?? null,
            })),
            recentFailovers: overview.fleet.failovers.map((failover) => ({
              stream: failover.stream,
              fromInstance: failover.from,
              toInstance: failover.to,
              at: new Date(failover.at),
              fencingToken: failover.fencingToken,
              cause: failover.cause as FailoverCause as LiveReaderFailoverCauseEnum,
            })),
          },
  };
}
