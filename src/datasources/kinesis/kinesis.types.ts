/** A Kinesis video stream as the API exposes it (DescribeStream / ListStreams). */
export interface VideoStream {
  readonly name: string;
  readonly arn: string;
  /** CREATING, ACTIVE, UPDATING or DELETING. */
  readonly status: string;
  /** MIME type of the stream's media, e.g. `video/h264`; undefined when the producer did not set it. */
  readonly mediaType: string | undefined;
  /** How long fragments are kept, in hours; 0 means no retention (live only). */
  readonly retentionHours: number;
  readonly creationTime: Date | undefined;
  readonly deviceName: string | undefined;
  /** Version of the stream; changes on every update. */
  readonly version: string | undefined;
  /** Whether a customer-managed KMS key encrypts the stream (the key id itself is not exposed). */
  readonly kmsEncrypted: boolean;
}

/** A fragment as ListFragments describes it. */
export interface ArchivedFragment {
  /** Decimal string; exceeds 2^53, compare as BigInt. */
  readonly fragmentNumber: string;
  readonly sizeBytes: number | undefined;
  readonly producerTimestamp: Date | undefined;
  readonly serverTimestamp: Date | undefined;
  readonly durationMs: number | undefined;
}

/** Where GetMedia starts (mirrors the service's StartSelector). */
export type MediaStart =
  | { readonly type: 'NOW' }
  | { readonly type: 'EARLIEST' }
  /** The fragment after `fragmentNumber`. */
  | { readonly type: 'FRAGMENT_NUMBER'; readonly fragmentNumber: string }
  | { readonly type: 'SERVER_TIMESTAMP'; readonly timestamp: Date }
  | { readonly type: 'PRODUCER_TIMESTAMP'; readonly timestamp: Date }
  /** Right after the fragment the token was issued for. */
  | { readonly type: 'CONTINUATION_TOKEN'; readonly token: string };

/** Identifies a stream by name or ARN (exactly one is set). */
export type StreamRef = { readonly name: string; readonly arn?: undefined } | { readonly arn: string; readonly name?: undefined };

/** Timestamp range of a ListFragments query. */
export interface FragmentRange {
  readonly type: 'SERVER_TIMESTAMP' | 'PRODUCER_TIMESTAMP';
  readonly from: Date;
  readonly to: Date;
}
