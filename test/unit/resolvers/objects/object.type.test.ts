import { assertInterfaceType, assertObjectType, type GraphQLResolveInfo, type GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ObjectEntry } from '../../../../src/datasources/object-store/object-store.js';
import { asEntryNode } from '../../../../src/resolvers/objects/object.type.js';
import { buildFederatedSchema } from '../../../../src/schema/build-schema.js';

const OBJECT: ObjectEntry = {
  kind: 'object',
  name: 'master.m3u8',
  path: 'vod/show/master.m3u8',
  eTag: '"abc"',
  contentType: undefined,
  contentLength: 42,
  lastModified: new Date('2026-01-02T03:04:05Z'),
};
const FOLDER: ObjectEntry = { kind: 'folder', name: 'show', path: 'vod/show' };

let schema: GraphQLSchema;

beforeAll(async () => {
  schema = await buildFederatedSchema();
});

describe('asEntryNode', () => {
  it('keeps every field of the entry when it wraps an object or a folder', () => {
    expect({ ...asEntryNode(OBJECT) }).toEqual(OBJECT);
    expect({ ...asEntryNode(FOLDER) }).toEqual(FOLDER);
  });

  it('resolves the ObjectEntry type synchronously when given wrapped entries', () => {
    const entryType = assertInterfaceType(schema.getType('ObjectEntry'));
    const resolveType = entryType.resolveType;
    if (resolveType === undefined || resolveType === null) throw new Error('ObjectEntry has no type resolver');
    const info = {} as GraphQLResolveInfo;
    // A plain value, not a promise: an async resolver costs a chain of promises for every listed entry.
    expect(resolveType(asEntryNode(OBJECT), {}, info, entryType)).toBe('MediaObject');
    expect(resolveType(asEntryNode(FOLDER), {}, info, entryType)).toBe('ObjectFolder');
  });
});

describe('listing types', () => {
  it('reads plain fields with the default resolver when they have no resolver of their own', () => {
    const plain: [string, string][] = [
      ['MediaObject', 'path'],
      ['MediaObject', 'contentLength'],
      ['MediaObject', 'lastModified'],
      ['ObjectFolder', 'name'],
      ['ObjectEntryEdge', 'cursor'],
      ['ObjectEntryEdge', 'node'],
      ['ObjectEntryConnection', 'edges'],
      ['PageInfo', 'endCursor'],
    ];
    for (const [type, field] of plain) {
      expect({ type, field, resolve: assertObjectType(schema.getType(type)).getFields()[field]?.resolve }).toEqual({ type, field, resolve: undefined });
    }
  });
});
