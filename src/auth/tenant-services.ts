import type { CallOptions, DirectTransfers, ObjectStore, PutObjectInput } from '../datasources/object-store/object-store.js';
import type { StreamRef } from '../datasources/kinesis/kinesis.types.js';
import type { LiveStreamPage, LongRunningOperation } from '../datasources/livestream/livestream.types.js';
import type { OciPage } from '../datasources/oci/oci.types.js';
import { liveStreamNotFoundError } from '../datasources/livestream/livestream.errors.js';
import { ociNotFoundError } from '../datasources/oci/oci.errors.js';
import { DomainError } from '../core/domain-error.js';
import type { FragmentHub } from '../live/live.types.js';
import type { Api, Services } from './services.js';
import type { Access } from './access.js';
import type { OwnershipMemo } from './ownership-memo.js';
import type { Scope } from './principal.js';

/**
 * The authorization boundary. Returns the view of `services` that one caller's request context holds: every
 * datasource method first checks the caller's scope and tenant (see {@link Access}) and only then calls the
 * provider, lists are narrowed to the tenant, and cursors and signed URLs are bound to the tenant. Resolvers,
 * DataLoaders, `node`, `_entities`, subscriptions and the byte endpoints all reach providers only through a
 * request context, so they all cross this boundary; none of them checks anything itself.
 *
 * Resources addressed by a name the tenant's rules cover (object paths, stream names, Live Stream resource names,
 * OCI OCIDs) are refused before any upstream call. Two owners show only in the provider's answer: the compartment
 * of an OCI resource whose id the tenant's patterns admit, and the target of a Live Stream operation. Those are
 * checked after the read, a foreign one is answered exactly like a missing one, and the owner goes into the
 * process's {@link OwnershipMemo}, so the same probe again is refused before any call.
 *
 * Lifetime: one request or subscription. Cheap to build (a handful of small objects); an unrestricted caller
 * (anonymous development mode, admin without tenant) gets `services` itself.
 */
export function servicesFor(services: Services, access: Access): Services {
  if (access.unrestricted) return services;
  const tenant = access.tenantKey;
  return {
    ...services,
    objectStore: guardObjectStore(services.objectStore, access),
    cursors: services.cursors.forTenant(tenant),
    urls: guardUrls(services.urls.forTenant(tenant), access),
    kinesis: {
      control: guardKinesisControl(services.kinesis.control, access),
      archived: {
        listFragments: (ref, page, options) => {
          access.stream(ref, 'streams:read');
          return services.kinesis.archived.listFragments(ref, page, options);
        },
      },
    },
    hub: guardHub(services.hub, access),
    livestream: services.livestream === undefined ? undefined : guardLiveStream(services.livestream, access, services.owners),
    oci: services.oci === undefined ? undefined : guardOci(services.oci, access, services.owners),
  };
}

/** Signed URLs are capabilities: one is issued only for a path the caller may read (download) or write (upload). */
function guardUrls(urls: Services['urls'], access: Access): Services['urls'] {
  return {
    // A request's signer is bound to its caller's tenant; re-binding it would step around this boundary.
    forTenant: () => {
      throw new DomainError('FORBIDDEN', 'A request cannot issue URLs for another tenant.');
    },
    download: (path, ttlSeconds) => {
      access.object(path, 'objects:read');
      return urls.download(path, ttlSeconds);
    },
    upload: (path, grant, ttlSeconds) => {
      access.object(path, 'objects:write');
      return urls.upload(path, grant, ttlSeconds);
    },
    verifyDownload: (path, query) => urls.verifyDownload(path, query),
    verifyUpload: (path, query) => urls.verifyUpload(path, query),
  };
}

// A caller that may write an object may also read its metadata: `putObject` answers with what it stored.
const DESCRIBE_OBJECT: readonly Scope[] = ['objects:read', 'objects:write'];
// Subscribing resolves the stream first; a subscriber may see the metadata of a stream it may watch.
const DESCRIBE_STREAM: readonly Scope[] = ['streams:read', 'streams:subscribe'];

function guardObjectStore(store: ObjectStore, access: Access): ObjectStore {
  return {
    provider: store.provider,
    limits: store.limits,
    list: (folder, page, options) => {
      access.folder(folder);
      return store.list(folder, page, options);
    },
    describe: (path, options) => {
      access.object(path, DESCRIBE_OBJECT);
      return store.describe(path, options);
    },
    get: (path, range, options) => {
      access.object(path, 'objects:read');
      return store.get(path, range, options);
    },
    put: (input: PutObjectInput, options?: CallOptions) => {
      access.object(input.path, 'objects:write');
      return store.put(input, options);
    },
    delete: (path, options) => {
      access.object(path, 'objects:write');
      return store.delete(path, options);
    },
    checkReachable: (options) => store.checkReachable(options),
    direct: guardDirect(store.direct, access),
  };
}

/** A presigned URL is a capability like the gateway's signed ones: issued only for a path the caller may use. */
function guardDirect(direct: DirectTransfers | undefined, access: Access): DirectTransfers | undefined {
  if (direct === undefined) return undefined;
  return {
    maxUploadBytes: direct.maxUploadBytes,
    download: (path, ttlSeconds) => {
      access.object(path, 'objects:read');
      return direct.download(path, ttlSeconds);
    },
    upload: (path, grant, ttlSeconds) => {
      access.object(path, 'objects:write');
      return direct.upload(path, grant, ttlSeconds);
    },
  };
}

/** The longer of two name prefixes when one extends the other; `undefined` when no name can start with both. */
function narrowerPrefix(a: string, b: string): string | undefined {
  if (a.startsWith(b)) return a;
  if (b.startsWith(a)) return b;
  return undefined;
}

function guardKinesisControl(control: Services['kinesis']['control'], access: Access): Services['kinesis']['control'] {
  return {
    describeStream: (ref: StreamRef, options) => {
      access.stream(ref, DESCRIBE_STREAM);
      return control.describeStream(ref, options);
    },
    // The provider narrows to the literal prefix the tenant's patterns share; when every tenant's patterns start
    // with its own prefix, other tenants' streams are not even fetched and hasNextPage cannot hint at them. What the
    // patterns exclude beyond the prefix is picked out of each page. A page may then come back short or empty with a next token; pagination asks for the next page, as it
    // does for any short page.
    listStreams: async (page, options) => {
      access.requireScope('streams:read');
      // A tenant without stream patterns reaches no stream: listing the account would only spend calls on others'.
      if (!access.policy.unrestricted && !access.policy.hasStreamPatterns) return { streams: [], nextToken: undefined };
      const namePrefix = narrowerPrefix(page.namePrefix ?? '', access.policy.streamNamePrefix);
      if (namePrefix === undefined) return { streams: [], nextToken: undefined };
      const listed = await control.listStreams({ ...page, namePrefix }, options);
      return { streams: listed.streams.filter((stream) => access.ownsStream(stream.name)), nextToken: listed.nextToken };
    },
    dataEndpoint: (ref, api, options) => {
      access.stream(ref, DESCRIBE_STREAM);
      return control.dataEndpoint(ref, api, options);
    },
    invalidateEndpoint: (ref, api) => control.invalidateEndpoint(ref, api),
  };
}

function guardHub(hub: FragmentHub, access: Access): FragmentHub {
  return {
    subscribe: (stream, start, options) => {
      access.stream({ name: stream }, 'streams:subscribe');
      return hub.subscribe(stream, start, options);
    },
    stats: (stream) => {
      access.stream({ name: stream }, 'streams:read');
      return hub.stats(stream);
    },
    // Operator data across tenants: only `ops:read` opens it, and a caller bound to a tenant still sees only that
    // tenant's streams (and their failovers); the instances carry no tenant data.
    overview: async () => {
      access.requireScope('ops:read');
      const overview = await hub.overview();
      if (access.policy.unrestricted) return overview;
      const fleet = overview.fleet;
      return {
        ...overview,
        streams: overview.streams.filter((stream) => access.ownsStream(stream.stream)),
        fleet: fleet === undefined ? undefined : { ...fleet, failovers: fleet.failovers.filter((failover) => access.ownsStream(failover.stream)) },
      };
    },
    // The hub belongs to the process; a request can never close it.
    close: () => Promise.reject(new DomainError('FORBIDDEN', 'The live hub cannot be closed from a request.')),
  };
}

type LiveStreamServices = NonNullable<Services['livestream']>;

function guardLiveStream(livestream: LiveStreamServices, access: Access, owners: OwnershipMemo): LiveStreamServices {
  const { api, dvr } = livestream;
  const owned = <T extends { readonly name: string }>(page: LiveStreamPage<T>): LiveStreamPage<T> => ({
    items: page.items.filter((item) => access.ownsLiveStream(item.name)),
    nextPageToken: page.nextPageToken,
  });
  // An operation's name says only its project and location; the resource it acts on decides whose it is. Only the
  // provider's answer tells, so another tenant's operation is answered exactly as a missing one (FORBIDDEN would
  // confirm that it exists), and its target is remembered so that asking again costs no upstream call.
  const learn = (operation: LongRunningOperation): LongRunningOperation => {
    const target = operation.metadata?.target;
    if (target !== undefined) owners.remember('livestream-operation', operation.name, target);
    return operation;
  };
  const ownOperation = (operation: LongRunningOperation): LongRunningOperation => {
    const target = learn(operation).metadata?.target;
    if (target === undefined || !access.ownsLiveStream(target)) throw liveStreamNotFoundError();
    return operation;
  };
  const checkOperationName = (name: string): void => {
    access.liveStream(name, 'livestream:read');
    const target = owners.ownerOf('livestream-operation', name);
    if (target !== undefined && !access.ownsLiveStream(target)) throw liveStreamNotFoundError();
  };
  // Both APIs read operations (the DVR routes have their own); both are guarded alike.
  const operationReads = (source: Pick<LiveStreamServices['api'], 'getOperation' | 'waitForOperation'>): Pick<LiveStreamServices['api'], 'getOperation' | 'waitForOperation'> => ({
    getOperation: async (name, options) => {
      checkOperationName(name);
      return ownOperation(await source.getOperation(name, options));
    },
    waitForOperation: async (name, options) => {
      checkOperationName(name);
      // Ownership first: waiting on another tenant's running operation would spend polls on it and answer later
      // than for a missing one.
      if (owners.ownerOf('livestream-operation', name) === undefined) ownOperation(await source.getOperation(name, options));
      return ownOperation(await source.waitForOperation(name, options));
    },
  });
  const guardedApi: Api<LiveStreamServices['api']> = {
    createAsset: async (input, options) => {
      access.liveStream(`${input.parent}/assets/${input.assetId}`, 'livestream:write');
      return learn(await api.createAsset(input, options));
    },
    deleteAsset: async (name, options) => {
      access.liveStream(name, 'livestream:write');
      return learn(await api.deleteAsset(name, options));
    },
    getAsset: (name, options) => {
      access.liveStream(name, 'livestream:read');
      return api.getAsset(name, options);
    },
    listAssets: async (parent, query, options) => {
      access.liveStreamParent(parent, 'livestream:read');
      return owned(await api.listAssets(parent, query, options));
    },
    getChannel: (name, options) => {
      access.liveStream(name, 'livestream:read');
      return api.getChannel(name, options);
    },
    listChannels: async (parent, query, options) => {
      access.liveStreamParent(parent, 'livestream:read');
      return owned(await api.listChannels(parent, query, options));
    },
    ...operationReads(api),
  };
  const guardedDvr: Api<LiveStreamServices['dvr']> = {
    createDvrSession: async (input, options) => {
      access.liveStream(`${input.channelName}/dvrSessions/${input.dvrSessionId}`, 'livestream:write');
      return learn(await dvr.createDvrSession(input, options));
    },
    getDvrSession: (name, options) => {
      access.liveStream(name, 'livestream:read');
      return dvr.getDvrSession(name, options);
    },
    listDvrSessions: async (channelName, query, options) => {
      access.liveStreamParent(channelName, 'livestream:read');
      return owned(await dvr.listDvrSessions(channelName, query, options));
    },
    updateDvrSessionWindows: async (name, windows, options) => {
      access.liveStream(name, 'livestream:write');
      return learn(await dvr.updateDvrSessionWindows(name, windows, options));
    },
    deleteDvrSession: async (name, options) => {
      access.liveStream(name, 'livestream:write');
      return learn(await dvr.deleteDvrSession(name, options));
    },
    ...operationReads(dvr),
  };
  return { ...livestream, api: guardedApi, dvr: guardedDvr };
}

type OciServices = NonNullable<Services['oci']>;

function guardOci(oci: OciServices, access: Access, owners: OwnershipMemo): OciServices {
  const { mediaServices, mediaStreams } = oci;
  // An OCID does not carry its compartment: the tenant's id patterns refuse most foreign ids by name (FORBIDDEN,
  // no call); an id the patterns admit (`*`) is the tenant's only when the provider places it in one of the
  // tenant's compartments. A resource in another tenant's compartment is answered exactly as a missing one
  // (FORBIDDEN would confirm that it exists), and its compartment is remembered so that asking again costs no call.
  const ownedCompartment = (compartmentId: string): boolean => access.policy.canAccessOciCompartment(compartmentId);
  const checkRemembered = (id: string): void => {
    const compartmentId = owners.ownerOf('oci', id);
    if (compartmentId !== undefined && !ownedCompartment(compartmentId)) throw ociNotFoundError();
  };
  const inCompartment = <T extends { readonly id: string; readonly compartmentId: string }>(resource: T): T => {
    owners.remember('oci', resource.id, resource.compartmentId);
    if (!ownedCompartment(resource.compartmentId)) throw ociNotFoundError();
    return resource;
  };
  const page = <T extends { readonly id: string; readonly compartmentId: string }>(
    listed: OciPage<T>,
    owns: (item: T) => boolean,
  ): OciPage<T> => {
    for (const item of listed.items) owners.remember('oci', item.id, item.compartmentId);
    return { items: listed.items.filter((item) => ownedCompartment(item.compartmentId) && owns(item)), nextPage: listed.nextPage };
  };
  type Options = Parameters<OciServices['mediaServices']['getDistributionChannel']>[1];
  // Every id a request names is checked by name before any provider call, then against remembered compartments,
  // and only then read: a request naming one foreign resource among its own costs nothing upstream.
  const checkChannel = (id: string): void => {
    access.ociDistributionChannel(id, 'oci:issue');
    checkRemembered(id);
  };
  const checkPackagingConfig = (id: string): void => {
    access.ociPackagingConfig(id, 'oci:issue');
    checkRemembered(id);
  };
  const checkAsset = (id: string): void => {
    access.ociMediaAsset(id, 'oci:issue');
    checkRemembered(id);
  };
  const channelOf = async (id: string, options: Options): Promise<void> => {
    inCompartment(await mediaServices.getDistributionChannel(id, options));
  };
  const assetOf = async (id: string, options: Options): Promise<void> => {
    inCompartment(await mediaServices.getMediaAsset(id, options));
  };
  const guardedServices: Api<OciServices['mediaServices']> = {
    listMediaAssets: async (query, options) => {
      access.ociCompartment(query.compartmentId, 'oci:issue');
      return page(await mediaServices.listMediaAssets(query, options), (asset) => access.policy.canAccessOciMediaAsset(asset.id));
    },
    getMediaAsset: async (id, options) => {
      checkAsset(id);
      return inCompartment(await mediaServices.getMediaAsset(id, options));
    },
    listPackagingConfigs: async (query, options) => {
      checkChannel(query.distributionChannelId);
      await channelOf(query.distributionChannelId, options);
      return page(await mediaServices.listPackagingConfigs(query, options), (config) =>
        access.policy.canAccessOciPackagingConfig(config.id),
      );
    },
    getPackagingConfig: async (id, options) => {
      checkPackagingConfig(id);
      return inCompartment(await mediaServices.getPackagingConfig(id, options));
    },
    listDistributionChannels: async (query, options) => {
      access.ociCompartment(query.compartmentId, 'oci:issue');
      return page(await mediaServices.listDistributionChannels(query, options), (channel) =>
        access.policy.canAccessOciDistributionChannel(channel.id),
      );
    },
    getDistributionChannel: async (id, options) => {
      checkChannel(id);
      return inCompartment(await mediaServices.getDistributionChannel(id, options));
    },
  };
  const guardedStreams: Api<OciServices['mediaStreams']> = {
    generatePlaylist: async (request, options) => {
      checkAsset(request.mediaAssetId);
      checkChannel(request.distributionChannelId);
      checkPackagingConfig(request.packagingConfigId);
      await assetOf(request.mediaAssetId, options);
      // A packaging configuration lives in its channel (Media Streams answers 404 for another channel's), so the
      // channel's compartment decides for both and the configuration needs no read of its own.
      await channelOf(request.distributionChannelId, options);
      return mediaStreams.generatePlaylist(request, options);
    },
    generateSessionToken: async (request, options) => {
      access.requireScope('oci:issue');
      const assets = request.mediaAssetIds ?? [];
      for (const id of assets) checkAsset(id);
      checkChannel(request.distributionChannelId);
      checkPackagingConfig(request.packagingConfigId);
      for (const id of assets) await assetOf(id, options);
      await channelOf(request.distributionChannelId, options);
      return mediaStreams.generateSessionToken(request, options);
    },
    forgetChannel: (id) => mediaStreams.forgetChannel(id),
  };
  return { ...oci, mediaServices: guardedServices, mediaStreams: guardedStreams };
}
