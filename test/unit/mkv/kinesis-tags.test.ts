import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareFragmentNumbers,
  formatKinesisTimestamp,
  isFragmentNumber,
  kinesisTagAt,
  KinesisTag,
  parseKinesisInteger,
  parseKinesisTimestamp,
  parseKinesisUnsigned,
} from '../../../src/mkv/kinesis-tags.js';
import { isSameAscii, TextInterner } from '../../../src/mkv/text-interner.js';

describe('kinesis-tags', () => {
  it('recognises a name when its bytes are a documented Kinesis tag and nothing else', () => {
    for (const name of Object.values(KinesisTag)) {
      const bytes = Buffer.from(`xx${name}yy`);
      expect(kinesisTagAt(bytes, 2, bytes.length - 2)).toBe(name);
    }
    for (const other of ['AWS_KINESISVIDEO_FRAGMENT_NUMBEr', 'AWS_KINESISVIDEO_', 'ENCODER', '', 'BWS_KINESISVIDEO_ERROR_ID']) {
      expect(kinesisTagAt(Buffer.from(other), 0, other.length)).toBeNull();
    }
  });

  it('parses exact epoch milliseconds when given seconds with a fraction and null otherwise', () => {
    expect(parseKinesisTimestamp('1511852109.126')).toBe(1_511_852_109_126);
    expect(parseKinesisTimestamp('0.000')).toBe(0);
    expect(parseKinesisTimestamp('5')).toBe(5000);
    expect(parseKinesisTimestamp('5.1')).toBe(5100);
    expect(parseKinesisTimestamp('5.123999')).toBe(5123);
    for (const bad of ['', '.5', '5.', '-1.000', '1e3', '1,5', ' 1.000', '99999999999999.000', '1.0000000000']) {
      expect(parseKinesisTimestamp(bad), bad).toBeNull();
    }
  });

  it('returns the same milliseconds when a formatted timestamp is parsed back', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8.64e15 }), (ms) => {
        expect(parseKinesisTimestamp(formatKinesisTimestamp(ms))).toBe(ms);
      }),
      { seed: 11, numRuns: 1000 },
    );
    expect(() => formatKinesisTimestamp(-1)).toThrow(RangeError);
  });

  it('returns null when an integer is malformed or outside the safe range', () => {
    expect(parseKinesisUnsigned('15858')).toBe(15858);
    expect(parseKinesisUnsigned('-1')).toBeNull();
    expect(parseKinesisUnsigned('9007199254740992')).toBeNull();
    expect(parseKinesisInteger('-4000')).toBe(-4000);
    expect(parseKinesisInteger('4000')).toBe(4000);
    expect(parseKinesisInteger('-')).toBeNull();
    expect(parseKinesisInteger('')).toBeNull();
  });

  it('orders fragment numbers exactly when they exceed 2^53', () => {
    const a = '91343852333181432392682062607743920146159169392';
    const b = '91343852333181432392682062607743920146159169393';
    expect(compareFragmentNumbers(a, b)).toBe(-1);
    expect(compareFragmentNumbers(b, a)).toBe(1);
    expect(compareFragmentNumbers(a, a)).toBe(0);
    expect(compareFragmentNumbers('9', '10')).toBe(-1);
    expect(isFragmentNumber(a)).toBe(true);
    expect(isFragmentNumber('12a')).toBe(false);
    expect(isFragmentNumber('')).toBe(false);
  });
});

describe('TextInterner', () => {
  it('returns the same string when the next fragment has the same bytes at the same position', () => {
    const interner = new TextInterner();
    const first = Buffer.from('ENCODER');
    const a = interner.text(first, 0, first.length);
    interner.restart();
    const second = Buffer.from('xxENCODER');
    expect(interner.text(second, 2, second.length)).toBe(a);
    interner.restart();
    expect(interner.text(Buffer.from('OTHER'), 0, 5)).toBe('OTHER');
  });

  it('decodes verbatim when the bytes hold NULs or non-ASCII UTF-8', () => {
    const interner = new TextInterner();
    const text = 'durée\0\0';
    const bytes = Buffer.from(text);
    expect(interner.text(bytes, 0, bytes.length)).toBe(text);
    expect(interner.text(new Uint8Array(bytes), 0, bytes.length)).toBe(text);
    expect(isSameAscii('abc', Buffer.from('xabc'), 1, 4)).toBe(true);
    expect(isSameAscii('abd', Buffer.from('xabc'), 1, 4)).toBe(false);
  });
});
