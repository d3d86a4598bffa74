import { graphql, parse, type GraphQLSchema } from 'graphql';
import { beforeAll, describe, expect, it } from 'vitest';
import { Access } from '../../../../src/auth/access.js';
import { checkRootFieldScopes } from '../../../../src/auth/field-scopes.js';
import type { Principal, Scope } from '../../../../src/auth/principal.js';
import type { RequestContext, Services } from '../../../../src/auth/services.js';
import { compileTenantPolicy, UNRESTRICTED_POLICY, type TenantPolicy } from '../../../../src/auth/tenant-policy.js';
import { servicesFor } from '../../../../src/auth/tenant-services.js';
import type { FragmentHub, HubOverview } from '../../../../src/live/live.types.js';
import { toLiveHubStatus } from '../../../../src/resolvers/ops/live-hub.type.js';
import { buildFederatedSchema } from '../../../../src/schema/build-schema.js';

const LOCAL: HubOverview = {
  mode: 'LOCAL',
  instance: 'host-1-abc',
  streams: [
    {
      stream: 'tenant-a-cam',
      subscribers: 2,
      upstreamSessions: 1,
      liveReaderRunning: true,
      windowSize: 12,
      state: { status: 'CONNECTED', detail: null },
      lease: undefined,
      interested: undefined,
    },
  ],
  fleet: undefined,
};

const FLEET: HubOverview = {
  mode: 'FLEET',
  instance: 'b',
  streams: [
    {
      stream: 'tenant-a-cam',
      subscribers: 1,
      upstreamSessions: 0,
      liveReaderRunning: false,
      windowSize: 3,
      state: { status: 'ENDED', detail: 'UPSTREAM_FORBIDDEN' },
      lease: { holder: 'a', fencingToken: '1733450000000001' },
      interested: ['a', 'b'],
    },
    {
      stream: 'tenant-b-cam',
      subscribers: 1,
      upstreamSessions: 1,
      liveReaderRunning: true,
      windowSize: 3,
      state: undefined,
      lease: { holder: 'b', fencingToken: '1733450000000002' },
      interested: ['b'],
    },
  ],
  fleet: {
    instances: [
      { id: 'a', alive: true, lastSeenAt: 1_000, expiresAt: 4_000, leasesHeld: 1, streamsWatched: 1 },
      { id: 'b', alive: false, lastSeenAt: undefined, expiresAt: 2_000, leasesHeld: 1, streamsWatched: undefined },
    ],
    failovers: [
      { stream: 'tenant-b-cam', from: 'a', to: 'b', at: 3_000, fencingToken: '1733450000000002', cause: 'EXPIRED' },
      { stream: 'tenant-a-cam', from: 'b', to: 'a', at: 2_500, fencingToken: '1733450000000001', cause: 'HANDOVER' },
    ],
  },
};

/** A hub whose overview is `overview`; every other method is out of scope here. */
function hubAnswering(overview: HubOverview): FragmentHub {
  return {
    subscribe: () => {
      throw new Error('not used');
    },
    stats: () => ({ subscribers: 0, upstreamSessions: 0, liveReaderRunning: false, windowSize: 0 }),
    overview: () => Promise.resolve(overview),
    close: () => Promise.resolve(),
  };
}

/** Just enough of `Services` for `servicesFor` to build the guarded view the resolver reads. */
function servicesWith(hub: FragmentHub): Services {
  const stub = {
    objectStore: { provider: 's3', limits: {}, direct: undefined },
    cursors: { forTenant: () => ({}) },
    urls: { forTenant: () => ({}) },
    kinesis: { control: {}, archived: {} },
    hub,
    livestream: undefined,
    oci: undefined,
  };
  return stub as unknown as Services;
}

function accessFor(scopes: readonly Scope[], policy: TenantPolicy = UNRESTRICTED_POLICY, tenant: string | undefined = undefined): Access {
  const principal: Principal = { kind: 'jwt', subject: 'op', tenant, scopes: new Set(scopes), expiresAt: undefined };
  return new Access(principal, policy);
}

function contextFor(access: Access, hub: FragmentHub): RequestContext {
  const context = { services: servicesFor(servicesWith(hub), access), access, loaders: {}, signal: new AbortController().signal };
  return context as unknown as RequestContext;
}

const QUERY = '{ liveHub { mode instance streams { name status lease { holder heldByThisInstance } } fleet { recentFailovers { stream cause } } } }';

describe('toLiveHubStatus', () => {
  it('maps a local overview with no lease, no interest and no fleet when the hub runs in process', () => {
    expect(toLiveHubStatus(LOCAL)).toEqual({
      mode: 'LOCAL',
      instance: 'host-1-abc',
      streams: [
        {
          name: 'tenant-a-cam',
          status: 'CONNECTED',
          statusDetail: null,
          subscribers: 2,
          upstreamSessions: 1,
          liveReaderRunning: true,
          windowFragments: 12,
          lease: null,
          interestedInstances: null,
        },
      ],
      fleet: null,
    });
  });

  it('marks this instance and its leases, and turns Redis times into dates when the hub runs in fleet mode', () => {
    const status = toLiveHubStatus(FLEET);
    expect(status.streams.map((stream) => [stream.name, stream.lease?.holder, stream.lease?.heldByThisInstance, stream.status, stream.statusDetail])).toEqual([
      ['tenant-a-cam', 'a', false, 'ENDED', 'UPSTREAM_FORBIDDEN'],
      ['tenant-b-cam', 'b', true, null, null],
    ]);
    expect(status.streams[0]?.interestedInstances).toEqual(['a', 'b']);
    expect(status.fleet?.instances).toEqual([
      { id: 'a', thisInstance: false, alive: true, lastSeenAt: new Date(1_000), expiresAt: new Date(4_000), leasesHeld: 1, streamsWatched: 1 },
      { id: 'b', thisInstance: true, alive: false, lastSeenAt: null, expiresAt: new Date(2_000), leasesHeld: 1, streamsWatched: null },
    ]);
    expect(status.fleet?.recentFailovers[0]).toEqual({
      stream: 'tenant-b-cam',
      fromInstance: 'a',
      toInstance: 'b',
      at: new Date(3_000),
      fencingToken: '1733450000000002',
      cause: 'EXPIRED',
    });
  });
});

describe('Query.liveHub', () => {
  let schema: GraphQLSchema;
  beforeAll(async () => {
    schema = await buildFederatedSchema();
  });

  it('answers with the hub overview when the caller holds ops:read', async () => {
    const result = await graphql({ schema, source: QUERY, contextValue: contextFor(accessFor(['ops:read']), hubAnswering(FLEET)) });
    expect(result.errors).toBeUndefined();
    expect(result.data).toEqual({
      liveHub: {
        mode: 'FLEET',
        instance: 'b',
        streams: [
          { name: 'tenant-a-cam', status: 'ENDED', lease: { holder: 'a', heldByThisInstance: false } },
          { name: 'tenant-b-cam', status: null, lease: { holder: 'b', heldByThisInstance: true } },
        ],
        fleet: { recentFailovers: [{ stream: 'tenant-b-cam', cause: 'EXPIRED' }, { stream: 'tenant-a-cam', cause: 'HANDOVER' }] },
      },
    });
  });

  it('refuses with FORBIDDEN naming ops:read when the caller holds every other scope but admin', async () => {
    const access = accessFor(['objects:read', 'objects:write', 'streams:read', 'streams:subscribe', 'livestream:read', 'livestream:write', 'oci:issue']);
    let asked = false;
    const hub: FragmentHub = {
      ...hubAnswering(LOCAL),
      overview: () => {
        asked = true;
        return Promise.resolve(LOCAL);
      },
    };
    const result = await graphql({ schema, source: QUERY, contextValue: contextFor(access, hub) });
    expect(result.errors?.map((error) => (error.originalError as { code?: string } | undefined)?.code)).toEqual(['FORBIDDEN']);
    expect(result.errors?.[0]?.message).toContain('ops:read');
    expect(asked).toBe(false);
    // The operation-level check refuses it before any resolver runs, naming the scope.
    expect(checkRootFieldScopes(parse(QUERY), undefined, access)?.extensions).toEqual({ code: 'FORBIDDEN', scope: 'ops:read' });
  });

  it('lets admin through when the caller holds no other scope', async () => {
    const result = await graphql({ schema, source: QUERY, contextValue: contextFor(accessFor(['admin'], compileTenantPolicy('ops', {}), 'ops'), hubAnswering(LOCAL)) });
    expect(result.errors).toBeUndefined();
  });

  it('shows a caller bound to a tenant only its own streams and their failovers when it holds ops:read', async () => {
    const policy = compileTenantPolicy('tenant-a', { streams: { names: ['tenant-a-*'] } });
    const result = await graphql({ schema, source: QUERY, contextValue: contextFor(accessFor(['ops:read'], policy, 'tenant-a'), hubAnswering(FLEET)) });
    expect(result.errors).toBeUndefined();
    const liveHub = (result.data as { liveHub: { streams: { name: string }[]; fleet: { recentFailovers: { stream: string }[] } } }).liveHub;
    expect(liveHub.streams.map((stream) => stream.name)).toEqual(['tenant-a-cam']);
    expect(liveHub.fleet.recentFailovers.map((failover) => failover.stream)).toEqual(['tenant-a-cam']);
  });
});
