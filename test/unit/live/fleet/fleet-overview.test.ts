import { describe, expect, it } from 'vitest';
import { decodeFailover, FailoverEntryError } from '../../../../src/live/fleet/failover-log.js';
import { parseFleetView, parseLease, parseStreamCoordination } from '../../../../src/live/fleet/fleet-overview.js';
import { QUARANTINE } from '../../../../src/live/fleet/fleet-scripts.js';
import { encodePayload } from '../../../../src/live/fleet/log-entry.js';

const FAILOVER = JSON.stringify({ v: 1, stream: 'cam', from: 'a', to: 'b', token: '1733450000000002', cause: 'EXPIRED', at: 1_733_450_000_123 });

describe('parseLease', () => {
  it('splits holder and fencing token at the last bar when the lease is held', () => {
    expect(parseLease('host-1-abc|1733450000000001')).toEqual({ holder: 'host-1-abc', fencingToken: '1733450000000001' });
  });

  it('reports no lease when it is free or quarantined after Redis lost its data', () => {
    expect(parseLease(null)).toBeUndefined();
    expect(parseLease('')).toBeUndefined();
    expect(parseLease(QUARANTINE)).toBeUndefined();
  });
});

describe('parseStreamCoordination', () => {
  it('reports the holder and its last status when the stream is read', () => {
    const status = encodePayload({ kind: 'status', status: 'THROTTLED', detail: 'connection limit' });
    expect(parseStreamCoordination('a|7', status, null)).toEqual({ lease: { holder: 'a', fencingToken: '7' }, state: { status: 'THROTTLED', detail: 'connection limit' } });
  });

  it('reports ENDED with the error code while a stream that failed for good cools down', () => {
    const ended = encodePayload({ kind: 'end', code: 'UPSTREAM_FORBIDDEN', message: 'KMS' });
    const status = encodePayload({ kind: 'status', status: 'CONNECTED', detail: null });
    expect(parseStreamCoordination(null, status, ended)).toEqual({ lease: undefined, state: { status: 'ENDED', detail: 'UPSTREAM_FORBIDDEN' } });
  });

  it('reports no state when the holder has not reported one', () => {
    expect(parseStreamCoordination('a|7', null, null).state).toBeUndefined();
  });
});

describe('decodeFailover', () => {
  it('decodes an entry the failover script wrote', () => {
    expect(decodeFailover(FAILOVER)).toEqual({ stream: 'cam', from: 'a', to: 'b', fencingToken: '1733450000000002', cause: 'EXPIRED', at: 1_733_450_000_123 });
  });

  it('refuses an entry of another version, with an unknown cause, or not JSON', () => {
    expect(() => decodeFailover(FAILOVER.replace('"v":1', '"v":2'))).toThrow(FailoverEntryError);
    expect(() => decodeFailover(FAILOVER.replace('EXPIRED', 'LOST'))).toThrow(FailoverEntryError);
    expect(() => decodeFailover('{')).toThrow(FailoverEntryError);
  });
});

describe('parseFleetView', () => {
  it('lists instances by id with liveness from the server time, held counts and activity when the reply is complete', () => {
    const { overview, unreadable } = parseFleetView([
      '5000',
      ['b', '9000', 'a', '4000'],
      ['a', '2', 'b', '0'],
      ['b', '3|4500', 'a', '1|1000'],
      [FAILOVER],
    ]);
    expect(overview.instances).toEqual([
      { id: 'a', alive: false, lastSeenAt: 1_000, expiresAt: 4_000, leasesHeld: 2, streamsWatched: 1 },
      { id: 'b', alive: true, lastSeenAt: 4_500, expiresAt: 9_000, leasesHeld: 0, streamsWatched: 3 },
    ]);
    expect(overview.failovers.map((failover) => failover.to)).toEqual(['b']);
    expect(unreadable).toEqual([]);
  });

  it('leaves activity unknown for an instance that did not record it, and sets aside unreadable failovers', () => {
    const { overview, unreadable } = parseFleetView(['5000', ['old', '9000'], ['old', '1'], [], ['not json', FAILOVER]]);
    expect(overview.instances).toEqual([{ id: 'old', alive: true, lastSeenAt: undefined, expiresAt: 9_000, leasesHeld: 1, streamsWatched: undefined }]);
    expect(overview.failovers).toHaveLength(1);
    expect(unreadable).toHaveLength(1);
  });

  it('throws when the reply does not have the script\'s shape', () => {
    expect(() => parseFleetView(['5000'])).toThrow(Error);
  });
});
