import { createHmac, timingSafeEqual } from 'node:crypto';
import type { UploadAvailability } from '../datasources/object-store/object-store.js';
import { DomainError } from '../core/domain-error.js';

/** What an upload URL allows; all of it is covered by the signature. */
export interface UploadGrant {
  readonly contentType: string | undefined;
  readonly cacheControl: string | undefined;
  readonly uploadAvailability: UploadAvailability;
}

/** A signed URL and when it stops working. */
export interface SignedUrl {
  readonly url: string;
  readonly expiresAt: Date;
}

/** The byte endpoint's path prefix. */
export const OBJECTS_ROUTE = '/objects/';

const Q_EXPIRES = 'X-MG-Expires';
const Q_SIGNATURE = 'X-MG-Signature';
const Q_CONTENT_TYPE = 'X-MG-Content-Type';
const Q_CACHE_CONTROL = 'X-MG-Cache-Control';
const Q_AVAILABILITY = 'X-MG-Upload-Availability';
const Q_TENANT = 'X-MG-Tenant';
const ALL_TENANTS = '*';

/**
 * True when `query` carries any part of a URL signature (`X-MG-Expires` or `X-MG-Signature`). The byte endpoint
 * then holds the request to the signature alone, so an incomplete or altered signature is refused rather than
 * quietly falling back to the caller's credentials.
 */
export function carriesSignature(query: URLSearchParams): boolean {
  return query.has(Q_EXPIRES) || query.has(Q_SIGNATURE);
}

/**
 * Issues and verifies short-lived signed URLs for the byte endpoints. A download URL is good for GET and HEAD
 * of one path; an upload URL for one PUT of one path with the content type, cache control and availability it
 * was issued for. Signatures are HMAC-SHA256 over method class, tenant, path, expiry and grant, keyed by the URL
 * key. A URL names the tenant it was issued to (`X-MG-Tenant`, absent for callers that reach every tenant), so
 * the byte endpoint can hold the URL to that tenant's policy and refuse it to an authenticated caller of
 * another tenant.
 */
export class UrlSigner {
  constructor(
    private readonly key: Buffer,
    private readonly baseUrl: () => string,
    private readonly now: () => number = Date.now,
    private readonly tenant: string = ALL_TENANTS,
  ) {}

  /** The same signer issuing URLs bound to `tenant`. */
  forTenant(tenant: string): UrlSigner {
    return tenant === this.tenant ? this : new UrlSigner(this.key, this.baseUrl, this.now, tenant);
  }

  /** A download URL for `path`, valid for `ttlSeconds`. */
  download(path: string, ttlSeconds: number): SignedUrl {
    const expires = Math.floor(this.now() / 1000) + ttlSeconds;
    const signature = this.sign(['read', this.tenant, path, String(expires)]);
    const query = new URLSearchParams({ [Q_EXPIRES]: String(expires) });
    if (this.tenant !== ALL_TENANTS) query.set(Q_TENANT, this.tenant);
    query.set(Q_SIGNATURE, signature);
    return { url: `${this.baseUrl()}${OBJECTS_ROUTE}${encodePath(path)}?${query.toString()}`, expiresAt: new Date(expires * 1000) };
  }

  /** An upload URL for `path` carrying `grant`, valid for `ttlSeconds`. */
  upload(path: string, grant: UploadGrant, ttlSeconds: number): SignedUrl {
    const expires = Math.floor(this.now() / 1000) + ttlSeconds;
    const signature = this.sign(['write', this.tenant, path, String(expires), optional(grant.contentType), optional(grant.cacheControl), grant.uploadAvailability]);
    const query = new URLSearchParams({ [Q_EXPIRES]: String(expires) });
    if (this.tenant !== ALL_TENANTS) query.set(Q_TENANT, this.tenant);
    if (grant.contentType !== undefined) query.set(Q_CONTENT_TYPE, grant.contentType);
    if (grant.cacheControl !== undefined) query.set(Q_CACHE_CONTROL, grant.cacheControl);
    query.set(Q_AVAILABILITY, grant.uploadAvailability);
    query.set(Q_SIGNATURE, signature);
    return { url: `${this.baseUrl()}${OBJECTS_ROUTE}${encodePath(path)}?${query.toString()}`, expiresAt: new Date(expires * 1000) };
  }

  /**
   * Checks a download signature for `path` and returns the tenant the URL was issued to ('*' for every tenant).
   * @throws DomainError `UNAUTHENTICATED` when no signature is present, `FORBIDDEN` when it is wrong or expired.
   */
  verifyDownload(path: string, query: URLSearchParams): { readonly tenant: string } {
    const expires = this.checkExpiry(query);
    const tenant = query.get(Q_TENANT) ?? ALL_TENANTS;
    this.checkSignature(query, ['read', tenant, path, expires]);
    return { tenant };
  }

  /**
   * Checks an upload signature for `path` and returns the grant it carries, with the tenant it was issued to.
   * @throws DomainError `UNAUTHENTICATED` when no signature is present, `FORBIDDEN` when it is wrong or expired.
   */
  verifyUpload(path: string, query: URLSearchParams): UploadGrant & { readonly tenant: string } {
    const expires = this.checkExpiry(query);
    const tenant = query.get(Q_TENANT) ?? ALL_TENANTS;
    const availability = query.get(Q_AVAILABILITY);
    if (availability !== 'STANDARD' && availability !== 'STREAMING') throw forbidden();
    const grant: UploadGrant = {
      contentType: query.get(Q_CONTENT_TYPE) ?? undefined,
      cacheControl: query.get(Q_CACHE_CONTROL) ?? undefined,
      uploadAvailability: availability,
    };
    this.checkSignature(query, ['write', tenant, path, expires, optional(grant.contentType), optional(grant.cacheControl), availability]);
    return { ...grant, tenant };
  }

  private checkExpiry(query: URLSearchParams): string {
    const expires = query.get(Q_EXPIRES);
    if (expires === null || query.get(Q_SIGNATURE) === null) {
      throw new DomainError('UNAUTHENTICATED', 'This endpoint needs a signed URL.');
    }
    if (!/^\d{1,12}$/.test(expires) || Number(expires) * 1000 <= this.now()) throw forbidden();
    return expires;
  }

  private checkSignature(query: URLSearchParams, parts: readonly string[]): void {
    // Compare the text, not decoded bytes: Node's base64 decoder ignores foreign characters, padding and the
    // unused low bits of the last character, so decoding first would accept altered signatures.
    const given = Buffer.from(query.get(Q_SIGNATURE) ?? '', 'utf8');
    const expected = Buffer.from(this.sign(parts), 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw forbidden();
  }

  private sign(parts: readonly string[]): string {
    const mac = createHmac('sha256', this.key);
    for (const part of parts) mac.update(part).update('\0');
    return mac.digest('base64url');
  }
}

/**
 * Signed form of an optional grant field. Absent and empty must sign differently, or an empty parameter could
 * be added to a URL issued without it.
 */
function optional(value: string | undefined): string {
  return value === undefined ? '-' : `=${value}`;
}

function forbidden(): DomainError {
  return new DomainError('FORBIDDEN', 'The signed URL is invalid or has expired.');
}

/** Percent-encodes each segment of a container path for use in a URL path. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}
