import { readUtf8String } from './ebml-values.js';
import {
  isFragmentNumberBytes,
  KinesisTag,
  parseKinesisIntegerBytes,
  parseKinesisTimestampBytes,
  type KinesisTagName,
} from './kinesis-tags.js';
import { isSameAscii } from './text-interner.js';

/** The fragment fields that come from `AWS_KINESISVIDEO_*` tags (see `Fragment` for their meaning). */
export interface KinesisFields {
  fragmentNumber: string | null;
  serverTimestamp: number | null;
  producerTimestamp: number | null;
  millisBehindNow: number | null;
  continuationToken: string | null;
  errorCode: string | null;
  errorId: number | null;
}

/**
 * Sets the field a documented Kinesis tag carries from its TagString `bytes[start..end)`, parsing
 * numbers straight from the bytes (no intermediate string). A value GetMedia cannot have produced is
 * corruption (RELIABILITY K12: bogus tags become a typed error and the caller resumes from the last
 * good fragment), and so is a second, different value for a field already set.
 * @returns null when the field was set, otherwise why the value was rejected (the field is unchanged).
 */
export function applyKinesisTagValue(
  fields: KinesisFields,
  name: KinesisTagName,
  bytes: Uint8Array,
  start: number,
  end: number,
): string | null {
  switch (name) {
    case KinesisTag.FragmentNumber: {
      if (!isFragmentNumberBytes(bytes, start, end)) return invalid(name, bytes, start, end);
      const value = readUtf8String(bytes, start, end);
      if (conflicts(fields.fragmentNumber, value)) return twice(name);
      fields.fragmentNumber = value;
      return null;
    }
    case KinesisTag.ServerTimestamp: {
      const value = parseKinesisTimestampBytes(bytes, start, end);
      if (value === null) return invalid(name, bytes, start, end);
      if (conflicts(fields.serverTimestamp, value)) return twice(name);
      fields.serverTimestamp = value;
      return null;
    }
    case KinesisTag.ProducerTimestamp: {
      const value = parseKinesisTimestampBytes(bytes, start, end);
      if (value === null) return invalid(name, bytes, start, end);
      if (conflicts(fields.producerTimestamp, value)) return twice(name);
      fields.producerTimestamp = value;
      return null;
    }
    case KinesisTag.MillisBehindNow: {
      const value = parseKinesisIntegerBytes(bytes, false, start, end);
      if (value === null) return invalid(name, bytes, start, end);
      if (conflicts(fields.millisBehindNow, value)) return twice(name);
      fields.millisBehindNow = value;
      return null;
    }
    case KinesisTag.ContinuationToken: {
      // GetMedia's token is the fragment's own number: reuse that string when the bytes match.
      const number = fields.fragmentNumber;
      const value = number !== null && isSameAscii(number, bytes, start, end) ? number : readUtf8String(bytes, start, end);
      if (conflicts(fields.continuationToken, value)) return twice(name);
      fields.continuationToken = value;
      return null;
    }
    case KinesisTag.ErrorCode: {
      const value = readUtf8String(bytes, start, end);
      if (conflicts(fields.errorCode, value)) return twice(name);
      fields.errorCode = value;
      return null;
    }
    case KinesisTag.ErrorId: {
      const value = parseKinesisIntegerBytes(bytes, true, start, end);
      if (value === null) return invalid(name, bytes, start, end);
      if (conflicts(fields.errorId, value)) return twice(name);
      fields.errorId = value;
      return null;
    }
  }
}

function conflicts<T>(previous: T | null, next: T): boolean {
  return previous !== null && previous !== next;
}

function invalid(name: KinesisTagName, bytes: Uint8Array, start: number, end: number): string {
  return `${name} has an invalid value ${JSON.stringify(readUtf8String(bytes, start, Math.min(end, start + 64)))}`;
}

function twice(name: KinesisTagName): string {
  return `${name} appears twice with different values`;
}
