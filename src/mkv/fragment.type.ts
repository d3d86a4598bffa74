/** A Matroska track as declared by a TrackEntry in the fragment's Tracks element. */
export interface TrackInfo {
  /** TrackNumber: the number blocks refer to (1-based). */
  readonly trackNumber: number;
  /** TrackType (1 video, 2 audio, 17 subtitle, ...), or null when absent. */
  readonly trackType: number | null;
  /** CodecID, e.g. `V_MPEG4/ISO/AVC`, with EBML zero padding removed; null when absent. */
  readonly codecId: string | null;
  /** Video PixelWidth in pixels, or null when the track has no Video element or no width. */
  readonly pixelWidth: number | null;
  /** Video PixelHeight in pixels, or null. */
  readonly pixelHeight: number | null;
  /** Audio SamplingFrequency in Hz, or null when the track has no Audio element or no rate. */
  readonly samplingFrequency: number | null;
  /** Audio Channels, or null. */
  readonly channels: number | null;
}

/** What the fragment's blocks carried for one track number. */
export interface TrackStats {
  readonly trackNumber: number;
  /** SimpleBlock + Block elements for this track (a laced block counts once). */
  readonly frameCount: number;
  /** SimpleBlocks with the keyframe flag, plus BlockGroups without a ReferenceBlock. */
  readonly keyframeCount: number;
  /** Frame data bytes (block size minus the block header). */
  readonly payloadBytes: number;
}

/** A Matroska SimpleTag other than the `AWS_KINESISVIDEO_*` tags that became {@link Fragment} fields. */
export interface FragmentTag {
  /** TagName, decoded verbatim. */
  readonly name: string;
  /** TagString decoded verbatim (trailing NULs kept, as Kinesis sends them), or null when absent. */
  readonly value: string | null;
  /** TagBinary bytes (a copy the fragment owns), or null when absent. */
  readonly binary: Uint8Array | null;
}

/**
 * The metadata of one fragment of a Kinesis GetMedia stream, i.e. one EBML document (EBML header +
 * Segment) of the input; a plain Matroska file is one fragment without Kinesis fields. Immutable and
 * self-contained: it references none of the input buffers.
 */
export interface Fragment {
  /** 0-based position of this fragment in the input. */
  readonly sequence: number;
  /** Absolute byte offset of the fragment's first byte (its EBML header, or its Segment). */
  readonly byteOffset: number;
  /** Bytes from `byteOffset` to the fragment's end (or to where the input stopped). */
  readonly byteLength: number;
  /**
   * `AWS_KINESISVIDEO_FRAGMENT_NUMBER`: a decimal string that exceeds 2^53, so compare with
   * `compareFragmentNumbers` (BigInt), never as numbers. Null when absent.
   */
  readonly fragmentNumber: string | null;
  /** `AWS_KINESISVIDEO_SERVER_TIMESTAMP` in epoch milliseconds, or null. */
  readonly serverTimestamp: number | null;
  /** `AWS_KINESISVIDEO_PRODUCER_TIMESTAMP` in epoch milliseconds, or null. */
  readonly producerTimestamp: number | null;
  /** `AWS_KINESISVIDEO_MILLIS_BEHIND_NOW` in milliseconds, or null. */
  readonly millisBehindNow: number | null;
  /** `AWS_KINESISVIDEO_CONTINUATION_TOKEN` (the fragment number to resume after), or null. */
  readonly continuationToken: string | null;
  /** `AWS_KINESISVIDEO_ERROR_CODE`: GetMedia's text describing why it stopped, or null. */
  readonly errorCode: string | null;
  /** `AWS_KINESISVIDEO_ERROR_ID`: GetMedia's integer error code (4000, 4500-4506, ...), or null. */
  readonly errorId: number | null;
  /** TimestampScale from Info: nanoseconds per timecode tick (Matroska default 1,000,000 = 1 ms). */
  readonly timecodeScale: number;
  /** Timestamp of the fragment's first Cluster, in TimestampScale ticks; null without a Cluster. */
  readonly clusterTimecode: number | null;
  /** Number of Cluster elements. */
  readonly clusterCount: number;
  /** SimpleBlock + Block elements over all tracks. */
  readonly frameCount: number;
  /** Keyframes over all tracks (see {@link TrackStats.keyframeCount}). */
  readonly keyframeCount: number;
  /** Frame data bytes over all tracks. */
  readonly payloadBytes: number;
  /** Per-track block statistics, ordered by first appearance of the track in a block. */
  readonly trackStats: readonly TrackStats[];
  /** The TrackEntry elements, in order. */
  readonly tracks: readonly TrackInfo[];
  /** Every SimpleTag that did not become a field above, in document order. */
  readonly tags: readonly FragmentTag[];
  /** False when the input ended in the middle of this fragment (then it is the last one). */
  readonly complete: boolean;
}
