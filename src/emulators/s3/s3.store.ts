import { createHash, randomBytes } from 'node:crypto';
import { compareKeys, prefixUpperBound } from './s3.keys.js';

/**
 * The buckets of the S3 emulator, in memory: per bucket, objects by key in UTF-8 key order, and the multipart
 * uploads in progress with their parts. Keys are flat strings; "folders" exist only as common prefixes of a
 * delimiter listing.
 */

/** Metadata stored with an object. */
export interface StoredMeta {
  readonly contentType: string;
  readonly cacheControl: string | undefined;
  /** `x-amz-meta-*` headers, names lowercased without the prefix. */
  readonly userMetadata: Readonly<Record<string, string>>;
}

/** A committed object. Its body is never mutated after it is stored. */
export interface StoredObject extends StoredMeta {
  readonly key: string;
  /**
   * The bytes, as the buffers they arrived in (request chunks, or parts), so that storing a large upload never
   * copies it into one more buffer.
   */
  readonly body: readonly Buffer[];
  /** Total length of `body` in bytes. */
  readonly size: number;
  /** Quoted ETag: `"<md5 hex>"` for PutObject, `"<md5 of part md5s>-<parts>"` for a multipart upload. */
  readonly eTag: string;
  /** Emulator clock at commit, epoch milliseconds. */
  readonly lastModifiedMs: number;
}

/** One uploaded part of a multipart upload. */
export interface StoredPart {
  readonly partNumber: number;
  readonly body: readonly Buffer[];
  readonly size: number;
  /** Quoted MD5 of the part. */
  readonly eTag: string;
}

/** A multipart upload in progress. */
export interface MultipartUpload extends StoredMeta {
  readonly uploadId: string;
  readonly key: string;
  readonly initiatedMs: number;
  readonly parts: Map<number, StoredPart>;
}

/** One entry of a delimiter listing, in key order. */
export type ListingEntry = { readonly kind: 'object'; readonly object: StoredObject } | { readonly kind: 'prefix'; readonly prefix: string };

/** Input of {@link Bucket.list}. */
export interface ListRequest {
  readonly prefix: string;
  readonly delimiter: string | undefined;
  /**
   * Entries returned start strictly after `key`; with `rolledUp` (resuming after a common prefix a page ended
   * with) every key under that prefix is skipped as well.
   */
  readonly after: { readonly key: string; readonly rolledUp: boolean } | undefined;
  readonly maxKeys: number;
}

/** Quoted lowercase hex MD5 of the concatenation of `body`. */
export function md5ETag(body: readonly Buffer[]): string {
  const hash = createHash('md5');
  for (const chunk of body) hash.update(chunk);
  return `"${hash.digest('hex')}"`;
}

/** One bucket. */
export class Bucket {
  private readonly objects = new Map<string, StoredObject>();
  /** Every key, kept sorted with {@link compareKeys} for listings. */
  private readonly keys: string[] = [];
  readonly uploads = new Map<string, MultipartUpload>();

  constructor(
    readonly name: string,
    private readonly now: () => number,
  ) {}

  get objectCount(): number {
    return this.objects.size;
  }

  getObject(key: string): StoredObject | undefined {
    return this.objects.get(key);
  }

  /** Stores `body` at `key`, replacing any object there. The buffers are kept by reference. */
  putObject(key: string, body: readonly Buffer[], meta: StoredMeta, eTag: string = md5ETag(body)): StoredObject {
    const size = body.reduce((total, chunk) => total + chunk.length, 0);
    const object: StoredObject = { ...meta, key, body, size, eTag, lastModifiedMs: this.now() };
    if (!this.objects.has(key)) this.keys.splice(this.lowerBound(key), 0, key);
    this.objects.set(key, object);
    return object;
  }

  /** Removes the object at `key`. @returns whether there was one. */
  deleteObject(key: string): boolean {
    if (!this.objects.delete(key)) return false;
    const index = this.lowerBound(key);
    if (this.keys[index] === key) this.keys.splice(index, 1);
    return true;
  }

  /**
   * One page of a listing: objects whose keys start with `prefix`, those with `delimiter` after the prefix rolled
   * up into one common prefix each, in key order, strictly after `after`; at most `maxKeys` entries (an object and
   * a common prefix count one each). `more` tells whether entries remain after the page.
   */
  list(request: ListRequest): { readonly entries: ListingEntry[]; readonly more: boolean } {
    const entries: ListingEntry[] = [];
    let index = this.lowerBound(request.prefix);
    const after = request.after;
    if (after !== undefined) {
      index = Math.max(index, this.upperBound(after.key));
      if (after.rolledUp) {
        const bound = prefixUpperBound(after.key);
        index = bound === undefined ? this.keys.length : Math.max(index, this.lowerBound(bound));
      }
    }
    while (index < this.keys.length) {
      const key = this.keys[index];
      if (key === undefined || !key.startsWith(request.prefix)) break;
      if (entries.length >= request.maxKeys) return { entries, more: true };
      const cut = request.delimiter === undefined || request.delimiter === '' ? -1 : key.indexOf(request.delimiter, request.prefix.length);
      if (cut === -1) {
        const object = this.objects.get(key);
        if (object !== undefined) entries.push({ kind: 'object', object });
        index += 1;
        continue;
      }
      const common = key.slice(0, cut + (request.delimiter?.length ?? 0));
      entries.push({ kind: 'prefix', prefix: common });
      const bound = prefixUpperBound(common);
      index = bound === undefined ? this.keys.length : this.lowerBound(bound);
    }
    return { entries, more: false };
  }

  /** Starts a multipart upload of `key`. */
  createUpload(key: string, meta: StoredMeta): MultipartUpload {
    const upload: MultipartUpload = { ...meta, key, uploadId: randomBytes(24).toString('base64url'), initiatedMs: this.now(), parts: new Map() };
    this.uploads.set(upload.uploadId, upload);
    return upload;
  }

  /** Multipart uploads in progress whose key starts with `prefix`, ordered by key then initiation. */
  listUploads(prefix: string): MultipartUpload[] {
    return [...this.uploads.values()]
      .filter((upload) => upload.key.startsWith(prefix))
      .sort((a, b) => compareKeys(a.key, b.key) || a.initiatedMs - b.initiatedMs);
  }

  /** First index whose key is >= `key`. */
  private lowerBound(key: string): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareKeys(this.keys[middle] ?? '', key) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  /** First index whose key is > `key`. */
  private upperBound(key: string): number {
    let low = 0;
    let high = this.keys.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareKeys(this.keys[middle] ?? '', key) <= 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}

/**
 * The ETag S3 gives an object assembled from parts: the MD5 of the concatenated binary MD5s of the parts,
 * followed by `-` and the number of parts, quoted.
 */
export function multipartETag(parts: readonly StoredPart[]): string {
  const digests = parts.map((part) => Buffer.from(part.eTag.replace(/"/g, ''), 'hex'));
  return `"${createHash('md5').update(Buffer.concat(digests)).digest('hex')}-${parts.length}"`;
}
