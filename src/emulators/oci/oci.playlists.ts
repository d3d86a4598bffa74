import type { StoredDistributionChannel, StoredMediaAsset, StoredPackagingConfig } from './oci.store.js';

/**
 * The playlists GeneratePlaylist returns: an HLS master playlist (RFC 8216) for an HLS packaging
 * configuration, a DASH MPD (ISO/IEC 23009-1, live profile) for a DASH one. Every asset is packaged with
 * the same adaptive ladder below (emulator choice); media URIs point at the channel's domain and carry the
 * session token when one was given, as a player would need them. The emulator does not serve those URIs.
 */

/** One video rung of the ladder. */
interface VideoRung {
  readonly name: string;
  /** Peak video bitrate, bits/s. */
  readonly peakBps: number;
  /** Average video bitrate, bits/s. */
  readonly averageBps: number;
  readonly width: number;
  readonly height: number;
  readonly codec: string;
}

/** One audio or subtitle track. */
interface Track {
  readonly id: string;
  readonly language: string;
  readonly name: string;
  readonly isDefault: boolean;
}

const VIDEO_LADDER: readonly VideoRung[] = [
  { name: 'video_1080p', peakBps: 6_000_000, averageBps: 5_000_000, width: 1920, height: 1080, codec: 'avc1.640028' },
  { name: 'video_720p', peakBps: 3_300_000, averageBps: 2_800_000, width: 1280, height: 720, codec: 'avc1.64001f' },
  { name: 'video_480p', peakBps: 1_600_000, averageBps: 1_400_000, width: 854, height: 480, codec: 'avc1.4d401f' },
  { name: 'video_360p', peakBps: 900_000, averageBps: 750_000, width: 640, height: 360, codec: 'avc1.4d401e' },
];

const AUDIO_CODEC = 'mp4a.40.2';
const AUDIO_BPS = 128_000;
const AUDIO_GROUP = 'aac-stereo-128k';
const SUBTITLE_GROUP = 'webvtt';
const AUDIO_TRACKS: readonly Track[] = [
  { id: 'audio_en', language: 'en', name: 'English', isDefault: true },
  { id: 'audio_es', language: 'es', name: 'Español', isDefault: false },
];
const SUBTITLE_TRACKS: readonly Track[] = [
  { id: 'subs_en', language: 'en', name: 'English', isDefault: false },
  { id: 'subs_es', language: 'es', name: 'Español', isDefault: false },
];
/** NTSC frame rate: 30000/1001. */
const FRAME_RATE_HLS = '29.970';
const FRAME_RATE_DASH = '30000/1001';
/** I-frame playlists cost about a tenth of their rendition's bitrate. */
const IFRAME_RATIO = 0.1;

/** Media type of each playlist format. */
export const PLAYLIST_CONTENT_TYPES = { HLS: 'application/vnd.apple.mpegurl', DASH: 'application/dash+xml' } as const;

/** What a playlist is written for. */
export interface PlaylistContext {
  readonly asset: StoredMediaAsset;
  readonly config: StoredPackagingConfig;
  readonly channel: StoredDistributionChannel;
  /** Session token to append to media URIs, when the request carried one. */
  readonly token: string | undefined;
}

/** Base URL of an asset's packaged media on the channel's domain, with a trailing slash. */
function mediaBase(context: PlaylistContext): string {
  const asset = encodeURIComponent(context.asset.id);
  const config = encodeURIComponent(context.config.id);
  return `https://${context.channel.domainName}/20211101/edge/${asset}/${config}/`;
}

function withToken(uri: string, token: string | undefined): string {
  return token === undefined ? uri : `${uri}?token=${encodeURIComponent(token)}`;
}

/** Renders the HLS master playlist: video variants, audio and subtitle renditions, I-frame playlists. */
export function renderHlsMaster(context: PlaylistContext): string {
  const base = mediaBase(context);
  const uri = (name: string): string => withToken(`${base}${name}.m3u8`, context.token);
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-INDEPENDENT-SEGMENTS'];
  if (context.config.encryption.algorithm === 'AES128') {
    // Lets players fetch the key before the first media playlist; the media playlists carry EXT-X-KEY too.
    lines.push(`#EXT-X-SESSION-KEY:METHOD=AES-128,URI="${withToken(`${base}key.bin`, context.token)}"`);
  }
  lines.push('');
  for (const track of AUDIO_TRACKS) {
    const flag = track.isDefault ? 'YES' : 'NO';
    lines.push(
      `#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="${AUDIO_GROUP}",LANGUAGE="${track.language}",NAME="${track.name}",` +
        `DEFAULT=${flag},AUTOSELECT=YES,CHANNELS="2",URI="${uri(track.id)}"`,
    );
  }
  for (const track of SUBTITLE_TRACKS) {
    lines.push(
      `#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="${SUBTITLE_GROUP}",LANGUAGE="${track.language}",NAME="${track.name}",` +
        `DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,URI="${uri(track.id)}"`,
    );
  }
  lines.push('');
  for (const rung of VIDEO_LADDER) {
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${rung.peakBps + AUDIO_BPS},AVERAGE-BANDWIDTH=${rung.averageBps + AUDIO_BPS},` +
        `RESOLUTION=${rung.width}x${rung.height},CODECS="${rung.codec},${AUDIO_CODEC}",FRAME-RATE=${FRAME_RATE_HLS},` +
        `AUDIO="${AUDIO_GROUP}",SUBTITLES="${SUBTITLE_GROUP}"`,
      uri(rung.name),
    );
  }
  lines.push('');
  for (const rung of VIDEO_LADDER) {
    lines.push(
      `#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=${Math.round(rung.peakBps * IFRAME_RATIO)},` +
        `AVERAGE-BANDWIDTH=${Math.round(rung.averageBps * IFRAME_RATIO)},RESOLUTION=${rung.width}x${rung.height},` +
        `CODECS="${rung.codec}",URI="${uri(`${rung.name}_iframes`)}"`,
    );
  }
  return `${lines.join('\n')}\n`;
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('"', '&quot;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/** ISO 8601 duration as MPD attributes write it, e.g. `PT10M34.500S`. */
function isoDuration(totalSeconds: number): string {
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds - hours * 3600 - minutes * 60;
  return `PT${hours > 0 ? `${hours}H` : ''}${minutes > 0 ? `${minutes}M` : ''}${seconds.toFixed(3)}S`;
}

/** Renders the DASH MPD: one video adaptation set, one per audio language, one per subtitle language. */
export function renderDashMpd(context: PlaylistContext): string {
  const segmentMs = context.config.segmentTimeInSeconds * 1000;
  const template = (init: string, media: string): string =>
    `<SegmentTemplate timescale="1000" duration="${segmentMs}" startNumber="1" ` +
    `initialization="${escapeXml(withToken(init, context.token))}" media="${escapeXml(withToken(media, context.token))}"/>`;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static" ' +
      `mediaPresentationDuration="${isoDuration(context.asset.durationSeconds)}" minBufferTime="PT2S">`,
    `  <BaseURL>${escapeXml(mediaBase(context))}</BaseURL>`,
    '  <Period id="0" start="PT0S">',
    `    <AdaptationSet id="1" contentType="video" mimeType="video/mp4" segmentAlignment="true" startWithSAP="1" frameRate="${FRAME_RATE_DASH}">`,
    `      ${template('$RepresentationID$/init.mp4', '$RepresentationID$/segment-$Number$.m4s')}`,
  ];
  for (const rung of VIDEO_LADDER) {
    lines.push(
      `      <Representation id="${rung.name}" bandwidth="${rung.peakBps}" width="${rung.width}" height="${rung.height}" codecs="${rung.codec}"/>`,
    );
  }
  lines.push('    </AdaptationSet>');
  let setId = 2;
  for (const track of AUDIO_TRACKS) {
    lines.push(
      `    <AdaptationSet id="${setId}" contentType="audio" mimeType="audio/mp4" lang="${track.language}" segmentAlignment="true" startWithSAP="1">`,
      `      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="${track.isDefault ? 'main' : 'alternate'}"/>`,
      `      ${template('$RepresentationID$/init.mp4', '$RepresentationID$/segment-$Number$.m4s')}`,
      `      <Representation id="${track.id}" bandwidth="${AUDIO_BPS}" codecs="${AUDIO_CODEC}" audioSamplingRate="48000">`,
      '        <AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011" value="2"/>',
      '      </Representation>',
      '    </AdaptationSet>',
    );
    setId += 1;
  }
  for (const track of SUBTITLE_TRACKS) {
    lines.push(
      `    <AdaptationSet id="${setId}" contentType="text" mimeType="text/vtt" lang="${track.language}">`,
      `      <Representation id="${track.id}" bandwidth="256">`,
      `        <BaseURL>${escapeXml(withToken(`${track.id}.vtt`, context.token))}</BaseURL>`,
      '      </Representation>',
      '    </AdaptationSet>',
    );
    setId += 1;
  }
  lines.push('  </Period>', '</MPD>');
  return `${lines.join('\n')}\n`;
}
