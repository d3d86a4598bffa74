import type { EbmlTruncation, EbmlVisitor, MkvFrame, MkvTagInput, MkvTrack } from '../../mkv/index.js';
import { EbmlId, EbmlParser, isKinesisTagName, readFloat, readUint, readUintBig, readUtf8String } from '../../mkv/index.js';
import type { FragmentContent } from './kinesis.store.js';

/**
 * Turns a recorded GetMedia capture (or any Matroska file) into fragment contents the emulator can replay.
 *
 * Strategy: parse, then re-emit with our writer (no byte splicing). The file is parsed once with the
 * project's EBML parser; every Cluster becomes one replayable fragment carrying the Tracks and the non-Kinesis
 * tags of the EBML document it came from, and its frames. Frame payloads are views into the capture buffer
 * (never copied), so a looping feed costs the file's size once. When a fragment is replayed, the emulator
 * writes a fresh document with new fragment numbers and timestamps; the capture's own `AWS_KINESISVIDEO_*`
 * tags are dropped.
 *
 * Limits: SimpleBlocks and BlockGroup Blocks are kept (a Block is a keyframe when its group has no
 * ReferenceBlock); laced blocks are skipped (our writer emits unlaced SimpleBlocks only) and counted.
 */

/** One replayable fragment of a capture. */
export interface CaptureFragment {
  readonly content: FragmentContent;
  /** Playback length in milliseconds derived from the frame timecodes (at least 1). */
  readonly durationMs: number;
}

/** A parsed capture. */
export interface ParsedCapture {
  readonly fragments: readonly CaptureFragment[];
  /** Laced blocks that were left out. */
  readonly skippedLacedBlocks: number;
}

const E = EbmlId;
const LEAF_IDS: ReadonlySet<number> = new Set([
  E.TimestampScale,
  E.TrackNumber,
  E.TrackUID,
  E.TrackType,
  E.CodecID,
  E.CodecPrivate,
  E.Name,
  E.DefaultDuration,
  E.PixelWidth,
  E.PixelHeight,
  E.SamplingFrequency,
  E.Channels,
  E.Timestamp,
  E.TagName,
  E.TagString,
  E.ReferenceBlock,
]);

interface TrackBuilder {
  trackNumber?: number;
  trackUid?: bigint;
  trackType?: number;
  codecId?: string;
  codecPrivate?: Uint8Array;
  name?: string;
  defaultDurationNs?: number;
  pixelWidth?: number;
  pixelHeight?: number;
  samplingFrequency?: number;
  channels?: number;
}

/** Reads a vint size at `buf[pos]`: its byte length and value. */
function readSizeVint(buf: Uint8Array, pos: number): { length: number; value: number } {
  const first = buf[pos] ?? 0;
  const length = Math.clz32(first) - 23;
  let value = first & (0xff >> length);
  for (let i = 1; i < length; i++) value = value * 256 + (buf[pos + i] ?? 0);
  return { length, value };
}

class CaptureVisitor implements EbmlVisitor {
  readonly leafIds = LEAF_IDS;
  readonly wantBlocks = true;
  readonly fragments: CaptureFragment[] = [];
  skippedLacedBlocks = 0;
  truncated: EbmlTruncation | null = null;

  private timecodeScale = 1_000_000;
  private tracks: MkvTrack[] = [];
  private track: TrackBuilder | null = null;
  private tags: MkvTagInput[] = [];
  private readonly tagStack: { name: string | null; value: string | null }[] = [];
  private frames: MkvFrame[] | null = null;
  private groupBlock: { trackNumber: number; timecode: number; data: Uint8Array } | null = null;
  private groupHasReference = false;

  constructor(private readonly input: Uint8Array) {}

  onMasterStart(id: number): void {
    switch (id) {
      case E.EBML:
        // A new EBML document: its tags and scale start fresh; tracks carry over until it declares its own.
        this.tags = [];
        this.timecodeScale = 1_000_000;
        return;
      case E.Tracks:
        this.tracks = [];
        return;
      case E.TrackEntry:
        this.track = {};
        return;
      case E.SimpleTag:
        this.tagStack.push({ name: null, value: null });
        return;
      case E.Cluster:
        this.frames = [];
        return;
      case E.BlockGroup:
        this.groupBlock = null;
        this.groupHasReference = false;
        return;
      default:
        return;
    }
  }

  onMasterEnd(id: number): void {
    switch (id) {
      case E.TrackEntry:
        this.endTrack();
        return;
      case E.SimpleTag: {
        const tag = this.tagStack.pop();
        if (tag?.name != null && !isKinesisTagName(tag.name)) this.tags.push({ name: tag.name, value: tag.value });
        return;
      }
      case E.BlockGroup:
        if (this.groupBlock !== null && this.frames !== null) {
          this.frames.push({ ...this.groupBlock, keyframe: !this.groupHasReference });
        }
        this.groupBlock = null;
        return;
      case E.Cluster:
        this.endCluster();
        return;
      default:
        return;
    }
  }

  /**
   * A wanted leaf. Accepts both shapes of the visitor contract: a payload view (`data`), or the pushed chunk
   * with the payload's `[start, end)` bounds; either way the bytes are only valid during the call.
   */
  onLeaf(id: number, bytes: Uint8Array, start?: number, end?: number): void {
    const data = start !== undefined && end !== undefined ? bytes.subarray(start, end) : bytes;
    const track = this.track;
    switch (id) {
      case E.TimestampScale:
        this.timecodeScale = readUint(data) || 1_000_000;
        return;
      case E.ReferenceBlock:
        this.groupHasReference = true;
        return;
      case E.TagName:
      case E.TagString: {
        const tag = this.tagStack[this.tagStack.length - 1];
        if (tag === undefined) return;
        if (id === E.TagName) tag.name = readUtf8String(data);
        else tag.value = readUtf8String(data);
        return;
      }
      default:
        break;
    }
    if (track === null) return;
    switch (id) {
      case E.TrackNumber:
        track.trackNumber = readUint(data);
        return;
      case E.TrackUID:
        track.trackUid = readUintBig(data);
        return;
      case E.TrackType:
        track.trackType = readUint(data);
        return;
      case E.CodecID:
        track.codecId = readUtf8String(data).replace(/\0+$/, '');
        return;
      case E.CodecPrivate:
        // The leaf view is only valid during the callback.
        track.codecPrivate = Uint8Array.from(data);
        return;
      case E.Name:
        track.name = readUtf8String(data).replace(/\0+$/, '');
        return;
      case E.DefaultDuration:
        track.defaultDurationNs = readUint(data);
        return;
      case E.PixelWidth:
        track.pixelWidth = readUint(data);
        return;
      case E.PixelHeight:
        track.pixelHeight = readUint(data);
        return;
      case E.SamplingFrequency:
        track.samplingFrequency = readFloat(data);
        return;
      case E.Channels:
        track.channels = readUint(data);
        return;
      default:
        return;
    }
  }

  onBlock(id: number, trackNumber: number, timecode: number, flags: number, frameBytes: number, offset: number): void {
    if (this.frames === null) return;
    if ((flags & 0x06) !== 0) {
      this.skippedLacedBlocks += 1;
      return;
    }
    // SimpleBlock (0xA3) and Block (0xA1) ids are one byte; the payload ends `size` bytes after the size vint,
    // and the frame data is its last `frameBytes` bytes (after track number, timecode and flags).
    const size = readSizeVint(this.input, offset + 1);
    const end = offset + 1 + size.length + size.value;
    const data = this.input.subarray(end - frameBytes, end);
    if (id === E.SimpleBlock) {
      this.frames.push({ trackNumber, timecode, keyframe: (flags & 0x80) !== 0, data });
    } else {
      this.groupBlock = { trackNumber, timecode, data };
    }
  }

  onEnd(truncation: EbmlTruncation | null): void {
    this.truncated = truncation;
  }

  private endTrack(): void {
    const track = this.track;
    this.track = null;
    if (track?.trackNumber === undefined || track.codecId === undefined) return;
    this.tracks.push({
      trackNumber: track.trackNumber,
      trackType: track.trackType ?? 1,
      codecId: track.codecId,
      trackUid: track.trackUid,
      codecPrivate: track.codecPrivate,
      name: track.name,
      defaultDurationNs: track.defaultDurationNs,
      pixelWidth: track.pixelWidth,
      pixelHeight: track.pixelHeight,
      samplingFrequency: track.samplingFrequency,
      channels: track.channels,
    });
  }

  private endCluster(): void {
    const frames = this.frames;
    this.frames = null;
    if (frames === null || frames.length === 0) return;
    // Frames must refer to declared tracks for the writer; drop frames of tracks the capture never declared.
    const declared = new Set(this.tracks.map((track) => track.trackNumber));
    const kept = frames.filter((frame) => declared.has(frame.trackNumber));
    if (kept.length === 0) return;
    const content: FragmentContent = { tracks: [...this.tracks], frames: kept, tags: [...this.tags], timecodeScale: this.timecodeScale };
    this.fragments.push({ content, durationMs: durationOf(kept, this.timecodeScale, this.tracks[0]?.defaultDurationNs) });
  }
}

/** Length of a run of frames in ms: span of timecodes plus one average frame gap (or the default duration). */
function durationOf(frames: readonly MkvFrame[], timecodeScale: number, defaultDurationNs: number | undefined): number {
  let min = Infinity;
  let max = -Infinity;
  for (const frame of frames) {
    min = Math.min(min, frame.timecode);
    max = Math.max(max, frame.timecode);
  }
  const gapTicks = frames.length > 1 ? (max - min) / (frames.length - 1) : (defaultDurationNs ?? 33_333_333) / timecodeScale;
  return Math.max(1, Math.round(((max - min + gapTicks) * timecodeScale) / 1_000_000));
}

/**
 * Parses a capture held in memory.
 *
 * @throws MalformedMediaError when the bytes are not valid EBML/Matroska; Error when no Cluster with frames
 *   of a declared track is found (e.g. a tags-only capture).
 */
export function parseCapture(input: Uint8Array): ParsedCapture {
  const visitor = new CaptureVisitor(input);
  const parser = new EbmlParser(visitor, { limits: { maxLeafSize: 4 * 1024 * 1024 } });
  parser.push(input);
  parser.end();
  if (visitor.fragments.length === 0) throw new Error('capture holds no cluster with frames to replay');
  return { fragments: visitor.fragments, skippedLacedBlocks: visitor.skippedLacedBlocks };
}
