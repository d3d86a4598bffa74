import { describe, expect, it } from 'vitest';
import {
  EbmlId,
  FragmentReader,
  GET_MEDIA_ERRORS,
  KinesisTag,
  MalformedMediaError,
  makeSyntheticFrames,
  masterElement,
  stringElement,
  syntheticH264Track,
  uintElement,
  writeClusterStart,
  writeFragment,
  writeFragmentHead,
  writeFragmentTail,
  writeSimpleBlock,
  type Fragment,
} from '../../../src/mkv/index.js';

function fragmentBytes(n: number, errorId?: number): Buffer {
  return Buffer.concat(
    writeFragment({
      tracks: [syntheticH264Track(640, 360)],
      frames: errorId === undefined ? makeSyntheticFrames({ count: 5, frameBytes: 64, keyframeInterval: 5 }) : [],
      fragmentNumber: errorId === undefined ? `9134385233318143239268206260774${String(n).padStart(16, '0')}` : undefined,
      serverTimestamp: 1_700_000_000_000 + n * 2000,
      producerTimestamp: 1_700_000_000_000 + n * 2000,
      millisBehindNow: errorId === undefined ? 12 : undefined,
      continuationToken: errorId === undefined ? `9134385233318143239268206260774${String(n).padStart(16, '0')}` : undefined,
      errorId,
      errorCode: errorId === undefined ? undefined : 'Requested fragment is not found',
    }),
  );
}

/**
 * A live-mode reader that keeps every delivered fragment and a deep copy taken at delivery, so a test can show that
 * nothing delivered changes afterwards.
 */
function liveReaderKeepingCopies(): { held: Fragment[]; copies: Fragment[]; reader: FragmentReader } {
  const held: Fragment[] = [];
  const copies: Fragment[] = [];
  const reader = new FragmentReader(
    (fragment) => {
      held.push(fragment);
      copies.push(structuredClone(fragment));
    },
    { emitOnTrailingTags: true },
  );
  return { held, copies, reader };
}

describe('FragmentReader with emitOnTrailingTags', () => {
  it('emits a live fragment when its trailing tags close, before the next fragment starts', () => {
    const seen: Fragment[] = [];
    const reader = new FragmentReader((fragment) => seen.push(fragment), { emitOnTrailingTags: true });
    reader.push(fragmentBytes(1));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ frameCount: 5, millisBehindNow: 12, complete: true });
    reader.push(fragmentBytes(2));
    reader.end();
    expect(seen.map((f) => f.continuationToken)).toEqual([seen[0]?.fragmentNumber, seen[1]?.fragmentNumber]);
    expect(seen).toHaveLength(2);
  });

  it('waits for the next document when the option is off', () => {
    const seen: Fragment[] = [];
    const reader = new FragmentReader((fragment) => seen.push(fragment));
    reader.push(fragmentBytes(1));
    expect(seen).toHaveLength(0);
    reader.end();
    expect(seen).toHaveLength(1);
  });

  it('emits an error document as soon as its tags close', () => {
    const seen: Fragment[] = [];
    const reader = new FragmentReader((fragment) => seen.push(fragment), { emitOnTrailingTags: true });
    reader.push(fragmentBytes(0, 4000));
    expect(seen.map((f) => f.errorId)).toEqual([4000]);
  });

  it('reads the same fields either way when fed the same bytes', () => {
    const bytes = Buffer.concat([fragmentBytes(1), fragmentBytes(2), fragmentBytes(3)]);
    const live: Fragment[] = [];
    const whole: Fragment[] = [];
    const a = new FragmentReader((f) => live.push(f), { emitOnTrailingTags: true });
    const b = new FragmentReader((f) => whole.push(f));
    for (let i = 0; i < bytes.length; i += 100) {
      a.push(bytes.subarray(i, i + 100));
      b.push(bytes.subarray(i, i + 100));
    }
    a.end();
    b.end();
    const strip = (f: Fragment): Omit<Fragment, 'byteLength'> => {
      const { byteLength: _ignored, ...rest } = f;
      return rest;
    };
    expect(live.map(strip)).toEqual(whole.map(strip));
  });
});

const E = EbmlId;
const FRAGMENT_NUMBER = '91343852333181432392682062607743000000000001';

function simpleTag(name: string, value: string): Buffer[] {
  return masterElement(E.SimpleTag, [stringElement(E.TagName, name), stringElement(E.TagString, value)]);
}

function tagsElement(simpleTags: readonly Buffer[]): Buffer[] {
  return masterElement(E.Tags, masterElement(E.Tag, simpleTags));
}

/**
 * One GetMedia document as the service streams it (unknown-size Segment and Cluster), whose Tags with the
 * continuation token are followed by `after`: later elements of the same document, before the next one.
 */
function documentWith(after: readonly Buffer[]): Buffer {
  return Buffer.concat([
    ...writeFragmentHead({
      tracks: [syntheticH264Track(640, 360)],
      fragmentNumber: FRAGMENT_NUMBER,
      serverTimestamp: 1_700_000_002_000,
      producerTimestamp: 1_700_000_001_000,
      tags: [{ name: 'ENCODER', value: 'media-graph test' }],
    }),
    ...writeClusterStart(0),
    ...makeSyntheticFrames({ count: 4, frameBytes: 64, keyframeInterval: 4 }).flatMap((frame) => writeSimpleBlock(frame)),
    ...writeFragmentTail({ millisBehindNow: 7, continuationToken: FRAGMENT_NUMBER }),
    ...after,
  ]);
}

/** The error Tags GetMedia appends after a fragment's continuation token, as the writer produces them. */
function errorTail(errorId: number): Buffer[] {
  return writeFragmentTail({ errorCode: GET_MEDIA_ERRORS.get(errorId) ?? 'error', errorId });
}

/** Elements a document may carry after its trailing tags: another tag and a second track. */
const LATE_TAGS_AND_TRACKS: Buffer[] = [
  ...tagsElement(simpleTag('LATE_NOTE', 'after the token')),
  ...masterElement(
    E.Tracks,
    masterElement(E.TrackEntry, [uintElement(E.TrackNumber, 2), uintElement(E.TrackType, 2), stringElement(E.CodecID, 'A_AAC')]),
  ),
];

function read(bytes: Buffer, live: boolean, chunkSize = bytes.length): Fragment[] {
  const seen: Fragment[] = [];
  const reader = new FragmentReader((fragment) => seen.push(fragment), { emitOnTrailingTags: live });
  for (let i = 0; i < bytes.length; i += chunkSize) reader.push(bytes.subarray(i, i + chunkSize));
  reader.end();
  return seen;
}

describe('FragmentReader with emitOnTrailingTags and tags after the early emission', () => {
  it.each([
    ['whole', Number.POSITIVE_INFINITY],
    ['in 1-byte chunks', 1],
  ])('emits a delivered fragment again with its error tags when they arrive in a later Tags element (%s)', (_label, chunkSize) => {
    const bytes = Buffer.concat([documentWith(errorTail(5000)), fragmentBytes(2)]);
    const live = read(bytes, true, Math.min(chunkSize, bytes.length));
    const reference = read(bytes, false);

    expect(live.map((f) => [f.sequence, f.fragmentNumber, f.errorId, f.errorCode, f.complete])).toEqual([
      [0, FRAGMENT_NUMBER, null, null, true],
      [0, FRAGMENT_NUMBER, 5000, 'Internal error', true],
      [1, reference[1]?.fragmentNumber, null, null, true],
    ]);
    // The early record is what was read up to the continuation token; the re-emission is the whole document,
    // exactly as default mode reads it (the error Tags are the document's last element).
    expect(live[0]).toMatchObject({ continuationToken: FRAGMENT_NUMBER, millisBehindNow: 7, frameCount: 4 });
    expect(live[0]?.byteLength).toBeLessThan(live[1]?.byteLength ?? 0);
    expect(live[1]).toEqual(reference[0]);
    expect(live[2]).toEqual({ ...reference[1], byteLength: live[2]?.byteLength });
  });

  it('never changes a delivered fragment when later elements of its document add tags and tracks', () => {
    const { held, copies, reader } = liveReaderKeepingCopies();
    reader.push(documentWith(LATE_TAGS_AND_TRACKS));
    reader.push(fragmentBytes(2));
    reader.end();

    expect(held).toEqual(copies);
    // Without error tags the document is emitted once, early; what follows its trailing tags is not reported.
    expect(held.map((f) => [f.sequence, f.errorId])).toEqual([
      [0, null],
      [1, null],
    ]);
    expect(held[0]?.tags.map((tag) => tag.name)).toEqual(['ENCODER']);
    expect(held[0]?.tracks.map((track) => track.trackNumber)).toEqual([1]);
  });

  it('re-emits everything read so far when late error tags follow other late elements', () => {
    const { held, copies, reader } = liveReaderKeepingCopies();
    reader.push(documentWith([...LATE_TAGS_AND_TRACKS, ...errorTail(4000)]));
    reader.end();

    expect(held).toEqual(copies);
    expect(held.map((f) => [f.sequence, f.errorId])).toEqual([
      [0, null],
      [0, 4000],
    ]);
    expect(held[0]?.tags.map((tag) => tag.name)).toEqual(['ENCODER']);
    expect(held[1]?.tags.map((tag) => tag.name)).toEqual(['ENCODER', 'LATE_NOTE']);
    expect(held[1]?.tracks.map((track) => track.codecId)).toEqual(['V_MPEG4/ISO/AVC', 'A_AAC']);
  });

  // An error Tag whose last SimpleTag the input cuts: ERROR_CODE and ERROR_ID were read, their Tags never closed.
  const cutErrorTags = (): Buffer => {
    const bytes = documentWith(
      tagsElement([
        ...simpleTag(KinesisTag.ErrorCode, 'KMS key specified in the stream is unavailable'),
        ...simpleTag(KinesisTag.ErrorId, '4503'),
        ...simpleTag('TRAILER', 'cut off in the middle of this value'),
      ]),
    );
    return bytes.subarray(0, bytes.length - 10);
  };

  it('emits late error tags as an incomplete re-emission when the input ends before their Tags close', () => {
    const live = read(cutErrorTags(), true);
    expect(live.map((f) => [f.sequence, f.errorId, f.complete])).toEqual([
      [0, null, true],
      [0, 4503, false],
    ]);
    expect(read(cutErrorTags(), false).map((f) => [f.sequence, f.errorId, f.complete])).toEqual([[0, 4503, false]]);
  });

  it('emits late error tags before throwing when their Tag is corrupted after them', () => {
    const seen: Fragment[] = [];
    const reader = new FragmentReader((fragment) => seen.push(fragment), { emitOnTrailingTags: true });
    // Zero bytes inside the error Tag, after ERROR_ID: a zero byte cannot start an EBML id.
    const corrupted = documentWith(
      tagsElement([...simpleTag(KinesisTag.ErrorCode, 'Internal error'), ...simpleTag(KinesisTag.ErrorId, '4503'), Buffer.alloc(8, 0)]),
    );
    expect(() => reader.push(corrupted)).toThrow(MalformedMediaError);
    expect(seen.map((f) => [f.sequence, f.errorId, f.complete])).toEqual([
      [0, null, true],
      [0, 4503, false],
    ]);
  });
});

describe('FragmentReader without emitOnTrailingTags and tags after the continuation token', () => {
  it('reads late tags, tracks and error tags into the one fragment of their document', () => {
    const held: Fragment[] = [];
    const copies: Fragment[] = [];
    const reader = new FragmentReader((fragment) => {
      held.push(fragment);
      copies.push(structuredClone(fragment));
    });
    reader.push(documentWith([...LATE_TAGS_AND_TRACKS, ...errorTail(4000)]));
    reader.push(fragmentBytes(2));
    reader.end();

    expect(held).toEqual(copies);
    expect(held.map((f) => [f.sequence, f.errorId, f.continuationToken])).toEqual([
      [0, 4000, FRAGMENT_NUMBER],
      [1, null, held[1]?.fragmentNumber],
    ]);
    expect(held[0]?.tags.map((tag) => tag.name)).toEqual(['ENCODER', 'LATE_NOTE']);
    expect(held[0]?.tracks.map((track) => track.codecId)).toEqual(['V_MPEG4/ISO/AVC', 'A_AAC']);
  });
});
