import { OciWireError } from './oci.errors.js';
import { sendJson, type OperationContext } from './oci.operations.js';
import { PLAYLIST_CONTENT_TYPES, renderDashMpd, renderHlsMaster } from './oci.playlists.js';
import type { StoredDistributionChannel, StoredPackagingConfig } from './oci.store.js';

/**
 * The Media Streams operations, served on a distribution channel's domain: GeneratePlaylist and
 * GenerateSessionToken. The channel is resolved by the caller (emulator routing) before these run.
 */

/** Lifetime of a session token when the request gives no `timeExpires` (emulator choice). */
export const OCI_DEFAULT_SESSION_TTL_MS = 60 * 60 * 1000;

/** Scopes a session token may carry (`GenerateSessionTokenDetails.Scopes`). */
const SESSION_SCOPES: ReadonlySet<string> = new Set(['PLAYLIST', 'EDGE']);

/** The packaging configuration `id` of `channel`; a configuration of another channel is not found there. */
function configOfChannel(ctx: OperationContext, channel: StoredDistributionChannel, id: string): StoredPackagingConfig {
  const config = ctx.store.packagingConfigs.get(id);
  if (config === undefined || config.distributionChannelId !== channel.id) throw OciWireError.of('NotAuthorizedOrNotFound');
  return config;
}

/**
 * Checks a session token presented to GeneratePlaylist. A token that is forged, expired, from another
 * channel or configuration, without the PLAYLIST scope or not covering the asset is a 400
 * InvalidParameter (emulator choice: the reference does not say; a 401 would blame the API key).
 */
function checkPlaylistToken(ctx: OperationContext, token: string, channelId: string, configId: string, assetId: string): void {
  const claims = ctx.sessions.read(token);
  const valid =
    claims !== undefined &&
    claims.channelId === channelId &&
    claims.packagingConfigId === configId &&
    claims.scopes.includes('PLAYLIST') &&
    (claims.assetIds.length === 0 || claims.assetIds.includes(assetId)) &&
    claims.expiresAtMs > ctx.now();
  if (!valid) throw OciWireError.of('InvalidParameter', 'The session token is invalid, expired or does not cover this request.');
}

/**
 * `GET /20211101/actions/generatePlaylist?streamPackagingConfigId=&mediaAssetId=&token=` on the channel's
 * domain. Answers the master playlist as text: HLS (`application/vnd.apple.mpegurl`) or DASH
 * (`application/dash+xml`) depending on the packaging configuration.
 */
export function generatePlaylist(ctx: OperationContext, channel: StoredDistributionChannel, params: URLSearchParams): void {
  const configId = params.get('streamPackagingConfigId');
  const assetId = params.get('mediaAssetId');
  if (configId === null || configId === '') throw OciWireError.of('MissingParameter', 'Missing required parameter streamPackagingConfigId.');
  if (assetId === null || assetId === '') throw OciWireError.of('MissingParameter', 'Missing required parameter mediaAssetId.');
  const config = configOfChannel(ctx, channel, configId);
  const asset = ctx.store.assets.get(assetId);
  if (asset === undefined) throw OciWireError.of('NotAuthorizedOrNotFound');
  const token = params.get('token') ?? undefined;
  if (token !== undefined) checkPlaylistToken(ctx, token, channel.id, config.id, asset.id);
  // Only an ACTIVE asset has packaged media (emulator choice for the status: 409 Conflict, not retried).
  if (asset.lifecycleState !== 'ACTIVE') {
    throw OciWireError.of('Conflict', `The media asset is ${asset.lifecycleState}; only ACTIVE assets can be played.`);
  }
  if (config.lifecycleState !== 'ACTIVE' || channel.lifecycleState !== 'ACTIVE') {
    throw OciWireError.of('Conflict', 'The packaging configuration or distribution channel is not ACTIVE.');
  }
  const context = { asset, config, channel, token };
  const text = config.streamPackagingFormat === 'HLS' ? renderHlsMaster(context) : renderDashMpd(context);
  ctx.res.writeHead(200, {
    'content-type': PLAYLIST_CONTENT_TYPES[config.streamPackagingFormat],
    'content-length': Buffer.byteLength(text),
    'opc-request-id': ctx.requestId,
    'cache-control': 'no-store',
  });
  ctx.res.end(text);
}

function parseDetails(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw OciWireError.of('CannotParseRequest', `The request body is not valid JSON: ${error instanceof Error ? error.name : 'error'}.`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw OciWireError.of('CannotParseRequest', 'The request body must be a JSON object.');
  }
  return parsed as Record<string, unknown>;
}

function stringArray(value: unknown, name: string): string[] {
  if (!Array.isArray(value) || !value.every((item): item is string => typeof item === 'string')) {
    throw OciWireError.of('InvalidParameter', `${name} must be an array of strings.`);
  }
  return value;
}

/**
 * `POST /20211101/actions/generateSessionToken` on the channel's domain, body `GenerateSessionTokenDetails`
 * (`packagingConfigId`, `scopes`, optional `assetIds` and `timeExpires`). Answers `{"token": "..."}`.
 */
export function generateSessionToken(ctx: OperationContext, channel: StoredDistributionChannel, body: Buffer): void {
  const details = parseDetails(body);
  if (typeof details.packagingConfigId !== 'string' || details.packagingConfigId === '') {
    throw OciWireError.of('MissingParameter', 'Missing required parameter packagingConfigId.');
  }
  if (details.scopes === undefined) throw OciWireError.of('MissingParameter', 'Missing required parameter scopes.');
  const scopes = stringArray(details.scopes, 'scopes');
  if (scopes.length === 0 || scopes.some((scope) => !SESSION_SCOPES.has(scope))) {
    throw OciWireError.of('InvalidParameter', 'scopes must be a non-empty subset of PLAYLIST, EDGE.');
  }
  const assetIds = details.assetIds === undefined ? [] : stringArray(details.assetIds, 'assetIds');
  const config = configOfChannel(ctx, channel, details.packagingConfigId);
  if (assetIds.some((id) => !ctx.store.assets.has(id))) throw OciWireError.of('NotAuthorizedOrNotFound');
  let expiresAtMs = ctx.now() + OCI_DEFAULT_SESSION_TTL_MS;
  if (details.timeExpires !== undefined) {
    expiresAtMs = typeof details.timeExpires === 'string' ? Date.parse(details.timeExpires) : Number.NaN;
    if (!Number.isFinite(expiresAtMs)) throw OciWireError.of('InvalidParameter', 'timeExpires must be an RFC 3339 date-time.');
    if (expiresAtMs <= ctx.now()) throw OciWireError.of('InvalidParameter', 'timeExpires must be in the future.');
  }
  const token = ctx.sessions.issue({ channelId: channel.id, packagingConfigId: config.id, assetIds, scopes, expiresAtMs });
  sendJson(ctx, { token });
}
