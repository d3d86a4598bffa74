import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { composeServices } from '@apollo/composition';
import { operationFromDocument, Supergraph } from '@apollo/federation-internals';
import { QueryPlanner, type PlanNode, type SubscriptionNode } from '@apollo/query-planner';
import { isObjectType, Kind, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

/**
 * The worked example of docs/federation.md, run as written: the catalog subgraph's SDL, the rover
 * `supergraph.yaml` and the example query are read from the page's marked code blocks, so the page and this test
 * cannot drift apart. The runtime path (a real router over HTTP) is test/e2e/federation.e2e.test.ts.
 */

const REPO = new URL('../../', import.meta.url);
const PAGE = readFileSync(new URL('docs/federation.md', REPO), 'utf8');
const MEDIA_SDL = readFileSync(new URL('schema/schema.graphql', REPO), 'utf8');

/** The fenced code block right after `<!-- federation-example: NAME -->` in docs/federation.md. */
function exampleBlock(name: string): string {
  const marker = `<!-- federation-example: ${name} -->`;
  const at = PAGE.indexOf(marker);
  if (at === -1) throw new Error(`docs/federation.md has no ${marker}`);
  const block = /^\s*```[a-z]*\n([\s\S]*?)\n```/.exec(PAGE.slice(at + marker.length));
  if (block?.[1] === undefined) throw new Error(`no fenced code block right after ${marker} in docs/federation.md`);
  return block[1];
}

interface SupergraphConfig {
  readonly federation_version: string;
  readonly subgraphs: Readonly<Record<string, { readonly routing_url: string; readonly schema: { readonly file?: string } }>>;
}

const CATALOG_SDL = exampleBlock('catalog-subgraph');
const CONFIG = parseYaml(exampleBlock('supergraph-config')) as SupergraphConfig;
const QUERY = exampleBlock('query');

/** The fields the catalog subgraph adds to `MediaObject` (its own declaration minus the key). */
function catalogMediaObjectFields(sdl: DocumentNode): string[] {
  const type = sdl.definitions.find((definition) => definition.kind === Kind.OBJECT_TYPE_DEFINITION && definition.name.value === 'MediaObject');
  if (type?.kind !== Kind.OBJECT_TYPE_DEFINITION) throw new Error('the catalog example declares no MediaObject');
  return (type.fields ?? []).map((field) => field.name.value).filter((name) => name !== 'id');
}

/** Composes the example as the page's supergraph.yaml names it: `media` from schema/schema.graphql, `catalog` from the page. */
function composeExample() {
  const sdlBySubgraph: Readonly<Record<string, string>> = { media: MEDIA_SDL, catalog: CATALOG_SDL };
  return composeServices(
    Object.entries(CONFIG.subgraphs).map(([name, subgraph]) => {
      const sdl = sdlBySubgraph[name];
      if (sdl === undefined) throw new Error(`supergraph.yaml names a subgraph the example does not define: ${name}`);
      return { name, url: subgraph.routing_url, typeDefs: parse(sdl) };
    }),
  );
}

/** Services of the fetches of a query plan, in plan order. */
function fetchServices(node: PlanNode | SubscriptionNode | undefined): string[] {
  if (node === undefined) return [];
  switch (node.kind) {
    case 'Fetch':
      return [node.serviceName];
    case 'Flatten':
      return fetchServices(node.node);
    case 'Sequence':
    case 'Parallel':
      return node.nodes.flatMap(fetchServices);
    default:
      throw new Error(`unexpected plan node ${node.kind} for the example query`);
  }
}

describe('docs/federation.md worked example', () => {
  it('names the media subgraph by its committed SDL and pins the installed composition version when supergraph.yaml is read', () => {
    expect(Object.keys(CONFIG.subgraphs).sort()).toEqual(['catalog', 'media']);
    expect(CONFIG.subgraphs['media']?.schema.file).toMatch(/\/schema\/schema\.graphql$/);
    const installed = (createRequire(import.meta.url)('@apollo/composition/package.json') as { version: string }).version;
    expect(CONFIG.federation_version).toBe(`=${installed}`);
  });

  it('composes without errors when the catalog subgraph is composed with schema/schema.graphql', () => {
    const result = composeExample();
    expect(result.errors?.map((error) => error.message)).toBeUndefined();
    expect(result.supergraphSdl).toContain('join__graph(name: "catalog"');
  });

  it('adds the catalog fields to MediaObject, resolved by the catalog subgraph, when composed', () => {
    const result = composeExample();
    if (result.errors !== undefined) throw new Error(result.errors.map((error) => error.message).join('\n'));
    const fields = catalogMediaObjectFields(parse(CATALOG_SDL));
    expect(fields).toEqual(['title', 'tags']);
    const api: GraphQLSchema = result.schema.toAPISchema().toGraphQLJSSchema();
    const mediaObject = api.getType('MediaObject');
    if (!isObjectType(mediaObject)) throw new Error('the supergraph has no MediaObject object type');
    // The catalog's fields and media-graph's own fields side by side on one type.
    expect(Object.keys(mediaObject.getFields())).toEqual(expect.arrayContaining([...fields, 'id', 'path', 'contentType', 'url']));
    for (const field of fields) {
      expect(result.supergraphSdl).toMatch(new RegExp(`\\b${field}: [^\\n]*@join__field\\(graph: CATALOG\\)`));
    }
  });

  it('plans a media fetch followed by a catalog entity fetch when the example query is planned', () => {
    const result = composeExample();
    if (result.supergraphSdl === undefined) throw new Error('composition failed');
    const supergraph = Supergraph.build(result.supergraphSdl);
    const operation = operationFromDocument(supergraph.apiSchema(), parse(QUERY));
    const plan = new QueryPlanner(supergraph).buildQueryPlan(operation);
    expect(fetchServices(plan.node)).toEqual(['media', 'catalog']);
  });

  it('fails composition when a second subgraph redeclares a media-graph field, as the page warns', () => {
    const clash = CATALOG_SDL.replace('id: ID!', 'id: ID!\n  path: String!');
    const result = composeServices([
      { name: 'media', url: 'http://media.invalid/graphql', typeDefs: parse(MEDIA_SDL) },
      { name: 'catalog', url: 'http://catalog.invalid/graphql', typeDefs: parse(clash) },
    ]);
    expect(result.errors?.map((error) => error.message).join('\n')).toMatch(/Non-shareable field "MediaObject\.path" is resolved from multiple subgraphs/);
  });
});
