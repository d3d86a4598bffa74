import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { DomainError } from '../../core/domain-error.js';
import type { DirectRequest, DirectTransfers } from '../object-store/object-store.js';
import { keyOf, type KeyLayout } from './s3.keys.js';

/** Largest object one presigned PUT may upload: S3's single-PUT limit (5 GiB). */
export const S3_MAX_SINGLE_PUT_BYTES = 5 * 1024 * 1024 * 1024;

/** The longest lifetime S3 accepts for a presigned URL (`X-Amz-Expires`), in seconds. */
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

/**
 * Presigned S3 requests for `OBJECT_URLS=direct`. `presigner` must be a client built with
 * `requestChecksumCalculation: 'WHEN_REQUIRED'`: with the SDK's default it would sign the CRC32 of an empty body
 * into every PUT URL, and S3 would refuse every real upload with `BadDigest`. Signing needs the credentials but no
 * upstream call. A URL signed with temporary credentials (a role) stops working when they expire, whichever is first.
 */
export class S3DirectTransfers implements DirectTransfers {
  readonly maxUploadBytes = S3_MAX_SINGLE_PUT_BYTES;

  constructor(
    private readonly presigner: S3Client,
    private readonly layout: KeyLayout,
    private readonly now: () => number = Date.now,
  ) {}

  async download(path: string, ttlSeconds: number): Promise<DirectRequest> {
    const expiresIn = this.lifetime(ttlSeconds);
    const issuedAt = this.now();
    const url = await this.sign(new GetObjectCommand({ Bucket: this.layout.bucket, Key: keyOf(this.layout, path) }), expiresIn, new Set());
    return { url, method: 'GET', headers: [], expiresAt: new Date(issuedAt + expiresIn * 1000) };
  }

  async upload(path: string, grant: { readonly contentType: string | undefined; readonly cacheControl: string | undefined }, ttlSeconds: number): Promise<DirectRequest> {
    const expiresIn = this.lifetime(ttlSeconds);
    const issuedAt = this.now();
    const headers: { name: string; value: string }[] = [];
    if (grant.contentType !== undefined) headers.push({ name: 'Content-Type', value: grant.contentType });
    if (grant.cacheControl !== undefined) headers.push({ name: 'Cache-Control', value: grant.cacheControl });
    const command = new PutObjectCommand({ Bucket: this.layout.bucket, Key: keyOf(this.layout, path), ContentType: grant.contentType, CacheControl: grant.cacheControl });
    // Signing the headers holds the client to what the grant says is stored with the object.
    const url = await this.sign(command, expiresIn, new Set(headers.map((header) => header.name.toLowerCase())));
    return { url, method: 'PUT', headers, expiresAt: new Date(issuedAt + expiresIn * 1000) };
  }

  private lifetime(ttlSeconds: number): number {
    return Math.min(Math.max(1, Math.floor(ttlSeconds)), MAX_PRESIGN_SECONDS);
  }

  private async sign(command: GetObjectCommand | PutObjectCommand, expiresIn: number, signableHeaders: Set<string>): Promise<string> {
    try {
      return await getSignedUrl(this.presigner, command, { expiresIn, signableHeaders });
    } catch (error) {
      // Only the credentials can fail here (none found, or a provider that errs): a deployment problem.
      throw new DomainError('UPSTREAM_UNAVAILABLE', 'The object store cannot sign a direct URL with the configured credentials.', { cause: error });
    }
  }
}
