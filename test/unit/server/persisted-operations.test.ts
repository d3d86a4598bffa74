import { createHash } from 'node:crypto';
import { parse, print, stripIgnoredCharacters } from 'graphql';
import { describe, expect, it } from 'vitest';
import { loadPersistedOperations, PersistedOperations } from '../../../src/server/persisted-operations.js';
import { GetObjectDocument, ListObjectsDocument } from '../../generated/graphql.js';

const FILE = `
fragment B on Thing { b }
fragment A on Thing { a ...B }
query One($id: ID!) { thing(id: $id) { ...A } }
query Two { things { id } }
`;

describe('PersistedOperations', () => {
  const safelist = new PersistedOperations([{ name: 'test.graphql', text: FILE }]);

  it('allows an operation when it arrives with other whitespace and fragment order', () => {
    const sent = parse('fragment A on Thing { a, ...B }\n# comment\nquery One($id: ID!) { thing(id: $id) { ...A } } fragment B on Thing { b }');
    expect(safelist.allows(sent, 'One')).toBe(true);
    expect(safelist.allows(parse('query Two { things { id } }'), undefined)).toBe(true);
  });

  it('refuses an operation when its selection differs from the published one', () => {
    expect(safelist.allows(parse('query Two { things { id secret } }'), 'Two')).toBe(false);
    expect(safelist.allows(parse('query Three { things { id } }'), 'Three')).toBe(false);
    expect(safelist.allows(parse('query One($id: ID!) { thing(id: $id) { a } }'), 'One')).toBe(false);
  });

  it('allows introspection-only operations when the safelist is on', () => {
    expect(safelist.allows(parse('{ __schema { queryType { name } } }'), undefined)).toBe(true);
    expect(safelist.allows(parse('{ __schema { queryType { name } } things { id } }'), undefined)).toBe(false);
  });

  it('allows a persisted-query hash when it is the hash of a published operation', () => {
    const two = stripIgnoredCharacters(print(parse('query Two { things { id } }')));
    expect(safelist.allowsHash(createHash('sha256').update(two).digest('hex'))).toBe(true);
    expect(safelist.allowsHash('0'.repeat(64))).toBe(false);
  });

  it('accepts the generated documents when loaded from schema/operations', () => {
    const published = loadPersistedOperations();
    expect(published.size).toBeGreaterThan(10);
    expect(published.allows(parse(print(GetObjectDocument)), 'GetObject')).toBe(true);
    expect(published.allows(parse(print(ListObjectsDocument)), 'ListObjects')).toBe(true);
  });
});
