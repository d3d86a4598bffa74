import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { renderSchema } from '../../../src/cli/print-schema.command.js';
import { buildFederatedSchema } from '../../../src/schema/build-schema.js';
import { ROOT_TYPE_DESCRIPTIONS } from '../../../src/schema/root-types.js';

const run = promisify(execFile);

/** Types and directives added by graphql-js or the federation spec, which are not ours to document. */
function isForeign(name: string): boolean {
  return name.startsWith('__') || name.startsWith('_') || name.startsWith('link__') || name.startsWith('federation__');
}

/** Every schema coordinate of ours that lacks a description. */
function missingDescriptions(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  const check = (coordinate: string, description: string | null | undefined): void => {
    if (description === undefined || description === null || description.trim() === '') missing.push(coordinate);
  };
  for (const type of Object.values(schema.getTypeMap()) as GraphQLNamedType[]) {
    if (isForeign(type.name)) continue;
    check(type.name, type.description);
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (isForeign(field.name)) continue;
        check(`${type.name}.${field.name}`, field.description);
        for (const arg of field.args) check(`${type.name}.${field.name}(${arg.name}:)`, arg.description);
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) check(`${type.name}.${field.name}`, field.description);
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) check(`${type.name}.${value.name}`, value.description);
    } else if (isScalarType(type) || isUnionType(type)) {
      // Described above as a type.
    }
  }
  for (const directive of schema.getDirectives()) {
    if (['include', 'skip', 'deprecated', 'specifiedBy', 'oneOf'].includes(directive.name) || isForeign(directive.name)) continue;
    if (['key', 'link', 'shareable', 'external', 'requires', 'provides', 'extends', 'tag', 'inaccessible', 'override', 'composeDirective', 'interfaceObject', 'authenticated', 'requiresScopes', 'policy', 'cost', 'listSize', 'context', 'fromContext'].includes(directive.name)) continue;
    check(`@${directive.name}`, directive.description);
  }
  return missing;
}

describe('federated schema', () => {
  let schema: GraphQLSchema;

  beforeAll(async () => {
    schema = await buildFederatedSchema();
  });

  it('matches the committed schema/schema.graphql when printed', async () => {
    const committed = await readFile(new URL('../../../schema/schema.graphql', import.meta.url), 'utf8');
    expect(await renderSchema(), 'run `npm run print-schema > schema/schema.graphql`').toBe(committed);
  });

  it('describes every type, field, argument and enum value when walked', () => {
    expect(missingDescriptions(schema)).toEqual([]);
  });

  it('finds a missing description when one is absent', async () => {
    const { buildSchema } = await import('graphql');
    const undocumented = buildSchema('"""Root."""\ntype Query { """Documented."""\n a(x: Int): Int }');
    expect(missingDescriptions(undocumented)).toEqual(['Query.a(x:)']);
  });

  it('finds an undescribed root type when the walk meets one', async () => {
    const { buildSchema } = await import('graphql');
    const undocumented = buildSchema('type Query { """Documented."""\n a: Int }\ntype Mutation { """Documented."""\n b: Int }');
    expect(missingDescriptions(undocumented)).toEqual(['Query', 'Mutation']);
  });

  it('describes Query, Mutation and Subscription with their root-type descriptions when built', () => {
    expect(schema.getQueryType()?.description).toBe(ROOT_TYPE_DESCRIPTIONS.Query);
    expect(schema.getMutationType()?.description).toBe(ROOT_TYPE_DESCRIPTIONS.Mutation);
    expect(schema.getSubscriptionType()?.description).toBe(ROOT_TYPE_DESCRIPTIONS.Subscription);
  });

  it('exposes the federation entry points when built as a subgraph', () => {
    const fields = schema.getQueryType()?.getFields() ?? {};
    expect(Object.keys(fields)).toEqual(expect.arrayContaining(['_service', '_entities', 'node', 'objects', 'object']));
  });
});

describe('print-schema command', () => {
  it('prints the committed SDL when run through the CLI', async () => {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'print-schema'], {
      cwd: new URL('../../..', import.meta.url),
    });
    const committed = await readFile(new URL('../../../schema/schema.graphql', import.meta.url), 'utf8');
    expect(stdout).toBe(committed);
  });
});

describe('codegen output', () => {
  it('matches a fresh run of graphql-codegen when regenerated', async () => {
    const root = new URL('../../..', import.meta.url);
    const out = await mkdtemp(join(tmpdir(), 'media-graph-codegen-'));
    try {
      const target = join(out, 'graphql.ts');
      await run(
        process.execPath,
        [
          'node_modules/@graphql-codegen/cli/cjs/bin.js',
          '--config',
          'codegen.yml',
          '--silent',
        ],
        { cwd: root, env: { ...process.env, MEDIA_GRAPH_CODEGEN_OUT: target } },
      );
      const fresh = await readFile(target, 'utf8');
      const committed = await readFile(new URL('../../../test/generated/graphql.ts', import.meta.url), 'utf8');
      expect(fresh, 'run `npm run codegen` and commit test/generated/graphql.ts').toBe(committed);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 60_000);
});
