import type {
  DashManifest,
  HlsMasterPlaylist,
  MediaAsset,
  SessionToken,
  SessionTokenScope,
  StreamPackagingConfig,
} from '../../datasources/oci/oci.types.js';
import { DomainError, badInput } from '../../core/domain-error.js';
import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from '../../core/type-graphql.js';
import type { RequestContext } from '../../auth/services.js';
import { MediaAssetType } from './media-asset.type.js';
import { encodePlaylistId, requireOci, toOcid, type PlaylistKey } from './oci-ids.js';
import {
  DashManifestType,
  HlsMasterPlaylistType,
  PlaylistType,
  type PlaylistSource,
} from './playlist.type.js';
import { GenerateSessionTokenInput, SessionTokenType, type SessionTokenScopeEnum } from './session-token.type.js';
import { StreamPackagingConfigType, StreamPackagingFormat } from './stream-packaging.type.js';

/** Most assets one session token may be limited to. */
export const SESSION_TOKEN_MAX_ASSETS = 100;
/** Longest session token accepted as an argument. */
const SESSION_TOKEN_MAX_LENGTH = 4096;

/** The packaging configuration of `id` through the request's loader. @throws DomainError `NOT_FOUND`. */
async function packagingConfigOf(context: RequestContext, id: string): Promise<StreamPackagingConfig> {
  const config = await context.loaders.packagingConfig.load(id);
  if (config === null) throw new DomainError('NOT_FOUND', 'The stream packaging configuration does not exist.');
  return config;
}

/**
 * Generates the playlist of `key` (with `token` in its media URIs when given) on the channel of its
 * packaging configuration, which is looked up through the request's loader.
 *
 * @throws DomainError `NOT_FOUND` (configuration or asset), `BAD_USER_INPUT` (a token the service
 *   refuses), `CONFLICT` (asset not ACTIVE), `UPSTREAM_*`.
 */
export async function generatePlaylist(context: RequestContext, key: PlaylistKey, token: string | undefined): Promise<PlaylistSource> {
  const { mediaStreams } = requireOci(context.services);
  // The asset id alone can be refused; doing that before the configuration lookup spares a foreign request its call.
  context.access.ociMediaAsset(key.mediaAssetId, 'oci:issue');
  const config = await packagingConfigOf(context, key.packagingConfigId);
  const generated = await mediaStreams.generatePlaylist(
    { distributionChannelId: config.distributionChannelId, packagingConfigId: key.packagingConfigId, mediaAssetId: key.mediaAssetId, token },
    { signal: context.signal },
  );
  return { ...key, generated };
}

/** GraphQL scopes to the domain's. */
const SCOPES: Readonly<Record<SessionTokenScopeEnum, SessionTokenScope>> = { PLAYLIST: 'PLAYLIST', EDGE: 'EDGE' };

/** Validates the ids and expiry of a session token request before any upstream call. */
function checkSessionTokenInput(input: GenerateSessionTokenInput, now: number): {
  readonly packagingConfigId: string;
  readonly assetIds: readonly string[];
  readonly scopes: readonly SessionTokenScope[];
  readonly expiresAt: Date | undefined;
} {
  const packagingConfigId = toOcid(input.packagingConfigId, 'StreamPackagingConfig', 'input.packagingConfigId');
  const assets = input.assetIds ?? [];
  if (assets.length > SESSION_TOKEN_MAX_ASSETS) {
    throw badInput(`\`input.assetIds\` may hold at most ${SESSION_TOKEN_MAX_ASSETS} ids.`, { argument: 'input.assetIds', max: SESSION_TOKEN_MAX_ASSETS });
  }
  const assetIds = [...new Set(assets.map((id) => toOcid(id, 'MediaAsset', 'input.assetIds')))];
  const scopes = [...new Set(input.scopes.map((scope) => SCOPES[scope]))];
  if (scopes.length === 0) throw badInput('`input.scopes` must name at least one scope.', { argument: 'input.scopes' });
  const expiresAt = input.expiresAt ?? undefined;
  if (expiresAt !== undefined && !(expiresAt.getTime() > now)) {
    throw badInput('`input.expiresAt` must be in the future.', { argument: 'input.expiresAt' });
  }
  return { packagingConfigId, assetIds, scopes, expiresAt };
}

/** Playlists and session tokens of OCI Media Streams. */
@Resolver(() => PlaylistType)
export class PlaylistsResolver {
  @Query(() => PlaylistType, {
    description:
      'Generates the playlist of a media asset under a packaging configuration (GeneratePlaylist on the configuration\'s distribution channel) and parses it. `NOT_FOUND` for an unknown configuration or asset, `CONFLICT` when the asset is not ACTIVE.',
  })
  async playlist(
    @Arg('streamPackagingConfigId', () => String, { description: 'The packaging configuration: its OCID or `StreamPackagingConfig.id`.' })
    streamPackagingConfigId: string,
    @Arg('mediaAssetId', () => String, { description: 'The media asset: its OCID or `MediaAsset.id`.' }) mediaAssetId: string,
    @Arg('sessionToken', () => String, {
      nullable: true,
      description: 'A session token with scope PLAYLIST (from `generateSessionToken`); the media URIs of the playlist then carry it.',
    })
    sessionToken: string | null | undefined,
    @Ctx() context: RequestContext,
  ): Promise<PlaylistSource> {
    const key: PlaylistKey = {
      packagingConfigId: toOcid(streamPackagingConfigId, 'StreamPackagingConfig', 'streamPackagingConfigId'),
      mediaAssetId: toOcid(mediaAssetId, 'MediaAsset', 'mediaAssetId'),
    };
    if (sessionToken != null && (sessionToken === '' || sessionToken.length > SESSION_TOKEN_MAX_LENGTH)) {
      throw badInput(`\`sessionToken\` must be 1 to ${SESSION_TOKEN_MAX_LENGTH} characters.`, { argument: 'sessionToken' });
    }
    return generatePlaylist(context, key, sessionToken ?? undefined);
  }

  @Mutation(() => SessionTokenType, {
    description:
      'Issues a streaming session token for a packaging configuration (GenerateSessionToken on its distribution channel), optionally limited to some assets. The token is a credential: it is never logged.',
  })
  async generateSessionToken(
    @Arg('input', () => GenerateSessionTokenInput, { description: 'Configuration, assets, scopes and expiry of the token.' }) input: GenerateSessionTokenInput,
    @Ctx() context: RequestContext,
  ): Promise<SessionToken> {
    const request = checkSessionTokenInput(input, Date.now());
    const { mediaStreams } = requireOci(context.services);
    for (const id of request.assetIds) context.access.ociMediaAsset(id, 'oci:issue');
    const config = await packagingConfigOf(context, request.packagingConfigId);
    return mediaStreams.generateSessionToken(
      {
        distributionChannelId: config.distributionChannelId,
        packagingConfigId: request.packagingConfigId,
        mediaAssetIds: request.assetIds,
        scopes: request.scopes,
        expiresAt: request.expiresAt,
      },
      { signal: context.signal },
    );
  }

  @FieldResolver(() => ID, { description: 'Globally unique, opaque id; `Query.node` regenerates the playlist (without a session token).' })
  id(@Root() playlist: PlaylistSource): string {
    return encodePlaylistId(playlist);
  }

  @FieldResolver(() => StreamPackagingFormat, { description: 'Format of the playlist.' })
  format(@Root() playlist: PlaylistSource): StreamPackagingFormat {
    return StreamPackagingFormat[playlist.generated.parsed.format];
  }

  @FieldResolver(() => String, { nullable: true, description: 'Media type of the playlist, e.g. `application/vnd.apple.mpegurl`.' })
  contentType(@Root() playlist: PlaylistSource): string | undefined {
    return playlist.generated.contentType;
  }

  @FieldResolver(() => String, {
    description:
      'The playlist text as the service returned it. When a session token was given, its media URIs carry it: treat the text as a secret until the token expires.',
  })
  content(@Root() playlist: PlaylistSource): string {
    return playlist.generated.text;
  }

  @FieldResolver(() => HlsMasterPlaylistType, { nullable: true, description: 'The parsed HLS master playlist; null for DASH.' })
  hls(@Root() playlist: PlaylistSource): HlsMasterPlaylist | null {
    return playlist.generated.parsed.format === 'HLS' ? playlist.generated.parsed : null;
  }

  @FieldResolver(() => DashManifestType, { nullable: true, description: 'The parsed DASH manifest; null for HLS.' })
  dash(@Root() playlist: PlaylistSource): DashManifest | null {
    return playlist.generated.parsed.format === 'DASH' ? playlist.generated.parsed : null;
  }

  @FieldResolver(() => StreamPackagingConfigType, { description: 'The packaging configuration the playlist was generated with.' })
  packagingConfig(@Root() playlist: PlaylistSource, @Ctx() context: RequestContext): Promise<StreamPackagingConfig> {
    return packagingConfigOf(context, playlist.packagingConfigId);
  }

  @FieldResolver(() => MediaAssetType, { nullable: true, description: 'The media asset the playlist plays; null when it no longer exists.' })
  mediaAsset(@Root() playlist: PlaylistSource, @Ctx() { loaders }: RequestContext): Promise<MediaAsset | null> {
    return loaders.mediaAsset.load(playlist.mediaAssetId);
  }
}
