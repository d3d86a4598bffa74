import { describe, expect, it } from 'vitest';
import { OBJECTS_ROUTE, UrlSigner, encodePath, type UploadGrant } from '../../../src/auth/signed-url.js';

const KEY = Buffer.alloc(32, 3);
const BASE = 'https://media.example.test';
const START = Date.UTC(2025, 0, 15, 12, 0, 0);

function signerAt(clock: { now: number }, key: Buffer = KEY): UrlSigner {
  return new UrlSigner(key, () => BASE, () => clock.now);
}

/** The path and query a byte endpoint would see for `url`. */
function split(url: string): { path: string; query: URLSearchParams } {
  const parsed = new URL(url);
  const encoded = parsed.pathname.slice(OBJECTS_ROUTE.length);
  return { path: encoded.split('/').map(decodeURIComponent).join('/'), query: parsed.searchParams };
}

function code(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

const GRANT: UploadGrant = { contentType: 'video/mp2t', cacheControl: 'max-age=60', uploadAvailability: 'STANDARD' };

describe('UrlSigner', () => {
  it('verifies a download URL when it is used for its path before it expires', () => {
    const clock = { now: START };
    const signer = signerAt(clock);
    const signed = signer.download('vod/show/a=b.ts', 300);
    expect(signed.url.startsWith(`${BASE}${OBJECTS_ROUTE}vod/show/a%3Db.ts?`)).toBe(true);
    expect(signed.expiresAt).toEqual(new Date(START + 300_000));
    const { path, query } = split(signed.url);
    expect(path).toBe('vod/show/a=b.ts');
    expect(() => signer.verifyDownload(path, query)).not.toThrow();
  });

  it('returns the signed grant when an upload URL is verified for its path', () => {
    const clock = { now: START };
    const signer = signerAt(clock);
    const { path, query } = split(signer.upload('live/seg.ts', GRANT, 60).url);
    expect(signer.verifyUpload(path, query)).toEqual({ ...GRANT, tenant: '*' });
  });

  it('returns a grant without content type or cache control when the URL was issued without them', () => {
    const signer = signerAt({ now: START });
    const grant: UploadGrant = { contentType: undefined, cacheControl: undefined, uploadAvailability: 'STREAMING' };
    const { path, query } = split(signer.upload('live/seg.ts', grant, 60).url);
    expect(signer.verifyUpload(path, query)).toEqual({ ...grant, tenant: '*' });
  });

  it('accepts the URL until the last millisecond and refuses it with FORBIDDEN from the expiry on', () => {
    const clock = { now: START };
    const signer = signerAt(clock);
    const { path, query } = split(signer.download('a.ts', 10).url);
    clock.now = START + 9_999;
    expect(code(() => signer.verifyDownload(path, query))).toBeUndefined();
    clock.now = START + 10_000;
    expect(code(() => signer.verifyDownload(path, query))).toBe('FORBIDDEN');
    const upload = split(signer.upload('a.ts', GRANT, 10).url);
    clock.now = START + 20_000;
    expect(code(() => signer.verifyUpload(upload.path, upload.query))).toBe('FORBIDDEN');
  });

  it('throws FORBIDDEN when the URL is used for another path', () => {
    const signer = signerAt({ now: START });
    const { query } = split(signer.download('vod/a.ts', 60).url);
    expect(code(() => signer.verifyDownload('vod/b.ts', query))).toBe('FORBIDDEN');
    expect(code(() => signer.verifyDownload('vod/a.tsx', query))).toBe('FORBIDDEN');
    const upload = split(signer.upload('vod/a.ts', GRANT, 60).url);
    expect(code(() => signer.verifyUpload('vod/other.ts', upload.query))).toBe('FORBIDDEN');
  });

  it('throws FORBIDDEN when the expiry is pushed back', () => {
    const signer = signerAt({ now: START });
    const { path, query } = split(signer.download('a.ts', 60).url);
    query.set('X-MG-Expires', String(Number(query.get('X-MG-Expires')) + 3600));
    expect(code(() => signer.verifyDownload(path, query))).toBe('FORBIDDEN');
    for (const bad of ['', 'soon', '-1', '1e12', '9999999999999']) {
      query.set('X-MG-Expires', bad);
      expect(code(() => signer.verifyDownload(path, query))).toBe('FORBIDDEN');
    }
  });

  it('throws FORBIDDEN when any part of the upload grant is changed, added or removed', () => {
    const signer = signerAt({ now: START });
    const { path, query } = split(signer.upload('a.ts', GRANT, 60).url);
    const tampered: Array<(q: URLSearchParams) => void> = [
      (q) => q.set('X-MG-Content-Type', 'text/html'),
      (q) => q.set('X-MG-Cache-Control', 'max-age=31536000'),
      (q) => q.set('X-MG-Upload-Availability', 'STREAMING'),
      (q) => q.set('X-MG-Upload-Availability', 'standard'),
      (q) => q.delete('X-MG-Content-Type'),
      (q) => q.delete('X-MG-Cache-Control'),
      (q) => q.delete('X-MG-Upload-Availability'),
    ];
    for (const change of tampered) {
      const copy = new URLSearchParams(query);
      change(copy);
      expect(code(() => signer.verifyUpload(path, copy))).toBe('FORBIDDEN');
    }
  });

  it('throws FORBIDDEN when an empty grant parameter is added to a URL issued without it', () => {
    const signer = signerAt({ now: START });
    const grant: UploadGrant = { contentType: undefined, cacheControl: undefined, uploadAvailability: 'STANDARD' };
    const { path, query } = split(signer.upload('a.ts', grant, 60).url);
    for (const name of ['X-MG-Content-Type', 'X-MG-Cache-Control']) {
      const copy = new URLSearchParams(query);
      copy.set(name, '');
      expect(code(() => signer.verifyUpload(path, copy))).toBe('FORBIDDEN');
    }
  });

  it('throws FORBIDDEN when the signature is changed in any character or re-encoded', () => {
    const signer = signerAt({ now: START });
    const { path, query } = split(signer.download('a.ts', 60).url);
    const signature = query.get('X-MG-Signature') ?? '';
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const variants: string[] = [`${signature}=`, `${signature}!`, signature.slice(1), '', 'AAAA'];
    for (let index = 0; index < signature.length; index += 1) {
      for (const replacement of index === signature.length - 1 ? alphabet : alphabet.slice(0, 2)) {
        if (replacement === signature[index]) continue;
        variants.push(`${signature.slice(0, index)}${replacement}${signature.slice(index + 1)}`);
      }
    }
    for (const variant of variants) {
      const copy = new URLSearchParams(query);
      copy.set('X-MG-Signature', variant);
      expect(code(() => signer.verifyDownload(path, copy)), variant).toBe('FORBIDDEN');
    }
  });

  it('throws FORBIDDEN when the URL was signed with another key', () => {
    const clock = { now: START };
    const { path, query } = split(signerAt(clock, Buffer.alloc(32, 4)).download('a.ts', 60).url);
    expect(code(() => signerAt(clock).verifyDownload(path, query))).toBe('FORBIDDEN');
  });

  it('throws FORBIDDEN when a download URL is used to upload or an upload URL to download', () => {
    const signer = signerAt({ now: START });
    const download = split(signer.download('a.ts', 60).url);
    download.query.set('X-MG-Upload-Availability', 'STANDARD');
    expect(code(() => signer.verifyUpload(download.path, download.query))).toBe('FORBIDDEN');
    const upload = split(signer.upload('a.ts', GRANT, 60).url);
    expect(code(() => signer.verifyDownload(upload.path, upload.query))).toBe('FORBIDDEN');
  });

  it('throws UNAUTHENTICATED when the signature or expiry is missing', () => {
    const signer = signerAt({ now: START });
    const { path, query } = split(signer.download('a.ts', 60).url);
    const noSignature = new URLSearchParams(query);
    noSignature.delete('X-MG-Signature');
    const noExpiry = new URLSearchParams(query);
    noExpiry.delete('X-MG-Expires');
    expect(code(() => signer.verifyDownload(path, new URLSearchParams()))).toBe('UNAUTHENTICATED');
    expect(code(() => signer.verifyDownload(path, noSignature))).toBe('UNAUTHENTICATED');
    expect(code(() => signer.verifyDownload(path, noExpiry))).toBe('UNAUTHENTICATED');
    expect(code(() => signer.verifyUpload(path, new URLSearchParams()))).toBe('UNAUTHENTICATED');
  });
});

describe('encodePath', () => {
  it('percent-encodes each segment and keeps the slashes when given a nested path', () => {
    expect(encodePath('vod/a=b:c.ts')).toBe('vod/a%3Db%3Ac.ts');
  });

  it('binds a URL to the tenant it was issued to when the signer is scoped to a tenant', () => {
    const clock = { now: 1_000_000 };
    const signer = signerAt(clock).forTenant('tenant-a');
    const { path, query } = split(signer.download('a/file.ts', 60).url);
    expect(query.get('X-MG-Tenant')).toBe('tenant-a');
    expect(signer.verifyDownload(path, query)).toEqual({ tenant: 'tenant-a' });
    // Claiming another tenant (or none) breaks the signature.
    const forged = new URLSearchParams(query);
    forged.set('X-MG-Tenant', 'tenant-b');
    expect(() => signer.verifyDownload(path, forged)).toThrowError(expect.objectContaining({ code: 'FORBIDDEN' }));
    forged.delete('X-MG-Tenant');
    expect(() => signer.verifyDownload(path, forged)).toThrowError(expect.objectContaining({ code: 'FORBIDDEN' }));
  });
});
