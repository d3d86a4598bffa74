import { EbmlParser, type EbmlParserLimits, type EbmlTruncation, type EbmlVisitor } from '../../../src/mkv/ebml-parser.js';
import { elementName } from '../../../src/mkv/matroska-schema.js';

/** An EbmlVisitor that records every event as a line of text, for comparing parses. */
export class RecordingVisitor implements EbmlVisitor {
  readonly events: string[] = [];
  truncation: EbmlTruncation | null | undefined = undefined;
  onEvent: ((event: string) => void) | null = null;

  constructor(
    readonly leafIds: ReadonlySet<number> = new Set(),
    readonly wantBlocks = true,
  ) {}

  onMasterStart(id: number, offset: number, dataSize: number): void {
    this.record(`start ${elementName(id)} @${offset} size=${dataSize}`);
  }

  onMasterEnd(id: number, endOffset: number): void {
    this.record(`end ${elementName(id)} @${endOffset}`);
  }

  onLeaf(id: number, bytes: Uint8Array, start: number, end: number, offset: number): void {
    this.record(`leaf ${elementName(id)} @${offset} ${Buffer.from(bytes.subarray(start, end)).toString('hex')}`);
  }

  onBlock(id: number, trackNumber: number, timecode: number, flags: number, frameBytes: number, offset: number): void {
    this.record(`block ${elementName(id)} @${offset} track=${trackNumber} tc=${timecode} flags=${flags} bytes=${frameBytes}`);
  }

  onEnd(truncation: EbmlTruncation | null): void {
    this.truncation = truncation;
    this.record(truncation === null ? 'eof' : `eof truncated @${truncation.elementOffset} ${truncation.path.join('/')}`);
  }

  private record(event: string): void {
    this.events.push(event);
    this.onEvent?.(event);
  }
}

/** Parses `data` split into chunks of `chunkSize` bytes (or at the given offsets) and returns the events. */
export function parseEvents(
  data: Uint8Array,
  options: { chunkSize?: number; splits?: readonly number[]; leafIds?: ReadonlySet<number>; limits?: Partial<EbmlParserLimits> } = {},
): string[] {
  const visitor = new RecordingVisitor(options.leafIds);
  const parser = new EbmlParser(visitor, options.limits === undefined ? {} : { limits: options.limits });
  for (const chunk of chunksOf(data, options)) parser.push(chunk);
  parser.end();
  return visitor.events;
}

/** Splits `data` into chunks of `chunkSize` bytes, or at the given ascending offsets. Views, not copies. */
export function chunksOf(data: Uint8Array, options: { chunkSize?: number; splits?: readonly number[] }): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  if (options.splits !== undefined) {
    let previous = 0;
    for (const split of options.splits) {
      chunks.push(data.subarray(previous, split));
      previous = split;
    }
    chunks.push(data.subarray(previous));
    return chunks;
  }
  const size = options.chunkSize ?? (data.length || 1);
  for (let i = 0; i < data.length; i += size) chunks.push(data.subarray(i, i + size));
  return chunks;
}
