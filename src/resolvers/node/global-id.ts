/** Types that can be fetched through `node(id)`. */
export type NodeTypeName =
  | 'MediaObject'
  | 'Stream'
  | 'MediaAsset'
  | 'StreamPackagingConfig'
  | 'StreamDistributionChannel'
  | 'Playlist'
  | 'Asset'
  | 'Channel'
  | 'DvrSession'
  | 'Operation';

const NODE_TYPES: ReadonlySet<string> = new Set<NodeTypeName>([
  'MediaObject',
  'Stream',
  'MediaAsset',
  'StreamPackagingConfig',
  'StreamDistributionChannel',
  'Playlist',
  'Asset',
  'Channel',
  'DvrSession',
  'Operation',
]);

/**
 * Encodes a Relay global id: base64url of `Type:key`. Opaque to clients but not secret and not signed:
 * possession of an id grants nothing, every fetch is authorized on its own.
 */
export function encodeGlobalId(type: NodeTypeName, key: string): string {
  return Buffer.from(`${type}:${key}`, 'utf8').toString('base64url');
}

/** Decodes a global id; `undefined` when it is malformed or names an unknown type. */
export function decodeGlobalId(id: string): { readonly type: NodeTypeName; readonly key: string } | undefined {
  if (id.length === 0 || id.length > 2048 || !/^[A-Za-z0-9_-]+$/.test(id)) return undefined;
  const text = Buffer.from(id, 'base64url').toString('utf8');
  const colon = text.indexOf(':');
  if (colon <= 0) return undefined;
  const type = text.slice(0, colon);
  if (!NODE_TYPES.has(type)) return undefined;
  return { type: type as NodeTypeName, key: text.slice(colon + 1) };
}
