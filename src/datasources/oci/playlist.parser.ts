import { getOptions, parse as parseHls, setOptions } from 'hls-parser';
import type { MasterPlaylist, Rendition, Variant } from 'hls-parser/types.js';
import { parse as parseMpd, type MpdMediaGroupEntry, type MpdPlaylist } from 'mpd-parser';
import type {
  DashManifest,
  DashRepresentation,
  HlsIFrameVariant,
  HlsMasterPlaylist,
  HlsRendition,
  HlsVariant,
  Resolution,
} from './oci.types.js';

/**
 * Pure parsers of the playlists Media Streams generates: HLS master playlists (with `hls-parser`) and
 * DASH MPDs (with `mpd-parser`), reduced to the domain types in `oci.types.ts`. URIs are returned as
 * written (relative ones are not resolved).
 */

/** A playlist that is not a well-formed HLS master playlist or DASH MPD. */
export class PlaylistParseError extends Error {
  /** The format the text was parsed as. */
  readonly format: 'HLS' | 'DASH' | 'unknown';

  constructor(format: 'HLS' | 'DASH' | 'unknown', message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PlaylistParseError';
    this.format = format;
  }
}

/** Media types that announce an HLS playlist (RFC 8216 and the legacy ones still in use). */
const HLS_TYPES: ReadonlySet<string> = new Set(['application/vnd.apple.mpegurl', 'application/x-mpegurl', 'audio/mpegurl', 'audio/x-mpegurl']);
const DASH_TYPE = 'application/dash+xml';

/**
 * Runs hls-parser in strict mode. Its options are module-global and non-strict mode only prints problems
 * to the console and goes on, which would let a broken playlist through as a half-empty one; the previous
 * options are restored afterwards (parse is synchronous, so no other caller can observe the change).
 */
function parseHlsStrictly(text: string): ReturnType<typeof parseHls> {
  const previous = getOptions();
  setOptions({ strictMode: true, silent: true });
  try {
    return parseHls(text);
  } finally {
    setOptions({ strictMode: previous.strictMode ?? false, silent: previous.silent ?? false });
  }
}

function resolutionOf(value: { width?: number; height?: number } | undefined): Resolution | undefined {
  if (value?.width === undefined || value.height === undefined) return undefined;
  return { width: value.width, height: value.height };
}

function toRendition(rendition: Rendition): HlsRendition {
  return {
    type: rendition.type,
    groupId: rendition.groupId,
    name: rendition.name,
    language: rendition.language,
    isDefault: rendition.isDefault,
    autoselect: rendition.autoselect,
    uri: rendition.uri,
    channels: rendition.channels,
  };
}

function toVariant(variant: Variant): HlsVariant {
  return {
    uri: variant.uri,
    bandwidth: variant.bandwidth,
    averageBandwidth: variant.averageBandwidth,
    resolution: resolutionOf(variant.resolution),
    codecs: variant.codecs,
    frameRate: variant.frameRate,
    // hls-parser attaches the group's renditions to the variant rather than the GROUP-ID itself; every
    // member of a group carries the group's id.
    audioGroupId: variant.audio[0]?.groupId,
    subtitlesGroupId: variant.subtitles[0]?.groupId,
    closedCaptionsGroupId: variant.closedCaptions[0]?.groupId,
  };
}

function toIFrameVariant(variant: Variant): HlsIFrameVariant {
  return {
    uri: variant.uri,
    bandwidth: variant.bandwidth,
    averageBandwidth: variant.averageBandwidth,
    resolution: resolutionOf(variant.resolution),
    codecs: variant.codecs,
  };
}

/**
 * Parses an HLS master playlist.
 *
 * Renditions are listed once each (hls-parser repeats them on every variant of their group), in the order
 * their variants reference them; a rendition group no variant references is not reported (no player can
 * select it).
 *
 * @throws PlaylistParseError when the text is not a valid HLS playlist or is a media playlist.
 */
export function parseHlsMasterPlaylist(text: string): HlsMasterPlaylist {
  let playlist: ReturnType<typeof parseHls>;
  try {
    playlist = parseHlsStrictly(text);
  } catch (error) {
    throw new PlaylistParseError('HLS', 'The text is not a valid HLS playlist.', { cause: error });
  }
  if (!playlist.isMasterPlaylist) throw new PlaylistParseError('HLS', 'The HLS playlist is a media playlist, not a master playlist.');
  const master: MasterPlaylist = playlist;
  const variants: HlsVariant[] = [];
  const iFrameVariants: HlsIFrameVariant[] = [];
  const renditions: HlsRendition[] = [];
  const seen = new Set<string>();
  for (const variant of master.variants) {
    if (variant.isIFrameOnly === true) {
      iFrameVariants.push(toIFrameVariant(variant));
      continue;
    }
    variants.push(toVariant(variant));
    for (const rendition of [...variant.audio, ...variant.video, ...variant.subtitles, ...variant.closedCaptions]) {
      // NAME is unique within a group (RFC 8216 §4.3.4.1.1), so type + group + name identifies a rendition.
      const key = `${rendition.type}\u0000${rendition.groupId}\u0000${rendition.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      renditions.push(toRendition(rendition));
    }
  }
  return { format: 'HLS', version: master.version, independentSegments: master.independentSegments, variants, renditions, iFrameVariants };
}

function representation(playlist: MpdPlaylist, contentType: DashRepresentation['contentType'], group: MpdMediaGroupEntry | undefined): DashRepresentation {
  const attributes = playlist.attributes;
  return {
    id: attributes.NAME ?? '',
    contentType,
    bandwidth: attributes.BANDWIDTH,
    codecs: attributes.CODECS,
    resolution: resolutionOf(attributes.RESOLUTION),
    frameRate: attributes['FRAME-RATE'],
    // mpd-parser labels text tracks without a language `und`; that is "unknown", reported as absent.
    language: group?.language === undefined || group.language === '' || group.language === 'und' ? undefined : group.language,
    isDefault: group?.default ?? false,
    segmentCount: playlist.segments?.length ?? 0,
  };
}

function groupRepresentations(
  groups: Readonly<Record<string, Readonly<Record<string, MpdMediaGroupEntry>>>> | undefined,
  contentType: DashRepresentation['contentType'],
): DashRepresentation[] {
  const result: DashRepresentation[] = [];
  for (const labels of Object.values(groups ?? {})) {
    for (const entry of Object.values(labels)) {
      for (const playlist of entry.playlists ?? []) result.push(representation(playlist, contentType, entry));
    }
  }
  return result;
}

/**
 * Parses a DASH MPD into its representations: video first, then audio, then text, each in document order.
 *
 * @param text the MPD document.
 * @param nowMs wall clock for dynamic (live) MPDs, whose segment lists depend on it; epoch ms.
 * @throws PlaylistParseError when the text is not an MPD with at least one Period.
 */
export function parseDashManifest(text: string, nowMs: number): DashManifest {
  let manifest: ReturnType<typeof parseMpd>;
  try {
    manifest = parseMpd(text, { NOW: nowMs });
  } catch (error) {
    throw new PlaylistParseError('DASH', 'The text is not a valid DASH MPD.', { cause: error });
  }
  const video = (manifest.playlists ?? []).map((playlist) => representation(playlist, 'video', undefined));
  const representations = [
    ...video,
    ...groupRepresentations(manifest.mediaGroups?.AUDIO, 'audio'),
    ...groupRepresentations(manifest.mediaGroups?.SUBTITLES, 'text'),
  ];
  const live = [...(manifest.playlists ?? [])].some((playlist) => playlist.endList === false);
  const duration = manifest.duration;
  return {
    format: 'DASH',
    durationSeconds: live || duration === undefined || duration <= 0 ? undefined : duration,
    live,
    representations,
  };
}

/**
 * Parses a generated playlist as the format its media type announces; without a known media type, as the
 * format its first characters show (`#EXTM3U` or an XML document).
 *
 * @param contentType the response's `Content-Type` (parameters allowed), if any.
 * @param nowMs wall clock for dynamic MPDs, epoch ms.
 * @throws PlaylistParseError when the format is unknown or the text is invalid for its format.
 */
export function parsePlaylist(text: string, contentType: string | undefined, nowMs: number): HlsMasterPlaylist | DashManifest {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType !== undefined && HLS_TYPES.has(mediaType)) return parseHlsMasterPlaylist(text);
  if (mediaType === DASH_TYPE) return parseDashManifest(text, nowMs);
  const start = text.trimStart();
  if (start.startsWith('#EXTM3U')) return parseHlsMasterPlaylist(text);
  if (start.startsWith('<')) return parseDashManifest(text, nowMs);
  throw new PlaylistParseError('unknown', 'The playlist is neither HLS nor DASH.');
}
