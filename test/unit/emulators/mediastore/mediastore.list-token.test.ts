import { describe, expect, it } from 'vitest';
import { ListTokenCodec } from '../../../../src/emulators/mediastore/mediastore.list-token.js';

const cursor = { folder: 'vod/show', afterName: 'seg-1.ts', afterType: 'OBJECT' } as const;

describe('ListTokenCodec', () => {
  it('returns the cursor when a fresh token is read for its folder', () => {
    let now = 1000;
    const codec = new ListTokenCodec(60_000, () => now);
    const token = codec.issue(cursor);
    now += 59_999;
    expect(codec.read(token, 'vod/show')).toEqual({ ok: true, cursor });
  });

  it('reports expired when the token is as old as the TTL', () => {
    let now = 0;
    const codec = new ListTokenCodec(60_000, () => now);
    const token = codec.issue(cursor);
    now = 60_000;
    expect(codec.read(token, 'vod/show')).toEqual({ ok: false, rejection: 'expired' });
  });

  it('reports invalid when the token is read for another folder', () => {
    const codec = new ListTokenCodec(60_000, () => 0);
    expect(codec.read(codec.issue(cursor), 'vod')).toEqual({ ok: false, rejection: 'invalid' });
  });

  it('reports invalid when the token comes from another codec instance', () => {
    const issuer = new ListTokenCodec(60_000, () => 0);
    const reader = new ListTokenCodec(60_000, () => 0);
    expect(reader.read(issuer.issue(cursor), 'vod/show')).toEqual({ ok: false, rejection: 'invalid' });
  });

  it('reports invalid when the payload or signature is altered or malformed', () => {
    const codec = new ListTokenCodec(60_000, () => 0);
    const token = codec.issue(cursor);
    const [body = '', signature = ''] = token.split('.');
    const forgedBody = Buffer.from(JSON.stringify({ v: 1, f: 'vod/show', n: 'z', t: 'OBJECT', i: 0 })).toString('base64url');
    for (const candidate of [`${forgedBody}.${signature}`, `${body}.`, body, `${token}.x`, '', '.', 'x.y']) {
      expect(codec.read(candidate, 'vod/show')).toEqual({ ok: false, rejection: 'invalid' });
    }
  });
});
