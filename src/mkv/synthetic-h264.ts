import { MatroskaTrackType, type MkvFrame, type MkvTrack } from './mkv-writer.js';

/**
 * Synthetic H.264-like media for the Kinesis emulator and tests: a real AVCDecoderConfigurationRecord
 * (baseline SPS/PPS that declare the requested picture size) and frames that are structurally AVC
 * access units in Matroska's length-prefixed form (4-byte NAL size + IDR or non-IDR slice NAL header)
 * filled with a deterministic pattern. They parse as H.264 containers but do not decode to pictures.
 */

/** The Matroska codec id of H.264 in AVC (length-prefixed) form. */
export const AVC_CODEC_ID = 'V_MPEG4/ISO/AVC';

/** Smallest synthetic frame: 4-byte length prefix + 1-byte NAL header + 1 payload byte. */
export const MIN_SYNTHETIC_FRAME_BYTES = 6;

/** Options of {@link makeSyntheticH264Frame}. */
export interface SyntheticFrameOptions {
  /** An IDR slice (NAL type 5) when true, a non-IDR slice (type 1) otherwise. */
  readonly keyframe: boolean;
  /** Varies the fill pattern so frames differ; default 0. */
  readonly seed?: number;
}

/**
 * One synthetic access unit of exactly `size` bytes: a single NAL unit with a 4-byte big-endian length
 * prefix (AVC form, lengthSizeMinusOne = 3), an IDR or non-IDR slice header byte, and filler that never
 * contains a zero byte (so it cannot imitate a start code). A new Buffer on each call.
 * @throws RangeError when `size` is below {@link MIN_SYNTHETIC_FRAME_BYTES} or not an integer.
 */
export function makeSyntheticH264Frame(size: number, options: SyntheticFrameOptions): Buffer {
  if (!Number.isSafeInteger(size) || size < MIN_SYNTHETIC_FRAME_BYTES) {
    throw new RangeError(`synthetic frame size must be an integer >= ${MIN_SYNTHETIC_FRAME_BYTES}, got ${size}`);
  }
  const frame = Buffer.allocUnsafe(size);
  frame.writeUInt32BE(size - 4, 0);
  // forbidden_zero_bit 0, nal_ref_idc 3 (IDR) or 2, nal_unit_type 5 (IDR) or 1 (non-IDR slice).
  frame[4] = options.keyframe ? 0x65 : 0x41;
  const seed = options.seed ?? 0;
  for (let i = 5; i < size; i++) frame[i] = ((i * 31 + seed * 17) % 255) + 1;
  return frame;
}

/** Options of {@link makeSyntheticFrames}. */
export interface SyntheticFramesOptions {
  /** Number of frames. */
  readonly count: number;
  /** Bytes per frame (keyframes too). */
  readonly frameBytes: number;
  /** Track the frames belong to; default 1. */
  readonly trackNumber?: number;
  /** A keyframe every this many frames, starting with the first; default: only the first. */
  readonly keyframeInterval?: number;
  /** Timecode step between frames in TimestampScale ticks (33 for ~30 fps at 1 ms); default 33. */
  readonly frameDuration?: number;
  /** Seed of the first frame's fill; frame i uses seed + i. */
  readonly seed?: number;
}

/**
 * A run of synthetic frames for one Cluster: timecodes 0, d, 2d, ... (relative to the Cluster),
 * keyframes every `keyframeInterval` frames from the first.
 * @throws RangeError for a negative count, a too-small frame size, or timecodes beyond int16.
 */
export function makeSyntheticFrames(options: SyntheticFramesOptions): MkvFrame[] {
  const { count, frameBytes } = options;
  const interval = options.keyframeInterval ?? Number.POSITIVE_INFINITY;
  const step = options.frameDuration ?? 33;
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`frame count must be a non-negative integer, got ${count}`);
  if (count > 0 && (count - 1) * step > 32767) throw new RangeError('frame timecodes exceed the 16-bit Cluster-relative range');
  const frames: MkvFrame[] = [];
  for (let i = 0; i < count; i++) {
    const keyframe = i === 0 || (Number.isFinite(interval) && i % interval === 0);
    frames.push({
      trackNumber: options.trackNumber ?? 1,
      timecode: i * step,
      keyframe,
      data: makeSyntheticH264Frame(frameBytes, { keyframe, seed: (options.seed ?? 0) + i }),
    });
  }
  return frames;
}

/**
 * A video track declaration for synthetic H.264 of the given size (with its codec private data).
 * @throws RangeError as {@link makeAvcCodecPrivate}.
 */
export function syntheticH264Track(width: number, height: number, trackNumber = 1): MkvTrack {
  return {
    trackNumber,
    trackType: MatroskaTrackType.Video,
    codecId: AVC_CODEC_ID,
    codecPrivate: makeAvcCodecPrivate(width, height),
    pixelWidth: width,
    pixelHeight: height,
  };
}

/**
 * An AVCDecoderConfigurationRecord (ISO/IEC 14496-15) holding one baseline-profile SPS that declares
 * `width` x `height` (with frame cropping when not a multiple of 16) and one PPS; 4-byte NAL lengths.
 * @throws RangeError unless width and height are even integers from 16 to 8192.
 */
export function makeAvcCodecPrivate(width: number, height: number): Buffer {
  for (const [name, value] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(value) || value < 16 || value > 8192 || value % 2 !== 0) {
      throw new RangeError(`${name} must be an even integer from 16 to 8192, got ${value}`);
    }
  }
  const profile = 66; // Baseline
  const compatibility = 0xc0; // constraint_set0 and constraint_set1
  const level = 40; // 4.0 covers 1080p30
  const sps = nalUnit(0x67, spsRbsp(profile, compatibility, level, width, height));
  const pps = nalUnit(0x68, ppsRbsp());
  return Buffer.concat([
    Buffer.from([1, profile, compatibility, level, 0xff /* lengthSizeMinusOne 3 */, 0xe1 /* 1 SPS */]),
    u16(sps.length),
    sps,
    Buffer.from([1 /* 1 PPS */]),
    u16(pps.length),
    pps,
  ]);
}

function spsRbsp(profile: number, compatibility: number, level: number, width: number, height: number): Buffer {
  const mbWidth = Math.ceil(width / 16);
  const mbHeight = Math.ceil(height / 16);
  const bits = new BitWriter();
  bits.u(8, profile);
  bits.u(8, compatibility);
  bits.u(8, level);
  bits.ue(0); // seq_parameter_set_id
  bits.ue(0); // log2_max_frame_num_minus4
  bits.ue(2); // pic_order_cnt_type 2: order follows decoding order
  bits.ue(1); // max_num_ref_frames
  bits.u(1, 0); // gaps_in_frame_num_value_allowed_flag
  bits.ue(mbWidth - 1); // pic_width_in_mbs_minus1
  bits.ue(mbHeight - 1); // pic_height_in_map_units_minus1
  bits.u(1, 1); // frame_mbs_only_flag
  bits.u(1, 1); // direct_8x8_inference_flag
  const cropRight = mbWidth * 16 - width;
  const cropBottom = mbHeight * 16 - height;
  if (cropRight > 0 || cropBottom > 0) {
    bits.u(1, 1); // frame_cropping_flag; offsets are in 2-pixel units for 4:2:0 progressive
    bits.ue(0);
    bits.ue(cropRight / 2);
    bits.ue(0);
    bits.ue(cropBottom / 2);
  } else {
    bits.u(1, 0);
  }
  bits.u(1, 0); // vui_parameters_present_flag
  return bits.finishRbsp();
}

function ppsRbsp(): Buffer {
  const bits = new BitWriter();
  bits.ue(0); // pic_parameter_set_id
  bits.ue(0); // seq_parameter_set_id
  bits.u(1, 0); // entropy_coding_mode_flag (CAVLC)
  bits.u(1, 0); // bottom_field_pic_order_in_frame_present_flag
  bits.ue(0); // num_slice_groups_minus1
  bits.ue(0); // num_ref_idx_l0_default_active_minus1
  bits.ue(0); // num_ref_idx_l1_default_active_minus1
  bits.u(1, 0); // weighted_pred_flag
  bits.u(2, 0); // weighted_bipred_idc
  bits.se(0); // pic_init_qp_minus26
  bits.se(0); // pic_init_qs_minus26
  bits.se(0); // chroma_qp_index_offset
  bits.u(1, 1); // deblocking_filter_control_present_flag
  bits.u(1, 0); // constrained_intra_pred_flag
  bits.u(1, 0); // redundant_pic_cnt_present_flag
  return bits.finishRbsp();
}

// NAL header byte + RBSP with emulation prevention (0x000000-0x000003 become 0x0000 03 xx).
function nalUnit(header: number, rbsp: Buffer): Buffer {
  const out: number[] = [header];
  let zeros = 0;
  for (const byte of rbsp) {
    if (zeros >= 2 && byte <= 3) {
      out.push(3);
      zeros = 0;
    }
    out.push(byte);
    zeros = byte === 0 ? zeros + 1 : 0;
  }
  return Buffer.from(out);
}

function u16(value: number): Buffer {
  const out = Buffer.allocUnsafe(2);
  out.writeUInt16BE(value, 0);
  return out;
}

// MSB-first bit writer with Exp-Golomb codes (H.264 section 9.1).
class BitWriter {
  private readonly bits: number[] = [];

  u(count: number, value: number): void {
    for (let i = count - 1; i >= 0; i--) this.bits.push(Math.floor(value / 2 ** i) % 2);
  }

  ue(value: number): void {
    const coded = value + 1;
    const length = Math.floor(Math.log2(coded));
    this.u(length, 0);
    this.u(length + 1, coded);
  }

  se(value: number): void {
    this.ue(value > 0 ? 2 * value - 1 : -2 * value);
  }

  // rbsp_stop_one_bit, then zero bits to the byte boundary.
  finishRbsp(): Buffer {
    this.bits.push(1);
    while (this.bits.length % 8 !== 0) this.bits.push(0);
    const out = Buffer.alloc(this.bits.length / 8);
    this.bits.forEach((bit, i) => {
      if (bit) out[i >> 3] = (out[i >> 3] ?? 0) | (0x80 >> (i & 7));
    });
    return out;
  }
}
