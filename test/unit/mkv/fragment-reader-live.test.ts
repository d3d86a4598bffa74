import { describe, expect, it } from 'vitest';
import { FragmentReader, makeSyntheticFrames, syntheticH264Track, writeFragment, type Fragment } from '../../../src/mkv/index.js';

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
