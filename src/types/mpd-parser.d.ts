/**
 * Minimal typing of `mpd-parser` (videojs; ships no declarations): only `parse` and the parts of its
 * m3u8-parser-shaped result that media-graph reads. Every field is optional because the result of an MPD
 * without representations is `{}`.
 */
declare module 'mpd-parser' {
  /** Attributes of one rendition, named as in HLS (`NAME` is `Representation@id`). */
  export interface MpdPlaylistAttributes {
    readonly NAME?: string;
    /** Bits/s. */
    readonly BANDWIDTH?: number;
    readonly CODECS?: string;
    /** Video only. */
    readonly RESOLUTION?: { readonly width?: number; readonly height?: number };
    /** Video only, frames/s (`30000/1001` becomes 29.97...). */
    readonly 'FRAME-RATE'?: number;
  }

  /** One media segment. */
  export interface MpdSegment {
    readonly uri?: string;
    readonly resolvedUri?: string;
    /** Seconds. */
    readonly duration?: number;
  }

  /** One representation as a playlist. */
  export interface MpdPlaylist {
    readonly attributes: MpdPlaylistAttributes;
    /** `false` for representations of a dynamic (live) MPD. */
    readonly endList?: boolean;
    readonly resolvedUri?: string;
    readonly segments?: readonly MpdSegment[];
  }

  /** Renditions of one language/label within a media group. */
  export interface MpdMediaGroupEntry {
    readonly language?: string;
    readonly default?: boolean;
    readonly autoselect?: boolean;
    readonly playlists?: readonly MpdPlaylist[];
  }

  /** The parsed manifest. */
  export interface MpdManifest {
    /** Presentation duration, seconds (0 when the MPD gives none). */
    readonly duration?: number;
    /** Video representations. */
    readonly playlists?: readonly MpdPlaylist[];
    /** Audio (`AUDIO.audio`) and text (`SUBTITLES.subs`) representations, by group then label. */
    readonly mediaGroups?: {
      readonly AUDIO?: Readonly<Record<string, Readonly<Record<string, MpdMediaGroupEntry>>>>;
      readonly SUBTITLES?: Readonly<Record<string, Readonly<Record<string, MpdMediaGroupEntry>>>>;
    };
  }

  /** Options of {@link parse}. */
  export interface MpdParseOptions {
    /** URL the MPD was fetched from; relative BaseURLs resolve against it. */
    readonly manifestUri?: string;
    /** Wall clock for dynamic MPDs, epoch ms. */
    readonly NOW?: number;
    readonly clientOffset?: number;
  }

  /**
   * Parses an MPD document.
   *
   * @throws Error when the text is not an MPD (`DASH_EMPTY_MANIFEST`, `DASH_INVALID_XML`) or has no Period.
   */
  export function parse(manifest: string, options?: MpdParseOptions): MpdManifest;
}
