import type { OciOperation } from './oci.faults.js';

/**
 * Request routing of the OCI emulator.
 *
 * One listener serves the Media Services control plane and the Media Streams domain of every
 * distribution channel. A request addresses a channel's domain in one of two ways:
 * - path prefix: `/dc/<domainName>/20211101/...` (what `mediaStreamsEndpoint(domainName)` returns, so the
 *   SDK's MediaStreamClient works without DNS);
 * - `Host: <domainName>[:port]`, for clients that resolve the channel domain to the emulator.
 * Anything else is the control plane.
 */

/** The API version prefix every OCI Media Services path starts with. */
export const OCI_API_VERSION_PREFIX = '/20211101';

/** Path prefix that selects a distribution channel's domain. */
export const CHANNEL_PATH_PREFIX = '/dc/';

/** Where a request goes. */
export interface Route {
  readonly operation: OciOperation;
  /** The channel domain the request addressed (Media Streams), if any. */
  readonly channelDomain: string | undefined;
  /** The `{id}` path parameter of get operations. */
  readonly resourceId: string | undefined;
}

/** Host name without port, lower-cased; `undefined` when the header is absent or unparsable. */
export function hostName(host: string | undefined): string | undefined {
  if (host === undefined || host === '') return undefined;
  try {
    return new URL(`http://${host}`).hostname.toLowerCase();
  } catch {
    // An unparsable Host header cannot name a channel: route to the control plane, which answers 404.
    return undefined;
  }
}

const COLLECTIONS: Readonly<Record<string, readonly [list: OciOperation, get: OciOperation]>> = {
  mediaAssets: ['ListMediaAssets', 'GetMediaAsset'],
  streamPackagingConfigs: ['ListStreamPackagingConfigs', 'GetStreamPackagingConfig'],
  streamDistributionChannels: ['ListStreamDistributionChannels', 'GetStreamDistributionChannel'],
};

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    // Malformed percent-encoding: the path routes nowhere (404 NotFound).
    return undefined;
  }
}

/**
 * Routes `method` + `pathname` (no query). `isChannelHost` tells whether a Host name is a known channel
 * domain (host-based addressing).
 */
export function routeRequest(method: string, pathname: string, host: string | undefined, isChannelHost: (name: string) => boolean): Route {
  let path = pathname;
  let channelDomain: string | undefined;
  if (path.startsWith(CHANNEL_PATH_PREFIX)) {
    const end = path.indexOf('/', CHANNEL_PATH_PREFIX.length);
    const segment = end < 0 ? path.slice(CHANNEL_PATH_PREFIX.length) : path.slice(CHANNEL_PATH_PREFIX.length, end);
    channelDomain = decodeSegment(segment)?.toLowerCase();
    path = end < 0 ? '' : path.slice(end);
  } else {
    const name = hostName(host);
    if (name !== undefined && isChannelHost(name)) channelDomain = name;
  }
  const unknown: Route = { operation: 'Unknown', channelDomain, resourceId: undefined };
  if (channelDomain === '' || !path.startsWith(`${OCI_API_VERSION_PREFIX}/`)) return unknown;
  const segments = path.slice(OCI_API_VERSION_PREFIX.length + 1).split('/');

  if (channelDomain !== undefined) {
    // A channel domain serves the Media Streams actions only.
    if (segments.length !== 2 || segments[0] !== 'actions') return unknown;
    if (segments[1] === 'generatePlaylist' && method === 'GET') return { ...unknown, operation: 'GeneratePlaylist' };
    if (segments[1] === 'generateSessionToken' && method === 'POST') return { ...unknown, operation: 'GenerateSessionToken' };
    return unknown;
  }

  const collection = COLLECTIONS[segments[0] ?? ''];
  if (collection === undefined || method !== 'GET') return unknown;
  if (segments.length === 1) return { ...unknown, operation: collection[0] };
  if (segments.length === 2 && segments[1] !== '') {
    const id = decodeSegment(segments[1] ?? '');
    return id === undefined ? unknown : { ...unknown, operation: collection[1], resourceId: id };
  }
  return unknown;
}
