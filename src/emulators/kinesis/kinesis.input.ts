import { KinesisWireError } from './kinesis.errors.js';

/**
 * Readers for restJson1 request bodies. The SDKs send a JSON object with the input members; timestamps are
 * epoch seconds as JSON numbers with a fraction (`1511852109.126`). A member of the wrong JSON type is a
 * `SerializationException` (the request could not be deserialised); a well-typed value outside the
 * documented constraints is an `InvalidArgumentException`.
 */

/** A parsed JSON request body. */
export type JsonInput = Readonly<Record<string, unknown>>;

/**
 * Parses a request body; an empty body is `{}`.
 *
 * @throws KinesisWireError `SerializationException` when the body is not a JSON object.
 */
export function parseJsonInput(body: Buffer): JsonInput {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error: unknown) {
    throw new KinesisWireError('SerializationException', `The request body is not valid JSON: ${error instanceof Error ? error.message : 'parse error'}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new KinesisWireError('SerializationException', 'The request body must be a JSON object');
  }
  return value as JsonInput;
}

/** The member `key` as a nested object, `undefined` when absent or null. @throws SerializationException otherwise. */
export function optionalObject(input: JsonInput, key: string): JsonInput | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new KinesisWireError('SerializationException', `${key} must be an object`);
  return value as JsonInput;
}

/** The member `key` as a string, `undefined` when absent or null. @throws SerializationException otherwise. */
export function optionalString(input: JsonInput, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new KinesisWireError('SerializationException', `${key} must be a string`);
  return value;
}

/**
 * The member `key` as a string matching `pattern`, `undefined` when absent.
 *
 * @throws KinesisWireError `SerializationException` for a non-string, `InvalidArgumentException` for a
 *   string that does not match.
 */
export function optionalPattern(input: JsonInput, key: string, pattern: RegExp): string | undefined {
  const value = optionalString(input, key);
  if (value !== undefined && !pattern.test(value)) {
    throw new KinesisWireError('InvalidArgumentException', `${key} failed to satisfy its constraint`);
  }
  return value;
}

/**
 * The member `key` as an integer in `[min, max]`, `undefined` when absent.
 *
 * @throws KinesisWireError `SerializationException` for a non-number, `InvalidArgumentException` for a
 *   number that is not an integer in range.
 */
export function optionalInteger(input: JsonInput, key: string, min: number, max: number): number | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new KinesisWireError('SerializationException', `${key} must be a number`);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new KinesisWireError('InvalidArgumentException', `${key} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/**
 * The member `key` as a timestamp in epoch milliseconds, `undefined` when absent. Accepts epoch seconds
 * (the restJson1 default the SDKs send) and, leniently, an ISO-8601 string.
 *
 * @throws KinesisWireError `SerializationException` for any other value.
 */
export function optionalTimestamp(input: JsonInput, key: string): number | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.round(value * 1000);
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  throw new KinesisWireError('SerializationException', `${key} must be a timestamp in epoch seconds`);
}

/**
 * The member `key` as one of `allowed`, `undefined` when absent.
 *
 * @throws KinesisWireError `SerializationException` for a non-string, `InvalidArgumentException` for a value
 *   outside the enum.
 */
export function optionalEnum<T extends string>(input: JsonInput, key: string, allowed: readonly T[]): T | undefined {
  const value = optionalString(input, key);
  if (value === undefined) return undefined;
  const match = allowed.find((candidate) => candidate === value);
  if (match === undefined) throw new KinesisWireError('InvalidArgumentException', `${key} must be one of ${allowed.join(', ')}`);
  return match;
}

/** Epoch milliseconds as the restJson1 timestamp the SDKs parse: epoch seconds with a millisecond fraction. */
export function epochSeconds(epochMs: number): number {
  return epochMs / 1000;
}
