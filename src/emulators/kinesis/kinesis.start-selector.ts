import { KinesisWireError } from './kinesis.errors.js';
import { parseFragmentNumber } from './kinesis.fragment-number.js';
import type { JsonInput } from './kinesis.input.js';
import { optionalEnum, optionalObject, optionalPattern, optionalTimestamp } from './kinesis.input.js';
import { KVS_CONTINUATION_TOKEN_PATTERN, KVS_FRAGMENT_NUMBER_PATTERN } from './kinesis.limits.js';
import type { KinesisStreamStore, StreamState } from './kinesis.store.js';

/**
 * GetMedia `StartSelector`: validation and resolution to the first fragment to send.
 *
 * Documented meanings: NOW "start with the latest chunk on the stream" (the newest fragment is sent, then
 * every later one); EARLIEST "earliest available chunk"; FRAGMENT_NUMBER "the chunk after a specific
 * fragment" (`AfterFragmentNumber`, exclusive); SERVER_TIMESTAMP / PRODUCER_TIMESTAMP "the chunk containing a
 * fragment with the specified timestamp" (the first fragment whose [start, start + length) contains the
 * timestamp or starts after it); CONTINUATION_TOKEN "the chunk identified by the continuation token". The
 * service's continuation token is the number of the last fragment delivered, so resuming with it starts
 * right after that fragment, exactly like FRAGMENT_NUMBER.
 *
 * A fragment number, token or timestamp that lies at or before the newest fragment evicted by retention is
 * "beyond retention": the payload starts with an error document `AWS_KINESISVIDEO_ERROR_ID` 4000, then
 * (policy `continue`, the default) streams from the earliest available fragment, or (policy `end`) ends.
 * A fragment number or token that names no fragment that ever existed also gets the 4000 document, and the
 * payload ends (there is nothing sensible to continue from).
 */

/** The StartSelectorType values (the SDK's enum). */
export const START_SELECTOR_TYPES = ['NOW', 'EARLIEST', 'FRAGMENT_NUMBER', 'SERVER_TIMESTAMP', 'PRODUCER_TIMESTAMP', 'CONTINUATION_TOKEN'] as const;

/** One of {@link START_SELECTOR_TYPES}. */
export type StartSelectorType = (typeof START_SELECTOR_TYPES)[number];

/** A validated StartSelector. */
export type StartSelector =
  | { readonly type: 'NOW' | 'EARLIEST' }
  | { readonly type: 'FRAGMENT_NUMBER' | 'CONTINUATION_TOKEN'; readonly fragmentNumber: bigint }
  | { readonly type: 'SERVER_TIMESTAMP' | 'PRODUCER_TIMESTAMP'; readonly timestamp: number };

/** What to do when the requested start is beyond retention. */
export type ExpiredStartPolicy = 'continue' | 'end';

/** Where a GetMedia session starts. */
export interface StartPlan {
  /** Seq of the first fragment to send (may be the stream's next seq: wait for the producer). */
  readonly startSeq: number;
  /** Send a 4000 error document before any fragment. */
  readonly leadingError4000: boolean;
  /** End the payload right after the leading error document. */
  readonly endAfterLeadingError: boolean;
  /** Timestamp selectors: skip fragments that end at or before this time (live fragments included). */
  readonly notBefore: { readonly type: 'SERVER_TIMESTAMP' | 'PRODUCER_TIMESTAMP'; readonly timestamp: number } | undefined;
}

/**
 * Reads and validates `StartSelector` from a GetMedia input.
 *
 * @throws KinesisWireError `InvalidArgumentException` when it is missing, of an unknown type, or lacks the
 *   member its type requires (`AfterFragmentNumber`, `StartTimestamp`, `ContinuationToken`), or when that
 *   member breaks its pattern; a continuation token that is not a fragment number this service could have
 *   issued is invalid too.
 */
export function readStartSelector(input: JsonInput): StartSelector {
  const selector = optionalObject(input, 'StartSelector');
  if (selector === undefined) throw new KinesisWireError('InvalidArgumentException', 'StartSelector is required');
  const type = optionalEnum(selector, 'StartSelectorType', START_SELECTOR_TYPES);
  if (type === undefined) throw new KinesisWireError('InvalidArgumentException', 'StartSelectorType is required');
  switch (type) {
    case 'NOW':
    case 'EARLIEST':
      return { type };
    case 'FRAGMENT_NUMBER': {
      const text = optionalPattern(selector, 'AfterFragmentNumber', KVS_FRAGMENT_NUMBER_PATTERN);
      if (text === undefined) throw new KinesisWireError('InvalidArgumentException', 'AfterFragmentNumber is required for FRAGMENT_NUMBER');
      return { type, fragmentNumber: BigInt(text) };
    }
    case 'CONTINUATION_TOKEN': {
      const text = optionalPattern(selector, 'ContinuationToken', KVS_CONTINUATION_TOKEN_PATTERN);
      if (text === undefined) throw new KinesisWireError('InvalidArgumentException', 'ContinuationToken is required for CONTINUATION_TOKEN');
      const number = parseFragmentNumber(text);
      if (number === undefined) throw new KinesisWireError('InvalidArgumentException', 'ContinuationToken is not valid');
      return { type, fragmentNumber: number };
    }
    case 'SERVER_TIMESTAMP':
    case 'PRODUCER_TIMESTAMP': {
      const timestamp = optionalTimestamp(selector, 'StartTimestamp');
      if (timestamp === undefined) throw new KinesisWireError('InvalidArgumentException', `StartTimestamp is required for ${type}`);
      return { type, timestamp };
    }
  }
}

/** Resolves where a session on `stream` starts (after evicting expired fragments). */
export function planStart(store: KinesisStreamStore, stream: StreamState, selector: StartSelector, policy: ExpiredStartPolicy): StartPlan {
  store.evict(stream);
  const earliestSeq = stream.first()?.seq ?? stream.nextSeq;
  const from = (startSeq: number): StartPlan => ({ startSeq, leadingError4000: false, endAfterLeadingError: false, notBefore: undefined });
  const expired: StartPlan = { startSeq: earliestSeq, leadingError4000: true, endAfterLeadingError: policy === 'end', notBefore: undefined };
  switch (selector.type) {
    case 'NOW':
      return from(stream.last()?.seq ?? stream.nextSeq);
    case 'EARLIEST':
      return from(earliestSeq);
    case 'FRAGMENT_NUMBER':
    case 'CONTINUATION_TOKEN': {
      const found = stream.findNumber(selector.fragmentNumber);
      if (found !== undefined) return from(found.seq + 1);
      if (stream.evicted !== undefined && selector.fragmentNumber <= stream.evicted.number) return expired;
      return { startSeq: stream.nextSeq, leadingError4000: true, endAfterLeadingError: true, notBefore: undefined };
    }
    case 'SERVER_TIMESTAMP':
    case 'PRODUCER_TIMESTAMP': {
      const server = selector.type === 'SERVER_TIMESTAMP';
      const evictedEnd = server ? stream.evicted?.serverEnd : stream.evicted?.producerEnd;
      const first = stream.first();
      const firstStart = first === undefined ? undefined : server ? first.serverTimestamp : first.producerTimestamp;
      if (evictedEnd !== undefined && selector.timestamp < evictedEnd && (firstStart === undefined || selector.timestamp < firstStart)) {
        return expired;
      }
      const notBefore = { type: selector.type, timestamp: selector.timestamp };
      const match = stream.retained().find((fragment) => (server ? fragment.serverTimestamp : fragment.producerTimestamp) + fragment.durationMs > selector.timestamp);
      return { startSeq: match?.seq ?? stream.nextSeq, leadingError4000: false, endAfterLeadingError: false, notBefore };
    }
  }
}
