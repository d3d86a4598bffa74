import { streamRef } from './kinesis.control-plane.js';
import { KinesisWireError } from './kinesis.errors.js';
import type { JsonInput } from './kinesis.input.js';
import { epochSeconds, optionalEnum, optionalInteger, optionalObject, optionalString, optionalTimestamp } from './kinesis.input.js';
import { KVS_LIST_FRAGMENTS_DEFAULT_RESULTS, KVS_LIST_FRAGMENTS_MAX_RESULTS } from './kinesis.limits.js';
import type { FragmentsCursor } from './kinesis.next-token.js';
import { decodeFragmentsToken, encodeFragmentsToken } from './kinesis.next-token.js';
import type { KinesisStreamStore, StoredFragment } from './kinesis.store.js';

/**
 * ListFragments (`@aws-sdk/client-kinesis-video-archived-media`), `POST /listFragments`.
 *
 * The selector keeps fragments whose start timestamp (server or producer, per `FragmentSelectorType`) lies in
 * `[StartTimestamp, EndTimestamp]`, both inclusive, as the FragmentSelector reference describes. The emulator
 * returns fragments in ascending fragment-number order (the reference promises no order; ascending is one
 * valid order and makes paging checks simple). A request without selector and without token lists every
 * retained fragment (emulator choice). With a `NextToken`, the token's own selector and stream apply and a
 * selector in the request is ignored, as the reference says the selector "is only required when the
 * NextToken isn't passed".
 */

type Selector = NonNullable<FragmentsCursor['selector']>;

function readSelector(input: JsonInput): Selector | undefined {
  const selector = optionalObject(input, 'FragmentSelector');
  if (selector === undefined) return undefined;
  const type = optionalEnum(selector, 'FragmentSelectorType', ['SERVER_TIMESTAMP', 'PRODUCER_TIMESTAMP'] as const);
  const range = optionalObject(selector, 'TimestampRange');
  if (type === undefined || range === undefined) {
    throw new KinesisWireError('InvalidArgumentException', 'FragmentSelector needs FragmentSelectorType and TimestampRange');
  }
  const start = optionalTimestamp(range, 'StartTimestamp');
  const end = optionalTimestamp(range, 'EndTimestamp');
  if (start === undefined || end === undefined) {
    throw new KinesisWireError('InvalidArgumentException', 'TimestampRange needs StartTimestamp and EndTimestamp');
  }
  if (start > end) throw new KinesisWireError('InvalidArgumentException', 'StartTimestamp must not be later than EndTimestamp');
  return { type, start, end };
}

function selected(fragment: StoredFragment, selector: Selector | undefined): boolean {
  if (selector === undefined) return true;
  const timestamp = selector.type === 'SERVER_TIMESTAMP' ? fragment.serverTimestamp : fragment.producerTimestamp;
  return timestamp >= selector.start && timestamp <= selector.end;
}

/** The restJson1 `Fragment` shape. */
function fragmentJson(fragment: StoredFragment): Record<string, unknown> {
  return {
    FragmentNumber: fragment.fragmentNumber,
    FragmentSizeInBytes: fragment.sizeBytes,
    ProducerTimestamp: epochSeconds(fragment.producerTimestamp),
    ServerTimestamp: epochSeconds(fragment.serverTimestamp),
    FragmentLengthInMilliseconds: fragment.durationMs,
  };
}

/**
 * ListFragments → `{ Fragments, NextToken? }`; `NextToken` appears only when more fragments remain.
 *
 * @throws KinesisWireError `ResourceNotFoundException` for an unknown stream, `InvalidArgumentException` for
 *   a bad MaxResults, selector or token (including a token from another stream).
 */
export function listFragments(store: KinesisStreamStore, input: JsonInput): Record<string, unknown> {
  const ref = streamRef(input);
  const stream = store.resolve(ref.name, ref.arn);
  const maxResults = optionalInteger(input, 'MaxResults', 1, KVS_LIST_FRAGMENTS_MAX_RESULTS) ?? KVS_LIST_FRAGMENTS_DEFAULT_RESULTS;
  const token = optionalString(input, 'NextToken');
  let selector: Selector | undefined;
  let after: bigint | undefined;
  if (token !== undefined && token !== '') {
    const cursor = decodeFragmentsToken(token);
    if (cursor.stream !== stream.info.name) throw new KinesisWireError('InvalidArgumentException', 'NextToken belongs to another stream');
    selector = cursor.selector;
    after = BigInt(cursor.after);
  } else {
    selector = readSelector(input);
  }
  store.evict(stream);
  const matching: StoredFragment[] = [];
  let more = false;
  for (const fragment of stream.retained()) {
    if (after !== undefined && fragment.number <= after) continue;
    if (!selected(fragment, selector)) continue;
    if (matching.length === maxResults) {
      more = true;
      break;
    }
    matching.push(fragment);
  }
  const last = matching[matching.length - 1];
  return {
    Fragments: matching.map(fragmentJson),
    ...(more && last !== undefined
      ? { NextToken: encodeFragmentsToken({ stream: stream.info.name, after: last.fragmentNumber, selector }) }
      : {}),
  };
}
