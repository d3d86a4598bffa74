import { describe, expect, it } from 'vitest';
import { decodeEntry, decodeStatus, encodePayload, LogEntryError } from '../../../../src/live/fleet/log-entry.js';
import type { Fragment } from '../../../../src/mkv/fragment.type.js';

const FRAGMENT: Fragment & { readonly fragmentNumber: string } = {
  sequence: 4,
  byteOffset: 1024,
  byteLength: 2048,
  fragmentNumber: '91343852333181432392682062607743920146264661112',
  serverTimestamp: 1_700_000_000_123,
  producerTimestamp: 1_700_000_000_100,
  millisBehindNow: 12,
  continuationToken: '91343852333181432392682062607743920146264661112',
  errorCode: null,
  errorId: null,
  timecodeScale: 1_000_000,
  clusterTimecode: 1_700_000_000_100,
  clusterCount: 1,
  frameCount: 30,
  keyframeCount: 1,
  payloadBytes: 61_440,
  trackStats: [{ trackNumber: 1, frameCount: 30, keyframeCount: 1, payloadBytes: 61_440 }],
  tracks: [{ trackNumber: 1, trackType: 1, codecId: 'V_MPEG4/ISO/AVC', pixelWidth: 1280, pixelHeight: 720, samplingFrequency: null, channels: null }],
  tags: [
    { name: 'DEVICE', value: 'cam-1', binary: null },
    { name: 'BLOB', value: null, binary: new Uint8Array([0, 1, 254, 255]) },
  ],
  complete: true,
};

describe('log entries', () => {
  it('gives back every field subscribers see, binary tags included, when a fragment entry is decoded', () => {
    const entry = decodeEntry('1-0', ['k', 'f', 'n', FRAGMENT.fragmentNumber, 'p', '17', 'd', encodePayload({ kind: 'fragment', fragment: FRAGMENT })]);
    expect(entry).toEqual({ kind: 'fragment', id: '1-0', fragment: FRAGMENT, prev: '17' });
  });

  it('reads an empty predecessor as unknown when the log had no head', () => {
    const entry = decodeEntry('1-0', ['k', 'f', 'n', FRAGMENT.fragmentNumber, 'p', '', 'd', encodePayload({ kind: 'fragment', fragment: FRAGMENT })]);
    expect(entry.kind === 'fragment' && entry.prev).toBeNull();
  });

  it('decodes gaps, statuses, ends and hand-overs as they were appended', () => {
    const gap = { kind: 'gap', reason: 'UPSTREAM_RESET', after: '9', before: '1' } as const;
    const status = { kind: 'status', status: 'RECONNECTING', detail: 'reader failover' } as const;
    const end = { kind: 'end', code: 'UPSTREAM_UNAVAILABLE', message: 'The stream cannot be decrypted with its KMS key.' } as const;
    expect(decodeEntry('2-0', ['k', 'g', 'd', encodePayload(gap)])).toEqual({ ...gap, id: '2-0' });
    expect(decodeEntry('3-0', ['k', 's', 'd', encodePayload(status)])).toEqual({ ...status, id: '3-0' });
    expect(decodeEntry('4-0', ['k', 'e', 'd', encodePayload(end)])).toEqual({ ...end, id: '4-0' });
    expect(decodeEntry('5-0', ['k', 'h'])).toEqual({ kind: 'handover', id: '5-0' });
    expect(decodeStatus(encodePayload(status))).toEqual({ status: 'RECONNECTING', detail: 'reader failover' });
    expect(decodeStatus(null)).toBeUndefined();
  });

  it('refuses entries of another version, unknown kinds and a fragment number that disagrees with the payload', () => {
    const payload = encodePayload({ kind: 'fragment', fragment: FRAGMENT });
    expect(() => decodeEntry('1-0', ['k', 'f', 'n', '1', 'd', payload])).toThrow(LogEntryError);
    expect(() => decodeEntry('1-0', ['k', 'x', 'd', payload])).toThrow(LogEntryError);
    expect(() => decodeEntry('1-0', ['k', 's', 'd', JSON.stringify({ v: 99, status: 'CONNECTED' })])).toThrow(LogEntryError);
    expect(() => decodeEntry('1-0', ['k', 's', 'd', 'not json'])).toThrow(LogEntryError);
    expect(() => decodeEntry('1-0', ['k', 'g', 'd', JSON.stringify({ v: 1, reason: 'BOGUS' })])).toThrow(LogEntryError);
    expect(() => decodeEntry('1-0', ['k', 'e', 'd', JSON.stringify({ v: 1, code: 'NOPE' })])).toThrow(LogEntryError);
  });
});
