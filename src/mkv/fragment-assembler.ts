import { EbmlId } from './ebml-ids.js';
import type { EbmlParser, EbmlTruncation, EbmlVisitor } from './ebml-parser.js';
import { readFloat, readUint, unpaddedEnd } from './ebml-values.js';
import type { Fragment, FragmentTag, TrackInfo, TrackStats } from './fragment.type.js';
import { applyKinesisTagValue, type KinesisFields } from './kinesis-fields.js';
import { isFragmentNumberBytes, KinesisTag, kinesisTagAt, type KinesisTagName } from './kinesis-tags.js';
import { MalformedMediaError } from './malformed-media.error.js';
import { elementName } from './matroska-schema.js';
import { isSameAscii, TextInterner } from './text-interner.js';

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

// The masters whose start/end matter; the others (Tags, Tag, Info, SeekHead...) are walked silently.
const MASTER_IDS: ReadonlySet<number> = new Set([E.EBML, E.Segment, E.Cluster, E.TrackEntry, E.SimpleTag, E.BlockGroup, E.Tags]);

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
  // The documented Kinesis tag this is, known from the TagName bytes; its value becomes a field.
  kinesis: KinesisTagName | null;
  value: string | null;
  // A TagString that arrived before its TagName (legal, never seen in practice), copied until then.
  pendingValue: Uint8Array | null;
  hasValue: boolean;
  binary: Uint8Array | null;
  offset: number;
}

// Mutable state of the fragment being read. Fields mirror Fragment.
class FragmentState implements KinesisFields {
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
  // Offset of the Tags element that set `fragmentNumber`: a different number in a later Tags element of the same
  // Segment starts the next fragment (merged files), one in the same Tags element is corruption.
  fragmentNumberTags = -1;
  readonly stats = new Map<number, MutableTrackStats>();
  readonly tracks: TrackInfo[] = [];
  readonly tags: FragmentTag[] = [];

  constructor(
    readonly sequence: number,
    readonly byteOffset: number,
  ) {}
}

/**
 * The {@link EbmlVisitor} behind `FragmentReader`: turns parser events into {@link Fragment}s, one per EBML
 * document, and validates the Kinesis tags. A Segment holding several fragments, as the AWS KVS parser library's
 * `OutputSegmentMerger` writes them (consecutive fragments with identical EBML header and Tracks share one
 * Segment: each fragment's Tags and Cluster follow the previous one's), gives one fragment per fragment number:
 * a Tags element whose `AWS_KINESISVIDEO_FRAGMENT_NUMBER` differs from the open fragment's starts the next one
 * there, sharing the Segment's TimestampScale and Tracks. Internal to the mkv module (use `FragmentReader`);
 * `parser` must be attached before the first push.
 */
export class FragmentAssembler implements EbmlVisitor {
  readonly leafIds = LEAF_IDS;
  readonly masterIds = MASTER_IDS;
  readonly wantBlocks = true;
  parser: EbmlParser | null = null;
  emitted = 0;

  private current: FragmentState | null = null;
  private track: TrackBuilder | null = null;
  // Open SimpleTags (they nest), innermost at tagDepth - 1. Builders are reused, not reallocated:
  // GetMedia sends a dozen tags per fragment.
  private readonly tagPool: TagBuilder[] = [];
  private tagDepth = 0;
  // Last track's stats, cached: consecutive blocks nearly always share a track.
  private lastStats: MutableTrackStats | null = null;
  // BlockGroup state: a Block is a keyframe when its group has no ReferenceBlock.
  private groupStats: MutableTrackStats | null = null;
  private groupHasReference = false;
  private readonly interner = new TextInterner();
  // The Tags element being read: its offset, and how many tags the open fragment had when it began (tags of a
  // Tags element that turns out to start the next fragment move there).
  private tagsStart = -1;
  private tagsMark = 0;
  // The last block reported, so that one the input cut off before its declared end is not counted as a frame.
  private lastBlockOffset = -1;
  private lastBlockBytes = 0;
  private lastBlockKey = false;
  private lastBlockStats: MutableTrackStats | null = null;

  constructor(
    private readonly onFragment: (fragment: Fragment) => void,
    private readonly maxTagBytes: number,
    private readonly maxTracks: number,
    /**
     * Emit a fragment as soon as the Tags element after its Cluster (MILLIS_BEHIND_NOW, CONTINUATION_TOKEN)
     * closes, instead of when its Segment ends. Live GetMedia Segments have unknown size, so without this a
     * fragment would only surface when the next one starts: one fragment duration late. Error tags that
     * arrive later in the same document emit it once more (see `FragmentReaderOptions.emitOnTrailingTags`).
     */
    private readonly emitOnTrailingTags = false,
  ) {}

  // The document already emitted early by `emitOnTrailingTags`. The rest of it is still read (so the parser
  // validates it and the next document starts cleanly), but only error tags in it are reported again.
  private sealed: FragmentState | null = null;
  // The error fields the consumer last received for `sealed`: a change means error tags arrived after the
  // early emission, which must reach the consumer (GetMedia appends them after the continuation token).
  private sealedErrorCode: string | null = null;
  private sealedErrorId: number | null = null;

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
        this.openSimpleTag(offset);
        break;
      case E.BlockGroup:
        this.groupStats = null;
        this.groupHasReference = false;
        break;
      case E.Tags:
        this.tagsStart = offset;
        this.tagsMark = this.current?.tags.length ?? 0;
        break;
      default:
        break;
    }
  }

  onMasterEnd(id: number, endOffset: number): void {
    switch (id) {
      case E.Tags: {
        const current = this.current;
        if (!this.emitOnTrailingTags || current === null) break;
        if (this.sealed === current) {
          // Error tags after the early emission: the consumer gets the document again, now carrying them.
          if (this.sealedErrorsChanged(current)) this.reemitSealed(current, endOffset, true);
        } else if ((current.clusterCount > 0 && current.continuationToken !== null) || current.errorId !== null) {
          this.emitEarly(current, endOffset);
        }
        break;
      }
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

  onLeaf(id: number, bytes: Uint8Array, start: number, end: number, offset: number): void {
    switch (id) {
      case E.Timestamp: {
        const fragment = this.fragment();
        fragment.clusterTimecode ??= this.uint(id, bytes, start, end, offset);
        break;
      }
      case E.TimestampScale: {
        const scale = this.uint(id, bytes, start, end, offset);
        if (scale === 0) throw this.malformed('TimestampScale is 0', offset, id);
        this.fragment().timecodeScale = scale;
        break;
      }
      case E.TagName:
        this.tagName(this.tagLeaf(end - start, offset), bytes, start, end, offset);
        break;
      case E.TagString:
        this.tagString(this.tagLeaf(end - start, offset), bytes, start, end, offset);
        break;
      case E.TagBinary:
        // Uint8Array#slice copies (Buffer#slice would only view the caller's chunk).
        this.tagLeaf(end - start, offset).binary = Uint8Array.prototype.slice.call(bytes, start, end);
        break;
      case E.ReferenceBlock:
        this.groupHasReference = true;
        break;
      default:
        this.trackLeaf(id, bytes, start, end, offset);
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
    this.lastBlockOffset = offset;
    this.lastBlockBytes = frameBytes;
    this.lastBlockStats = stats;
    if (id === E.SimpleBlock) {
      this.lastBlockKey = (flags & 0x80) !== 0;
      if (this.lastBlockKey) {
        stats.keyframeCount++;
        fragment.keyframeCount++;
      }
    } else {
      // A Block's keyframe is counted when its BlockGroup ends, which a cut-off block never reaches.
      this.lastBlockKey = false;
      this.groupStats = stats;
    }
  }

  onEnd(truncation: EbmlTruncation | null): void {
    const current = this.current;
    if (current === null) return;
    // The input stopped inside the last block's frame data: that block is not a frame.
    if (truncation !== null && truncation.elementOffset === this.lastBlockOffset) this.dropLastBlock(current);
    this.emit(current, this.parserOf().offset, truncation === null);
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
    this.tagDepth = 0;
    this.interner.restart();
    this.lastStats = null;
    this.groupStats = null;
    this.lastBlockOffset = -1;
    this.lastBlockStats = null;
  }

  /**
   * Ends the open fragment at `offset` (the Tags element carrying the next fragment number) and opens the next
   * one in the same Segment: it shares the Segment's TimestampScale and Tracks, and takes the tags read so far in
   * that Tags element. Only the Tags element's own SimpleTag is open, so the tag state stays as it is.
   */
  private splitAt(offset: number): void {
    const previous = this.fragment();
    const moved = previous.tags.length > this.tagsMark ? previous.tags.splice(this.tagsMark) : null;
    this.emit(previous, offset, true);
    const next = new FragmentState(this.emitted, offset);
    next.hasSegment = true;
    next.timecodeScale = previous.timecodeScale;
    for (const track of previous.tracks) next.tracks.push(track);
    if (moved !== null) for (const tag of moved) next.tags.push(tag);
    this.current = next;
    this.tagsMark = 0;
    this.groupStats = null;
    this.lastBlockOffset = -1;
    this.lastBlockStats = null;
  }

  // Takes the last block's frame back out of `fragment`'s counts.
  private dropLastBlock(fragment: FragmentState): void {
    const stats = this.lastBlockStats;
    this.lastBlockOffset = -1;
    this.lastBlockStats = null;
    if (stats === null) return;
    stats.frameCount--;
    stats.payloadBytes -= this.lastBlockBytes;
    fragment.frameCount--;
    fragment.payloadBytes -= this.lastBlockBytes;
    if (this.lastBlockKey) {
      stats.keyframeCount--;
      fragment.keyframeCount--;
    }
    // Track entries are created by a track's first block: one left without frames came with the cut block.
    if (stats.frameCount === 0) fragment.stats.delete(stats.trackNumber);
  }

  // Closes `state` (its document ended, was cut off or failed) and delivers it unless it was emitted early.
  private emit(state: FragmentState, endOffset: number, complete: boolean): void {
    this.current = null;
    this.lastStats = null;
    if (this.sealed === state) {
      // Emitted early at its trailing tags; the document's end only closes it, except that error tags read
      // since (even in Tags the input cut off) are delivered rather than dropped.
      this.sealed = null;
      if (this.sealedErrorsChanged(state)) this.reemitSealed(state, endOffset, complete);
      return;
    }
    this.emitted++;
    this.onFragment(this.snapshot(state, endOffset, complete));
  }

  // Live mode: delivers the open document now; it stays open (later elements of it must not start a new
  // fragment) and `sealed` until its end.
  private emitEarly(state: FragmentState, endOffset: number): void {
    this.emitted++;
    this.sealed = state;
    this.sealedErrorCode = state.errorCode;
    this.sealedErrorId = state.errorId;
    this.onFragment(this.snapshot(state, endOffset, true));
  }

  private reemitSealed(state: FragmentState, endOffset: number, complete: boolean): void {
    this.sealedErrorCode = state.errorCode;
    this.sealedErrorId = state.errorId;
    this.onFragment(this.snapshot(state, endOffset, complete));
  }

  private sealedErrorsChanged(state: FragmentState): boolean {
    return state.errorCode !== this.sealedErrorCode || state.errorId !== this.sealedErrorId;
  }

  // The delivered record owns its arrays (copies, a few entries each): in live mode the state keeps filling
  // after delivery, and a fragment the consumer already holds (queued, windowed, serialised later) must never
  // change under it.
  private snapshot(state: FragmentState, endOffset: number, complete: boolean): Fragment {
    const trackStats: TrackStats[] = [];
    for (const s of state.stats.values()) trackStats.push({ ...s });
    return {
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
      tracks: state.tracks.slice(),
      tags: state.tags.slice(),
      complete,
    };
  }

  private trackLeaf(id: number, bytes: Uint8Array, start: number, end: number, offset: number): void {
    const track = this.track;
    // The schema places these leaves only inside a TrackEntry, which the parser enforces.
    if (track === null) throw new Error(`FragmentReader invariant: ${elementName(id)} outside a TrackEntry`);
    switch (id) {
      case E.TrackNumber:
        track.trackNumber = this.uint(id, bytes, start, end, offset);
        break;
      case E.TrackType:
        track.trackType = this.uint(id, bytes, start, end, offset);
        break;
      case E.CodecID:
        // Codec ids are ASCII (so UTF-8 decoding is exact) and repeat in every fragment: cached.
        track.codecId = this.interner.text(bytes, start, unpaddedEnd(bytes, start, end));
        break;
      case E.PixelWidth:
        track.pixelWidth = this.uint(id, bytes, start, end, offset);
        break;
      case E.PixelHeight:
        track.pixelHeight = this.uint(id, bytes, start, end, offset);
        break;
      case E.Channels:
        track.channels = this.uint(id, bytes, start, end, offset);
        break;
      case E.SamplingFrequency:
        if (end - start !== 0 && end - start !== 4 && end - start !== 8) {
          throw this.malformed(`float of ${end - start} bytes`, offset, id);
        }
        track.samplingFrequency = readFloat(bytes, start, end);
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

  private tagName(tag: TagBuilder, bytes: Uint8Array, start: number, end: number, offset: number): void {
    // Kinesis names are recognised by their bytes and never decoded.
    tag.kinesis = kinesisTagAt(bytes, start, end);
    tag.name = tag.kinesis ?? this.interner.text(bytes, start, end);
    const pending = tag.pendingValue;
    if (pending !== null) {
      tag.pendingValue = null;
      this.tagString(tag, pending, 0, pending.length, offset);
    }
  }

  // `offset` is the leaf's, for errors about the value.
  private tagString(tag: TagBuilder, bytes: Uint8Array, start: number, end: number, offset: number): void {
    if (tag.name === null) {
      tag.pendingValue = Uint8Array.prototype.slice.call(bytes, start, end);
      return;
    }
    if (tag.kinesis !== null) {
      if (tag.kinesis === KinesisTag.FragmentNumber) this.fragmentNumberTag(bytes, start, end);
      const rejected = applyKinesisTagValue(this.fragment(), tag.kinesis, bytes, start, end);
      if (rejected !== null) throw this.malformed(rejected, offset, E.TagString);
    } else {
      tag.value = this.interner.text(bytes, start, end);
    }
    tag.hasValue = true;
  }

  // A fragment number in a later Tags element of the Segment than the open fragment's, and different from it,
  // starts the next fragment (merged files). Anything else is left to the value checks.
  private fragmentNumberTag(bytes: Uint8Array, start: number, end: number): void {
    const current = this.fragment();
    const number = current.fragmentNumber;
    if (
      number !== null &&
      current.hasSegment &&
      current.fragmentNumberTags !== this.tagsStart &&
      !isSameAscii(number, bytes, start, end) &&
      isFragmentNumberBytes(bytes, start, end)
    ) {
      this.splitAt(this.tagsStart);
    }
    this.fragment().fragmentNumberTags = this.tagsStart;
  }

  private openSimpleTag(offset: number): void {
    let tag = this.tagPool[this.tagDepth];
    if (tag === undefined) {
      tag = { name: null, kinesis: null, value: null, pendingValue: null, hasValue: false, binary: null, offset };
      this.tagPool[this.tagDepth] = tag;
    } else {
      tag.name = null;
      tag.kinesis = null;
      tag.value = null;
      tag.pendingValue = null;
      tag.hasValue = false;
      tag.binary = null;
      tag.offset = offset;
    }
    this.tagDepth++;
  }

  private endSimpleTag(): void {
    if (this.tagDepth === 0) return;
    const tag = this.tagPool[--this.tagDepth];
    if (tag === undefined) return;
    if (tag.name === null) throw this.malformed('SimpleTag without TagName', tag.offset, E.SimpleTag);
    if (tag.kinesis === null) {
      this.fragment().tags.push({ name: tag.name, value: tag.value, binary: tag.binary });
    } else if (!tag.hasValue) {
      throw this.malformed(`${tag.kinesis} has no TagString`, tag.offset, E.SimpleTag);
    }
  }

  private uint(id: number, bytes: Uint8Array, start: number, end: number, offset: number): number {
    if (end - start > 8) throw this.malformed(`unsigned integer of ${end - start} bytes`, offset, id);
    return readUint(bytes, start, end);
  }

  // The SimpleTag a tag leaf belongs to, after charging its bytes to the fragment's tag budget.
  private tagLeaf(bytes: number, offset: number): TagBuilder {
    const tag = this.tagDepth > 0 ? this.tagPool[this.tagDepth - 1] : undefined;
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
