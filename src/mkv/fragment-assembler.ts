import { EbmlId } from './ebml-ids.js';
import type { EbmlParser, EbmlTruncation, EbmlVisitor } from './ebml-parser.js';
import { readAsciiString, readFloat, readUint, readUtf8String } from './ebml-values.js';
import type { Fragment, FragmentTag, TrackInfo, TrackStats } from './fragment.type.js';
import {
  isFragmentNumber,
  isKinesisTagName,
  KinesisTag,
  parseKinesisInteger,
  parseKinesisTimestamp,
  parseKinesisUnsigned,
  type KinesisTagName,
} from './kinesis-tags.js';
import { MalformedMediaError } from './malformed-media.error.js';
import { elementName } from './matroska-schema.js';

const E = EbmlId;
const DEFAULT_TIMECODE_SCALE = 1_000_000;

// The only leaves whose bytes are read; everything else (frame data, CodecPrivate, SeekHead, Cues...)
// is skipped by the parser without being touched.
const LEAF_IDS: ReadonlySet<number> = new Set([
  E.TimestampScale,
  E.TrackNumber,
  E.TrackType,
  E.CodecID,
  E.PixelWidth,
  E.PixelHeight,
  E.SamplingFrequency,
  E.Channels,
  E.Timestamp,
  E.TagName,
  E.TagString,
  E.TagBinary,
  E.ReferenceBlock,
]);

interface MutableTrackStats {
  trackNumber: number;
  frameCount: number;
  keyframeCount: number;
  payloadBytes: number;
}

interface TrackBuilder {
  trackNumber: number | null;
  trackType: number | null;
  codecId: string | null;
  pixelWidth: number | null;
  pixelHeight: number | null;
  samplingFrequency: number | null;
  channels: number | null;
}

interface TagBuilder {
  name: string | null;
  value: string | null;
  binary: Uint8Array | null;
  readonly offset: number;
}

// Mutable state of the fragment being read. Fields mirror Fragment.
class FragmentState {
  hasSegment = false;
  fragmentNumber: string | null = null;
  serverTimestamp: number | null = null;
  producerTimestamp: number | null = null;
  millisBehindNow: number | null = null;
  continuationToken: string | null = null;
  errorCode: string | null = null;
  errorId: number | null = null;
  timecodeScale = DEFAULT_TIMECODE_SCALE;
  clusterTimecode: number | null = null;
  clusterCount = 0;
  frameCount = 0;
  keyframeCount = 0;
  payloadBytes = 0;
  tagBytes = 0;
  readonly stats = new Map<number, MutableTrackStats>();
  readonly tracks: TrackInfo[] = [];
  readonly tags: FragmentTag[] = [];

  constructor(
    readonly sequence: number,
    readonly byteOffset: number,
  ) {}
}

/**
 * The {@link EbmlVisitor} behind `FragmentReader`: turns parser events into {@link Fragment}s, one
 * per EBML document, and validates the Kinesis tags. Internal to the mkv module (use
 * `FragmentReader`); `parser` must be attached before the first push.
 */
export class FragmentAssembler implements EbmlVisitor {
  readonly leafIds = LEAF_IDS;
  readonly wantBlocks = true;
  parser: EbmlParser | null = null;
  emitted = 0;

  private current: FragmentState | null = null;
  private track: TrackBuilder | null = null;
  private readonly tagStack: TagBuilder[] = [];
  // Last track's stats, cached: consecutive blocks nearly always share a track.
  private lastStats: MutableTrackStats | null = null;
  // BlockGroup state: a Block is a keyframe when its group has no ReferenceBlock.
  private groupStats: MutableTrackStats | null = null;
  private groupHasReference = false;

  constructor(
    private readonly onFragment: (fragment: Fragment) => void,
    private readonly maxTagBytes: number,
    private readonly maxTracks: number,
  ) {}

  onMasterStart(id: number, offset: number): void {
    switch (id) {
      case E.EBML:
        // A new EBML document; an open fragment without a Segment ends here.
        if (this.current !== null) this.emit(this.current, offset, true);
        this.begin(offset);
        break;
      case E.Segment:
        // A Segment without its own EBML header is a fragment too.
        if (this.current === null || this.current.hasSegment) {
          if (this.current !== null) this.emit(this.current, offset, true);
          this.begin(offset);
        }
        this.fragment().hasSegment = true;
        break;
      case E.Cluster:
        this.fragment().clusterCount++;
        break;
      case E.TrackEntry:
        this.track = {
          trackNumber: null,
          trackType: null,
          codecId: null,
          pixelWidth: null,
          pixelHeight: null,
          samplingFrequency: null,
          channels: null,
        };
        break;
      case E.SimpleTag:
        this.tagStack.push({ name: null, value: null, binary: null, offset });
        break;
      case E.BlockGroup:
        this.groupStats = null;
        this.groupHasReference = false;
        break;
      default:
        break;
    }
  }

  onMasterEnd(id: number, endOffset: number): void {
    switch (id) {
      case E.Segment: {
        const fragment = this.fragment();
        this.emit(fragment, endOffset, true);
        break;
      }
      case E.TrackEntry:
        this.endTrack(endOffset);
        break;
      case E.SimpleTag:
        this.endSimpleTag();
        break;
      case E.BlockGroup:
        if (this.groupStats !== null && !this.groupHasReference) {
          this.groupStats.keyframeCount++;
          this.fragment().keyframeCount++;
        }
        this.groupStats = null;
        break;
      default:
        break;
    }
  }

  onLeaf(id: number, data: Uint8Array, offset: number): void {
    switch (id) {
      case E.Timestamp: {
        const fragment = this.fragment();
        fragment.clusterTimecode ??= this.uint(id, data, offset);
        break;
      }
      case E.TimestampScale: {
        const scale = this.uint(id, data, offset);
        if (scale === 0) throw this.malformed('TimestampScale is 0', offset, id);
        this.fragment().timecodeScale = scale;
        break;
      }
      case E.TagName:
        this.tagLeaf(data.length, offset).name = readUtf8String(data);
        break;
      case E.TagString:
        this.tagLeaf(data.length, offset).value = readUtf8String(data);
        break;
      case E.TagBinary:
        // A copy: `data` may view the caller's chunk (Buffer#slice would not copy).
        this.tagLeaf(data.length, offset).binary = new Uint8Array(data);
        break;
      case E.ReferenceBlock:
        this.groupHasReference = true;
        break;
      default:
        this.trackLeaf(id, data, offset);
        break;
    }
  }

  onBlock(id: number, trackNumber: number, _timecode: number, flags: number, frameBytes: number, offset: number): void {
    const fragment = this.fragment();
    // lastStats is reset whenever a fragment begins or ends, so it always belongs to `fragment`.
    let stats = this.lastStats;
    if (stats === null || stats.trackNumber !== trackNumber) {
      stats = fragment.stats.get(trackNumber) ?? null;
      if (stats === null) {
        if (fragment.stats.size >= this.maxTracks) {
          throw this.malformed(`blocks of more than ${this.maxTracks} tracks in one fragment`, offset, id);
        }
        stats = { trackNumber, frameCount: 0, keyframeCount: 0, payloadBytes: 0 };
        fragment.stats.set(trackNumber, stats);
      }
      this.lastStats = stats;
    }
    stats.frameCount++;
    stats.payloadBytes += frameBytes;
    fragment.frameCount++;
    fragment.payloadBytes += frameBytes;
    if (id === E.SimpleBlock) {
      if (flags & 0x80) {
        stats.keyframeCount++;
        fragment.keyframeCount++;
      }
    } else {
      this.groupStats = stats;
    }
  }

  onEnd(truncation: EbmlTruncation | null): void {
    if (this.current !== null) this.emit(this.current, this.parserOf().offset, truncation === null);
  }

  /**
   * The input is malformed at `errorOffset`: emits the open fragment, if any, as incomplete (once;
   * later calls do nothing).
   */
  abort(errorOffset: number): void {
    const current = this.current;
    if (current !== null) this.emit(current, Math.max(errorOffset, current.byteOffset), false);
  }

  private begin(offset: number): void {
    this.current = new FragmentState(this.emitted, offset);
    this.track = null;
    this.tagStack.length = 0;
    this.lastStats = null;
    this.groupStats = null;
  }

  private emit(state: FragmentState, endOffset: number, complete: boolean): void {
    this.current = null;
    this.lastStats = null;
    this.emitted++;
    const trackStats: TrackStats[] = [...state.stats.values()].map((s) => ({ ...s }));
    this.onFragment({
      sequence: state.sequence,
      byteOffset: state.byteOffset,
      byteLength: endOffset - state.byteOffset,
      fragmentNumber: state.fragmentNumber,
      serverTimestamp: state.serverTimestamp,
      producerTimestamp: state.producerTimestamp,
      millisBehindNow: state.millisBehindNow,
      continuationToken: state.continuationToken,
      errorCode: state.errorCode,
      errorId: state.errorId,
      timecodeScale: state.timecodeScale,
      clusterTimecode: state.clusterTimecode,
      clusterCount: state.clusterCount,
      frameCount: state.frameCount,
      keyframeCount: state.keyframeCount,
      payloadBytes: state.payloadBytes,
      trackStats,
      tracks: state.tracks,
      tags: state.tags,
      complete,
    });
  }

  private trackLeaf(id: number, data: Uint8Array, offset: number): void {
    const track = this.track;
    // The schema places these leaves only inside a TrackEntry, which the parser enforces.
    if (track === null) throw new Error(`FragmentReader invariant: ${elementName(id)} outside a TrackEntry`);
    switch (id) {
      case E.TrackNumber:
        track.trackNumber = this.uint(id, data, offset);
        break;
      case E.TrackType:
        track.trackType = this.uint(id, data, offset);
        break;
      case E.CodecID:
        track.codecId = readAsciiString(data);
        break;
      case E.PixelWidth:
        track.pixelWidth = this.uint(id, data, offset);
        break;
      case E.PixelHeight:
        track.pixelHeight = this.uint(id, data, offset);
        break;
      case E.Channels:
        track.channels = this.uint(id, data, offset);
        break;
      case E.SamplingFrequency:
        if (data.length !== 0 && data.length !== 4 && data.length !== 8) {
          throw this.malformed(`float of ${data.length} bytes`, offset, id);
        }
        track.samplingFrequency = readFloat(data);
        break;
      default:
        throw new Error(`FragmentReader invariant: unexpected leaf ${elementName(id)}`);
    }
  }

  private endTrack(endOffset: number): void {
    const track = this.track;
    this.track = null;
    if (track === null) return;
    if (track.trackNumber === null) throw this.malformed('TrackEntry without TrackNumber', endOffset, E.TrackEntry);
    const tracks = this.fragment().tracks;
    if (tracks.length >= this.maxTracks) {
      throw this.malformed(`more than ${this.maxTracks} tracks in one fragment`, endOffset, E.TrackEntry);
    }
    this.fragment().tracks.push({ ...track, trackNumber: track.trackNumber });
  }

  private endSimpleTag(): void {
    const tag = this.tagStack.pop();
    if (tag === undefined) return;
    if (tag.name === null) throw this.malformed('SimpleTag without TagName', tag.offset, E.SimpleTag);
    if (isKinesisTagName(tag.name)) {
      this.applyKinesisTag(tag.name, tag.value, tag.offset);
    } else {
      this.fragment().tags.push({ name: tag.name, value: tag.value, binary: tag.binary });
    }
  }

  // Turns a documented AWS_KINESISVIDEO_* tag into its field. A value GetMedia cannot have produced
  // is corruption (RELIABILITY K12: bogus tags -> typed error, the caller resumes from the last good
  // fragment), and so is a second, different value for the same field within one fragment.
  private applyKinesisTag(name: KinesisTagName, text: string | null, offset: number): void {
    const fragment = this.fragment();
    if (text === null) throw this.malformed(`${name} has no TagString`, offset, E.SimpleTag);
    const bad = (): MalformedMediaError =>
      this.malformed(`${name} has an invalid value ${JSON.stringify(text.slice(0, 64))}`, offset, E.SimpleTag);
    const conflict = <T>(previous: T | null, next: T): T => {
      if (previous !== null && previous !== next) {
        throw this.malformed(`${name} appears twice with different values`, offset, E.SimpleTag);
      }
      return next;
    };
    switch (name) {
      case KinesisTag.FragmentNumber:
        if (!isFragmentNumber(text)) throw bad();
        fragment.fragmentNumber = conflict(fragment.fragmentNumber, text);
        break;
      case KinesisTag.ServerTimestamp:
        fragment.serverTimestamp = conflict(fragment.serverTimestamp, parseKinesisTimestamp(text) ?? throwError(bad()));
        break;
      case KinesisTag.ProducerTimestamp:
        fragment.producerTimestamp = conflict(fragment.producerTimestamp, parseKinesisTimestamp(text) ?? throwError(bad()));
        break;
      case KinesisTag.MillisBehindNow:
        fragment.millisBehindNow = conflict(fragment.millisBehindNow, parseKinesisUnsigned(text) ?? throwError(bad()));
        break;
      case KinesisTag.ContinuationToken:
        fragment.continuationToken = conflict(fragment.continuationToken, text);
        break;
      case KinesisTag.ErrorCode:
        fragment.errorCode = conflict(fragment.errorCode, text);
        break;
      case KinesisTag.ErrorId:
        fragment.errorId = conflict(fragment.errorId, parseKinesisInteger(text) ?? throwError(bad()));
        break;
    }
  }

  private uint(id: number, data: Uint8Array, offset: number): number {
    if (data.length > 8) throw this.malformed(`unsigned integer of ${data.length} bytes`, offset, id);
    return readUint(data);
  }

  // The SimpleTag a tag leaf belongs to, after charging its bytes to the fragment's tag budget.
  private tagLeaf(bytes: number, offset: number): TagBuilder {
    const tag = this.tagStack[this.tagStack.length - 1];
    if (tag === undefined) throw new Error('FragmentReader invariant: tag leaf outside a SimpleTag');
    const fragment = this.fragment();
    fragment.tagBytes += bytes;
    if (fragment.tagBytes > this.maxTagBytes) {
      throw this.malformed(`tags exceed ${this.maxTagBytes} bytes in one fragment`, offset, E.SimpleTag);
    }
    return tag;
  }

  private fragment(): FragmentState {
    // Every element but EBML/Segment lives inside one of them (the parser enforces the schema).
    if (this.current === null) throw new Error('FragmentReader invariant: element outside a fragment');
    return this.current;
  }

  private parserOf(): EbmlParser {
    if (this.parser === null) throw new Error('FragmentReader invariant: parser not attached');
    return this.parser;
  }

  private malformed(reason: string, offset: number, id: number): MalformedMediaError {
    return new MalformedMediaError(reason, offset, [...this.parserOf().openElementNames(), elementName(id)]);
  }
}

function throwError(error: Error): never {
  throw error;
}
