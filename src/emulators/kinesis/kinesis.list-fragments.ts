import { createHash } from 'node:crypto';
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
 * `[StartTimestamp, EndTimestamp]`, both inclusive, as the FragmentSelector reference describes. The reference
 * makes `FragmentSelector` required "when the NextToken isn't passed": a request with neither is refused with
 * `InvalidArgumentException`. With a `NextToken`, the token's own selector and stream apply and a selector in the
 * request is ignored.
 *
 * The reference says results come "in no specific order, even across pages". The emulator answers in one of two
 * orders (see {@link ListFragmentsOrder}); a client must work with both.
 */

/**
 * The order ListFragments answers in: `ascending` fragment numbers (default; one valid order, easy to read in
 * tests), or `unordered`, a fixed pseudo-random permutation of the whole listing (keyed by stream and selector, so
 * repeating a request or a token gives the same page) that mixes fragments across pages, as the service may.
 */
export type ListFragmentsOrder = 'ascending' | 'unordered';

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

function selected(fragment: StoredFragment, selector: Selector): boolean {
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

/** A fragment's place in an `unordered` listing: a hash of the listing's seed and its number, the number breaking ties. */
interface ShuffleKey {
  readonly hash: string;
  readonly number: bigint;
}

function shuffleKey(seed: string, fragmentNumber: string, number: bigint): ShuffleKey {
  return { hash: createHash('sha256').update(seed).update('\0').update(fragmentNumber).digest('hex').slice(0, 16), number };
}

function compareKeys(left: ShuffleKey, right: ShuffleKey): number {
  if (left.hash !== right.hash) return left.hash < right.hash ? -1 : 1;
  return left.number < right.number ? -1 : left.number > right.number ? 1 : 0;
}

/** The fragments of one page and whether more follow, in `order`, strictly after the token's last fragment. */
function page(
  candidates: readonly StoredFragment[],
  order: ListFragmentsOrder,
  seed: string,
  after: string | undefined,
  maxResults: number,
): { readonly fragments: StoredFragment[]; readonly more: boolean } {
  if (order === 'ascending') {
    const afterNumber = after === undefined ? undefined : BigInt(after);
    const rest = afterNumber === undefined ? candidates : candidates.filter((fragment) => fragment.number > afterNumber);
    return { fragments: rest.slice(0, maxResults), more: rest.length > maxResults };
  }
  const keyed = candidates.map((fragment) => ({ fragment, key: shuffleKey(seed, fragment.fragmentNumber, fragment.number) }));
  const afterKey = after === undefined ? undefined : shuffleKey(seed, after, BigInt(after));
  const rest = (afterKey === undefined ? keyed : keyed.filter((entry) => compareKeys(entry.key, afterKey) > 0)).sort((a, b) => compareKeys(a.key, b.key));
  return { fragments: rest.slice(0, maxResults).map((entry) => entry.fragment), more: rest.length > maxResults };
}

/**
 * ListFragments → `{ Fragments, NextToken? }`; `NextToken` appears only when more fragments remain.
 *
 * @param order see {@link ListFragmentsOrder}; default `ascending`.
 * @throws KinesisWireError `ResourceNotFoundException` for an unknown stream, `InvalidArgumentException` for
 *   a bad MaxResults, selector or token (including a token from another stream), or neither a selector nor a token.
 */
export function listFragments(store: KinesisStreamStore, input: JsonInput, order: ListFragmentsOrder = 'ascending'): Record<string, unknown> {
  const ref = streamRef(input);
  const stream = store.resolve(ref.name, ref.arn);
  const maxResults = optionalInteger(input, 'MaxResults', 1, KVS_LIST_FRAGMENTS_MAX_RESULTS) ?? KVS_LIST_FRAGMENTS_DEFAULT_RESULTS;
  const token = optionalString(input, 'NextToken');
  let selector: Selector | undefined;
  let after: string | undefined;
  if (token !== undefined && token !== '') {
    const cursor = decodeFragmentsToken(token);
    if (cursor.stream !== stream.info.name) throw new KinesisWireError('InvalidArgumentException', 'NextToken belongs to another stream');
    selector = cursor.selector;
    after = cursor.after;
  } else {
    selector = readSelector(input);
    if (selector === undefined) throw new KinesisWireError('InvalidArgumentException', 'FragmentSelector is required when NextToken is not passed');
  }
  store.evict(stream);
  const candidates = selector === undefined ? stream.retained() : stream.retained().filter((fragment) => selected(fragment, selector));
  const seed = `${stream.info.name}\0${selector === undefined ? '' : `${selector.type}:${String(selector.start)}:${String(selector.end)}`}`;
  const result = page(candidates, order, seed, after, maxResults);
  const last = result.fragments[result.fragments.length - 1];
  return {
    Fragments: result.fragments.map(fragmentJson),
    ...(result.more && last !== undefined
      ? { NextToken: encodeFragmentsToken({ stream: stream.info.name, after: last.fragmentNumber, selector }) }
      : {}),
  };
}
