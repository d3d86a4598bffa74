import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { Access } from '../../../src/auth/access.js';
import { checkRootFieldScopes, ROOT_FIELD_SCOPES } from '../../../src/auth/field-scopes.js';
import type { Principal, Scope } from '../../../src/auth/principal.js';
import { UNRESTRICTED_POLICY } from '../../../src/auth/tenant-policy.js';
import { buildFederatedSchema } from '../../../src/schema/build-schema.js';

function caller(...scopes: Scope[]): Access {
  const principal: Principal = { kind: 'jwt', subject: 's', tenant: 't', scopes: new Set(scopes), expiresAt: undefined };
  return new Access(principal, UNRESTRICTED_POLICY);
}

describe('checkRootFieldScopes', () => {
  it('refuses with FORBIDDEN naming the scope when a root field needs a scope the caller lacks', () => {
    const error = checkRootFieldScopes(parse('{ objects(path: "/", first: 1) { edges { cursor } } }'), undefined, caller('streams:read'));
    expect(error?.extensions).toEqual({ code: 'FORBIDDEN', scope: 'objects:read' });
  });

  it('finds root fields behind fragments and inline fragments when checking', () => {
    const document = parse('query Q { ... on Query { ...F } } fragment F on Query { streams(first: 1) { edges { cursor } } }');
    expect(checkRootFieldScopes(document, 'Q', caller('objects:read'))?.extensions?.['scope']).toBe('streams:read');
    expect(checkRootFieldScopes(document, 'Q', caller('streams:read'))).toBeUndefined();
  });

  it('lets introspection, node and admins through when they hold no other scope', () => {
    expect(checkRootFieldScopes(parse('{ __schema { queryType { name } } __typename }'), undefined, caller())).toBeUndefined();
    expect(checkRootFieldScopes(parse('{ node(id: "x") { id } }'), undefined, caller())).toBeUndefined();
    expect(checkRootFieldScopes(parse('mutation { deleteObject(path: "a") }'), undefined, caller('admin'))).toBeUndefined();
  });

  it('checks only the selected operation when a document has several', () => {
    const document = parse('query A { streams(first: 1) { edges { cursor } } } mutation B { deleteObject(path: "a") }');
    expect(checkRootFieldScopes(document, 'A', caller('streams:read'))).toBeUndefined();
    expect(checkRootFieldScopes(document, 'B', caller('streams:read'))?.extensions?.['scope']).toBe('objects:write');
  });
});

describe('ROOT_FIELD_SCOPES', () => {
  it('declares a scope for every root field of the schema and documents it when the schema is built', async () => {
    const schema = await buildFederatedSchema();
    for (const type of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      for (const field of Object.values(type?.getFields() ?? {})) {
        const key = `${type?.name ?? ''}.${field.name}`;
        expect(Object.keys(ROOT_FIELD_SCOPES), key).toContain(key);
        const scope = ROOT_FIELD_SCOPES[key];
        if (typeof scope === 'string') expect(field.description, key).toContain(`Requires scope \`${scope}\`.`);
      }
    }
  });
});
