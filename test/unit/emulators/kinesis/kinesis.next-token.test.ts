import { describe, expect, it } from 'vitest';
import {
  decodeFragmentsToken,
  decodeStreamsToken,
  encodeFragmentsToken,
  encodeStreamsToken,
} from '../../../../src/emulators/kinesis/kinesis.next-token.js';

describe('kinesis next tokens', () => {
  it('round-trips a ListStreams cursor within the documented alphabet', () => {
    const token = encodeStreamsToken({ after: 'cam-7', prefix: 'cam-' });
    expect(token).toMatch(/^[a-zA-Z0-9+/=]+$/);
    expect(decodeStreamsToken(token)).toEqual({ after: 'cam-7', prefix: 'cam-' });
  });

  it('round-trips a ListFragments cursor with and without a selector', () => {
    const selector = { type: 'PRODUCER_TIMESTAMP', start: 1000, end: 2000 } as const;
    const withSelector = encodeFragmentsToken({ stream: 's', after: '913438523331814323926820626077', selector });
    expect(withSelector).toMatch(/^[a-zA-Z0-9_.-]+$/);
    expect(decodeFragmentsToken(withSelector)).toEqual({ stream: 's', after: '913438523331814323926820626077', selector });
    expect(decodeFragmentsToken(encodeFragmentsToken({ stream: 's', after: '1', selector: undefined })).selector).toBeUndefined();
  });

  it.each(['', 'not base64!', Buffer.from('[1,2]').toString('base64'), Buffer.from('{"k":"fragments"}').toString('base64')])(
    'rejects %j with InvalidArgumentException',
    (token) => {
      expect(() => decodeStreamsToken(token)).toThrow(expect.objectContaining({ type: 'InvalidArgumentException' }));
      expect(() => decodeFragmentsToken(token)).toThrow(expect.objectContaining({ type: 'InvalidArgumentException' }));
    },
  );

  it('rejects a token of the other operation', () => {
    const streams = encodeStreamsToken({ after: 'a', prefix: '' });
    const fragments = encodeFragmentsToken({ stream: 'a', after: '1', selector: undefined });
    expect(() => decodeFragmentsToken(streams.replace(/=+$/, ''))).toThrow(expect.objectContaining({ type: 'InvalidArgumentException' }));
    expect(() => decodeStreamsToken(fragments)).toThrow(expect.objectContaining({ type: 'InvalidArgumentException' }));
  });
});
