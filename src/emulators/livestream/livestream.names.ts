import { invalidArgument } from './livestream.status.js';

/**
 * Resource names and ids of the Live Stream API (`projects/{project}/locations/{location}/...`) and their
 * documented constraints.
 */

/** Documented id rule of assets, channels and DVR sessions: 1-63 chars, `[a-z0-9]` at both ends, dashes inside. */
const RESOURCE_ID_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

const SEGMENT = '([^/]+)';
const LOCATION = new RegExp(`^projects/${SEGMENT}/locations/${SEGMENT}$`);
const CHILD = (collection: string): RegExp => new RegExp(`^(projects/${SEGMENT}/locations/${SEGMENT})/${collection}/${SEGMENT}$`);
const ASSET = CHILD('assets');
const CHANNEL = CHILD('channels');
const OPERATION = CHILD('operations');
const DVR_SESSION = new RegExp(`^(projects/${SEGMENT}/locations/${SEGMENT}/channels/${SEGMENT})/dvrSessions/${SEGMENT}$`);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks a `parent` of the form `projects/{project}/locations/{location}`.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT otherwise.
 */
export function requireLocation(parent: string): string {
  if (!LOCATION.test(parent)) throw invalidArgument(`parent must look like projects/{project}/locations/{location}, got ${JSON.stringify(parent)}`);
  return parent;
}

/** A child resource name split into its parent and id. */
export interface ChildName {
  readonly name: string;
  readonly parent: string;
  readonly id: string;
}

function child(pattern: RegExp, name: string, what: string): ChildName {
  const match = pattern.exec(name);
  const parent = match?.[1];
  const id = match?.at(-1);
  if (match === null || parent === undefined || id === undefined) throw invalidArgument(`${what} must look like ${pattern.source.replace(/\(\[\^\/\]\+\)/g, '*')}`);
  return { name, parent, id };
}

/**
 * Parses `projects/{p}/locations/{l}/assets/{asset}`.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT when `name` has another shape.
 */
export function parseAssetName(name: string): ChildName {
  return child(ASSET, name, 'asset name');
}

/**
 * Parses `projects/{p}/locations/{l}/channels/{channel}`.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT when `name` has another shape.
 */
export function parseChannelName(name: string): ChildName {
  return child(CHANNEL, name, 'channel name');
}

/**
 * Parses `projects/{p}/locations/{l}/operations/{operation}`.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT when `name` has another shape.
 */
export function parseOperationName(name: string): ChildName {
  return child(OPERATION, name, 'operation name');
}

/**
 * Parses `projects/{p}/locations/{l}/channels/{channel}/dvrSessions/{session}`; `parent` is the channel.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT when `name` has another shape.
 */
export function parseDvrSessionName(name: string): ChildName {
  return child(DVR_SESSION, name, 'DVR session name');
}

/** The location (`projects/{p}/locations/{l}`) a resource name lives in; `undefined` when it has none. */
export function locationOf(name: string): string | undefined {
  return /^projects\/[^/]+\/locations\/[^/]+/.exec(name)?.[0];
}

/**
 * Checks a new resource id against {@link RESOURCE_ID_PATTERN}.
 *
 * @throws LiveStreamRpcError INVALID_ARGUMENT when it does not match.
 */
export function requireResourceId(id: string, field: string): string {
  if (!RESOURCE_ID_PATTERN.test(id)) {
    throw invalidArgument(`${field} must be 1-63 characters of [a-z0-9-], starting and ending with [a-z0-9]`);
  }
  return id;
}

/**
 * Checks an optional `request_id`: empty, or a UUID other than the zero UUID (documented).
 *
 * @returns the id, or `undefined` when empty.
 * @throws LiveStreamRpcError INVALID_ARGUMENT for anything else.
 */
export function optionalRequestId(requestId: string | undefined): string | undefined {
  if (requestId === undefined || requestId === '') return undefined;
  if (!UUID.test(requestId) || /^[0-]+$/.test(requestId)) throw invalidArgument('request_id must be a valid non-zero UUID');
  return requestId.toLowerCase();
}
