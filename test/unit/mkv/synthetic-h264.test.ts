import { describe, expect, it } from 'vitest';
import {
  makeAvcCodecPrivate,
  makeSyntheticFrames,
  makeSyntheticH264Frame,
  syntheticH264Track,
} from '../../../src/mkv/synthetic-h264.js';

/** Reads an SPS back (Baseline, as written) far enough to recover the picture size. */
function decodeSpsSize(nal: Uint8Array): { width: number; height: number; profile: number } {
  // Strip emulation prevention bytes (00 00 03 -> 00 00).
  const rbsp: number[] = [];
  for (let i = 1; i < nal.length; i++) {
    const byte = nal[i] ?? 0;
    if (byte === 3 && rbsp.length >= 2 && rbsp.at(-1) === 0 && rbsp.at(-2) === 0) continue;
    rbsp.push(byte);
  }
  let bit = 0;
  const u = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++, bit++) v = v * 2 + (((rbsp[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1);
    return v;
  };
  const ue = (): number => {
    let zeros = 0;
    while (u(1) === 0) zeros++;
    return 2 ** zeros - 1 + u(zeros);
  };
  const profile = u(8);
  u(16); // constraint flags + level
  ue(); // sps id
  ue(); // log2_max_frame_num_minus4
  const pocType = ue();
  expect(pocType).toBe(2);
  ue(); // max_num_ref_frames
  u(1); // gaps
  const mbWidth = ue() + 1;
  const mbHeight = ue() + 1;
  expect(u(1)).toBe(1); // frame_mbs_only
  u(1); // direct_8x8
  let cropRight = 0;
  let cropBottom = 0;
  if (u(1) === 1) {
    ue();
    cropRight = ue();
    ue();
    cropBottom = ue();
  }
  return { width: mbWidth * 16 - 2 * cropRight, height: mbHeight * 16 - 2 * cropBottom, profile };
}

describe('synthetic H.264', () => {
  it('makes length-prefixed slices of exactly the requested size when asked for keyframes or not', () => {
    const key = makeSyntheticH264Frame(1000, { keyframe: true });
    const delta = makeSyntheticH264Frame(6, { keyframe: false, seed: 3 });
    expect(key).toHaveLength(1000);
    expect(key.readUInt32BE(0)).toBe(996);
    expect(key[4]! & 0x1f).toBe(5);
    expect(delta[4]! & 0x1f).toBe(1);
    expect(key.subarray(5).includes(0)).toBe(false);
    expect(() => makeSyntheticH264Frame(5, { keyframe: true })).toThrow(RangeError);
  });

  it('declares the requested picture size in the SPS when building codec private data', () => {
    for (const [width, height] of [[640, 360], [1920, 1080], [1280, 720], [330, 250]] as const) {
      const record = makeAvcCodecPrivate(width, height);
      expect(record[0]).toBe(1);
      expect(record[4]).toBe(0xff);
      expect(record[5]).toBe(0xe1);
      const spsLength = record.readUInt16BE(6);
      const sps = record.subarray(8, 8 + spsLength);
      expect(sps[0]! & 0x1f).toBe(7);
      expect(decodeSpsSize(sps)).toEqual({ width, height, profile: 66 });
      expect(record[8 + spsLength]).toBe(1);
      const pps = record.subarray(11 + spsLength);
      expect(pps.length).toBe(record.readUInt16BE(9 + spsLength));
      expect(pps[0]! & 0x1f).toBe(8);
    }
    expect(() => makeAvcCodecPrivate(641, 360)).toThrow(RangeError);
  });

  it('places keyframes at the requested interval when making a run of frames', () => {
    const frames = makeSyntheticFrames({ count: 7, frameBytes: 64, keyframeInterval: 3, frameDuration: 40, trackNumber: 2 });
    expect(frames.map((f) => f.keyframe)).toEqual([true, false, false, true, false, false, true]);
    expect(frames.map((f) => f.timecode)).toEqual([0, 40, 80, 120, 160, 200, 240]);
    expect(new Set(frames.map((f) => f.trackNumber))).toEqual(new Set([2]));
    expect(() => makeSyntheticFrames({ count: 2000, frameBytes: 64, frameDuration: 33 })).toThrow(RangeError);
  });

  it('describes a video track with its size and codec private data when given a size', () => {
    expect(syntheticH264Track(640, 360)).toMatchObject({ trackNumber: 1, trackType: 1, codecId: 'V_MPEG4/ISO/AVC', pixelWidth: 640, pixelHeight: 360 });
  });
});
