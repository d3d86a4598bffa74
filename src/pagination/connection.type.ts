import { Field, ObjectType, type ClassType } from '../core/type-graphql.js';

/** Relay PageInfo. */
// simpleResolvers here and below: plain properties, read by graphql-js's default resolver without a wrapper per field.
@ObjectType('PageInfo', { simpleResolvers: true, description: 'Relay page information for a connection window.' })
export class PageInfoType {
  @Field(() => Boolean, { description: 'True when more edges follow `endCursor`.' })
  hasNextPage!: boolean;

  @Field(() => Boolean, { description: 'True when edges precede `startCursor` (always true when `after` was given).' })
  hasPreviousPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Cursor of the first edge, null when the window is empty.' })
  startCursor!: string | null;

  @Field(() => String, { nullable: true, description: 'Cursor of the last edge, null when the window is empty; pass it as `after` for the next page.' })
  endCursor!: string | null;
}

/**
 * Creates the `<Name>Connection` and `<Name>Edge` object types for a node type. Call once per node type at module
 * load (type-graphql registers types globally; a second call with the same name is a schema error).
 */
export function createConnectionType(name: string, nodeType: () => ClassType | object, nodeDescription: string): ClassType {
  @ObjectType(`${name}Edge`, { simpleResolvers: true, description: `An edge of a ${name}Connection: one ${nodeDescription} and its cursor.` })
  class EdgeType {
    @Field(() => String, {
      description: 'Opaque cursor of this edge. Pass it as `after` to continue right after this edge. Bound to this list.',
    })
    cursor!: string;

    @Field(nodeType, { description: `The ${nodeDescription}.` })
    node!: unknown;
  }

  @ObjectType(`${name}Connection`, { simpleResolvers: true, description: `A Relay connection over ${nodeDescription} entries.` })
  class ConnectionType {
    @Field(() => [EdgeType], { description: 'The edges of this window, in list order.' })
    edges!: EdgeType[];

    @Field(() => PageInfoType, { description: 'Where this window sits in the whole list.' })
    pageInfo!: PageInfoType;
  }

  return ConnectionType;
}
