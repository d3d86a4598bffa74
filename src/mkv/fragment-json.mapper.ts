import type { Fragment, TrackInfo, TrackStats } from './fragment.type.js';

/** A tag as printed by `mkv inspect`: binary values in base64. */
export interface FragmentTagJson {
  readonly name: string;
  readonly value: string | null;
  readonly binary: string | null;
}

/**
 * The JSON form of a {@link Fragment}, one line per fragment in `media-graph mkv inspect`: timestamps
 * as ISO-8601 strings with milliseconds, absent values null, everything else as in {@link Fragment}.
 */
export interface FragmentJson {
  readonly sequence: number;
  readonly fragmentNumber: string | null;
  readonly serverTimestamp: string | null;
  readonly producerTimestamp: string | null;
  readonly millisBehindNow: number | null;
  readonly continuationToken: string | null;
  readonly errorCode: string | null;
  readonly errorId: number | null;
  readonly timecodeScale: number;
  readonly clusterTimecode: number | null;
  readonly clusterCount: number;
  readonly frameCount: number;
  readonly keyframeCount: number;
  readonly payloadBytes: number;
  readonly trackStats: readonly TrackStats[];
  readonly tracks: readonly TrackInfo[];
  readonly tags: readonly FragmentTagJson[];
  readonly byteOffset: number;
  readonly byteLength: number;
  readonly complete: boolean;
}

/** Maps a fragment to its `mkv inspect` JSON form. Pure; never throws (timestamps are range-checked by the reader). */
export function fragmentToJson(fragment: Fragment): FragmentJson {
  return {
    sequence: fragment.sequence,
    fragmentNumber: fragment.fragmentNumber,
    serverTimestamp: isoOrNull(fragment.serverTimestamp),
    producerTimestamp: isoOrNull(fragment.producerTimestamp),
    millisBehindNow: fragment.millisBehindNow,
    continuationToken: fragment.continuationToken,
    errorCode: fragment.errorCode,
    errorId: fragment.errorId,
    timecodeScale: fragment.timecodeScale,
    clusterTimecode: fragment.clusterTimecode,
    clusterCount: fragment.clusterCount,
    frameCount: fragment.frameCount,
    keyframeCount: fragment.keyframeCount,
    payloadBytes: fragment.payloadBytes,
    trackStats: fragment.trackStats,
    tracks: fragment.tracks,
    tags: fragment.tags.map((tag) => ({
      name: tag.name,
      value: tag.value,
      binary: tag.binary === null ? null : Buffer.from(tag.binary).toString('base64'),
    })),
    byteOffset: fragment.byteOffset,
    byteLength: fragment.byteLength,
    complete: fragment.complete,
  };
}

function isoOrNull(epochMs: number | null): string | null {
  return epochMs === null ? null : new Date(epochMs).toISOString();
}
