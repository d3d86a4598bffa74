import { MalformedMediaError } from './malformed-media.error.js';
import { elementName, GLOBAL_PARENT, MATROSKA_SCHEMA, ROOT_PARENT, type EbmlSchema } from './matroska-schema.js';

/**
 * Receives the parse of an EBML stream in one pass, in document order. Every callback runs
 * synchronously inside {@link EbmlParser.push} or {@link EbmlParser.end}; an exception it throws
 * propagates out of that call unchanged (and leaves the parser unusable). A callback may call
 * {@link EbmlParser.stop} to end the parse early.
 *
 * Offsets are absolute byte offsets in the whole input (0 = first byte ever pushed).
 */
export interface EbmlVisitor {
  /**
   * Leaf element ids whose payload the visitor wants in {@link onLeaf}; each is read whole (up to
   * `maxLeafSize`) even when it is split across chunks. Consulted once, when the parser is built.
   */
  readonly leafIds: ReadonlySet<number>;
  /**
   * True to receive {@link onBlock} for SimpleBlock and Block elements (their frame data is skipped,
   * never copied); false skips those elements entirely. Consulted once, when the parser is built.
   */
  readonly wantBlocks: boolean;
  /**
   * Master element ids to report to {@link onMasterStart}/{@link onMasterEnd}; masters not listed are
   * still walked (their children are reported) but their own start and end are not. Undefined reports
   * every master. Consulted once, when the parser is built.
   */
  readonly masterIds?: ReadonlySet<number>;
  /**
   * A master element of the schema begins. `dataSize` is its payload size in bytes, or -1 for an
   * unknown-size element (live Segments and Clusters), which ends at the first element that cannot be
   * its child, at the end of a sized ancestor, or at {@link EbmlParser.end}.
   */
  onMasterStart(id: number, offset: number, dataSize: number): void;
  /** The master element that began last and is still open ends; `endOffset` is one past its last byte. */
  onMasterEnd(id: number, endOffset: number): void;
  /**
   * A wanted leaf element whose payload is `bytes[start..end)`. `bytes` is usually the pushed chunk
   * itself (no view or copy is made per leaf: this is the hot path), so it is valid only during this
   * call; copy what must outlive it.
   */
  onLeaf(id: number, bytes: Uint8Array, start: number, end: number, offset: number): void;
  /**
   * A SimpleBlock or Block element: its track number, its signed 16-bit timecode (relative to the
   * Cluster, in TimestampScale ticks), its flags byte (SimpleBlock: 0x80 keyframe, 0x08|0x04 lacing)
   * and the size in bytes of the frame data after that 4+-byte header. Called once the header has been
   * read; the frame data is skipped afterwards, possibly across later chunks.
   */
  onBlock(id: number, trackNumber: number, timecode: number, flags: number, frameBytes: number, offset: number): void;
  /**
   * The input ended ({@link EbmlParser.end}). `truncation` is null when every element was complete
   * (open unknown-size elements were closed with {@link onMasterEnd} first); otherwise it describes
   * the element the input cut off, and no {@link onMasterEnd} is sent for the elements left open.
   */
  onEnd(truncation: EbmlTruncation | null): void;
}

/** Where the input ran out in the middle of an element. */
export interface EbmlTruncation {
  /** Total bytes pushed (the absolute offset where the input stopped). */
  readonly offset: number;
  /** Offset of the innermost element the input cut off (its header start). */
  readonly elementOffset: number;
  /** Names of the open elements, outermost first, including the cut-off one when it is known. */
  readonly path: readonly string[];
}

/** Bounds that keep memory and work per stream finite whatever the input claims. */
export interface EbmlParserLimits {
  /**
   * Largest declared payload, in bytes, of any element below the top level (top-level elements such
   * as a sized Segment are only bounded by 2^53). Default 256 MiB: a Kinesis fragment is at most 50 MB.
   */
  readonly maxElementSize: number;
  /** Largest leaf, in bytes, that is read into memory for {@link EbmlVisitor.onLeaf}. Default 64 KiB. */
  readonly maxLeafSize: number;
  /** Deepest nesting of master elements. Default 32 (Matroska needs about 8). */
  readonly maxDepth: number;
}

/** Defaults of {@link EbmlParserLimits}. */
export const DEFAULT_EBML_LIMITS: EbmlParserLimits = Object.freeze({
  maxElementSize: 256 * 1024 * 1024,
  maxLeafSize: 64 * 1024,
  maxDepth: 32,
});

/** Options of {@link EbmlParser}. */
export interface EbmlParserOptions {
  readonly limits?: Partial<EbmlParserLimits>;
  /** Element tree used to recognise masters and to end unknown-size elements. Default: Matroska. */
  readonly schema?: EbmlSchema;
}

// What the parser does with an element id. Resolved once per id at construction so the hot loop does
// a single Map lookup per element.
const KIND_SKIP = 0;
const KIND_MASTER = 1;
const KIND_LEAF = 2;
const KIND_BLOCK = 3;

// Parser modes between chunks. HEADER may also hold a partial header in `carry`.
const MODE_HEADER = 0;
const MODE_SKIP = 1;
const MODE_LEAF = 2;
const MODE_BLOCK = 3;

// An id is at most 4 bytes (EBMLMaxIDLength 4) and a size at most 8 (EBMLMaxSizeLength 8).
const MAX_HEADER = 12;
// Track number vint (<= 8 bytes) + int16 timecode + flags byte.
const MAX_BLOCK_HEADER = 11;

interface Entry {
  readonly kind: number;
  // Whether the visitor wants this master's start/end events.
  readonly notify: boolean;
  readonly name: string;
  // First allowed parent, for the common single-parent case; `more` holds the rest (SimpleTag).
  readonly parent: number;
  readonly more: readonly number[] | null;
}

/**
 * Push-based, zero-copy EBML parser (RFC 8794) with Matroska knowledge, for unbounded streams such as
 * a Kinesis GetMedia response: feed bytes with {@link push} as they arrive, call {@link end} when the
 * input ends. Chunk boundaries may fall anywhere. The parser keeps at most one partial element header
 * (12 bytes), one partial block header (11 bytes) and one partial wanted leaf (<= `maxLeafSize`)
 * between chunks; frame data and unwanted leaves are skipped by arithmetic, never copied.
 *
 * It handles unknown-size elements, back-to-back EBML documents, Void/CRC-32 anywhere, and skips ids
 * the schema does not know. Bad input throws {@link MalformedMediaError}; running out of input in the
 * middle of an element is not an error, it is reported to {@link EbmlVisitor.onEnd}.
 */
export class EbmlParser {
  private readonly visitor: EbmlVisitor;
  private readonly entries = new Map<number, Entry>();
  private readonly maxElementSize: number;
  private readonly maxLeafSize: number;
  private readonly maxDepth: number;

  // Open master elements, innermost last. `stackEnd` is the absolute end offset; an unknown-size
  // element gets the end of its nearest sized ancestor (it must end there) or +Infinity.
  private readonly stackId: number[] = [];
  private readonly stackStart: number[] = [];
  private readonly stackEnd: number[] = [];
  private readonly stackUnknown: boolean[] = [];
  private readonly stackNotify: boolean[] = [];
  private depth = 0;

  // Absolute offset of the first byte of the next chunk.
  private consumed = 0;
  private mode = MODE_HEADER;

  // Partial element header carried between chunks.
  private readonly carry = new Uint8Array(MAX_HEADER);
  private carryLen = 0;
  private carryStart = 0;

  // Result of readHeader().
  private hId = 0;
  private hSize = 0;
  private hUnknown = false;

  // Element whose payload is being skipped, read or block-decoded across chunks.
  private curId = 0;
  private curStart = 0;
  private curSize = 0;
  private remaining = 0;
  private leafBuf: Uint8Array | null = null;
  private leafFill = 0;
  private readonly blockBuf = new Uint8Array(MAX_BLOCK_HEADER);
  private blockFill = 0;

  private stopped = false;
  private ended = false;
  // Set while push/end run, to reject a visitor calling back into the parser.
  private running = false;
  private failure: MalformedMediaError | null = null;

  /**
   * @param visitor receives the parse; see {@link EbmlVisitor} for its contract.
   * @throws RangeError when a limit is not a positive integer.
   */
  constructor(visitor: EbmlVisitor, options: EbmlParserOptions = {}) {
    this.visitor = visitor;
    const limits = { ...DEFAULT_EBML_LIMITS, ...options.limits };
    for (const [key, value] of Object.entries(limits)) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`EBML limit ${key} must be a positive integer`);
    }
    this.maxElementSize = limits.maxElementSize;
    this.maxLeafSize = limits.maxLeafSize;
    this.maxDepth = limits.maxDepth;
    const schema = options.schema ?? MATROSKA_SCHEMA;
    for (const spec of schema.values()) {
      let kind = KIND_SKIP;
      if (spec.type === 'master') kind = KIND_MASTER;
      else if (spec.type === 'block') kind = visitor.wantBlocks ? KIND_BLOCK : KIND_SKIP;
      else if (visitor.leafIds.has(spec.id)) kind = KIND_LEAF;
      const [parent = GLOBAL_PARENT, ...more] = spec.parents;
      const notify = kind === KIND_MASTER && (visitor.masterIds === undefined || visitor.masterIds.has(spec.id));
      this.entries.set(spec.id, { kind, notify, name: spec.name, parent, more: more.length > 0 ? more : null });
    }
    // A wanted id the schema does not know is read wherever it appears.
    for (const id of visitor.leafIds) {
      if (!this.entries.has(id)) {
        this.entries.set(id, { kind: KIND_LEAF, notify: false, name: elementName(id, schema), parent: GLOBAL_PARENT, more: null });
      }
    }
  }

  /** Bytes pushed so far (the absolute offset of the next byte). */
  get offset(): number {
    return this.consumed;
  }

  /** True once {@link stop} was called: further input is ignored. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Names of the master elements open right now, outermost first (inside a callback: the ancestors
   * of the element being reported). For consumers that raise their own {@link MalformedMediaError}.
   */
  openElementNames(): string[] {
    return this.openPath();
  }

  /**
   * Ends the parse early: the current `push` returns after the running callback, later `push` calls
   * ignore their input and `end` sends nothing more. Safe to call from a visitor callback.
   */
  stop(): void {
    this.stopped = true;
  }

  /**
   * Parses the next bytes of the input. The chunk is only read during this call (the parser keeps no
   * reference to it), so the caller may reuse its buffer afterwards.
   * @returns false when the parser has been stopped (the caller can stop reading), true otherwise.
   * @throws MalformedMediaError on bad input (also on every later call).
   * @throws Error when called after {@link end} or from inside a visitor callback.
   */
  push(chunk: Uint8Array): boolean {
    if (this.failure !== null) throw this.failure;
    if (this.ended) throw new Error('EbmlParser.push called after end()');
    if (this.running) throw new Error('EbmlParser.push called from a visitor callback');
    if (this.stopped) return false;
    this.running = true;
    try {
      this.run(chunk);
    } catch (error) {
      if (error instanceof MalformedMediaError) this.failure = error;
      throw error;
    } finally {
      this.running = false;
    }
    return !this.stopped;
  }

  /**
   * Signals the end of the input: closes open unknown-size elements, then calls
   * {@link EbmlVisitor.onEnd} with the truncation, if any. Idempotent.
   * @throws MalformedMediaError when an earlier push failed.
   * @throws Error when called from inside a visitor callback.
   */
  end(): void {
    if (this.failure !== null) throw this.failure;
    if (this.running) throw new Error('EbmlParser.end called from a visitor callback');
    if (this.ended) return;
    this.ended = true;
    if (this.stopped) return;
    this.running = true;
    try {
      this.finish();
    } finally {
      this.running = false;
    }
  }

  private finish(): void {
    // Cut inside an element header whose id is complete: that id already tells which unknown-size
    // elements it ends (a next EBML header ends the previous Segment), so close them as complete.
    if (this.mode === MODE_HEADER && this.carryLen > 0) this.closeBeforePartialHeader();
    if (this.stopped) return;
    let truncated = this.mode !== MODE_HEADER || this.carryLen > 0;
    for (let i = 0; i < this.depth && !truncated; i++) truncated = !this.stackUnknown[i];
    if (truncated) {
      this.visitor.onEnd(this.truncation());
      return;
    }
    while (this.depth > 0 && !this.stopped) {
      this.depth--;
      if (this.stackNotify[this.depth]) this.visitor.onMasterEnd(this.stackId[this.depth] ?? 0, this.consumed);
    }
    if (!this.stopped) this.visitor.onEnd(null);
  }

  private closeBeforePartialHeader(): void {
    const b0 = this.carry[0] ?? 0;
    const idLen = b0 >= 0x80 ? 1 : b0 >= 0x40 ? 2 : b0 >= 0x20 ? 3 : 4;
    if (this.carryLen < idLen) return;
    let id = 0;
    for (let i = 0; i < idLen; i++) id = id * 256 + (this.carry[i] ?? 0);
    const entry = this.entries.get(id);
    if (entry === undefined) return;
    while (this.depth > 0 && this.stackUnknown[this.depth - 1] && !isValidIn(entry, this.stackId[this.depth - 1] ?? 0)) {
      this.depth--;
      if (this.stackNotify[this.depth]) this.visitor.onMasterEnd(this.stackId[this.depth] ?? 0, this.carryStart);
      if (this.stopped) return;
    }
  }

  private truncation(): EbmlTruncation {
    const path = this.openPath();
    let elementOffset = this.carryStart;
    if (this.mode !== MODE_HEADER) {
      path.push(this.nameOf(this.curId));
      elementOffset = this.curStart;
    } else if (this.carryLen === 0) {
      // Cut at an element boundary inside a sized master: the innermost sized master is the cut one.
      for (let i = this.depth - 1; i >= 0; i--) {
        if (!this.stackUnknown[i]) {
          elementOffset = this.stackStart[i] ?? 0;
          break;
        }
      }
    }
    return { offset: this.consumed, elementOffset, path };
  }

  private openPath(): string[] {
    const path: string[] = [];
    for (let i = 0; i < this.depth; i++) path.push(this.nameOf(this.stackId[i] ?? 0));
    return path;
  }

  private nameOf(id: number): string {
    return this.entries.get(id)?.name ?? elementName(id);
  }

  private malformed(reason: string, offset: number, id?: number): MalformedMediaError {
    const path = this.openPath();
    if (id !== undefined) path.push(this.nameOf(id));
    return new MalformedMediaError(reason, offset, path);
  }

  /**
   * Decodes an element header (id vint + size vint) at buf[p..end). Returns its length, or 0 when
   * the bytes run out first (the caller carries them over). Sets hId / hSize / hUnknown.
   */
  private readHeader(buf: Uint8Array, p: number, end: number, absStart: number): number {
    const b0 = buf[p] ?? 0;
    // Ids keep their length marker; the marker position gives the length (1-4 bytes).
    const idLen = b0 >= 0x80 ? 1 : b0 >= 0x40 ? 2 : b0 >= 0x20 ? 3 : b0 >= 0x10 ? 4 : 0;
    if (idLen === 0) throw this.malformed(`invalid element id byte 0x${b0.toString(16)}`, absStart);
    if (p + idLen >= end) return 0;
    let id = b0;
    for (let i = 1; i < idLen; i++) id = id * 256 + (buf[p + i] ?? 0);
    const s0 = buf[p + idLen] ?? 0;
    // Leading zero bits + 1 = vint length; clz32 counts from bit 31, a byte's top bit is bit 7.
    const sizeLen = Math.clz32(s0) - 23;
    if (sizeLen > 8) throw this.malformed('invalid element size (first byte 0x00)', absStart, id);
    const headerLen = idLen + sizeLen;
    if (p + headerLen > end) return 0;
    const mask = 0xff >> sizeLen;
    let size = s0 & mask;
    // All value bits set means "unknown size" (RFC 8794 section 6.2); tracked bitwise because an
    // 8-byte value above 2^53 is not exact as a double.
    let allOnes = size === mask;
    for (let i = idLen + 1; i < headerLen; i++) {
      const b = buf[p + i] ?? 0;
      if (b !== 0xff) allOnes = false;
      size = size * 256 + b;
    }
    this.hId = id;
    this.hSize = size;
    this.hUnknown = allOnes;
    return headerLen;
  }

  // The state machine. `pos` indexes the chunk; base + pos is the absolute offset.
  private run(chunk: Uint8Array): void {
    const len = chunk.length;
    const base = this.consumed;
    let pos = 0;
    // Count the chunk as consumed up front: every exit below has used (or carried) all of it, except a
    // stop, which makes the offset moot.
    this.consumed = base + len;
    while (!this.stopped) {
      if (this.mode === MODE_HEADER) {
        if (pos >= len) return;
        let start: number;
        let headerLen: number;
        if (this.carryLen === 0) {
          start = base + pos;
          headerLen = this.readHeader(chunk, pos, len, start);
          if (headerLen === 0) {
            this.carry.set(chunk.subarray(pos, len));
            this.carryLen = len - pos;
            this.carryStart = start;
            return;
          }
          pos += headerLen;
        } else {
          // Complete the carried header with the first bytes of this chunk.
          start = this.carryStart;
          const take = Math.min(MAX_HEADER - this.carryLen, len - pos);
          this.carry.set(chunk.subarray(pos, pos + take), this.carryLen);
          headerLen = this.readHeader(this.carry, 0, this.carryLen + take, start);
          if (headerLen === 0) {
            this.carryLen += take;
            return;
          }
          pos += headerLen - this.carryLen;
          this.carryLen = 0;
        }
        const id = this.hId;
        const size = this.hSize;
        const entry = this.entries.get(id);
        const dataStart = start + headerLen;
        let top = this.depth - 1;
        // Fast path for the common case, a sized element its schema parent allows that fits in that
        // parent (every block, every tag leaf); place() handles the rest, including ending
        // unknown-size parents. Fewer instructions between two header reads let more of each
        // header's cache miss overlap with useful work.
        if (
          entry === undefined ||
          top < 0 ||
          entry.parent !== this.stackId[top] ||
          this.hUnknown ||
          size > this.maxElementSize ||
          dataStart + size > (this.stackEnd[top] ?? 0)
        ) {
          this.place(id, entry, start, dataStart, size);
          if (this.stopped) return;
          top = this.depth - 1;
        }
        const kind = entry === undefined ? KIND_SKIP : entry.kind;
        if (kind === KIND_MASTER) {
          this.openMaster(id, entry?.notify ?? false, start, dataStart, size);
          continue;
        }
        if (this.hUnknown) throw this.malformed('unknown size on an element that is not a master', start, id);
        const avail = len - pos;
        if (kind === KIND_SKIP) {
          // Unwanted payload (frame data, CodecPrivate, Void, unknown ids): skipped, never read.
          if (size <= avail) {
            pos += size;
            if (top >= 0 && this.stackEnd[top] === base + pos) this.closeEnded(base + pos);
            continue;
          }
          this.beginPending(MODE_SKIP, id, start, size);
          this.remaining = size - avail;
          return;
        }
        if (kind === KIND_LEAF) {
          if (size > this.maxLeafSize) {
            throw this.malformed(`leaf of ${size} bytes exceeds the ${this.maxLeafSize}-byte cap`, start, id);
          }
          if (size <= avail) {
            this.visitor.onLeaf(id, chunk, pos, pos + size, start);
            pos += size;
            this.closeEnded(base + pos);
            continue;
          }
          // A wanted leaf split across chunks: the only payload the parser ever copies.
          this.beginPending(MODE_LEAF, id, start, size);
          const buf = new Uint8Array(size);
          buf.set(chunk.subarray(pos, len));
          this.leafBuf = buf;
          this.leafFill = avail;
          this.remaining = size - avail;
          return;
        }
        // KIND_BLOCK. Fast path: a one-byte track number (tracks 1-127) and the whole block in this
        // chunk, decoded inline; feedBlock() handles every other case.
        const t0 = chunk[pos] ?? 0;
        if (t0 >= 0x80 && size >= 4 && size <= avail) {
          const timecode = (((chunk[pos + 1] ?? 0) << 24) >> 16) | (chunk[pos + 2] ?? 0);
          this.visitor.onBlock(id, t0 & 0x7f, timecode, chunk[pos + 3] ?? 0, size - 4, start);
          pos += size;
          if (this.stopped) return;
          if (top >= 0 && this.stackEnd[top] === base + pos) this.closeEnded(base + pos);
          continue;
        }
        this.beginPending(MODE_BLOCK, id, start, size);
        this.blockFill = 0;
        this.remaining = size;
        pos = this.feedBlock(chunk, pos, len);
        continue;
      }
      if (pos >= len) return;
      if (this.mode === MODE_SKIP) {
        const avail = len - pos;
        if (this.remaining > avail) {
          this.remaining -= avail;
          return;
        }
        pos += this.remaining;
        this.remaining = 0;
        this.mode = MODE_HEADER;
        this.closeEnded(base + pos);
      } else if (this.mode === MODE_LEAF) {
        const take = Math.min(this.remaining, len - pos);
        const buf = this.leafBuf;
        if (buf === null) throw new Error('EbmlParser invariant: leaf buffer missing');
        buf.set(chunk.subarray(pos, pos + take), this.leafFill);
        this.leafFill += take;
        this.remaining -= take;
        pos += take;
        if (this.remaining > 0) return;
        this.leafBuf = null;
        this.mode = MODE_HEADER;
        this.visitor.onLeaf(this.curId, buf, 0, buf.length, this.curStart);
        this.closeEnded(base + pos);
      } else {
        pos = this.feedBlock(chunk, pos, len);
      }
    }
  }

  private beginPending(mode: number, id: number, start: number, size: number): void {
    this.mode = mode;
    this.curId = id;
    this.curStart = start;
    this.curSize = size;
  }

  /**
   * Decodes a block header from chunk[pos..len) (continuing a partial one in blockBuf), reports it,
   * then skips the frame data. Returns the new chunk position.
   */
  private feedBlock(chunk: Uint8Array, pos: number, len: number): number {
    const base = this.consumed - len;
    const size = this.curSize;
    // Fast path: the whole header is in this chunk (nearly always: blocks rarely start at a chunk's
    // last 10 bytes). Decode straight from the chunk, no copy.
    if (pos >= len) return len;
    let src: Uint8Array = chunk;
    let at = pos;
    const partial = this.blockFill > 0;
    const need = partial ? 0 : this.blockHeaderLength(chunk[pos] ?? 0);
    if (!partial && len - pos >= need) {
      this.remaining -= need;
      pos += need;
    } else {
      src = this.blockBuf;
      at = 0;
      pos = this.fillBlockBuf(chunk, pos, len);
      if (pos < 0) return len;
    }
    const b0 = src[at] ?? 0;
    const trackLen = Math.clz32(b0) - 23;
    let track = b0 & (0xff >> trackLen);
    for (let i = 1; i < trackLen; i++) track = track * 256 + (src[at + i] ?? 0);
    const hi = src[at + trackLen] ?? 0;
    const lo = src[at + trackLen + 1] ?? 0;
    const timecode = ((hi << 24) >> 16) | lo;
    const flags = src[at + trackLen + 2] ?? 0;
    this.blockFill = 0;
    this.visitor.onBlock(this.curId, track, timecode, flags, size - trackLen - 3, this.curStart);
    // Skip the frame data, within this chunk when it fits.
    const avail = len - pos;
    if (this.remaining <= avail) {
      pos += this.remaining;
      this.remaining = 0;
      this.mode = MODE_HEADER;
      this.closeEnded(base + pos);
      return pos;
    }
    this.remaining -= avail;
    this.mode = MODE_SKIP;
    return len;
  }

  /** Header length implied by the track-number vint's first byte; throws if the block is too small. */
  private blockHeaderLength(b0: number): number {
    const trackLen = Math.clz32(b0) - 23;
    if (trackLen > 8) throw this.malformed('invalid track number in block', this.curStart, this.curId);
    const need = trackLen + 3;
    if (need > this.curSize) {
      throw this.malformed(`block of ${this.curSize} bytes is shorter than its header`, this.curStart, this.curId);
    }
    return need;
  }

  /** Copies block header bytes into blockBuf. Returns the chunk position after them, or -1 if still partial. */
  private fillBlockBuf(chunk: Uint8Array, pos: number, len: number): number {
    while (pos < len) {
      const need = this.blockHeaderLength(this.blockFill === 0 ? (chunk[pos] ?? 0) : (this.blockBuf[0] ?? 0));
      const take = Math.min(need - this.blockFill, len - pos);
      this.blockBuf.set(chunk.subarray(pos, pos + take), this.blockFill);
      this.blockFill += take;
      this.remaining -= take;
      pos += take;
      if (this.blockFill === need) return pos;
    }
    return -1;
  }

  /**
   * Positions a new element in the tree: ends the unknown-size masters it cannot belong to, then
   * checks it against its parent (schema placement, size caps, fitting inside a sized parent).
   */
  private place(id: number, entry: Entry | undefined, start: number, dataStart: number, size: number): void {
    while (this.depth > 0) {
      const top = this.depth - 1;
      const parentId = this.stackId[top] ?? 0;
      // Ids the schema does not know are taken as children (and skipped).
      if (entry === undefined || isValidIn(entry, parentId)) break;
      if (!this.stackUnknown[top]) {
        throw this.malformed(`${entry.name} is not valid inside ${this.nameOf(parentId)}`, start, id);
      }
      // RFC 8794 6.2: an unknown-size element ends where an element that cannot be its child begins.
      this.depth = top;
      if (this.stackNotify[top]) this.visitor.onMasterEnd(parentId, start);
      if (this.stopped) return;
    }
    if (this.depth === 0) {
      if (entry !== undefined && !isValidIn(entry, ROOT_PARENT)) {
        throw this.malformed(`${entry.name} is not valid at the top level`, start, id);
      }
      // Top-level masters (a sized Segment of a long file) are only bounded by the offset arithmetic;
      // anything else at the top level gets the cap, or garbage could swallow the rest of a stream.
      if (entry?.kind !== KIND_MASTER && !this.hUnknown && size > this.maxElementSize) {
        throw this.malformed(`element of ${size} bytes exceeds the ${this.maxElementSize}-byte cap`, start, id);
      }
      return;
    }
    if (this.hUnknown) {
      if (dataStart > (this.stackEnd[this.depth - 1] ?? 0)) throw this.malformed('element overflows its parent', start, id);
      return;
    }
    if (size > this.maxElementSize) {
      throw this.malformed(`element of ${size} bytes exceeds the ${this.maxElementSize}-byte cap`, start, id);
    }
    if (dataStart + size > (this.stackEnd[this.depth - 1] ?? 0)) {
      throw this.malformed('element overflows its parent', start, id);
    }
  }

  private openMaster(id: number, notify: boolean, start: number, dataStart: number, size: number): void {
    if (this.depth >= this.maxDepth) throw this.malformed(`nesting deeper than ${this.maxDepth}`, start, id);
    const unknown = this.hUnknown;
    if (!unknown && this.depth === 0 && dataStart + size > Number.MAX_SAFE_INTEGER) {
      throw this.malformed(`element of ${size} bytes is too large`, start, id);
    }
    const end = unknown ? (this.depth > 0 ? (this.stackEnd[this.depth - 1] ?? 0) : Infinity) : dataStart + size;
    this.stackId[this.depth] = id;
    this.stackStart[this.depth] = start;
    this.stackEnd[this.depth] = end;
    this.stackUnknown[this.depth] = unknown;
    this.stackNotify[this.depth] = notify;
    this.depth++;
    if (notify) this.visitor.onMasterStart(id, start, unknown ? -1 : size);
    // An empty master (or one whose header ends its sized parent) closes at once.
    if (!this.stopped) this.closeEnded(dataStart);
  }

  /** Closes every open master that ends at `offset` (innermost first). */
  private closeEnded(offset: number): void {
    while (this.depth > 0 && this.stackEnd[this.depth - 1] === offset) {
      this.depth--;
      if (this.stackNotify[this.depth]) this.visitor.onMasterEnd(this.stackId[this.depth] ?? 0, offset);
      if (this.stopped) return;
    }
  }
}

function isValidIn(entry: Entry, parentId: number): boolean {
  if (entry.parent === parentId || entry.parent === GLOBAL_PARENT) return true;
  return entry.more !== null && entry.more.includes(parentId);
}
