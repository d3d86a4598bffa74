import { describe, expect, it } from 'vitest';
import { toMediaStart } from '../../../../src/resolvers/streams/streams.resolver.js';
import { StreamStartInput, StreamStartTypeEnum } from '../../../../src/resolvers/streams/stream-event.type.js';

/** A `StreamStartInput` as graphql-js hands it to the resolver. */
function input(fields: Partial<StreamStartInput> & { readonly type: StreamStartTypeEnum }): StreamStartInput {
  return Object.assign(new StreamStartInput(), fields);
}

const AT = new Date('2024-05-01T12:34:56.789Z');
const FRAGMENT = '91343852333181432392682062607743920146264';

describe('toMediaStart', () => {
  it('maps every start type to the GetMedia position of the same meaning when the input is valid', () => {
    expect(toMediaStart(input({ type: StreamStartTypeEnum.NOW }))).toEqual({ type: 'NOW' });
    expect(toMediaStart(input({ type: StreamStartTypeEnum.EARLIEST }))).toEqual({ type: 'EARLIEST' });
    expect(toMediaStart(input({ type: StreamStartTypeEnum.FRAGMENT_NUMBER, fragmentNumber: FRAGMENT }))).toEqual({ type: 'FRAGMENT_NUMBER', fragmentNumber: FRAGMENT });
    expect(toMediaStart(input({ type: StreamStartTypeEnum.SERVER_TIMESTAMP, timestamp: AT }))).toEqual({ type: 'SERVER_TIMESTAMP', timestamp: AT });
    expect(toMediaStart(input({ type: StreamStartTypeEnum.PRODUCER_TIMESTAMP, timestamp: AT }))).toEqual({ type: 'PRODUCER_TIMESTAMP', timestamp: AT });
    expect(toMediaStart(input({ type: StreamStartTypeEnum.CONTINUATION_TOKEN, continuationToken: FRAGMENT }))).toEqual({ type: 'CONTINUATION_TOKEN', token: FRAGMENT });
  });

  it('keeps the exact instant of a timestamp start when the time has milliseconds', () => {
    const start = toMediaStart(input({ type: StreamStartTypeEnum.PRODUCER_TIMESTAMP, timestamp: AT }));
    expect(start.type === 'PRODUCER_TIMESTAMP' ? start.timestamp.getTime() : undefined).toBe(Date.UTC(2024, 4, 1, 12, 34, 56, 789));
  });

  it('ignores the fields that belong to other start types when they are given too', () => {
    const all = { fragmentNumber: FRAGMENT, timestamp: AT, continuationToken: 'token-1' };
    expect(toMediaStart(input({ type: StreamStartTypeEnum.EARLIEST, ...all }))).toEqual({ type: 'EARLIEST' });
    expect(toMediaStart(input({ type: StreamStartTypeEnum.SERVER_TIMESTAMP, ...all }))).toEqual({ type: 'SERVER_TIMESTAMP', timestamp: AT });
    expect(toMediaStart(input({ type: StreamStartTypeEnum.CONTINUATION_TOKEN, ...all }))).toEqual({ type: 'CONTINUATION_TOKEN', token: 'token-1' });
  });

  it('starts at NOW when the start is omitted or null', () => {
    expect(toMediaStart(undefined)).toEqual({ type: 'NOW' });
    expect(toMediaStart(null)).toEqual({ type: 'NOW' });
  });

  it('refuses a start without the field its type needs with BAD_USER_INPUT', () => {
    for (const type of [StreamStartTypeEnum.FRAGMENT_NUMBER, StreamStartTypeEnum.SERVER_TIMESTAMP, StreamStartTypeEnum.PRODUCER_TIMESTAMP, StreamStartTypeEnum.CONTINUATION_TOKEN]) {
      expect(() => toMediaStart(input({ type }))).toThrow(expect.objectContaining({ code: 'BAD_USER_INPUT' }) as Error);
    }
    expect(() => toMediaStart(input({ type: StreamStartTypeEnum.CONTINUATION_TOKEN, continuationToken: 'not a token!' }))).toThrow(
      expect.objectContaining({ code: 'BAD_USER_INPUT' }) as Error,
    );
  });
});
