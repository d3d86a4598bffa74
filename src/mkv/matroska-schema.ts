import { EbmlId } from './ebml-ids.js';

/**
 * EBML element data types (RFC 8794 section 7). `block` marks SimpleBlock/Block, whose first bytes
 * (track number, timecode, flags) the parser decodes while skipping the frame data.
 */
export type EbmlElementType = 'master' | 'uint' | 'int' | 'float' | 'string' | 'utf8' | 'date' | 'binary' | 'block';

/** Pseudo parent id: the element lives at the top level of the stream (outside any element). */
export const ROOT_PARENT = 0;
/** Pseudo parent id: a global element (Void, CRC-32), valid inside any element and at the top level. */
export const GLOBAL_PARENT = -1;

/** What the parser needs to know about one element id. Immutable. */
export interface EbmlElementSpec {
  readonly id: number;
  readonly name: string;
  readonly type: EbmlElementType;
  /**
   * Ids of the elements this one may appear directly inside ({@link ROOT_PARENT} for top level,
   * {@link GLOBAL_PARENT} for anywhere). The parser uses it to end unknown-size elements (RFC 8794
   * section 6.2) and to reject known elements found in the wrong place.
   */
  readonly parents: readonly number[];
}

/** Element id -> spec. Ids absent from the map are unknown and skipped by the parser. */
export type EbmlSchema = ReadonlyMap<number, EbmlElementSpec>;

const E = EbmlId;

// [name, id, type, parents]. The names and the tree come from the EBML and Matroska specifications.
const ENTRIES: readonly (readonly [string, number, EbmlElementType, readonly number[]])[] = [
  ['EBML', E.EBML, 'master', [ROOT_PARENT]],
  ['EBMLVersion', E.EBMLVersion, 'uint', [E.EBML]],
  ['EBMLReadVersion', E.EBMLReadVersion, 'uint', [E.EBML]],
  ['EBMLMaxIDLength', E.EBMLMaxIDLength, 'uint', [E.EBML]],
  ['EBMLMaxSizeLength', E.EBMLMaxSizeLength, 'uint', [E.EBML]],
  ['DocType', E.DocType, 'string', [E.EBML]],
  ['DocTypeVersion', E.DocTypeVersion, 'uint', [E.EBML]],
  ['DocTypeReadVersion', E.DocTypeReadVersion, 'uint', [E.EBML]],
  ['DocTypeExtension', E.DocTypeExtension, 'master', [E.EBML]],
  ['Void', E.Void, 'binary', [GLOBAL_PARENT]],
  ['CRC-32', E.CRC32, 'binary', [GLOBAL_PARENT]],
  ['Segment', E.Segment, 'master', [ROOT_PARENT]],
  ['SeekHead', E.SeekHead, 'master', [E.Segment]],
  ['Seek', E.Seek, 'master', [E.SeekHead]],
  ['SeekID', E.SeekID, 'binary', [E.Seek]],
  ['SeekPosition', E.SeekPosition, 'uint', [E.Seek]],
  ['Info', E.Info, 'master', [E.Segment]],
  ['SegmentUUID', E.SegmentUUID, 'binary', [E.Info]],
  ['TimestampScale', E.TimestampScale, 'uint', [E.Info]],
  ['Duration', E.Duration, 'float', [E.Info]],
  ['DateUTC', E.DateUTC, 'date', [E.Info]],
  ['Title', E.Title, 'utf8', [E.Info]],
  ['MuxingApp', E.MuxingApp, 'utf8', [E.Info]],
  ['WritingApp', E.WritingApp, 'utf8', [E.Info]],
  ['Tracks', E.Tracks, 'master', [E.Segment]],
  ['TrackEntry', E.TrackEntry, 'master', [E.Tracks]],
  ['TrackNumber', E.TrackNumber, 'uint', [E.TrackEntry]],
  ['TrackUID', E.TrackUID, 'uint', [E.TrackEntry]],
  ['TrackType', E.TrackType, 'uint', [E.TrackEntry]],
  ['FlagEnabled', E.FlagEnabled, 'uint', [E.TrackEntry]],
  ['FlagDefault', E.FlagDefault, 'uint', [E.TrackEntry]],
  ['FlagForced', E.FlagForced, 'uint', [E.TrackEntry]],
  ['FlagLacing', E.FlagLacing, 'uint', [E.TrackEntry]],
  ['DefaultDuration', E.DefaultDuration, 'uint', [E.TrackEntry]],
  ['Name', E.Name, 'utf8', [E.TrackEntry]],
  ['Language', E.Language, 'string', [E.TrackEntry]],
  ['CodecID', E.CodecID, 'string', [E.TrackEntry]],
  ['CodecPrivate', E.CodecPrivate, 'binary', [E.TrackEntry]],
  ['CodecName', E.CodecName, 'utf8', [E.TrackEntry]],
  ['Video', E.Video, 'master', [E.TrackEntry]],
  ['FlagInterlaced', E.FlagInterlaced, 'uint', [E.Video]],
  ['PixelWidth', E.PixelWidth, 'uint', [E.Video]],
  ['PixelHeight', E.PixelHeight, 'uint', [E.Video]],
  ['DisplayWidth', E.DisplayWidth, 'uint', [E.Video]],
  ['DisplayHeight', E.DisplayHeight, 'uint', [E.Video]],
  ['DisplayUnit', E.DisplayUnit, 'uint', [E.Video]],
  ['Colour', E.Colour, 'master', [E.Video]],
  ['Audio', E.Audio, 'master', [E.TrackEntry]],
  ['SamplingFrequency', E.SamplingFrequency, 'float', [E.Audio]],
  ['OutputSamplingFrequency', E.OutputSamplingFrequency, 'float', [E.Audio]],
  ['Channels', E.Channels, 'uint', [E.Audio]],
  ['BitDepth', E.BitDepth, 'uint', [E.Audio]],
  ['Cluster', E.Cluster, 'master', [E.Segment]],
  ['Timestamp', E.Timestamp, 'uint', [E.Cluster]],
  ['Position', E.Position, 'uint', [E.Cluster]],
  ['PrevSize', E.PrevSize, 'uint', [E.Cluster]],
  ['SimpleBlock', E.SimpleBlock, 'block', [E.Cluster]],
  ['BlockGroup', E.BlockGroup, 'master', [E.Cluster]],
  ['Block', E.Block, 'block', [E.BlockGroup]],
  ['BlockDuration', E.BlockDuration, 'uint', [E.BlockGroup]],
  ['ReferenceBlock', E.ReferenceBlock, 'int', [E.BlockGroup]],
  ['ReferencePriority', E.ReferencePriority, 'uint', [E.BlockGroup]],
  ['DiscardPadding', E.DiscardPadding, 'int', [E.BlockGroup]],
  ['Cues', E.Cues, 'master', [E.Segment]],
  ['CuePoint', E.CuePoint, 'master', [E.Cues]],
  ['CueTime', E.CueTime, 'uint', [E.CuePoint]],
  ['CueTrackPositions', E.CueTrackPositions, 'master', [E.CuePoint]],
  ['CueTrack', E.CueTrack, 'uint', [E.CueTrackPositions]],
  ['CueClusterPosition', E.CueClusterPosition, 'uint', [E.CueTrackPositions]],
  ['CueRelativePosition', E.CueRelativePosition, 'uint', [E.CueTrackPositions]],
  ['Attachments', E.Attachments, 'master', [E.Segment]],
  ['Chapters', E.Chapters, 'master', [E.Segment]],
  ['Tags', E.Tags, 'master', [E.Segment]],
  ['Tag', E.Tag, 'master', [E.Tags]],
  ['Targets', E.Targets, 'master', [E.Tag]],
  ['TargetTypeValue', E.TargetTypeValue, 'uint', [E.Targets]],
  ['TargetType', E.TargetType, 'string', [E.Targets]],
  ['TagTrackUID', E.TagTrackUID, 'uint', [E.Targets]],
  // SimpleTag is recursive: a SimpleTag may nest SimpleTags.
  ['SimpleTag', E.SimpleTag, 'master', [E.Tag, E.SimpleTag]],
  ['TagName', E.TagName, 'utf8', [E.SimpleTag]],
  ['TagLanguage', E.TagLanguage, 'string', [E.SimpleTag]],
  ['TagDefault', E.TagDefault, 'uint', [E.SimpleTag]],
  ['TagString', E.TagString, 'utf8', [E.SimpleTag]],
  ['TagBinary', E.TagBinary, 'binary', [E.SimpleTag]],
];

/**
 * The subset of the Matroska schema the project understands: enough to walk GetMedia output and plain
 * Matroska files (EBML header, Segment, Info, Tracks, Cluster, Cues, Tags). Elements not listed
 * (Chapters' and Attachments' children, Colour's children, ...) are skipped as unknown.
 */
export const MATROSKA_SCHEMA: EbmlSchema = new Map(
  ENTRIES.map(([name, id, type, parents]) => [id, { id, name, type, parents }]),
);

/** The schema name of `id`, or its hex form (`0x1234`) when the schema does not know it. */
export function elementName(id: number, schema: EbmlSchema = MATROSKA_SCHEMA): string {
  return schema.get(id)?.name ?? `0x${id.toString(16).toUpperCase()}`;
}
