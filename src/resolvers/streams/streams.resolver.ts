import type { ArchivedFragment, FragmentRange, MediaStart, StreamRef, VideoStream } from '../../datasources/kinesis/kinesis.types.js';
import { LIST_FRAGMENTS_MAX_RESULTS } from '../../datasources/kinesis/kinesis-archived-media.datasource.js';
import { badInput } from '../../core/domain-error.js';
import type { LiveEvent } from '../../live/live.types.js';
import { isFragmentNumber } from '../../mkv/kinesis-tags.js';
import { createConnectionType } from '../../pagination/connection.type.js';
import { checkFirst } from '../../pagination/page-args.js';
import { paginateForward, type ConnectionData } from '../../pagination/paginate.js';
import {
  Arg,
  Ctx,
  FieldResolver,
  GraphQLISODateTime,
  ID,
  Int,
  Query,
  Resolver,
  Root,
  Subscription,
  registerEnumType,
} from '../../core/type-graphql.js';
import type { RequestContext } from '../../auth/services.js';
import { markLiveEdge } from '../../core/live-edge.js';
import { encodeGlobalId } from '../node/global-id.js';
import { ArchivedFragmentType, StreamType, type StreamSource } from './stream.type.js';
import { StreamEventUnion, StreamStartInput, StreamStartTypeEnum, toStreamEvent, type StreamEventSource } from './stream-event.type.js';

/** `StreamConnection`. */
export const StreamConnection = createConnectionType('Stream', () => StreamType, 'video stream');
/** `ArchivedFragmentConnection`. */
export const ArchivedFragmentConnection = createConnectionType('ArchivedFragment', () => ArchivedFragmentType, 'archived fragment');

/** Which timestamp a fragment time range applies to. */
export enum FragmentTimestampType {
  SERVER_TIMESTAMP = 'SERVER_TIMESTAMP',
  PRODUCER_TIMESTAMP = 'PRODUCER_TIMESTAMP',
}
registerEnumType(FragmentTimestampType, {
  name: 'FragmentTimestampType',
  description: 'Which timestamp `from`/`to` filter on.',
  valuesConfig: {
    SERVER_TIMESTAMP: { description: 'When Kinesis received the fragment.' },
    PRODUCER_TIMESTAMP: { description: 'When the producer recorded the fragment.' },
  },
});

const LIST_STREAMS_PAGE_MAX = 10_000;

/** Parses a stream argument that is either a name or an ARN. */
export function streamRef(value: string): StreamRef {
  if (value.length === 0 || value.length > 1024) throw badInput('A stream name or ARN must be 1 to 1024 characters.');
  if (value.startsWith('arn:')) {
    if (!/^arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:\d{12}:stream\/[a-zA-Z0-9_.-]+\/\d+$/.test(value)) throw badInput('Malformed stream ARN.');
    return { arn: value };
  }
  if (!/^[a-zA-Z0-9_.-]{1,256}$/.test(value)) throw badInput('A stream name may contain only letters, digits and `_ . -` (at most 256).');
  return { name: value };
}

/** Validates a subscription start input and maps it to the domain start position. */
export function toMediaStart(input: StreamStartInput | null | undefined): MediaStart {
  // An explicit `start: null` is the same as leaving it out (graphql-js passes null, not undefined).
  if (input === undefined || input === null) return { type: 'NOW' };
  switch (input.type) {
    case StreamStartTypeEnum.NOW:
      return { type: 'NOW' };
    case StreamStartTypeEnum.EARLIEST:
      return { type: 'EARLIEST' };
    case StreamStartTypeEnum.FRAGMENT_NUMBER:
      if (input.fragmentNumber == null || !isFragmentNumber(input.fragmentNumber)) {
        throw badInput('FRAGMENT_NUMBER needs `fragmentNumber`, a decimal fragment number.');
      }
      return { type: 'FRAGMENT_NUMBER', fragmentNumber: input.fragmentNumber };
    case StreamStartTypeEnum.SERVER_TIMESTAMP:
    case StreamStartTypeEnum.PRODUCER_TIMESTAMP:
      if (input.timestamp == null) throw badInput(`${input.type} needs \`timestamp\`.`);
      return { type: input.type === StreamStartTypeEnum.SERVER_TIMESTAMP ? 'SERVER_TIMESTAMP' : 'PRODUCER_TIMESTAMP', timestamp: input.timestamp };
    case StreamStartTypeEnum.CONTINUATION_TOKEN:
      // GetMedia's documented constraint; anything else would only be refused upstream.
      if (input.continuationToken == null || !/^[a-zA-Z0-9_.-]{1,128}$/.test(input.continuationToken)) {
        throw badInput('CONTINUATION_TOKEN needs `continuationToken` (1 to 128 of letters, digits, `_ . -`).');
      }
      return { type: 'CONTINUATION_TOKEN', token: input.continuationToken };
  }
}

/** Streams, their archived fragments and live fragment subscriptions. */
@Resolver(() => StreamType)
export class StreamsResolver {
  @Query(() => StreamConnection, { description: 'Lists the account\'s video streams (ListStreams), in service order.' })
  streams(
    @Arg('first', () => Int, { defaultValue: 20, description: 'Number of streams to return, 0 to 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'Cursor of the edge to continue after.' }) after: string | null,
    @Ctx() { services, signal }: RequestContext,
  ): Promise<ConnectionData<VideoStream>> {
    const count = checkFirst(first, services.config.pageSizeMax);
    return paginateForward<VideoStream>({
      listKey: 'streams',
      first: count,
      after,
      codec: services.cursors,
      providerMaxPageSize: LIST_STREAMS_PAGE_MAX,
      tokenTtlMs: undefined,
      fetchPage: async (request) => {
        const page = await services.kinesis.control.listStreams(request, { signal });
        return { items: page.streams, nextToken: page.nextToken };
      },
    });
  }

  @Query(() => StreamType, { nullable: true, description: 'One stream by name or ARN (give exactly one); null when it does not exist.' })
  stream(
    @Arg('name', () => String, { nullable: true, description: 'Stream name.' }) name: string | null | undefined,
    @Arg('arn', () => String, { nullable: true, description: 'Stream ARN.' }) arn: string | null | undefined,
    @Ctx() { loaders }: RequestContext,
  ): Promise<VideoStream | null> {
    // An omitted nullable argument arrives as undefined (an explicit null as null): both mean "not given".
    // Checking `=== null` alone refused `stream(name: "x")`, the form the ListFragments operation uses.
    if ((name == null) === (arn == null)) throw badInput('Give exactly one of `name` and `arn`.');
    const ref = streamRef(name ?? arn ?? '');
    return loaders.stream.load(ref.arn ?? ref.name ?? '');
  }

  @FieldResolver(() => ID, { description: 'Globally unique, opaque id; `Query.node` and federation `_entities` accept it.' })
  id(@Root() stream: StreamSource): string {
    return encodeGlobalId('Stream', stream.arn);
  }

  @FieldResolver(() => ArchivedFragmentConnection, {
    description:
      'Stored fragments (ListFragments), optionally within a time range (all retained fragments without one). In the order Kinesis lists them, which it does not promise, not even across pages: each fragment appears once in a listing, so sort by `fragmentNumber` (as a big integer) to get them in order.',
  })
  fragments(
    @Root() stream: StreamSource,
    @Arg('first', () => Int, { defaultValue: 20, description: 'Number of fragments to return, 0 to 100.' }) first: number,
    @Arg('after', () => String, { nullable: true, description: 'Cursor of the edge to continue after.' }) after: string | null,
    @Arg('from', () => GraphQLISODateTime, { nullable: true, description: 'Only fragments at or after this time.' }) from: Date | null | undefined,
    @Arg('to', () => GraphQLISODateTime, { nullable: true, description: 'Only fragments before this time (defaults to now when `from` is set).' })
    to: Date | null | undefined,
    @Arg('timestampType', () => FragmentTimestampType, {
      defaultValue: FragmentTimestampType.SERVER_TIMESTAMP,
      description: 'Which timestamp `from`/`to` filter on.',
    })
    timestampType: FragmentTimestampType,
    @Ctx() { services, signal }: RequestContext,
  ): Promise<ConnectionData<ArchivedFragment>> {
    const count = checkFirst(first, services.config.pageSizeMax);
    let range: FragmentRange | undefined;
    // Omitted arguments arrive as undefined, explicit nulls as null: neither is a bound.
    if (from != null || to != null) {
      const start = from ?? new Date(0);
      const end = to ?? new Date();
      if (start.getTime() >= end.getTime()) throw badInput('`from` must be before `to`.');
      range = { type: timestampType, from: start, to: end };
    }
    const ref = { arn: stream.arn };
    return paginateForward<ArchivedFragment>({
      // Bound to the range AS REQUESTED: a defaulted `to` is "now" at each request, so binding the resolved value
      // made every cursor of a listing without `to` invalid on the next request. Later pages send the provider
      // token, whose own selector the service applies.
      listKey: `fragments:${stream.arn}:${range === undefined ? '' : `${range.type}:${from?.getTime() ?? ''}:${to?.getTime() ?? ''}`}`,
      first: count,
      after,
      codec: services.cursors,
      providerMaxPageSize: LIST_FRAGMENTS_MAX_RESULTS,
      tokenTtlMs: undefined,
      fetchPage: async (request) => {
        const page = await services.kinesis.archived.listFragments(ref, { ...request, range, stream }, { signal });
        return { items: page.fragments, nextToken: page.nextToken };
      },
    });
  }

  @Subscription(() => StreamEventUnion, {
    description:
      'Live fragment metadata of a stream: fragments in order without duplicates, gap events when something cannot be delivered, and status changes of the upstream connection. Resume after a drop with `start: { type: FRAGMENT_NUMBER, fragmentNumber }` or a continuation token.',
    subscribe: async ({ args, context }) => {
      const ctx = context as RequestContext;
      const { stream, start } = args as { stream: string; start: StreamStartInput | null | undefined };
      const ref = streamRef(stream);
      const position = toMediaStart(start);
      // Refuse unknown streams before any GetMedia call (and before a hub feed is created for them).
      const described = await ctx.services.kinesis.control.describeStream(ref, { signal: ctx.signal });
      // The hub keys its feeds by stream, so subscribe by the canonical name: a subscriber by ARN and one by
      // name then share one upstream reader. Events are relabelled with the stream as subscribed (below).
      const events = ctx.services.hub.subscribe(described.name, position, { signal: ctx.signal });
      // A NOW subscription starts with whatever comes next, so an identical one that starts later may join its
      // execution. Any other start replays from a position: sharing it late would skip that replay.
      return position.type === 'NOW' ? markLiveEdge(events) : events;
    },
  })
  streamFragments(
    @Root() event: LiveEvent,
    @Arg('stream', () => String, { description: 'Stream name or ARN.' }) stream: string,
    @Arg('start', () => StreamStartInput, { nullable: true, description: 'Where to start; NOW when omitted.' }) _start: StreamStartInput | null,
  ): StreamEventSource {
    // `stream` is documented as the stream "as subscribed"; the hub only knows the canonical name.
    return { ...toStreamEvent(event), stream };
  }
}
