import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CursorCodec, type CursorPosition } from '../../../src/pagination/cursor-codec.js';

const KEY = Buffer.alloc(32, 7);
const LIST = 'objects:mediastore:vod';
const position: CursorPosition = { token: 'provider-token', pageSize: 21, offset: 4, tokenIssuedAt: 1_700_000_000_000 };

function expectInvalid(codec: CursorCodec, listKey: string, cursor: string): void {
  expect(() => codec.decode(listKey, cursor)).toThrowError(expect.objectContaining({ code: 'CURSOR_INVALID' }));
}

/** Rebuilds a cursor with another JSON body and the original MAC. */
function withBody(cursor: string, json: string): string {
  const mac = cursor.slice(cursor.indexOf('.') + 1);
  return `${Buffer.from(json, 'utf8').toString('base64url')}.${mac}`;
}

describe('CursorCodec', () => {
  it('returns the encoded position when a cursor is decoded for its own list', () => {
    const codec = new CursorCodec(KEY);
    expect(codec.decode(LIST, codec.encode(LIST, position))).toEqual(position);
  });

  it('round-trips the first page position when the token is null', () => {
    const codec = new CursorCodec(KEY);
    const first: CursorPosition = { token: null, pageSize: 1000, offset: 0, tokenIssuedAt: 0 };
    expect(codec.decode(LIST, codec.encode(LIST, first))).toEqual(first);
  });

  it('produces an opaque url-safe string when encoding', () => {
    const cursor = new CursorCodec(KEY).encode(LIST, position);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
  });

  it('accepts a cursor when another codec holds the same key', () => {
    const cursor = new CursorCodec(KEY).encode(LIST, position);
    expect(new CursorCodec(Buffer.from(KEY)).decode(LIST, cursor)).toEqual(position);
  });

  it('throws CURSOR_INVALID when the cursor was issued for another list', () => {
    const codec = new CursorCodec(KEY);
    const cursor = codec.encode(LIST, position);
    expectInvalid(codec, 'objects:mediastore:vod/other', cursor);
    expectInvalid(codec, 'objects:mediastore:', cursor);
  });

  it('throws CURSOR_INVALID when the cursor was signed with another key', () => {
    const cursor = new CursorCodec(Buffer.alloc(32, 8)).encode(LIST, position);
    expectInvalid(new CursorCodec(KEY), LIST, cursor);
  });

  it('throws CURSOR_INVALID when the body is tampered with', () => {
    const codec = new CursorCodec(KEY);
    const cursor = codec.encode(LIST, position);
    expectInvalid(codec, LIST, withBody(cursor, JSON.stringify([1, 'provider-token', 21, 5, 1_700_000_000_000])));
    expectInvalid(codec, LIST, withBody(cursor, JSON.stringify([1, 'other-token', 21, 4, 1_700_000_000_000])));
    expectInvalid(codec, LIST, withBody(cursor, JSON.stringify([1, 'provider-token', 21, 4, Date.now()])));
  });

  it('throws CURSOR_INVALID when any character of the body or MAC is changed', () => {
    const codec = new CursorCodec(KEY);
    const cursor = codec.encode(LIST, position);
    for (let index = 0; index < cursor.length; index += 1) {
      if (cursor[index] === '.') continue;
      const replacement = cursor[index] === 'A' ? 'B' : 'A';
      expectInvalid(codec, LIST, `${cursor.slice(0, index)}${replacement}${cursor.slice(index + 1)}`);
    }
  });

  it('throws CURSOR_INVALID when the last MAC character differs only in its unused low bits', () => {
    const codec = new CursorCodec(KEY);
    const cursor = codec.encode(LIST, position);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (const replacement of alphabet) {
      if (replacement === cursor.at(-1)) continue;
      expectInvalid(codec, LIST, `${cursor.slice(0, -1)}${replacement}`);
    }
  });

  it('throws CURSOR_INVALID when a valid cursor is re-encoded in a non-canonical form', () => {
    const codec = new CursorCodec(KEY);
    const cursor = codec.encode(LIST, position);
    // Node's base64 decoder skips padding, whitespace and foreign characters; a cursor has exactly one spelling.
    for (const variant of [`${cursor}=`, `${cursor}==`, `${cursor}!`, ` ${cursor}`, cursor.replace('.', '.\n'), `${cursor.slice(0, 4)}+${cursor.slice(4)}`]) {
      expectInvalid(codec, LIST, variant);
    }
  });

  it('throws CURSOR_INVALID when the string is malformed', () => {
    const codec = new CursorCodec(KEY);
    const cursor = codec.encode(LIST, position);
    const [body = '', mac = ''] = cursor.split('.');
    for (const candidate of ['', '.', 'abc', `.${mac}`, `${body}.`, `${body}`, `${cursor}.${mac}`, 'not a cursor', '🙂.🙂', '\u0000.\u0000']) {
      expectInvalid(codec, LIST, candidate);
    }
  });

  it('throws CURSOR_INVALID when another tenant presents the cursor (S14)', () => {
    const position = { token: 't', pageSize: 10, offset: 3, tokenIssuedAt: 5 };
    const cursor = new CursorCodec(KEY).forTenant('tenant-a').encode(LIST, position);
    expect(new CursorCodec(KEY).forTenant('tenant-a').decode(LIST, cursor)).toEqual(position);
    for (const codec of [new CursorCodec(KEY).forTenant('tenant-b'), new CursorCodec(KEY)]) {
      expect(() => codec.decode(LIST, cursor)).toThrowError(expect.objectContaining({ code: 'CURSOR_INVALID' }));
    }
  });

  it('throws CURSOR_INVALID when a correctly signed body is not a valid position', () => {
    const codec = new CursorCodec(KEY);
    // Bodies signed with the real key, following the documented construction, so only the shape check can refuse them.
    const sign = (json: string): string => {
      const body = Buffer.from(json, 'utf8');
      return `${body.toString('base64url')}.${createMac(body)}`;
    };
    for (const json of [
      'null',
      '{}',
      '[]',
      'not json',
      JSON.stringify([2, 't', 10, 0, 0]),
      JSON.stringify([1, 't', 10, 0]),
      JSON.stringify([1, 5, 10, 0, 0]),
      JSON.stringify([1, 't', 0, 0, 0]),
      JSON.stringify([1, 't', 10, -1, 0]),
      JSON.stringify([1, 't', 10, 1.5, 0]),
      JSON.stringify([1, 't', 10, 0, -5]),
      JSON.stringify([1, 't', '10', 0, 0]),
      JSON.stringify([1, 't', 2 ** 60, 0, 0]),
    ]) {
      expectInvalid(codec, LIST, sign(json));
    }
    // Control: the same construction over a valid body is accepted, so the rejections above are about shape.
    expect(codec.decode(LIST, sign(JSON.stringify([1, 't', 10, 0, 0])))).toEqual({ token: 't', pageSize: 10, offset: 0, tokenIssuedAt: 0 });
  });

  it('throws CURSOR_INVALID when the cursor is longer than 4096 characters', () => {
    const codec = new CursorCodec(KEY);
    const huge: CursorPosition = { ...position, token: 'x'.repeat(5000) };
    expectInvalid(codec, LIST, codec.encode(LIST, huge));
    expectInvalid(codec, LIST, `${'A'.repeat(1_000_000)}.${'A'.repeat(22)}`);
  });
});

/** HMAC-SHA256(key, listKey NUL body) truncated to 16 bytes, as documented on {@link CursorCodec}. */
function createMac(body: Buffer): string {
  return createHmac('sha256', KEY).update('*').update('\0').update(LIST).update('\0').update(body).digest().subarray(0, 16).toString('base64url');
}
