import { parseObjectPath } from '../../datasources/object-store/object-path.js';
import { badInput, isDomainError } from '../../errors/domain-error.js';
import { Arg, Ctx, ID, Query, Resolver } from '../../schema/type-graphql.js';
import type { RequestContext } from '../../server/context.js';
import type { MediaObjectSource } from '../objects/object.type.js';
import type { StreamSource } from '../streams/stream.type.js';
import { decodeGlobalId } from './global-id.js';
import { NodeType } from './node.type.js';

/** Anything `node` can return, tagged with its GraphQL type for `Node.resolveType`. */
export type NodeSource = (MediaObjectSource & { readonly __typename: 'MediaObject' }) | (StreamSource & { readonly __typename: 'Stream' });

/**
 * Resolves a global id to its node through the same loaders as the typed queries (so batching and, later,
 * authorization apply identically). Null for malformed ids, unknown types and missing objects.
 */
export async function loadNode(id: string, context: RequestContext): Promise<NodeSource | null> {
  const decoded = decodeGlobalId(id);
  if (decoded === undefined) return null;
  if (decoded.type === 'Stream') {
    if (!decoded.key.startsWith('arn:')) return null;
    const stream = await context.loaders.stream.load(decoded.key);
    return stream === null ? null : { ...stream, __typename: 'Stream' };
  }
  let path: string;
  try {
    path = parseObjectPath(decoded.key);
  } catch (error) {
    if (isDomainError(error) && error.code === 'BAD_USER_INPUT') return null;
    throw error;
  }
  const object = await context.loaders.describe.load(path);
  return object === null ? null : { ...object, __typename: 'MediaObject' };
}

/** Relay global object identification. */
@Resolver()
export class NodeResolver {
  @Query(() => NodeType, { nullable: true, description: 'Fetches any object by its global id; null when it does not exist.' })
  node(@Arg('id', () => ID, { description: 'A global id from a `Node.id` field.' }) id: string, @Ctx() context: RequestContext): Promise<NodeSource | null> {
    return loadNode(id, context);
  }

  @Query(() => [NodeType], {
    nullable: 'items',
    description: 'Fetches up to 100 objects by global id, in the order given; null entries for ids that do not exist.',
  })
  async nodes(
    @Arg('ids', () => [ID], { description: 'Global ids (at most 100).' }) ids: string[],
    @Ctx() context: RequestContext,
  ): Promise<(NodeSource | null)[]> {
    if (ids.length > context.services.config.pageSizeMax) {
      throw badInput(`\`ids\` may hold at most ${context.services.config.pageSizeMax} ids.`);
    }
    return Promise.all(ids.map((id) => loadNode(id, context)));
  }
}
