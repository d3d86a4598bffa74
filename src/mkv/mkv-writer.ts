import {
  binaryElement,
  encodeId,
  encodeSize,
  encodeVint,
  floatElement,
  masterElement,
  stringElement,
  uintElement,
  unknownSizeHeader,
} from './ebml-encoding.js';
import { EbmlId } from './ebml-ids.js';
import { formatKinesisTimestamp, isFragmentNumber, isKinesisTagName, KinesisTag } from './kinesis-tags.js';

/** Matroska TrackType values used by the writer. */
export const MatroskaTrackType = Object.freeze({ Video: 1, Audio: 2 } as const);

/** A track to declare in the fragment's Tracks element. */
export interface MkvTrack {
  /** TrackNumber, a positive integer that frames refer to. */
  readonly trackNumber: number;
  /** TrackType: 1 video, 2 audio (see {@link MatroskaTrackType}). */
  readonly trackType: number;
  /** CodecID, printable ASCII, e.g. `V_MPEG4/ISO/AVC` or `A_AAC`. */
  readonly codecId: string;
  /** TrackUID; defaults to the track number. */
  readonly trackUid?: number | bigint;
  /** CodecPrivate, e.g. an AVCDecoderConfigurationRecord (see `makeAvcCodecPrivate`). */
  readonly codecPrivate?: Uint8Array;
  /** Track Name. */
  readonly name?: string;
  /** DefaultDuration in nanoseconds per frame. */
  readonly defaultDurationNs?: number;
  /** Video PixelWidth / PixelHeight in pixels; a Video element is written when either is set. */
  readonly pixelWidth?: number;
  readonly pixelHeight?: number;
  /** Audio SamplingFrequency in Hz and Channels; an Audio element is written when either is set. */
  readonly samplingFrequency?: number;
  readonly channels?: number;
}

/** One frame, written as a SimpleBlock. */
export interface MkvFrame {
  readonly trackNumber: number;
  /** Timecode relative to the Cluster timecode, in TimestampScale ticks; a signed 16-bit integer. */
  readonly timecode: number;
  readonly keyframe: boolean;
  /** Frame bytes; referenced by the output, not copied, so keep them unchanged until written. */
  readonly data: Uint8Array;
}

/** A tag other than the `AWS_KINESISVIDEO_*` ones (those have dedicated fields). */
export interface MkvTagInput {
  readonly name: string;
  /** TagString, written verbatim. */
  readonly value?: string | null;
  /** TagBinary. */
  readonly binary?: Uint8Array | null;
}

/** What precedes the Cluster of a GetMedia fragment. */
export interface FragmentHeadInput {
  readonly tracks: readonly MkvTrack[];
  /** Nanoseconds per timecode tick; default 1,000,000 (1 ms). */
  readonly timecodeScale?: number;
  /** `AWS_KINESISVIDEO_FRAGMENT_NUMBER`: decimal digits. */
  readonly fragmentNumber?: string;
  /** `AWS_KINESISVIDEO_SERVER_TIMESTAMP` in epoch milliseconds. */
  readonly serverTimestamp?: number;
  /** `AWS_KINESISVIDEO_PRODUCER_TIMESTAMP` in epoch milliseconds. */
  readonly producerTimestamp?: number;
  /** Other tags, written (in order) in a Tags element before the Kinesis tags. */
  readonly tags?: readonly MkvTagInput[];
  /** Info MuxingApp / WritingApp; default `media-graph`. */
  readonly muxingApp?: string;
  readonly writingApp?: string;
}

/** What follows the Cluster: the tags GetMedia appends to a fragment, including its error tags. */
export interface FragmentTailInput {
  /** `AWS_KINESISVIDEO_MILLIS_BEHIND_NOW` in milliseconds. */
  readonly millisBehindNow?: number;
  /** `AWS_KINESISVIDEO_CONTINUATION_TOKEN`. */
  readonly continuationToken?: string;
  /** `AWS_KINESISVIDEO_ERROR_CODE`: text describing why GetMedia stopped. */
  readonly errorCode?: string;
  /** `AWS_KINESISVIDEO_ERROR_ID`: the integer error code (`GET_MEDIA_ERRORS`). */
  readonly errorId?: number;
}

/** A whole fragment. */
export interface FragmentInput extends FragmentHeadInput, FragmentTailInput {
  /** Frames of the fragment's single Cluster, in order; empty writes no Cluster unless a timecode is set. */
  readonly frames: readonly MkvFrame[];
  /** Cluster Timestamp in TimestampScale ticks; default 0. */
  readonly clusterTimecode?: number;
}

const E = EbmlId;

// EBML header as Kinesis writes it: EBML 1, ids up to 4 bytes, sizes up to 8, DocType matroska v2.
const EBML_HEADER: Buffer = Buffer.concat(
  masterElement(E.EBML, [
    uintElement(E.EBMLVersion, 1),
    uintElement(E.EBMLReadVersion, 1),
    uintElement(E.EBMLMaxIDLength, 4),
    uintElement(E.EBMLMaxSizeLength, 8),
    stringElement(E.DocType, 'matroska'),
    uintElement(E.DocTypeVersion, 2),
    uintElement(E.DocTypeReadVersion, 2),
  ]),
);

/**
 * Encodes one complete GetMedia fragment: EBML header, unknown-size Segment, Info, Tracks, the other
 * tags, the fragment number and timestamp tags, one sized Cluster of SimpleBlocks, then the
 * millis-behind-now, continuation-token and error tags. The result is a list of Buffers to write in
 * order; frame data is referenced, not copied. Reading it back with `FragmentReader` yields exactly
 * the input's values.
 * @throws RangeError / TypeError for invalid input (bad track or frame numbers, a timecode outside
 *   int16, a tag named `AWS_KINESISVIDEO_*`, a non-numeric fragment number, ...).
 */
export function writeFragment(input: FragmentInput): Buffer[] {
  const parts = writeFragmentHead(input);
  parts.push(...fragmentBody(input));
  return parts;
}

/**
 * Encodes consecutive fragments as one EBML document, the way the AWS KVS parser library's `OutputSegmentMerger`
 * writes GetMedia output whose fragments share their EBML header and Tracks: the EBML header, an unknown-size
 * Segment, Info and Tracks once (from the first fragment), then for each fragment in turn one Tags element (fragment
 * number and timestamps, then its other tags), its Cluster and its tail tags. `FragmentReader` reads it back as one
 * fragment per fragment number, each with the values of its input.
 * @throws RangeError when the inputs are empty or do not share tracks and `timecodeScale` (the merger starts a
 *   new Segment then: write those separately), or for anything {@link writeFragment} refuses.
 */
export function writeMergedFragments(inputs: readonly FragmentInput[]): Buffer[] {
  const [first, ...rest] = inputs;
  if (first === undefined) throw new RangeError('merged output needs at least one fragment');
  const tracksKey = JSON.stringify(first.tracks.map(trackKey));
  for (const input of rest) {
    if ((input.timecodeScale ?? 1_000_000) !== (first.timecodeScale ?? 1_000_000) || JSON.stringify(input.tracks.map(trackKey)) !== tracksKey) {
      throw new RangeError('merged fragments must share their tracks and timecodeScale');
    }
  }
  const parts = documentStart(first);
  for (const input of inputs) parts.push(...fragmentTags(input, true), ...fragmentBody(input));
  return parts;
}

/**
 * Encodes the start of a fragment for streaming: EBML header, unknown-size Segment, Info, Tracks, the
 * other tags and the fragment number/timestamp tags. Follow it with {@link writeClusterStart},
 * {@link writeSimpleBlock} per frame as frames arrive, and {@link writeFragmentTail}.
 * @throws RangeError / TypeError for invalid input.
 */
export function writeFragmentHead(input: FragmentHeadInput): Buffer[] {
  const parts = documentStart(input);
  parts.push(...fragmentTags(input));
  return parts;
}

// The sized Cluster of a whole fragment (when it has frames or a timecode) and its tail tags.
function fragmentBody(input: FragmentInput): Buffer[] {
  const parts: Buffer[] = [];
  if (input.frames.length > 0 || input.clusterTimecode !== undefined) {
    const tracks = new Set(input.tracks.map((t) => t.trackNumber));
    const children: Buffer[] = [uintElement(E.Timestamp, checkUint('clusterTimecode', input.clusterTimecode ?? 0))];
    for (const frame of input.frames) children.push(...writeSimpleBlock(frame, tracks));
    parts.push(...masterElement(E.Cluster, children));
  }
  parts.push(...writeFragmentTail(input));
  return parts;
}

// What decides whether two fragments' Tracks are the same for merging (the fields the writer encodes).
function trackKey(track: MkvTrack): unknown[] {
  return [
    track.trackNumber,
    String(track.trackUid ?? track.trackNumber),
    track.trackType,
    track.codecId,
    track.codecPrivate === undefined ? null : Buffer.from(track.codecPrivate).toString('hex'),
    track.name ?? null,
    track.defaultDurationNs ?? null,
    track.pixelWidth ?? null,
    track.pixelHeight ?? null,
    track.samplingFrequency ?? null,
    track.channels ?? null,
  ];
}

// EBML header, unknown-size Segment, Info and Tracks.
function documentStart(input: FragmentHeadInput): Buffer[] {
  // A copy per fragment: callers own the returned Buffers.
  const parts: Buffer[] = [Buffer.from(EBML_HEADER), unknownSizeHeader(E.Segment)];
  parts.push(
    ...masterElement(E.Info, [
      uintElement(E.TimestampScale, checkPositive('timecodeScale', input.timecodeScale ?? 1_000_000)),
      stringElement(E.MuxingApp, input.muxingApp ?? 'media-graph'),
      stringElement(E.WritingApp, input.writingApp ?? 'media-graph'),
    ]),
  );
  if (input.tracks.length > 0) {
    const seen = new Set<number>();
    const entries: Buffer[] = [];
    for (const track of input.tracks) {
      if (seen.has(track.trackNumber)) throw new RangeError(`duplicate track number ${track.trackNumber}`);
      seen.add(track.trackNumber);
      entries.push(...trackEntry(track));
    }
    parts.push(...masterElement(E.Tracks, entries));
  }
  return parts;
}

/**
 * The other tags, then the fragment number and timestamp tags, each in a Tags element of its own; `merged` puts
 * both in one Tags element, the Kinesis tags first, so that a reader of a merged Segment, which starts the next
 * fragment at the Tags element holding its number, gives that fragment its own other tags.
 */
function fragmentTags(input: FragmentHeadInput, merged = false): Buffer[] {
  let other: Buffer[] = [];
  if (input.tags !== undefined && input.tags.length > 0) {
    const simpleTags = input.tags.flatMap((tag) => {
      if (isKinesisTagName(tag.name)) throw new RangeError(`tag ${tag.name} must be given through its own field`);
      return simpleTag(tag.name, tag.value ?? null, tag.binary ?? null);
    });
    // An empty Targets applies the tags to the whole Segment, as in Kinesis output.
    other = masterElement(E.Tag, [...masterElement(E.Targets, []), ...simpleTags]);
  }
  const kinesis: Buffer[] = [];
  if (input.fragmentNumber !== undefined) {
    if (!isFragmentNumber(input.fragmentNumber)) throw new RangeError(`invalid fragment number ${input.fragmentNumber}`);
    kinesis.push(...simpleTag(KinesisTag.FragmentNumber, input.fragmentNumber, null));
  }
  if (input.serverTimestamp !== undefined) {
    kinesis.push(...simpleTag(KinesisTag.ServerTimestamp, formatKinesisTimestamp(input.serverTimestamp), null));
  }
  if (input.producerTimestamp !== undefined) {
    kinesis.push(...simpleTag(KinesisTag.ProducerTimestamp, formatKinesisTimestamp(input.producerTimestamp), null));
  }
  const kinesisTag = kinesis.length > 0 ? masterElement(E.Tag, kinesis) : [];
  if (merged) return kinesisTag.length + other.length > 0 ? masterElement(E.Tags, [...kinesisTag, ...other]) : [];
  const parts: Buffer[] = [];
  if (other.length > 0) parts.push(...masterElement(E.Tags, other));
  if (kinesisTag.length > 0) parts.push(...masterElement(E.Tags, kinesisTag));
  return parts;
}

/**
 * Opens an unknown-size Cluster with its Timestamp (ticks), so frames can be streamed before their
 * number is known; the tail's Tags element ends it.
 * @throws RangeError when the timecode is not a non-negative safe integer.
 */
export function writeClusterStart(clusterTimecode: number): Buffer[] {
  return [unknownSizeHeader(E.Cluster), uintElement(E.Timestamp, checkUint('clusterTimecode', clusterTimecode))];
}

/**
 * One frame as a SimpleBlock: a small header Buffer followed by the frame data itself (not copied).
 * @param knownTracks when given, the frame's track must be one of them.
 * @throws RangeError for a bad track number, a timecode outside int16, or a frame too large.
 */
export function writeSimpleBlock(frame: MkvFrame, knownTracks?: ReadonlySet<number>): Buffer[] {
  const track = checkPositive('trackNumber', frame.trackNumber);
  if (knownTracks !== undefined && !knownTracks.has(track)) throw new RangeError(`frame refers to undeclared track ${track}`);
  if (!Number.isInteger(frame.timecode) || frame.timecode < -32768 || frame.timecode > 32767) {
    throw new RangeError(`frame timecode ${frame.timecode} is outside the signed 16-bit range`);
  }
  const trackVint = encodeVint(track);
  const blockHeader = Buffer.allocUnsafe(trackVint.length + 3);
  trackVint.copy(blockHeader, 0);
  blockHeader.writeInt16BE(frame.timecode, trackVint.length);
  blockHeader[trackVint.length + 2] = frame.keyframe ? 0x80 : 0x00;
  const data = Buffer.isBuffer(frame.data)
    ? frame.data
    : Buffer.from(frame.data.buffer, frame.data.byteOffset, frame.data.byteLength);
  const header = Buffer.concat([encodeId(E.SimpleBlock), encodeSize(blockHeader.length + data.length), blockHeader]);
  return [header, data];
}

/**
 * Encodes the tags GetMedia sends after a fragment's Cluster: millis behind now and continuation
 * token, then the error code/id when set. Returns no Buffers when no field is set.
 * @throws RangeError for a negative or non-integer millisBehindNow / errorId.
 */
export function writeFragmentTail(input: FragmentTailInput): Buffer[] {
  const tags: Buffer[] = [];
  if (input.millisBehindNow !== undefined) {
    tags.push(...simpleTag(KinesisTag.MillisBehindNow, String(checkUint('millisBehindNow', input.millisBehindNow)), null));
  }
  if (input.continuationToken !== undefined) {
    tags.push(...simpleTag(KinesisTag.ContinuationToken, input.continuationToken, null));
  }
  const errors: Buffer[] = [];
  if (input.errorCode !== undefined) errors.push(...simpleTag(KinesisTag.ErrorCode, input.errorCode, null));
  if (input.errorId !== undefined) {
    if (!Number.isSafeInteger(input.errorId)) throw new RangeError(`errorId ${input.errorId} is not an integer`);
    errors.push(...simpleTag(KinesisTag.ErrorId, String(input.errorId), null));
  }
  const parts: Buffer[] = [];
  if (tags.length > 0) parts.push(...masterElement(E.Tags, masterElement(E.Tag, tags)));
  if (errors.length > 0) parts.push(...masterElement(E.Tags, masterElement(E.Tag, errors)));
  return parts;
}

function trackEntry(track: MkvTrack): Buffer[] {
  const number = checkPositive('trackNumber', track.trackNumber);
  if (!/^[\x20-\x7e]+$/.test(track.codecId)) throw new RangeError(`codec id ${JSON.stringify(track.codecId)} is not printable ASCII`);
  const children: Buffer[] = [
    uintElement(E.TrackNumber, number),
    uintElement(E.TrackUID, track.trackUid ?? number),
    uintElement(E.TrackType, checkPositive('trackType', track.trackType)),
    uintElement(E.FlagLacing, 0),
    stringElement(E.CodecID, track.codecId),
  ];
  if (track.name !== undefined) children.push(stringElement(E.Name, track.name));
  if (track.defaultDurationNs !== undefined) {
    children.push(uintElement(E.DefaultDuration, checkPositive('defaultDurationNs', track.defaultDurationNs)));
  }
  if (track.codecPrivate !== undefined) children.push(binaryElement(E.CodecPrivate, track.codecPrivate));
  if (track.pixelWidth !== undefined || track.pixelHeight !== undefined) {
    const video: Buffer[] = [];
    if (track.pixelWidth !== undefined) video.push(uintElement(E.PixelWidth, checkPositive('pixelWidth', track.pixelWidth)));
    if (track.pixelHeight !== undefined) video.push(uintElement(E.PixelHeight, checkPositive('pixelHeight', track.pixelHeight)));
    children.push(...masterElement(E.Video, video));
  }
  if (track.samplingFrequency !== undefined || track.channels !== undefined) {
    const audio: Buffer[] = [];
    if (track.samplingFrequency !== undefined) audio.push(floatElement(E.SamplingFrequency, track.samplingFrequency));
    if (track.channels !== undefined) audio.push(uintElement(E.Channels, checkPositive('channels', track.channels)));
    children.push(...masterElement(E.Audio, audio));
  }
  return masterElement(E.TrackEntry, children);
}

function simpleTag(name: string, value: string | null, binary: Uint8Array | null): Buffer[] {
  const children = [stringElement(E.TagName, name)];
  if (value !== null) children.push(stringElement(E.TagString, value));
  if (binary !== null) children.push(binaryElement(E.TagBinary, binary));
  return masterElement(E.SimpleTag, children);
}

function checkUint(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`${what} must be a non-negative integer, got ${value}`);
  return value;
}

function checkPositive(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${what} must be a positive integer, got ${value}`);
  return value;
}
