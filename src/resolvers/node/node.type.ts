import { Field, ID, InterfaceType } from '../../core/type-graphql.js';

/** Relay's Node interface: anything with a global id that `node(id)` can refetch. */
@InterfaceType('Node', {
  description: 'An object with a globally unique, opaque id that `Query.node` can fetch again later.',
  resolveType: (value: { readonly __typename?: string }) => value.__typename,
})
export abstract class NodeType {
  @Field(() => ID, { description: 'Globally unique, opaque id. Stable for the life of the object; do not parse it.' })
  id!: string;
}
