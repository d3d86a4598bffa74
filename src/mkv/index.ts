/**
 * Public surface of the MKV module: the streaming EBML parser, the Kinesis fragment reader, the
 * GetMedia writer used by the Kinesis emulator, and synthetic H.264 media.
 */
export { MalformedMediaError } from './malformed-media.error.js';
export { EbmlId, type EbmlIdValue } from './ebml-ids.js';
export {
  MATROSKA_SCHEMA,
  GLOBAL_PARENT,
  ROOT_PARENT,
  elementName,
  type EbmlElementSpec,
  type EbmlElementType,
  type EbmlSchema,
} from './matroska-schema.js';
export {
  EbmlParser,
  DEFAULT_EBML_LIMITS,
  type EbmlParserLimits,
  type EbmlParserOptions,
  type EbmlTruncation,
  type EbmlVisitor,
} from './ebml-parser.js';
export { readAsciiString, readFloat, readInt, readUint, readUintBig, readUtf8String, unpaddedEnd } from './ebml-values.js';
export type { Fragment, FragmentTag, TrackInfo, TrackStats } from './fragment.type.js';
export {
  DEFAULT_FRAGMENT_LIMITS,
  FragmentReader,
  parseFragments,
  readFragments,
  type FragmentReaderOptions,
} from './fragment-reader.js';
export {
  GET_MEDIA_ERRORS,
  KinesisTag,
  compareFragmentNumbers,
  formatKinesisTimestamp,
  isFragmentNumber,
  isFragmentNumberBytes,
  isKinesisTagName,
  kinesisTagAt,
  parseKinesisInteger,
  parseKinesisIntegerBytes,
  parseKinesisTimestamp,
  parseKinesisTimestampBytes,
  parseKinesisUnsigned,
  type KinesisTagName,
} from './kinesis-tags.js';
export {
  MAX_VINT_SIZE,
  binaryElement,
  byteLength,
  elementHeader,
  encodeId,
  encodeSize,
  encodeVint,
  floatElement,
  intElement,
  masterElement,
  stringElement,
  uintElement,
  unknownSizeHeader,
} from './ebml-encoding.js';
export {
  MatroskaTrackType,
  writeClusterStart,
  writeFragment,
  writeFragmentHead,
  writeFragmentTail,
  writeMergedFragments,
  writeSimpleBlock,
  type FragmentHeadInput,
  type FragmentInput,
  type FragmentTailInput,
  type MkvFrame,
  type MkvTagInput,
  type MkvTrack,
} from './mkv-writer.js';
export {
  AVC_CODEC_ID,
  MIN_SYNTHETIC_FRAME_BYTES,
  makeAvcCodecPrivate,
  makeSyntheticFrames,
  makeSyntheticH264Frame,
  syntheticH264Track,
  type SyntheticFrameOptions,
  type SyntheticFramesOptions,
} from './synthetic-h264.js';
export { fragmentToJson, type FragmentJson, type FragmentTagJson } from './fragment-json.mapper.js';
