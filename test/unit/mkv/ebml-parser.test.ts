import { describe, expect, it } from 'vitest';
import {
  binaryElement,
  elementHeader,
  encodeId,
  masterElement,
  stringElement,
  uintElement,
  unknownSizeHeader,
} from '../../../src/mkv/ebml-encoding.js';
import { EbmlId } from '../../../src/mkv/ebml-ids.js';
import { EbmlParser } from '../../../src/mkv/ebml-parser.js';
import { MalformedMediaError } from '../../../src/mkv/malformed-media.error.js';
import { writeSimpleBlock } from '../../../src/mkv/mkv-writer.js';
import { parseEvents, RecordingVisitor } from './recording-visitor.js';

const E = EbmlId;
const UNKNOWN_ID = 0x7e7e; // a valid 2-byte id the Matroska schema does not define
const TAG_LEAVES: ReadonlySet<number> = new Set([E.TagName, E.TagString, E.Timestamp]);

function block(track: number, timecode: number, keyframe: boolean, bytes: number): Buffer {
  return Buffer.concat(writeSimpleBlock({ trackNumber: track, timecode, keyframe, data: Buffer.alloc(bytes, 0xab) }));
}

function simpleTag(name: string, value: string): Buffer[] {
  return masterElement(E.SimpleTag, [stringElement(E.TagName, name), stringElement(E.TagString, value)]);
}

const EBML_HEADER = Buffer.concat(masterElement(E.EBML, [stringElement(E.DocType, 'matroska')]));

/** A sized document exercising masters, wanted and unwanted leaves, Void, CRC-32, unknown ids and blocks. */
const SIZED_DOCUMENT = Buffer.concat([
  EBML_HEADER,
  ...masterElement(E.Segment, [
    ...masterElement(E.Info, [binaryElement(E.CRC32, Buffer.alloc(4, 1)), uintElement(E.TimestampScale, 1_000_000)]),
    binaryElement(E.Void, Buffer.alloc(7)),
    binaryElement(UNKNOWN_ID, Buffer.from('ignored')),
    ...masterElement(E.Tags, masterElement(E.Tag, simpleTag('NAME', 'a value long enough to be split'))),
    ...masterElement(E.Cluster, [
      uintElement(E.Timestamp, 7),
      block(1, -2, true, 100),
      binaryElement(E.Void, Buffer.alloc(1)),
      block(300, 5, false, 0),
    ]),
  ]),
]);

/** A live stream: two EBML documents with unknown-size Segments and Clusters, tags after the Cluster. */
function liveDocument(timecode: number): Buffer {
  return Buffer.concat([
    EBML_HEADER,
    unknownSizeHeader(E.Segment),
    ...masterElement(E.Tags, masterElement(E.Tag, simpleTag('BEFORE', String(timecode)))),
    unknownSizeHeader(E.Cluster),
    uintElement(E.Timestamp, timecode),
    block(1, 0, true, 10),
    binaryElement(UNKNOWN_ID, Buffer.alloc(3)),
    block(1, 33, false, 10),
    ...masterElement(E.Tags, masterElement(E.Tag, simpleTag('AFTER', String(timecode)))),
  ]);
}
const LIVE_STREAM = Buffer.concat([liveDocument(1000), liveDocument(2000)]);

function malformedOf(run: () => void): MalformedMediaError {
  try {
    run();
  } catch (error) {
    if (error instanceof MalformedMediaError) return error;
    throw error;
  }
  throw new Error('expected a MalformedMediaError');
}

describe('EbmlParser', () => {
  it('reports masters, wanted leaves and blocks in document order when given a sized document', () => {
    const events = parseEvents(SIZED_DOCUMENT, { leafIds: TAG_LEAVES });
    expect(events.filter((e) => !e.startsWith('leaf'))).toEqual([
      expect.stringMatching(/^start EBML @0/),
      expect.stringMatching(/^end EBML/),
      expect.stringMatching(/^start Segment/),
      expect.stringMatching(/^start Info/),
      expect.stringMatching(/^end Info/),
      expect.stringMatching(/^start Tags/),
      expect.stringMatching(/^start Tag /),
      expect.stringMatching(/^start SimpleTag/),
      expect.stringMatching(/^end SimpleTag/),
      expect.stringMatching(/^end Tag /),
      expect.stringMatching(/^end Tags/),
      expect.stringMatching(/^start Cluster/),
      expect.stringMatching(/^block SimpleBlock @\d+ track=1 tc=-2 flags=128 bytes=100$/),
      expect.stringMatching(/^block SimpleBlock @\d+ track=300 tc=5 flags=0 bytes=0$/),
      expect.stringMatching(/^end Cluster/),
      `end Segment @${SIZED_DOCUMENT.length}`,
      'eof',
    ]);
    expect(events.filter((e) => e.startsWith('leaf')).map((e) => e.split(' ').pop())).toEqual([
      Buffer.from('NAME').toString('hex'),
      Buffer.from('a value long enough to be split').toString('hex'),
      '07',
    ]);
  });

  it('produces identical events when the input is split at every possible offset', () => {
    const whole = parseEvents(SIZED_DOCUMENT, { leafIds: TAG_LEAVES });
    for (let split = 1; split < SIZED_DOCUMENT.length; split++) {
      expect(parseEvents(SIZED_DOCUMENT, { leafIds: TAG_LEAVES, splits: [split] })).toEqual(whole);
    }
    expect(parseEvents(SIZED_DOCUMENT, { leafIds: TAG_LEAVES, chunkSize: 1 })).toEqual(whole);
    expect(parseEvents(SIZED_DOCUMENT, { leafIds: TAG_LEAVES, chunkSize: 3 })).toEqual(whole);
  });

  it('ends unknown-size Segments and Clusters when an element that cannot be their child begins', () => {
    const events = parseEvents(LIVE_STREAM, { leafIds: TAG_LEAVES });
    const structure = events.filter((e) => /^(start|end) (Segment|Cluster|EBML|Tags)/.test(e)).map((e) => e.split(' @')[0]);
    expect(structure).toEqual([
      'start EBML', 'end EBML', 'start Segment', 'start Tags', 'end Tags', 'start Cluster', 'end Cluster', 'start Tags', 'end Tags', 'end Segment',
      'start EBML', 'end EBML', 'start Segment', 'start Tags', 'end Tags', 'start Cluster', 'end Cluster', 'start Tags', 'end Tags', 'end Segment',
    ]);
    // The Cluster ends where the Tags after it begin; the Segment where the next EBML header begins.
    const secondHeader = liveDocument(1000).length;
    expect(events).toContain(`end Segment @${secondHeader}`);
    expect(events).toContain(`end Segment @${LIVE_STREAM.length}`);
    expect(events.filter((e) => e.startsWith('block'))).toHaveLength(4);
    expect(events.at(-1)).toBe('eof');
    expect(parseEvents(LIVE_STREAM, { leafIds: TAG_LEAVES, chunkSize: 1 })).toEqual(events);
  });

  it('reports a block without buffering its frame data when only the block header has arrived', () => {
    const visitor = new RecordingVisitor();
    const parser = new EbmlParser(visitor);
    const frame = block(2, 1, true, 50_000);
    const head = Buffer.concat([EBML_HEADER, unknownSizeHeader(E.Segment), unknownSizeHeader(E.Cluster)]);
    parser.push(head);
    parser.push(frame.subarray(0, 12));
    expect(visitor.events.at(-1)).toMatch(/^block SimpleBlock .* track=2 tc=1 flags=128 bytes=50000$/);
    parser.push(frame.subarray(12));
    parser.end();
    expect(visitor.truncation).toBeNull();
  });

  it('skips a frame larger than the input chunks by arithmetic when the chunk buffer is reused', () => {
    const visitor = new RecordingVisitor();
    const parser = new EbmlParser(visitor);
    const frameBytes = 200 * 1024 * 1024;
    const trackAndFlags = Buffer.from([0x81, 0, 0, 0x80]);
    parser.push(Buffer.concat([EBML_HEADER, unknownSizeHeader(E.Segment), unknownSizeHeader(E.Cluster)]));
    parser.push(Buffer.concat([elementHeader(E.SimpleBlock, frameBytes + 4), trackAndFlags]));
    const reused = Buffer.alloc(1024 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    for (let sent = 0; sent < frameBytes; sent += reused.length) parser.push(reused);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(8 * 1024 * 1024);
    parser.push(block(1, 0, false, 1));
    parser.end();
    expect(visitor.events.filter((e) => e.startsWith('block'))).toEqual([
      expect.stringContaining(`bytes=${frameBytes}`),
      expect.stringContaining('bytes=1'),
    ]);
    expect(visitor.truncation).toBeNull();
  });

  it('treats empty chunks as no input when they arrive between or inside elements', () => {
    const visitor = new RecordingVisitor(TAG_LEAVES);
    const parser = new EbmlParser(visitor);
    for (let i = 0; i < SIZED_DOCUMENT.length; i++) {
      parser.push(new Uint8Array(0));
      parser.push(SIZED_DOCUMENT.subarray(i, i + 1));
    }
    parser.end();
    expect(visitor.events).toEqual(parseEvents(SIZED_DOCUMENT, { leafIds: TAG_LEAVES }));
  });

  it('reports a truncation with the cut element when the input ends inside an element', () => {
    const cut = SIZED_DOCUMENT.length - 30; // inside the Cluster's first block
    const visitor = new RecordingVisitor(TAG_LEAVES);
    const parser = new EbmlParser(visitor);
    parser.push(SIZED_DOCUMENT.subarray(0, cut));
    parser.end();
    expect(visitor.truncation).toEqual({
      offset: cut,
      elementOffset: expect.any(Number) as number,
      path: ['Segment', 'Cluster', 'SimpleBlock'],
    });
    expect(visitor.events.filter((e) => e.startsWith('end Segment'))).toEqual([]);
  });

  it('reports a truncation when the input ends between elements of a sized master', () => {
    const segmentChildrenStart = EBML_HEADER.length + encodeId(E.Segment).length + 2;
    const visitor = new RecordingVisitor();
    const parser = new EbmlParser(visitor);
    parser.push(SIZED_DOCUMENT.subarray(0, segmentChildrenStart));
    parser.end();
    expect(visitor.truncation).toMatchObject({ elementOffset: EBML_HEADER.length, path: ['Segment'] });
  });

  it('reports a truncation when the input ends inside an element header', () => {
    const visitor = new RecordingVisitor();
    const parser = new EbmlParser(visitor);
    parser.push(Buffer.concat([EBML_HEADER, encodeId(E.Segment)]));
    parser.end();
    expect(visitor.truncation).toEqual({ offset: EBML_HEADER.length + 4, elementOffset: EBML_HEADER.length, path: [] });
  });

  it('ends the previous unknown-size Segment when the input stops inside the next EBML header after its id', () => {
    const first = liveDocument(1);
    const visitor = new RecordingVisitor();
    const parser = new EbmlParser(visitor);
    // The id (4 bytes) arrived, its size did not.
    parser.push(Buffer.concat([first, EBML_HEADER.subarray(0, 4)]));
    parser.end();
    expect(visitor.events).toContain(`end Segment @${first.length}`);
    expect(visitor.truncation).toEqual({ offset: first.length + 4, elementOffset: first.length, path: [] });
  });

  it('throws when push is called again from inside a visitor callback', () => {
    const visitor = new RecordingVisitor();
    const parser = new EbmlParser(visitor);
    const reentered: unknown[] = [];
    visitor.onEvent = () => {
      try {
        parser.push(EBML_HEADER);
      } catch (error) {
        reentered.push(error);
      }
    };
    parser.push(EBML_HEADER);
    expect(reentered.length).toBeGreaterThan(0);
    expect(String(reentered[0])).toMatch(/from a visitor callback/);
  });

  it('closes open unknown-size elements without a truncation when the input ends between elements', () => {
    const events = parseEvents(liveDocument(5));
    expect(events.slice(-3)).toEqual([
      expect.stringMatching(/^end Tags/),
      `end Segment @${liveDocument(5).length}`,
      'eof',
    ]);
  });

  it('stops emitting when a callback calls stop()', () => {
    const visitor = new RecordingVisitor();
    const parser = new EbmlParser(visitor);
    visitor.onEvent = (event) => {
      if (event.startsWith('block')) parser.stop();
    };
    expect(parser.push(LIVE_STREAM)).toBe(false);
    expect(parser.push(LIVE_STREAM)).toBe(false);
    parser.end();
    expect(visitor.events.filter((e) => e.startsWith('block'))).toHaveLength(1);
    expect(visitor.events.at(-1)).toMatch(/^block/);
    expect(parser.isStopped).toBe(true);
  });

  it('throws a plain Error when push is called after end', () => {
    const parser = new EbmlParser(new RecordingVisitor());
    parser.end();
    expect(() => parser.push(EBML_HEADER)).toThrow(/after end/);
  });

  it('throws MalformedMediaError with the offset and path when an id byte is invalid', () => {
    const bad = Buffer.concat([EBML_HEADER, unknownSizeHeader(E.Segment), Buffer.from([0x00, 0x81])]);
    const error = malformedOf(() => parseEvents(bad));
    expect(error.offset).toBe(EBML_HEADER.length + 12);
    expect(error.path).toEqual(['Segment']);
    expect(error.message).toContain(`at byte ${EBML_HEADER.length + 12}`);
  });

  it('throws when a size vint starts with a zero byte', () => {
    const error = malformedOf(() => parseEvents(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x00, 0x00])));
    expect(error.offset).toBe(0);
    expect(error.path).toEqual(['EBML']);
  });

  it('throws when an element overflows its sized parent', () => {
    const bad = Buffer.concat([elementHeader(E.Segment, 4), elementHeader(E.Info, 10)]);
    const error = malformedOf(() => parseEvents(bad));
    expect(error.reason).toMatch(/overflows its parent/);
    expect(error.path).toEqual(['Segment', 'Info']);
  });

  it('throws when a known element appears inside a sized parent the schema does not allow', () => {
    const bad = Buffer.concat(masterElement(E.Segment, masterElement(E.Info, [block(1, 0, true, 1)])));
    const error = malformedOf(() => parseEvents(bad));
    expect(error.reason).toBe('SimpleBlock is not valid inside Info');
    expect(error.path).toEqual(['Segment', 'Info', 'SimpleBlock']);
  });

  it('throws when a known non-top-level element appears at the top level', () => {
    expect(malformedOf(() => parseEvents(Buffer.concat(masterElement(E.Cluster, [])))).reason).toMatch(/top level/);
  });

  it('throws before reading any payload when a declared size exceeds a cap', () => {
    const hugeLeaf = Buffer.concat([unknownSizeHeader(E.Segment), ...masterElement(E.Tags, []), encodeId(E.Info), Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe])]);
    expect(malformedOf(() => parseEvents(hugeLeaf)).reason).toMatch(/exceeds the 268435456-byte cap/);
    const bigTag = Buffer.concat([unknownSizeHeader(E.Segment), ...masterElement(E.Tags, masterElement(E.Tag, masterElement(E.SimpleTag, [stringElement(E.TagName, 'x'.repeat(100))])))]);
    expect(malformedOf(() => parseEvents(bigTag, { leafIds: TAG_LEAVES, limits: { maxLeafSize: 64 } })).reason).toMatch(/leaf of 100 bytes exceeds the 64-byte cap/);
    expect(() => parseEvents(bigTag, { limits: { maxLeafSize: 64 } })).not.toThrow();
    const topLevelJunk = Buffer.concat([encodeId(UNKNOWN_ID), Buffer.from([0x01, 0x00, 0x10, 0, 0, 0, 0, 0])]);
    expect(malformedOf(() => parseEvents(topLevelJunk)).reason).toMatch(/cap/);
  });

  it('throws when masters nest deeper than maxDepth', () => {
    let nested: Buffer[] = [stringElement(E.TagName, 'x')];
    for (let i = 0; i < 40; i++) nested = masterElement(E.SimpleTag, nested);
    const input = Buffer.concat(masterElement(E.Segment, masterElement(E.Tags, masterElement(E.Tag, nested))));
    expect(malformedOf(() => parseEvents(input)).reason).toBe('nesting deeper than 32');
    expect(() => parseEvents(input, { limits: { maxDepth: 64 } })).not.toThrow();
  });

  it('throws when a leaf or an unknown id has an unknown size', () => {
    const leaf = Buffer.concat([unknownSizeHeader(E.Segment), ...masterElement(E.Info, [unknownSizeHeader(E.TimestampScale)])]);
    expect(malformedOf(() => parseEvents(leaf)).reason).toMatch(/unknown size on an element that is not a master/);
    const unknownId = Buffer.concat([unknownSizeHeader(E.Segment), unknownSizeHeader(UNKNOWN_ID)]);
    expect(malformedOf(() => parseEvents(unknownId)).path).toEqual(['Segment', '0x7E7E']);
  });

  it('throws when a block is shorter than its header', () => {
    const bad = Buffer.concat([unknownSizeHeader(E.Segment), unknownSizeHeader(E.Cluster), elementHeader(E.SimpleBlock, 2), Buffer.from([0x81, 0])]);
    expect(malformedOf(() => parseEvents(bad)).reason).toMatch(/shorter than its header/);
  });

  it('rethrows the same error on every call when an earlier push failed', () => {
    const parser = new EbmlParser(new RecordingVisitor());
    const first = malformedOf(() => parser.push(Buffer.from([0x00])));
    expect(malformedOf(() => parser.push(EBML_HEADER))).toBe(first);
    expect(malformedOf(() => parser.end())).toBe(first);
  });

  it('does not mistake a size for unknown when an 8-byte size exceeds 2^53', () => {
    // 0x01 FF FF FF FF FF FF FE is 2^56 - 2: not "unknown" (which needs every bit set), and over the cap.
    const input = Buffer.concat([unknownSizeHeader(E.Segment), encodeId(E.Cluster), Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe])]);
    expect(malformedOf(() => parseEvents(input)).reason).toMatch(/exceeds the .* cap/);
  });

  it('reports only the listed masters but still walks the others when masterIds is given', () => {
    const visitor = new RecordingVisitor(TAG_LEAVES);
    const filtered: RecordingVisitor & { masterIds: ReadonlySet<number> } = Object.assign(visitor, { masterIds: new Set([E.SimpleTag]) });
    const parser = new EbmlParser(filtered);
    parser.push(SIZED_DOCUMENT);
    parser.end();
    expect(visitor.events.filter((e) => e.startsWith('start') || e.startsWith('end'))).toEqual([
      expect.stringMatching(/^start SimpleTag/),
      expect.stringMatching(/^end SimpleTag/),
    ]);
    expect(visitor.events.filter((e) => e.startsWith('leaf') || e.startsWith('block'))).toHaveLength(5);
  });

  it('validates its limits when constructed', () => {
    expect(() => new EbmlParser(new RecordingVisitor(), { limits: { maxDepth: 0 } })).toThrow(RangeError);
  });
});
