/**
 * Documented limits of Amazon Kinesis Video Streams as the emulator enforces them. Sources: the GetMedia,
 * ListStreams, ListFragments, CreateStream and GetDataEndpoint API references and the "Kinesis Video Streams
 * service quotas" page. Values the documentation does not state are marked as emulator choices and are
 * repeated in PROTOCOL.md.
 */

/** GetMedia calls a client may make per second per stream ("up to five times per second per stream"). */
export const KVS_GET_MEDIA_CALLS_PER_SECOND = 5;

/** Concurrent GetMedia connections per stream (service quotas: 3 per stream, hard). */
export const KVS_MAX_GET_MEDIA_CONNECTIONS_PER_STREAM = 3;

/**
 * Send rate of one GetMedia session in bytes per second ("up to 25 megabytes per second (or 200 megabits per
 * second)": 200 Mbit/s = 25 000 000 bytes/s, so the decimal reading).
 */
export const KVS_GET_MEDIA_BYTES_PER_SECOND = 25_000_000;

/**
 * Milliseconds without a new fragment after which a caught-up GetMedia payload ends (the service closes the
 * response about 3 seconds after the producer goes quiet; emulator default, configurable).
 */
export const KVS_GET_MEDIA_IDLE_END_MS = 3_000;

/**
 * Retention of a stream created with `DataRetentionInHours: 0`: "the fragments that remain in the service
 * host buffer, which has a retention time limit of 5 minutes".
 */
export const KVS_ZERO_RETENTION_BUFFER_MS = 5 * 60 * 1000;

/** `ListStreams` `MaxResults` bounds and default (1..10 000, "The default is 10,000"). */
export const KVS_LIST_STREAMS_MAX_RESULTS = 10_000;

/** `ListFragments` `MaxResults` bounds (1..1000). */
export const KVS_LIST_FRAGMENTS_MAX_RESULTS = 1_000;

/** `ListFragments` page size when `MaxResults` is omitted (emulator choice: the reference gives none). */
export const KVS_LIST_FRAGMENTS_DEFAULT_RESULTS = 100;

/** Longest `NextToken` accepted by ListStreams / ListFragments (ListStreams documents 0..512; 4096 for ListFragments). */
export const KVS_MAX_NEXT_TOKEN_LENGTH = 4_096;

/** Stream names: 1..256 characters of `[a-zA-Z0-9_.-]`. */
export const KVS_STREAM_NAME_PATTERN = /^[a-zA-Z0-9_.-]{1,256}$/;

/** Fragment numbers and continuation tokens: 1..128 characters (`^[0-9]+$` for fragment numbers). */
export const KVS_FRAGMENT_NUMBER_PATTERN = /^[0-9]{1,128}$/;

/** Continuation tokens: 1..128 characters of `[a-zA-Z0-9_.-]` (the service's own tokens are fragment numbers). */
export const KVS_CONTINUATION_TOKEN_PATTERN = /^[a-zA-Z0-9_.-]{1,128}$/;

/** Largest JSON request body the emulator reads (emulator choice: every documented input is far smaller). */
export const KVS_MAX_REQUEST_BODY_BYTES = 64 * 1024;

/** Fragments kept per stream beyond which the oldest are dropped even inside retention (emulator memory bound). */
export const KVS_DEFAULT_MAX_FRAGMENTS_PER_STREAM = 5_000;

/** GetMedia call timestamps remembered per stream for {@link KVS_GET_MEDIA_CALLS_PER_SECOND} checks and tests. */
export const KVS_MAX_RECORDED_CALLS_PER_STREAM = 10_000;
