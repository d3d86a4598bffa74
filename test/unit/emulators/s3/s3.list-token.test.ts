import { describe, expect, it } from 'vitest';
import { ContinuationTokens } from '../../../../src/emulators/s3/s3.list-token.js';

const listing = { bucket: 'b', prefix: 'p/', delimiter: '/' };

describe('ContinuationTokens', () => {
  it('reads back the position it issued for the same listing', () => {
    const tokens = new ContinuationTokens();
    const token = tokens.issue({ ...listing, key: 'p/sub/', rolledUp: true });
    expect(tokens.read(token, listing)).toEqual({ ...listing, key: 'p/sub/', rolledUp: true });
  });

  it('refuses a token of another listing, another instance, or a tampered one', () => {
    const tokens = new ContinuationTokens();
    const token = tokens.issue({ ...listing, key: 'p/a', rolledUp: false });
    expect(tokens.read(token, { ...listing, prefix: 'q/' })).toBeUndefined();
    expect(tokens.read(token, { ...listing, delimiter: '' })).toBeUndefined();
    expect(new ContinuationTokens().read(token, listing)).toBeUndefined();
    expect(tokens.read(`x${token}`, listing)).toBeUndefined();
    expect(tokens.read('garbage', listing)).toBeUndefined();
  });
});
