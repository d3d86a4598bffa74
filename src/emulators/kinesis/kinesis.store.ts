import { createHash } from 'node:crypto';
import type { MkvFrame, MkvTagInput, MkvTrack } from '../../mkv/index.js';
import { writeFragment } from '../../mkv/index.js';
import { KinesisWireError } from './kinesis.errors.js';
import { fragmentNumberBase, makeFragmentNumber } from './kinesis.fragment-number.js';
import { KVS_STREAM_NAME_PATTERN, KVS_ZERO_RETENTION_BUFFER_MS } from './kinesis.limits.js';

/**
 * The emulator's streams and their fragments, in memory.
 *
 * Fragments of a stream live in an array ordered by `seq` (0, 1, 2, ... with no holes), so "the fragment
 * after X" is index arithmetic. Memory is bounded twice: fragments older than the stream's retention are
 * evicted (lazily, whenever the stream is read or written), and so are the oldest beyond
 * `maxFragmentsPerStream`. The highest evicted fragment is remembered so a GetMedia or ListFragments asking
 * for something older can be told "beyond retention" (error 4000) rather than "never existed".
 */

/** A stream as DescribeStream / ListStreams report it. */
export interface StreamInfo {
  /** StreamName. */
  readonly name: string;
  /** StreamARN: `arn:aws:kinesisvideo:<region>:<account>:stream/<name>/<creation epoch ms>`. */
  readonly arn: string;
  /** CreationTime, epoch milliseconds (emulator clock). */
  readonly creationTime: number;
  /** DataRetentionInHours; 0 keeps fragments only for the documented 5-minute buffer. */
  readonly retentionHours: number;
  /** MediaType, when set (e.g. `video/h264`). */
  readonly mediaType: string | undefined;
  /** KmsKeyId; defaults to the service-managed `alias/aws/kinesisvideo` key ARN. */
  readonly kmsKeyId: string;
  /** DeviceName, when set. */
  readonly deviceName: string | undefined;
  /** Version: an opaque string derived from the name and creation time. */
  readonly version: string;
  /** Status: always `ACTIVE` (creation is immediate). */
  readonly status: 'ACTIVE';
}

/** The media of a fragment: what goes into its EBML document besides the Kinesis tags. */
export interface FragmentContent {
  readonly tracks: readonly MkvTrack[];
  /** Frames of the single Cluster; data is referenced, so shared frame buffers cost nothing per fragment. */
  readonly frames: readonly MkvFrame[];
  /** Non-Kinesis tags written before the Kinesis ones (a capture's own tags). */
  readonly tags: readonly MkvTagInput[];
  /** Nanoseconds per timecode tick (1 000 000 = 1 ms). */
  readonly timecodeScale: number;
}

/** A fragment as the emulator reports it to tests (the public view). */
export interface EmulatedFragment {
  /** Stream name. */
  readonly stream: string;
  /** Decimal fragment number (exceeds 2^53: compare as BigInt). Also the continuation token sent after it. */
  readonly fragmentNumber: string;
  /** AWS_KINESISVIDEO_SERVER_TIMESTAMP, epoch ms: the emulator clock when the fragment was added. */
  readonly serverTimestamp: number;
  /** AWS_KINESISVIDEO_PRODUCER_TIMESTAMP, epoch ms. */
  readonly producerTimestamp: number;
  /** FragmentLengthInMilliseconds. */
  readonly durationMs: number;
  /** FragmentSizeInBytes: the EBML document without the per-session tail tags. */
  readonly sizeBytes: number;
  /** Frames in the fragment. */
  readonly frameCount: number;
}

/** A stored fragment: the public view plus what the GetMedia writer needs. */
export interface StoredFragment extends EmulatedFragment {
  /** Position in the stream, 0-based, without holes. */
  readonly seq: number;
  /** `fragmentNumber` as a BigInt, for comparisons. */
  readonly number: bigint;
  /** Cluster Timestamp in ticks of `content.timecodeScale`. */
  readonly clusterTimecode: number;
  readonly content: FragmentContent;
}

/** What {@link KinesisStreamStore.append} needs besides the stream. */
export interface FragmentInput {
  readonly content: FragmentContent;
  readonly producerTimestamp: number;
  readonly serverTimestamp: number;
  readonly durationMs: number;
}

/** Highest evicted fragment of a stream (everything at or below it is beyond retention). */
export interface EvictionMark {
  readonly seq: number;
  readonly number: bigint;
  /** Server / producer timestamp at which the evicted fragment ended (start + duration). */
  readonly serverEnd: number;
  readonly producerEnd: number;
}

/** One stream's state. Read through the store's methods; fields are exposed for the GetMedia session. */
export class StreamState {
  /** Listeners called after every append (GetMedia sessions tailing the stream). */
  readonly listeners = new Set<() => void>();
  evicted: EvictionMark | undefined;
  /** Producer timestamp where the last fragment ended, so producers continue the timeline. */
  producerClock: number | undefined;
  // Evicted slots are cleared to undefined until the array is compacted.
  private items: (StoredFragment | undefined)[] = [];
  private head = 0;
  private nextSeqValue = 0;

  constructor(
    readonly info: StreamInfo,
    readonly numberBase: bigint,
  ) {}

  /** Seq the next appended fragment will get. */
  get nextSeq(): number {
    return this.nextSeqValue;
  }

  /** Number of retained fragments. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Oldest retained fragment. */
  first(): StoredFragment | undefined {
    return this.items[this.head];
  }

  /** Newest fragment. */
  last(): StoredFragment | undefined {
    return this.size > 0 ? this.items[this.items.length - 1] : undefined;
  }

  /** The retained fragment with this seq, if any. */
  at(seq: number): StoredFragment | undefined {
    const first = this.first();
    if (first === undefined || seq < first.seq) return undefined;
    return this.items[this.head + (seq - first.seq)];
  }

  /** The retained fragment whose number is exactly `number` (binary search: numbers grow with seq). */
  findNumber(number: bigint): StoredFragment | undefined {
    let low = this.head;
    let high = this.items.length - 1;
    while (low <= high) {
      const mid = (low + high) >>> 1;
      const fragment = this.items[mid];
      if (fragment === undefined) return undefined;
      if (fragment.number === number) return fragment;
      if (fragment.number < number) low = mid + 1;
      else high = mid - 1;
    }
    return undefined;
  }

  /** Retained fragments, oldest first (a copy). */
  retained(): StoredFragment[] {
    return this.items.slice(this.head).filter((fragment): fragment is StoredFragment => fragment !== undefined);
  }

  /** Appends a fragment built by the store. */
  push(fragment: StoredFragment): void {
    this.items.push(fragment);
    this.nextSeqValue = fragment.seq + 1;
  }

  /** Drops the oldest retained fragment and remembers it as evicted. */
  dropOldest(): void {
    const oldest = this.items[this.head];
    if (oldest === undefined) return;
    this.evicted = {
      seq: oldest.seq,
      number: oldest.number,
      serverEnd: oldest.serverTimestamp + oldest.durationMs,
      producerEnd: oldest.producerTimestamp + oldest.durationMs,
    };
    this.items[this.head] = undefined;
    this.head += 1;
    // Compact once the dead prefix dominates, so eviction stays O(1) amortised.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }
}

/** Options of {@link KinesisStreamStore.create}. */
export interface CreateStreamOptions {
  readonly retentionHours?: number;
  readonly mediaType?: string;
  readonly kmsKeyId?: string;
  readonly deviceName?: string;
}

/** All streams of one emulator. */
export class KinesisStreamStore {
  private readonly byName = new Map<string, StreamState>();
  private readonly byArn = new Map<string, StreamState>();
  private created = 0;

  constructor(
    private readonly now: () => number,
    private readonly arnPrefix: string,
    private readonly kmsAliasArn: string,
    private readonly maxFragmentsPerStream: number,
  ) {}

  /**
   * Creates a stream.
   *
   * @throws KinesisWireError `InvalidArgumentException` for a bad name, retention, media type or key id;
   *   `ResourceInUseException` when the name is taken.
   */
  create(name: string, options: CreateStreamOptions = {}): StreamState {
    if (!KVS_STREAM_NAME_PATTERN.test(name)) {
      throw new KinesisWireError('InvalidArgumentException', 'StreamName must be 1 to 256 characters of [a-zA-Z0-9_.-]');
    }
    const retentionHours = options.retentionHours ?? 0;
    if (!Number.isSafeInteger(retentionHours) || retentionHours < 0 || retentionHours > 87_600) {
      throw new KinesisWireError('InvalidArgumentException', 'DataRetentionInHours must be an integer from 0 to 87600');
    }
    if (options.mediaType !== undefined && !/^[\w\-.+]+\/[\w\-.+]+(,[\w\-.+]+\/[\w\-.+]+)*$/.test(options.mediaType)) {
      throw new KinesisWireError('InvalidArgumentException', 'MediaType is not a valid media type list');
    }
    if (options.kmsKeyId !== undefined && (options.kmsKeyId.length < 1 || options.kmsKeyId.length > 2048)) {
      throw new KinesisWireError('InvalidArgumentException', 'KmsKeyId must be 1 to 2048 characters');
    }
    if (this.byName.has(name)) throw new KinesisWireError('ResourceInUseException', 'The stream already exists');
    const creationTime = this.now();
    const arn = `${this.arnPrefix}:stream/${name}/${creationTime}`;
    const info: StreamInfo = {
      name,
      arn,
      creationTime,
      retentionHours,
      mediaType: options.mediaType,
      kmsKeyId: options.kmsKeyId ?? this.kmsAliasArn,
      deviceName: options.deviceName,
      version: createHash('sha256').update(arn).digest('hex').slice(0, 20),
      status: 'ACTIVE',
    };
    const state = new StreamState(info, fragmentNumberBase(this.created));
    this.created += 1;
    this.byName.set(name, state);
    this.byArn.set(arn, state);
    return state;
  }

  /** The stream named `name`, if any. */
  get(name: string): StreamState | undefined {
    return this.byName.get(name);
  }

  /** The stream with this ARN, if any. */
  getByArn(arn: string): StreamState | undefined {
    return this.byArn.get(arn);
  }

  /** Every stream, ordered by name (byte order). */
  list(): StreamState[] {
    return [...this.byName.values()].sort((a, b) => (a.info.name < b.info.name ? -1 : a.info.name > b.info.name ? 1 : 0));
  }

  /**
   * Resolves the stream a request names by `StreamName` and/or `StreamARN`.
   *
   * @throws KinesisWireError `InvalidArgumentException` when neither is given or they disagree,
   *   `ResourceNotFoundException` when no such stream exists.
   */
  resolve(name: string | undefined, arn: string | undefined): StreamState {
    if (name === undefined && arn === undefined) {
      throw new KinesisWireError('InvalidArgumentException', 'Specify either StreamName or StreamARN');
    }
    const byName = name === undefined ? undefined : this.byName.get(name);
    const byArn = arn === undefined ? undefined : this.byArn.get(arn);
    const found = byName ?? byArn;
    if (found === undefined || (name !== undefined && arn !== undefined && byName !== byArn)) {
      throw new KinesisWireError('ResourceNotFoundException', 'The requested stream was not found');
    }
    return found;
  }

  /** Retention window of a stream in milliseconds. */
  retentionMs(stream: StreamState): number {
    return stream.info.retentionHours > 0 ? stream.info.retentionHours * 3_600_000 : KVS_ZERO_RETENTION_BUFFER_MS;
  }

  /** Evicts the fragments of `stream` older than its retention, then the oldest beyond the count bound. */
  evict(stream: StreamState): void {
    const horizon = this.now() - this.retentionMs(stream);
    for (let first = stream.first(); first !== undefined && first.serverTimestamp < horizon; first = stream.first()) {
      stream.dropOldest();
    }
    while (stream.size > this.maxFragmentsPerStream) stream.dropOldest();
  }

  /**
   * Appends a fragment: assigns seq and fragment number, computes its size, evicts, then notifies the
   * stream's listeners (GetMedia sessions tailing it).
   *
   * @throws RangeError when the content cannot be encoded (bad tracks, frame timecodes outside int16, ...).
   */
  append(stream: StreamState, input: FragmentInput): StoredFragment {
    const seq = stream.nextSeq;
    const number = makeFragmentNumber(stream.numberBase, seq, input.serverTimestamp);
    const fragmentNumber = number.toString();
    const clusterTimecode = clusterTimecodeFor(input.producerTimestamp, input.content.timecodeScale);
    const parts = writeFragment({
      tracks: input.content.tracks,
      tags: input.content.tags,
      timecodeScale: input.content.timecodeScale,
      fragmentNumber,
      serverTimestamp: input.serverTimestamp,
      producerTimestamp: input.producerTimestamp,
      clusterTimecode,
      frames: input.content.frames,
    });
    let sizeBytes = 0;
    for (const part of parts) sizeBytes += part.length;
    const fragment: StoredFragment = {
      stream: stream.info.name,
      seq,
      number,
      fragmentNumber,
      serverTimestamp: input.serverTimestamp,
      producerTimestamp: input.producerTimestamp,
      durationMs: input.durationMs,
      sizeBytes,
      frameCount: input.content.frames.length,
      clusterTimecode,
      content: input.content,
    };
    stream.push(fragment);
    stream.producerClock = Math.max(stream.producerClock ?? 0, input.producerTimestamp + input.durationMs);
    this.evict(stream);
    for (const listener of [...stream.listeners]) listener();
    return fragment;
  }
}

/**
 * The Cluster Timestamp for a fragment: its producer timestamp expressed in ticks, as the producer SDKs write
 * absolute timecodes. Falls back to 0 when that would not be a safe integer (absurdly fine scales).
 */
function clusterTimecodeFor(producerTimestampMs: number, timecodeScale: number): number {
  const ticks = Math.round((producerTimestampMs * 1_000_000) / timecodeScale);
  return Number.isSafeInteger(ticks) && ticks >= 0 ? ticks : 0;
}

/** Public view of a stored fragment (no content, no internal fields). */
export function publicFragment(fragment: StoredFragment): EmulatedFragment {
  return {
    stream: fragment.stream,
    fragmentNumber: fragment.fragmentNumber,
    serverTimestamp: fragment.serverTimestamp,
    producerTimestamp: fragment.producerTimestamp,
    durationMs: fragment.durationMs,
    sizeBytes: fragment.sizeBytes,
    frameCount: fragment.frameCount,
  };
}
