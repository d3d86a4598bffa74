import { SafeIntResolver } from 'graphql-scalars';
import type { GeneratedPlaylist } from '../../datasources/oci/oci.types.js';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from '../../core/type-graphql.js';
import { NodeType } from '../node/node.type.js';
import type { PlaylistKey } from './oci-ids.js';
import { StreamPackagingFormat } from './stream-packaging.type.js';

/** What `Playlist` resolvers receive as their root: what was asked for and what the service generated. */
export interface PlaylistSource extends PlaylistKey {
  readonly generated: GeneratedPlaylist;
}

/** Type of an HLS alternative rendition; the values are the domain's (`EXT-X-MEDIA` TYPE) strings. */
export enum HlsRenditionTypeEnum {
  AUDIO = 'AUDIO',
  VIDEO = 'VIDEO',
  SUBTITLES = 'SUBTITLES',
  CLOSED_CAPTIONS = 'CLOSED-CAPTIONS',
}

registerEnumType(HlsRenditionTypeEnum, {
  name: 'HlsRenditionType',
  description: 'Type of an HLS alternative rendition (`EXT-X-MEDIA` TYPE).',
  valuesConfig: {
    AUDIO: { description: 'An audio track (e.g. another language).' },
    VIDEO: { description: 'An alternative video angle.' },
    SUBTITLES: { description: 'A subtitle track (WebVTT).' },
    CLOSED_CAPTIONS: { description: 'Closed captions carried in the video stream (CEA-608/708).' },
  },
});

/** Content type of a DASH representation; the values are the domain's strings. */
export enum DashContentType {
  VIDEO = 'video',
  AUDIO = 'audio',
  TEXT = 'text',
}

registerEnumType(DashContentType, {
  name: 'DashContentType',
  description: 'What a DASH representation carries.',
  valuesConfig: {
    VIDEO: { description: 'Video.' },
    AUDIO: { description: 'Audio.' },
    TEXT: { description: 'Text tracks (subtitles).' },
  },
});

@ObjectType('PlaylistResolution', { description: 'Pixel size of a video rendition.' })
export class PlaylistResolutionType {
  @Field(() => Int, { description: 'Width in pixels.' })
  width!: number;

  @Field(() => Int, { description: 'Height in pixels.' })
  height!: number;
}

@ObjectType('HlsVariant', { description: 'A variant stream (`EXT-X-STREAM-INF`) of an HLS master playlist.' })
export class HlsVariantType {
  @Field(() => String, { description: 'URI of the variant\'s media playlist, as written (absolute on Media Streams).' })
  uri!: string;

  @Field(() => SafeIntResolver, { description: 'Peak bitrate in bits per second (`BANDWIDTH`).' })
  bandwidth!: number;

  @Field(() => SafeIntResolver, { nullable: true, description: 'Average bitrate in bits per second (`AVERAGE-BANDWIDTH`).' })
  averageBandwidth?: number;

  @Field(() => PlaylistResolutionType, { nullable: true, description: 'Video pixel size (`RESOLUTION`).' })
  resolution?: PlaylistResolutionType;

  @Field(() => String, { nullable: true, description: 'RFC 6381 codec list as written, e.g. `avc1.640028,mp4a.40.2`.' })
  codecs?: string;

  @Field(() => Float, { nullable: true, description: 'Frames per second (`FRAME-RATE`).' })
  frameRate?: number;

  @Field(() => String, { name: 'audioGroup', nullable: true, description: '`GROUP-ID` of the audio renditions the variant plays with.' })
  audioGroupId?: string;

  @Field(() => String, { name: 'subtitlesGroup', nullable: true, description: '`GROUP-ID` of the subtitle renditions of the variant.' })
  subtitlesGroupId?: string;

  @Field(() => String, { name: 'closedCaptionsGroup', nullable: true, description: '`GROUP-ID` of the closed captions of the variant.' })
  closedCaptionsGroupId?: string;
}

@ObjectType('HlsRendition', { description: 'An alternative rendition (`EXT-X-MEDIA`) of an HLS master playlist.' })
export class HlsRenditionType {
  @Field(() => HlsRenditionTypeEnum, { description: 'Rendition type.' })
  type!: HlsRenditionTypeEnum;

  @Field(() => String, { description: '`GROUP-ID`; variants reference renditions by it.' })
  groupId!: string;

  @Field(() => String, { description: 'Human-readable name, unique within the group.' })
  name!: string;

  @Field(() => String, { nullable: true, description: 'BCP 47 language tag, e.g. `en`.' })
  language?: string;

  @Field(() => Boolean, { description: 'Whether players choose it when the user expressed no preference (`DEFAULT`).' })
  isDefault!: boolean;

  @Field(() => Boolean, { description: 'Whether players may choose it automatically, e.g. by system language (`AUTOSELECT`).' })
  autoselect!: boolean;

  @Field(() => String, { nullable: true, description: 'URI of its media playlist; null when muxed into the variant and for closed captions.' })
  uri?: string;

  @Field(() => String, { nullable: true, description: 'Audio channel count as written, e.g. `2` or `16/JOC`.' })
  channels?: string;
}

@ObjectType('HlsIFrameVariant', { description: 'An I-frame-only variant (`EXT-X-I-FRAME-STREAM-INF`), for trick play and thumbnails.' })
export class HlsIFrameVariantType {
  @Field(() => String, { description: 'URI of the I-frame playlist, as written.' })
  uri!: string;

  @Field(() => SafeIntResolver, { description: 'Peak bitrate in bits per second.' })
  bandwidth!: number;

  @Field(() => SafeIntResolver, { nullable: true, description: 'Average bitrate in bits per second.' })
  averageBandwidth?: number;

  @Field(() => PlaylistResolutionType, { nullable: true, description: 'Video pixel size.' })
  resolution?: PlaylistResolutionType;

  @Field(() => String, { nullable: true, description: 'RFC 6381 codec list as written.' })
  codecs?: string;
}

@ObjectType('HlsMasterPlaylist', { description: 'An HLS master playlist, reduced to what players choose streams by.' })
export class HlsMasterPlaylistType {
  @Field(() => Int, { nullable: true, description: 'Protocol version (`EXT-X-VERSION`).' })
  version?: number;

  @Field(() => Boolean, { description: 'Whether every segment starts with a key frame (`EXT-X-INDEPENDENT-SEGMENTS`).' })
  independentSegments!: boolean;

  @Field(() => [HlsVariantType], { description: 'Variant streams, in playlist order.' })
  variants!: HlsVariantType[];

  @Field(() => [HlsRenditionType], { description: 'Alternative renditions that variants reference, each once, in playlist order.' })
  renditions!: HlsRenditionType[];

  @Field(() => [HlsIFrameVariantType], { description: 'I-frame-only variants, in playlist order.' })
  iFrameVariants!: HlsIFrameVariantType[];
}

@ObjectType('DashRepresentation', { description: 'A representation (one encoding of one track) of a DASH manifest.' })
export class DashRepresentationType {
  @Field(() => String, { name: 'representationId', description: '`Representation@id` (unique within its manifest only).' })
  id!: string;

  @Field(() => DashContentType, { description: 'What the representation carries.' })
  contentType!: DashContentType;

  @Field(() => SafeIntResolver, { nullable: true, description: 'Bitrate in bits per second.' })
  bandwidth?: number;

  @Field(() => String, { nullable: true, description: 'RFC 6381 codec string as written.' })
  codecs?: string;

  @Field(() => PlaylistResolutionType, { nullable: true, description: 'Video pixel size.' })
  resolution?: PlaylistResolutionType;

  @Field(() => Float, { nullable: true, description: 'Frames per second.' })
  frameRate?: number;

  @Field(() => String, { nullable: true, description: 'Language of audio and text representations (BCP 47).' })
  language?: string;

  @Field(() => Boolean, { description: 'Whether players pick it by default (DASH role `main`).' })
  isDefault!: boolean;

  @Field(() => Int, { description: 'Number of media segments (for live manifests: those currently listed).' })
  segmentCount!: number;
}

@ObjectType('DashManifest', { description: 'A DASH MPD, reduced to its representations.' })
export class DashManifestType {
  @Field(() => Float, { nullable: true, description: 'Presentation duration in seconds; null for live manifests.' })
  durationSeconds?: number;

  @Field(() => Boolean, { description: 'Whether the manifest is dynamic (live).' })
  live!: boolean;

  @Field(() => [DashRepresentationType], { description: 'Representations: video first, then audio, then text, each in document order.' })
  representations!: DashRepresentationType[];
}

@ObjectType('Playlist', {
  implements: [NodeType],
  description:
    'A playback playlist generated by OCI Media Streams for a media asset under a packaging configuration: the raw text and its parsed form. Generated on every request (never cached); its id identifies the configuration and asset, not the session token.',
})
export class PlaylistType {
  @Field(() => ID, { description: 'Globally unique, opaque id; `Query.node` regenerates the playlist (without a session token).' })
  id!: string;

  @Field(() => StreamPackagingFormat, { description: 'Format of the playlist.' })
  format!: StreamPackagingFormat;

  @Field(() => String, { nullable: true, description: 'Media type of the playlist, e.g. `application/vnd.apple.mpegurl`.' })
  contentType?: string;

  @Field(() => String, {
    description: 'The playlist text as the service returned it. When a session token was given, its media URIs carry it: treat the text as a secret until the token expires.',
  })
  content!: string;

  @Field(() => HlsMasterPlaylistType, { nullable: true, description: 'The parsed HLS master playlist; null for DASH.' })
  hls?: HlsMasterPlaylistType;

  @Field(() => DashManifestType, { nullable: true, description: 'The parsed DASH manifest; null for HLS.' })
  dash?: DashManifestType;
}
