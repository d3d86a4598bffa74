import { EbmlParser, type EbmlParserLimits } from './ebml-parser.js';
import { FragmentAssembler } from './fragment-assembler.js';
import type { Fragment } from './fragment.type.js';
import { MalformedMediaError } from './malformed-media.error.js';

/** Options of {@link FragmentReader}, {@link readFragments} and {@link parseFragments}. */
export interface FragmentReaderOptions {
  /** Parser bounds; see {@link EbmlParserLimits} for the defaults. */
  readonly limits?: Partial<EbmlParserLimits>;
  /**
   * Most bytes of tag names and values (and binary values) kept per fragment; more is a
   * {@link MalformedMediaError}. Default 1 MiB (GetMedia tags are a few hundred bytes).
   */
  readonly maxTagBytes?: number;
  /** Most TrackEntry elements, and most distinct block track numbers, per fragment. Default 64. */
  readonly maxTracks?: number;
  /**
   * Live mode: emit each fragment when the Tags after its Cluster (with the continuation token) close, or when
   * an error document's Tags close, rather than when its Segment ends. GetMedia Segments have unknown size and
   * end only when the next fragment starts, so this saves one fragment duration of latency. Fields are those
   * read up to that point; `byteLength` then ends at those Tags.
   *
   * Error tags (`AWS_KINESISVIDEO_ERROR_CODE` / `_ERROR_ID`) that arrive after that point, in a later Tags
   * element of the same document, are never dropped: the document is emitted once more, with the same
   * `sequence`, `byteOffset` and fragment number, every field as read so far (the error fields set) and
   * `byteLength` up to those Tags; `complete` is false only when the input ended or failed before the
   * document did, in which case the re-emission happens at {@link FragmentReader.end} or at the failing
   * push. A consumer that treats `errorId !== null` as "GetMedia stopped here" (as `MediaReader` does) thus
   * sees the fragment first and the error right after it. Nothing else read after the early emission (more
   * frames, other tags) is reported. Default false: one emission per document, at its end.
   */
  readonly emitOnTrailingTags?: boolean;
  /**
   * Input that ends before any EBML document started (empty input, a text file, bytes the parser can only skip
   * as unknown elements) is malformed: {@link FragmentReader.end} throws a {@link MalformedMediaError} at the
   * input's end offset. Checked once, at the end, so reading costs nothing more. Default false, because a GetMedia
   * payload may end before its first fragment (an idle producer) and the live reader treats that as a retry.
   */
  readonly requireDocument?: boolean;
}

/** Defaults of the fragment-level bounds of {@link FragmentReaderOptions}. */
export const DEFAULT_FRAGMENT_LIMITS = Object.freeze({ maxTagBytes: 1024 * 1024, maxTracks: 64 } as const);

/**
 * Reads Kinesis GetMedia output (or any Matroska stream) pushed chunk by chunk and emits one
 * {@link Fragment} per EBML document, in order, as soon as its Segment ends (the next EBML header,
 * the end of a sized Segment, or {@link end}); see {@link FragmentReaderOptions.emitOnTrailingTags}
 * for live emission. Tags after the Cluster (millis behind now, continuation token, error tags) belong
 * to the fragment they follow. Every emitted Fragment is a snapshot the consumer owns: reading further
 * never changes it. Memory is bounded by the parser limits plus the fragment's tracks and tags; frame
 * data is never copied.
 */
export class FragmentReader {
  private readonly parser: EbmlParser;
  private readonly assembler: FragmentAssembler;
  private readonly requireDocument: boolean;
  private stopped = false;
  private noDocument: MalformedMediaError | null = null;

  /**
   * @param onFragment called synchronously from {@link push}/{@link end} for each fragment; it may
   *   call {@link stop}. An exception it throws propagates out of that push/end.
   * @throws RangeError for invalid limits.
   */
  constructor(onFragment: (fragment: Fragment) => void, options: FragmentReaderOptions = {}) {
    const maxTagBytes = options.maxTagBytes ?? DEFAULT_FRAGMENT_LIMITS.maxTagBytes;
    const maxTracks = options.maxTracks ?? DEFAULT_FRAGMENT_LIMITS.maxTracks;
    for (const [key, value] of Object.entries({ maxTagBytes, maxTracks })) {
      if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`${key} must be a positive integer`);
    }
    this.requireDocument = options.requireDocument ?? false;
    this.assembler = new FragmentAssembler(onFragment, maxTagBytes, maxTracks, options.emitOnTrailingTags ?? false);
    this.parser = new EbmlParser(this.assembler, options.limits === undefined ? {} : { limits: options.limits });
    this.assembler.parser = this.parser;
  }

  /** Bytes pushed so far. */
  get offset(): number {
    return this.parser.offset;
  }

  /** Documents emitted so far (a live re-emission carrying late error tags is not counted again). */
  get fragmentCount(): number {
    return this.assembler.emitted;
  }

  /**
   * Feeds the next bytes (any size, any boundary). The chunk is not retained after the call.
   * @returns false once {@link stop} was called.
   * @throws MalformedMediaError on bad input; fragments completed earlier in the same chunk have
   *   already been emitted, and the fragment the error occurred in is emitted first with
   *   `complete: false` (what was read of it), so a consumer sees everything read before the error.
   */
  push(chunk: Uint8Array): boolean {
    try {
      return this.parser.push(chunk);
    } catch (error) {
      if (error instanceof MalformedMediaError) this.assembler.abort(error.offset);
      throw error;
    }
  }

  /**
   * Ends the input: emits the last fragment, with `complete: false` when the input stopped in the
   * middle of it. Idempotent.
   * @throws MalformedMediaError when an earlier push failed, or (with
   *   {@link FragmentReaderOptions.requireDocument}) when no EBML document started before the end.
   */
  end(): void {
    this.parser.end();
    if (this.requireDocument && !this.stopped && this.assembler.emitted === 0) {
      // Every document (EBML header or bare Segment) is emitted by the end, so none emitted means none started.
      this.noDocument ??= new MalformedMediaError('no EBML document: the input ended without an EBML header or Segment', this.parser.offset, []);
      throw this.noDocument;
    }
  }

  /** Stops reading: no further fragment is emitted. Safe to call from `onFragment`. */
  stop(): void {
    this.stopped = true;
    this.parser.stop();
  }
}

/**
 * Reads fragments from an async (or sync) iterable of chunks, e.g. a `fs.ReadStream`, a GetMedia
 * `Payload` or `process.stdin`. Breaking out of the loop stops reading the source (its iterator is
 * returned, which destroys a Node stream).
 * @throws MalformedMediaError on bad input, after yielding every fragment completed before it.
 */
export async function* readFragments(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: FragmentReaderOptions = {},
): AsyncGenerator<Fragment, void, undefined> {
  let queue: Fragment[] = [];
  const reader = new FragmentReader((fragment) => queue.push(fragment), options);
  const drain = (): Fragment[] => {
    const out = queue;
    queue = [];
    return out;
  };
  try {
    for await (const chunk of source) {
      reader.push(chunk);
      yield* drain();
    }
    reader.end();
  } catch (error) {
    // Fragments completed before the failure are still delivered, then the error propagates.
    yield* drain();
    throw error;
  }
  yield* drain();
}

/**
 * Reads every fragment of an in-memory input (tests, small files). The bytes are viewed, not copied.
 * @throws MalformedMediaError on bad input.
 */
export function parseFragments(data: Uint8Array, options: FragmentReaderOptions = {}): Fragment[] {
  const fragments: Fragment[] = [];
  const reader = new FragmentReader((fragment) => fragments.push(fragment), options);
  reader.push(data);
  reader.end();
  return fragments;
}

