import { liveStreamUnavailable } from '../../datasources/livestream/livestream.loaders.js';
import { translateLiveStreamError } from '../../datasources/livestream/livestream.errors.js';
import { LIVESTREAM_MAX_PAGE_SIZE, type ListQuery, type LiveStreamPage, type ProviderStatus } from '../../datasources/livestream/livestream.types.js';
import { checkFirst } from '../../pagination/page-args.js';
import { paginateForward, type ConnectionData } from '../../pagination/paginate.js';
import { badInput, isDomainError, type ErrorCode } from '../../core/domain-error.js';
import { Field, InputType, ObjectType } from '../../core/type-graphql.js';
import type { Services } from '../../auth/services.js';

/** The configured Live Stream services. */
export type LiveStreamServices = NonNullable<Services['livestream']>;

/**
 * The Live Stream services of the gateway.
 *
 * @throws DomainError UPSTREAM_UNAVAILABLE when Live Stream is neither configured nor emulated.
 */
export function liveStream(services: Services): LiveStreamServices {
  if (services.livestream === undefined) throw liveStreamUnavailable();
  return services.livestream;
}

@ObjectType('Label', { description: 'A key/value label of a Live Stream resource.' })
export class LabelType {
  @Field(() => String, { description: 'Label key.' })
  key!: string;

  @Field(() => String, { description: 'Label value (may be empty).' })
  value!: string;
}

@InputType('LabelInput', { description: 'A key/value label to set on a Live Stream resource.' })
export class LabelInput {
  @Field(() => String, { description: 'Label key: 1-63 characters; each key may appear once.' })
  key!: string;

  @Field(() => String, { description: 'Label value: at most 63 characters, may be empty.' })
  value!: string;
}

/** A provider status as clients see it (`LiveStreamError`). */
@ObjectType('LiveStreamError', {
  description:
    'Why a Live Stream resource or operation failed: the gateway error code (mapped through the same table as request errors) and the provider status name.',
})
export class LiveStreamErrorType {
  @Field(() => String, {
    description: 'Gateway error code, one of those documented for `extensions.code`, e.g. `BAD_USER_INPUT`, `CONFLICT`, `INTERNAL_SERVER_ERROR`.',
  })
  code!: ErrorCode;

  @Field(() => String, { description: 'The provider status name (google.rpc.Code), e.g. `INVALID_ARGUMENT`, `CANCELLED`, `INTERNAL`.' })
  providerStatus!: string;

  @Field(() => String, { description: 'A client-safe description of the failure (provider messages are not passed on).' })
  message!: string;
}

/** Labels as a list of pairs, sorted by key (stable output). */
export function toLabelList(labels: Readonly<Record<string, string>>): LabelType[] {
  return Object.entries(labels)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({ key, value }));
}

/**
 * Labels from input pairs; `undefined` when none were given.
 *
 * @throws DomainError BAD_USER_INPUT for an empty or repeated key.
 */
export function toLabelRecord(labels: readonly LabelInput[] | null | undefined): Record<string, string> | undefined {
  if (labels === null || labels === undefined) return undefined;
  const record: Record<string, string> = {};
  for (const label of labels) {
    if (label.key === '') throw badInput('A label key must not be empty.');
    if (Object.hasOwn(record, label.key)) throw badInput(`The label key \`${label.key}\` is given more than once.`);
    record[label.key] = label.value;
  }
  return record;
}

/**
 * A provider status as a client error: the code and message of the provider error table, plus the status name.
 * The provider's own message is not exposed (it is provider text, see ARCHITECTURE.md "Errors").
 */
export function toLiveStreamError(status: ProviderStatus | undefined): LiveStreamErrorType | null {
  if (status === undefined) return null;
  // The same table as failed calls: a status carried by a resource is what that call would have failed with.
  const translated = translateLiveStreamError(Object.assign(new Error(status.status), { code: status.code }));
  const code: ErrorCode = isDomainError(translated) ? translated.code : 'INTERNAL_SERVER_ERROR';
  const message = isDomainError(translated) && code !== 'INTERNAL_SERVER_ERROR' ? translated.message : `Live Stream reported ${status.status}.`;
  return { code, providerStatus: status.status, message };
}

/** A `requestId` argument: GraphQL null and absence both mean "generate one". */
export function requestIdOf(requestId: string | null | undefined): string | undefined {
  return requestId ?? undefined;
}

/** An optional list parameter: null and the empty string mean "not given". */
export function optionalText(value: string | null | undefined): string | undefined {
  return value === null || value === undefined || value === '' ? undefined : value;
}

/** Arguments every Live Stream list accepts. */
export interface LiveStreamListArgs {
  readonly first: number;
  readonly after: string | null | undefined;
  readonly filter: string | null | undefined;
  readonly orderBy: string | null | undefined;
}

/**
 * One Relay window over a Live Stream list (page_size / page_token / next_page_token). The cursor is bound to
 * `kind`, `parent`, filter and order, so a cursor reused with other arguments is CURSOR_INVALID.
 * @throws DomainError BAD_USER_INPUT for `first` over the cap; CURSOR_INVALID; whatever `list` throws.
 */
export function liveStreamConnection<T>(
  services: Services,
  kind: string,
  parent: string,
  args: LiveStreamListArgs,
  list: (query: ListQuery) => Promise<LiveStreamPage<T>>,
): Promise<ConnectionData<T>> {
  const count = checkFirst(args.first, services.config.pageSizeMax);
  const filter = optionalText(args.filter);
  const orderBy = optionalText(args.orderBy);
  return paginateForward<T>({
    listKey: `livestream-${kind}:${parent}\0${filter ?? ''}\0${orderBy ?? ''}`,
    first: count,
    after: args.after,
    codec: services.cursors,
    providerMaxPageSize: LIVESTREAM_MAX_PAGE_SIZE,
    tokenTtlMs: undefined,
    fetchPage: async (request) => {
      const page = await list({ filter, orderBy, pageSize: request.pageSize, pageToken: request.token });
      return { items: page.items, nextToken: page.nextPageToken };
    },
  });
}
