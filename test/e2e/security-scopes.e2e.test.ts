import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, print, visit, type DefinitionNode, type FragmentDefinitionNode, type GraphQLFormattedError, type OperationDefinitionNode } from 'graphql';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT_FIELD_SCOPES } from '../../src/auth/field-scopes.js';
import { SCOPES, type Scope } from '../../src/auth/principal.js';
import type { KinesisVideoEmulator } from '../../src/emulators/kinesis/kinesis.emulator.js';
import type { LiveStreamEmulator } from '../../src/emulators/livestream/livestream.emulator.js';
import type { OciMediaEmulator } from '../../src/emulators/oci/oci.emulator.js';
import { encodeGlobalId, type NodeTypeName } from '../../src/resolvers/node/global-id.js';
import { JWT_AUTH_ENV, mintToken } from '../helpers/auth.js';
import { REPO_ROOT } from '../helpers/fixtures.js';
import { postGraphql, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { resetUpstreamLog, upstreamOperations } from '../helpers/probes.js';
import { within } from '../helpers/within.js';

/*
 * The scope matrix: every operation in schema/operations/*.graphql (found by parsing the files, so a new
 * operation without a row fails the completeness test) runs with a token holding exactly the scope its row names
 * (no FORBIDDEN; NOT_FOUND, CONFLICT and the like are fine: the scope check passed), with a token holding every
 * other scope but admin (FORBIDDEN naming the scope, before any upstream call), and with an admin token (no
 * FORBIDDEN). No TENANTS_FILE: scopes alone decide. Subscriptions run over graphql-ws. `node` and `_entities`,
 * which declare no root scope, are checked per type they resolve to.
 *
 * Defects found here run as expected failures (`it.fails`, titled KNOWN BUG) so the suite stays green while they
 * stand and turns red once they are fixed: then drop the marker.
 */

const PARENT = 'projects/mg-scopes/locations/us-central1';
const CHANNEL = `${PARENT}/channels/news`;
const ASSET = `${PARENT}/assets/slate`;
const DVR_SESSION = `${CHANNEL}/dvrSessions/recording`;
const COMPARTMENT = 'ocid1.compartment.oc1..aaaaaaaascopes';
const DISTRIBUTION_CHANNEL = 'ocid1.streamdistributionchannel.oc1.iad.amaaaaaascopeschannel';
const PACKAGING_CONFIG = 'ocid1.streampackagingconfig.oc1.iad.amaaaaaascopeshls';
const MEDIA_ASSET = 'ocid1.mediaasset.oc1.iad.amaaaaaascopes0001';
const STREAM = 'scope-cam';
const LIVE_STREAM = 'scope-live';
const OBJECT = 'scopes/object.txt';
const MINUTE = 60_000;

/** What an operation needs to run and the scope it requires. */
interface MatrixRow {
  readonly scope: Exclude<Scope, 'admin'>;
  readonly variables: () => Record<string, unknown>;
  /** Subscriptions: read until this holds for a result's data (default: the first result). */
  readonly until?: (data: unknown) => boolean;
  /**
   * Defects of this row (see the test report), by check: those checks run as expected failures until fixed.
   * `exact`: runs with only `scope`; `named`: the refusal without `scope` is FORBIDDEN naming it.
   */
  readonly knownBugs?: Partial<Record<'exact' | 'named', string>>;
}


/** Reads `path` of `value` (`a.b.0.c`), undefined when absent. */
function at(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const windows = (): { startTime: string; endTime: string }[] => [
  { startTime: new Date(Date.now() + 60 * MINUTE).toISOString(), endTime: new Date(Date.now() + 90 * MINUTE).toISOString() },
];

/** Filled in beforeAll: a finished Live Stream operation. */
const runtime = { operation: '' };

/** One row per operation of schema/operations, by operation name. */
const MATRIX: Readonly<Record<string, MatrixRow>> = {
  // Objects
  ListObjects: { scope: 'objects:read', variables: () => ({ path: 'scopes', first: 5 }) },
  GetObject: { scope: 'objects:read', variables: () => ({ path: OBJECT }) },
  GetNode: { scope: 'objects:read', variables: () => ({ id: encodeGlobalId('MediaObject', OBJECT) }) },
  GetNodes: { scope: 'objects:read', variables: () => ({ ids: [encodeGlobalId('MediaObject', OBJECT)] }) },
  PutObject: {
    scope: 'objects:write',
    variables: () => ({ input: { path: 'scopes/written.txt', body: 'written', contentType: 'text/plain' } }),
  },
  DeleteObject: { scope: 'objects:write', variables: () => ({ path: 'scopes/doomed.txt' }) },
  CreateObjectUpload: {
    scope: 'objects:write',
    variables: () => ({ input: { path: 'scopes/upload.bin', contentType: 'application/octet-stream' } }),
  },
  // Streams
  ListStreams: { scope: 'streams:read', variables: () => ({ first: 5 }) },
  GetStream: { scope: 'streams:read', variables: () => ({ name: STREAM }) },
  ListFragments: { scope: 'streams:read', variables: () => ({ name: STREAM, first: 5 }) },
  StreamFragments: {
    scope: 'streams:subscribe',
    variables: () => ({ stream: LIVE_STREAM, start: { type: 'NOW' } }),
    until: (data) => at(data, 'streamFragments.__typename') === 'FragmentEvent',
  },
  // Live Stream
  ListAssets: { scope: 'livestream:read', variables: () => ({ parent: PARENT, first: 5 }) },
  GetAsset: { scope: 'livestream:read', variables: () => ({ name: ASSET }) },
  GetOperation: { scope: 'livestream:read', variables: () => ({ name: runtime.operation }) },
  OperationUpdates: { scope: 'livestream:read', variables: () => ({ name: runtime.operation }) },
  ListChannels: { scope: 'livestream:read', variables: () => ({ parent: PARENT, first: 5 }) },
  ListDvrSessions: { scope: 'livestream:read', variables: () => ({ channel: CHANNEL, first: 5 }) },
  GetDvrSession: { scope: 'livestream:read', variables: () => ({ name: DVR_SESSION }) },
  CreateAsset: { scope: 'livestream:write', variables: () => ({ input: { parent: PARENT, assetId: 'created', uri: 'gs://mg-scopes/created.png', type: 'IMAGE' } }) },
  DeleteAsset: { scope: 'livestream:write', variables: () => ({ input: { name: `${PARENT}/assets/doomed` } }) },
  CreateDvrSession: {
    scope: 'livestream:write',
    variables: () => ({ input: { channel: CHANNEL, dvrSessionId: 'created', manifestKey: 'manifest_hls', windows: windows() } }),
  },
  UpdateDvrSession: { scope: 'livestream:write', variables: () => ({ input: { name: DVR_SESSION, windows: windows() } }) },
  DeleteDvrSession: { scope: 'livestream:write', variables: () => ({ input: { name: `${CHANNEL}/dvrSessions/doomed` } }) },
  // OCI
  ListMediaAssets: { scope: 'oci:issue', variables: () => ({ compartmentId: COMPARTMENT, first: 5 }) },
  GetMediaAsset: { scope: 'oci:issue', variables: () => ({ id: MEDIA_ASSET }) },
  ListDistributionChannels: { scope: 'oci:issue', variables: () => ({ compartmentId: COMPARTMENT, first: 5 }) },
  GetDistributionChannel: { scope: 'oci:issue', variables: () => ({ id: DISTRIBUTION_CHANNEL }) },
  ListPackagingConfigs: { scope: 'oci:issue', variables: () => ({ distributionChannelId: DISTRIBUTION_CHANNEL, first: 5 }) },
  GetPackagingConfig: { scope: 'oci:issue', variables: () => ({ id: PACKAGING_CONFIG }) },
  GetPlaylist: {
    scope: 'oci:issue',
    variables: () => ({ streamPackagingConfigId: PACKAGING_CONFIG, mediaAssetId: MEDIA_ASSET }),
  },
  GenerateSessionToken: {
    scope: 'oci:issue',
    variables: () => ({ input: { packagingConfigId: PACKAGING_CONFIG, scopes: ['PLAYLIST'] } }),
  },
  // Operators
  LiveHub: { scope: 'ops:read', variables: () => ({}) },
};

/** An operation of schema/operations with the fragments it uses, ready to send. */
interface Operation {
  readonly name: string;
  readonly kind: OperationDefinitionNode['operation'];
  /** Response key of its (first) root field. */
  readonly rootField: string;
  /** Schema name of that root field. */
  readonly rootFieldName: string;
  readonly file: string;
  readonly query: string;
}

/** Every named operation of schema/operations/*.graphql, each as a document with just its fragments. */
function loadOperations(): Operation[] {
  const dir = join(REPO_ROOT, 'schema', 'operations');
  const definitions: { readonly file: string; readonly node: DefinitionNode }[] = [];
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.graphql')).sort()) {
    for (const node of parse(readFileSync(join(dir, file), 'utf8')).definitions) definitions.push({ file, node });
  }
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const { node } of definitions) if (node.kind === Kind.FRAGMENT_DEFINITION) fragments.set(node.name.value, node);
  const operations: Operation[] = [];
  for (const { file, node } of definitions) {
    if (node.kind !== Kind.OPERATION_DEFINITION) continue;
    if (node.name === undefined) throw new Error(`${file}: an anonymous operation cannot be in the matrix`);
    // The fragments the operation spreads, transitively.
    const used = new Map<string, FragmentDefinitionNode>();
    const pending: (OperationDefinitionNode | FragmentDefinitionNode)[] = [node];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      visit(next, {
        FragmentSpread(spread) {
          const fragment = fragments.get(spread.name.value);
          if (fragment === undefined) throw new Error(`${file}: unknown fragment ${spread.name.value}`);
          if (!used.has(fragment.name.value)) {
            used.set(fragment.name.value, fragment);
            pending.push(fragment);
          }
        },
      });
    }
    const root = node.selectionSet.selections.find((selection) => selection.kind === Kind.FIELD);
    if (root === undefined || root.kind !== Kind.FIELD) throw new Error(`${file}: ${node.name.value} has no root field`);
    operations.push({ name: node.name.value, kind: node.operation, rootField: (root.alias ?? root.name).value, rootFieldName: root.name.value, file, query: [node, ...used.values()].map((definition) => print(definition)).join('\n\n') });
  }
  return operations;
}

const OPERATIONS = loadOperations();

/** What a run of an operation returned. */
interface Outcome {
  readonly status: number;
  readonly errors: readonly GraphQLFormattedError[];
  readonly data: unknown;
}

const codesOf = (outcome: Outcome): unknown[] => outcome.errors.map((error) => error.extensions?.['code']);

describe('scope matrix', () => {
  let t: TestGateway;
  let kinesis: KinesisVideoEmulator;
  let livestream: LiveStreamEmulator;
  let oci: OciMediaEmulator;
  let stopProducer: (() => void) | undefined;

  beforeAll(async () => {
    t = await startTestGateway({ ...JWT_AUTH_ENV, RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000', LIVE_LINGER_MS: '0' });
    const emulators = t.gateway.emulators;
    if (emulators.kinesis === undefined || emulators.livestream === undefined || emulators.oci === undefined) {
      throw new Error('the test gateway lacks an embedded emulator');
    }
    kinesis = emulators.kinesis;
    livestream = emulators.livestream;
    oci = emulators.oci.emulator;

    t.emulator.putObjectDirect(OBJECT, 'scoped', { contentType: 'text/plain' });
    t.emulator.putObjectDirect('scopes/doomed.txt', 'doomed');
    kinesis.createStream(STREAM, { retentionHours: 24, mediaType: 'video/h264' });
    kinesis.addFragment(STREAM, { durationMs: 1_000, fps: 2, frameBytes: 64 });
    kinesis.createStream(LIVE_STREAM, { retentionHours: 24, mediaType: 'video/h264' });
    stopProducer = kinesis.startProducer(LIVE_STREAM, { fragmentIntervalMs: 100, fps: 10, frameBytes: 64 });
    livestream.putChannelDirect({ name: CHANNEL, outputUri: 'gs://mg-scopes/out/', manifests: [{ key: 'manifest_hls', fileName: 'main.m3u8', type: 'HLS' }], retentionWindowSeconds: 86_400 });
    livestream.putAssetDirect({ name: ASSET, resource: { kind: 'image', uri: 'gs://mg-scopes/slate.png' } });
    livestream.putAssetDirect({ name: `${PARENT}/assets/doomed`, resource: { kind: 'image', uri: 'gs://mg-scopes/doomed.png' } });
    for (const id of ['recording', 'doomed']) {
      livestream.putDvrSessionDirect({ name: `${CHANNEL}/dvrSessions/${id}`, manifestKey: 'manifest_hls', windows: [{ startTime: livestream.now() + 60 * MINUTE, endTime: livestream.now() + 120 * MINUTE }] });
    }
    oci.addDistributionChannel({ id: DISTRIBUTION_CHANNEL, compartmentId: COMPARTMENT, displayName: 'scopes', domainName: 'scopes.dc.mediaservices.us-ashburn-1.oci.emulator.invalid' });
    oci.addPackagingConfig({ id: PACKAGING_CONFIG, distributionChannelId: DISTRIBUTION_CHANNEL, displayName: 'hls', streamPackagingFormat: 'HLS' });
    oci.addMediaAsset({ id: MEDIA_ASSET, compartmentId: COMPARTMENT, displayName: 'scoped asset' });

    // A finished operation, so watching it ends after the first event and leaves no poller behind.
    const created = await postGraphql(
      t.graphqlUrl,
      { query: 'mutation ($i: CreateAssetInput!) { createAsset(input: $i) { name } }', variables: { i: { parent: PARENT, assetId: 'setup', uri: 'gs://mg-scopes/setup.png', type: 'IMAGE' } } },
      { authorization: `Bearer ${await mintToken({ scope: 'admin' })}` },
    );
    runtime.operation = String(at(created.data, 'createAsset.name'));
    if (!runtime.operation.startsWith(PARENT)) throw new Error(`setup: no operation (${JSON.stringify(created)})`);
    livestream.completePendingOperations();
  });

  afterAll(async () => {
    stopProducer?.();
    await t?.close();
  });

  const resetUpstream = (): void => resetUpstreamLog(t);
  const upstreamCalls = (): string[] => upstreamOperations(t);

  /** Runs `operation` with a token holding `scopes`: over HTTP, or over graphql-ws for a subscription. */
  async function run(operation: Operation, scopes: readonly Scope[]): Promise<Outcome> {
    const row = MATRIX[operation.name];
    if (row === undefined) throw new Error(`no matrix row for ${operation.name}`);
    const token = await mintToken({ sub: `scopes-${scopes.join('+') || 'none'}`, scope: scopes.join(' ') });
    const variables = row.variables();
    if (operation.kind !== 'subscription') {
      const response = await postGraphql(t.graphqlUrl, { query: operation.query, operationName: operation.name, variables }, { authorization: `Bearer ${token}` });
      return { status: response.status, errors: response.errors ?? [], data: response.data };
    }
    const client = createWsClient({ url: t.graphqlUrl.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: { authorization: `Bearer ${token}` } });
    const errors: GraphQLFormattedError[] = [];
    let data: unknown;
    try {
      const iterator = client.iterate({ query: operation.query, operationName: operation.name, variables });
      for (;;) {
        let result: IteratorResult<{ readonly data?: unknown; readonly errors?: readonly GraphQLFormattedError[] }>;
        try {
          result = await within(iterator.next(), 10_000, `a result of ${operation.name}`);
        } catch (error) {
          // graphql-ws rejects with the GraphQL errors of an `error` message.
          if (!Array.isArray(error)) throw error;
          errors.push(...(error as GraphQLFormattedError[]));
          break;
        }
        if (result.done === true) break;
        data = result.value.data;
        errors.push(...(result.value.errors ?? []));
        if (result.value.errors !== undefined || (row.until ?? (() => true))(data)) break;
      }
      await iterator.return?.();
    } finally {
      await client.dispose();
    }
    // A live reader stops with its last subscriber (LIVE_LINGER_MS is 0); wait so no call of it lands in a later count.
    await within(kinesis.waitForActiveGetMedia(LIVE_STREAM, 0), 5_000, 'the live reader to stop');
    return { status: 0, errors, data };
  }

  it('has exactly one matrix row per operation of schema/operations when the files are parsed', () => {
    const names = OPERATIONS.map((operation) => operation.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(Object.keys(MATRIX).sort());
    // The parse found queries, mutations and subscriptions alike.
    expect(new Set(OPERATIONS.map((operation) => operation.kind))).toEqual(new Set(['query', 'mutation', 'subscription']));
  });

  it('runs every root field that declares a scope in some operation of the matrix, so none escapes it', () => {
    const rootTypeOf = { query: 'Query', mutation: 'Mutation', subscription: 'Subscription' } as const;
    const covered = new Set(OPERATIONS.map((operation) => `${rootTypeOf[operation.kind]}.${operation.rootFieldName}`));
    // `node`, `nodes` and `_entities` declare no root scope; they are checked per type (below), `nodes` also by GetNodes.
    const scoped = Object.entries(ROOT_FIELD_SCOPES).filter(([, scope]) => scope !== null).map(([field]) => field);
    expect(scoped.filter((field) => !covered.has(field))).toEqual([]);
  });

  /** The registrar of a check: an expected failure while a known bug stands. */
  const test = (bug: string | undefined): ((name: string, body: () => Promise<void>) => void) =>
    bug === undefined ? (name, body) => it(name, body) : (name, body) => it.fails(name, body);
  const titled = (text: string, bug: string | undefined): string => (bug === undefined ? text : `${text} [KNOWN BUG: ${bug}]`);
  /** Every scope but `scope` and admin. */
  // Scopes that also grant reading metadata (see README "Scopes"): a writer may read back what it may write, a
  // subscriber may describe the stream it may watch. "Every scope but X" leaves those out too.
  const IMPLIED_BY: Partial<Record<Scope, readonly Scope[]>> = { 'objects:read': ['objects:write'], 'streams:read': ['streams:subscribe'] };
  const allBut = (scope: Scope): Scope[] =>
    SCOPES.filter((candidate) => candidate !== scope && candidate !== 'admin' && !(IMPLIED_BY[scope] ?? []).includes(candidate));

  for (const operation of OPERATIONS) {
    const row = MATRIX[operation.name];
    const scope = row?.scope ?? 'admin';
    const bugs = { ...row?.knownBugs };

    it(`refuses ${operation.name} before any upstream call when the token has every scope but ${scope}`, async () => {
      resetUpstream();
      const outcome = await run(operation, allBut(scope));
      expect(outcome.errors.length).toBeGreaterThan(0);
      expect(at(outcome.data, operation.rootField) ?? null).toBeNull();
      expect(upstreamCalls()).toEqual([]);
    });

    test(bugs.named)(titled(`names ${scope} in the FORBIDDEN error when refusing ${operation.name}`, bugs.named), async () => {
      const outcome = await run(operation, allBut(scope));
      expect(outcome.errors.length).toBeGreaterThan(0);
      expect(outcome.errors.map((error) => [error.extensions?.['code'], error.extensions?.['scope']])).toEqual(outcome.errors.map(() => ['FORBIDDEN', scope]));
    });

    test(bugs.exact)(titled(`runs ${operation.name} without FORBIDDEN when the token holds only ${scope}`, bugs.exact), async () => {
      const outcome = await run(operation, [scope as Scope]);
      expect(outcome.status === 0 || outcome.status === 200).toBe(true);
      expect(codesOf(outcome)).not.toContain('FORBIDDEN');
      expect(codesOf(outcome)).not.toContain('UNAUTHENTICATED');
    });

    it(`runs ${operation.name} without FORBIDDEN when the token holds admin`, async () => {
      const outcome = await run(operation, ['admin']);
      expect(codesOf(outcome)).not.toContain('FORBIDDEN');
      expect(codesOf(outcome)).not.toContain('UNAUTHENTICATED');
    });
  }

  /**
   * `node` and `_entities` declare no root scope: the data-level boundary must check each type's scope, before
   * any upstream call. `upstreamBug`: the refusal reads the provider first today.
   */
  const NODE_TYPES: readonly { readonly type: NodeTypeName; readonly key: () => string; readonly scope: Scope; readonly upstreamBug?: string }[] = [
    { type: 'MediaObject', key: () => OBJECT, scope: 'objects:read' },
    { type: 'Stream', key: () => kinesis.streamInfo(STREAM)?.arn ?? '', scope: 'streams:read' },
    { type: 'Asset', key: () => ASSET, scope: 'livestream:read' },
    { type: 'Channel', key: () => CHANNEL, scope: 'livestream:read' },
    { type: 'DvrSession', key: () => DVR_SESSION, scope: 'livestream:read' },
    { type: 'Operation', key: () => runtime.operation, scope: 'livestream:read' },
    { type: 'MediaAsset', key: () => MEDIA_ASSET, scope: 'oci:issue' },
    { type: 'StreamPackagingConfig', key: () => PACKAGING_CONFIG, scope: 'oci:issue' },
    { type: 'StreamDistributionChannel', key: () => DISTRIBUTION_CHANNEL, scope: 'oci:issue' },
    { type: 'Playlist', key: () => `${PACKAGING_CONFIG}/${MEDIA_ASSET}`, scope: 'oci:issue' },
  ];

  /** `node(id)` and, for entity types, `_entities` of the same id, with a token holding `scopes`. */
  async function lookups(type: NodeTypeName, key: string, scopes: readonly Scope[]): Promise<{ readonly node: Outcome; readonly entities: Outcome | undefined }> {
    const headers = { authorization: `Bearer ${await mintToken({ sub: 'node-caller', scope: scopes.join(' ') })}` };
    const id = encodeGlobalId(type, key);
    const node = await postGraphql(t.graphqlUrl, { query: 'query ($id: ID!) { node(id: $id) { __typename id } }', variables: { id } }, headers);
    if (type === 'Playlist') return { node: { status: node.status, errors: node.errors ?? [], data: node.data }, entities: undefined };
    const entities = await postGraphql(t.graphqlUrl, { query: 'query ($r: [_Any!]!) { _entities(representations: $r) { __typename } }', variables: { r: [{ __typename: type, id }] } }, headers);
    return { node: { status: node.status, errors: node.errors ?? [], data: node.data }, entities: { status: entities.status, errors: entities.errors ?? [], data: entities.data } };
  }

  for (const kind of NODE_TYPES) {
    it(`refuses node and _entities of a ${kind.type} with FORBIDDEN naming ${kind.scope} when the token has every scope but ${kind.scope}`, async () => {
      const { node, entities } = await lookups(kind.type, kind.key(), allBut(kind.scope));
      for (const outcome of [node, ...(entities === undefined ? [] : [entities])]) {
        expect(outcome.errors.map((error) => [error.extensions?.['code'], error.extensions?.['scope']])).toEqual([['FORBIDDEN', kind.scope]]);
      }
      expect(at(node.data, 'node')).toBeNull();
    });

    test(kind.upstreamBug)(titled(`makes no upstream call when refusing node and _entities of a ${kind.type} for lack of ${kind.scope}`, kind.upstreamBug), async () => {
      resetUpstream();
      await lookups(kind.type, kind.key(), allBut(kind.scope));
      expect(upstreamCalls()).toEqual([]);
    });

    it(`resolves node and _entities of a ${kind.type} when the token holds only ${kind.scope}`, async () => {
      const { node, entities } = await lookups(kind.type, kind.key(), [kind.scope]);
      expect(node.errors).toEqual([]);
      expect(at(node.data, 'node.__typename')).toBe(kind.type);
      if (entities !== undefined) expect(at(entities.data, '_entities.0.__typename')).toBe(kind.type);
    });
  }

  it('writes and answers with the stored object when putObject comes from a token with only objects:write', async () => {
    const token = await mintToken({ sub: 'writer', scope: 'objects:write' });
    const path = 'scopes/write-only.txt';
    const response = await postGraphql(
      t.graphqlUrl,
      { query: 'mutation ($i: PutObjectInput!) { putObject(input: $i) { object { path } } }', variables: { i: { path, body: 'written by a write-only token' } } },
      { authorization: `Bearer ${token}` },
    );
    const refused = (response.errors ?? []).some((error) => error.extensions?.['code'] === 'FORBIDDEN');
    // Either the write succeeds and says so, or it is refused and nothing is written.
    expect({ refused, written: t.emulator.readObjectDirect(path) !== undefined }).toEqual({ refused: false, written: true });
  });

  it('writes nothing through createObjectUpload when the token lacks objects:write', async () => {
    // The mutation itself checks nothing, and the URL it signs grants objects:write at PUT /objects on its own:
    // only the root-field scope check stands between a read-only (or scope-less) token and any write.
    const path = 'scopes/escalated.txt';
    for (const scope of ['objects:read', '']) {
      const token = await mintToken({ sub: `uploader-${scope || 'none'}`, scope });
      const response = await postGraphql(
        t.graphqlUrl,
        { query: 'mutation ($i: CreateObjectUploadInput!) { createObjectUpload(input: $i) { url } }', variables: { i: { path, contentType: 'text/plain' } } },
        { authorization: `Bearer ${token}` },
      );
      const url = at(response.data, 'createObjectUpload.url');
      if (typeof url === 'string') {
        const put = await fetch(url, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: `escalated with '${scope}'` });
        expect({ scope, status: put.status }).toEqual({ scope, status: 403 });
      }
      expect(t.emulator.readObjectDirect(path)).toBeUndefined();
    }
  });

  it('answers introspection when the token has no scope at all', async () => {
    const token = await mintToken({ sub: 'no-scopes', scope: '' });
    const response = await postGraphql(t.graphqlUrl, { query: '{ __schema { queryType { name } } }' }, { authorization: `Bearer ${token}` });
    expect(response.errors).toBeUndefined();
    expect(response.data).toEqual({ __schema: { queryType: { name: 'Query' } } });
  });

  it('refuses a query field before any upstream call when the token has no scope at all', async () => {
    resetUpstream();
    const token = await mintToken({ sub: 'no-scopes', scope: '' });
    const response = await postGraphql(t.graphqlUrl, { query: `{ __typename object(path: "${OBJECT}") { path } }` }, { authorization: `Bearer ${token}` });
    expect(at(response.data, 'object') ?? null).toBeNull();
    expect(response.errors?.length).toBeGreaterThan(0);
    expect(upstreamCalls()).toEqual([]);
  });

  it(`names objects:read in the FORBIDDEN error when the token has no scope at all`, async () => {
    const token = await mintToken({ sub: 'no-scopes', scope: '' });
    const response = await postGraphql(t.graphqlUrl, { query: `{ __typename object(path: "${OBJECT}") { path } }` }, { authorization: `Bearer ${token}` });
    expect(response.errors?.map((error) => [error.extensions?.['code'], error.extensions?.['scope']])).toEqual([['FORBIDDEN', 'objects:read']]);
  });

  it('answers 401 UNAUTHENTICATED when the request is anonymous', async () => {
    resetUpstream();
    const response = await fetch(t.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }) });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('Bearer');
    const body = (await response.json()) as { errors?: GraphQLFormattedError[]; data?: unknown };
    expect(body.data).toBeUndefined();
    expect(body.errors?.map((error) => error.extensions?.['code'])).toEqual(['UNAUTHENTICATED']);
    expect(upstreamCalls()).toEqual([]);
  });
});
