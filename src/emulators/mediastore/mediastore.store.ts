import { createHash } from 'node:crypto';
import { StreamingUpload } from './mediastore.upload.js';

/**
 * In-memory container of the MediaStore emulator: a folder tree holding objects, plus the STREAMING
 * uploads still in progress.
 *
 * Folders exist only because objects exist beneath them, as in the service: putting `a/b/c.ts` creates
 * `a` and `a/b`; deleting the last object of a folder deletes that folder and every ancestor left empty
 * (user guide, "Folders"). A folder and an object may share a name in the same parent (the API has no
 * rule against it and paths address them unambiguously); listings order such a pair FOLDER first.
 */

/** Metadata stored with an object. */
export interface StoredObjectMeta {
  /** Value served as `Content-Type`. */
  readonly contentType: string;
  /** Value served as `Cache-Control`, when one was given at upload. */
  readonly cacheControl: string | undefined;
}

/** A committed object. The body is never mutated after it is stored. */
export interface StoredObject extends StoredObjectMeta {
  readonly body: Buffer;
  /** Lowercase hex MD5 of the body (the documented ETag pattern is `[0-9A-Fa-f]+`, 1..64 chars). */
  readonly etag: string;
  /** Lowercase hex SHA-256 of the body (PutObject's `ContentSHA256`). */
  readonly sha256: string;
  /** Clock time of the upload, epoch milliseconds. */
  readonly lastModifiedMs: number;
}

/** One entry of a folder listing. */
export type ListedItem =
  | { readonly type: 'FOLDER'; readonly name: string; readonly lastModifiedMs: number }
  | { readonly type: 'OBJECT'; readonly name: string; readonly object: StoredObject };

/** A page of a folder listing. */
export interface ListedPage {
  readonly items: readonly ListedItem[];
  /** Whether items remain after the last one of this page. */
  readonly more: boolean;
}

class FolderNode {
  readonly folders = new Map<string, FolderNode>();
  readonly objects = new Map<string, StoredObject>();
  constructor(public lastModifiedMs: number) {}

  get empty(): boolean {
    return this.folders.size === 0 && this.objects.size === 0;
  }
}

const TYPE_RANK = { FOLDER: 0, OBJECT: 1 } as const;

function compareKeys(aName: string, aType: 'FOLDER' | 'OBJECT', bName: string, bType: 'FOLDER' | 'OBJECT'): number {
  // Plain UTF-16 code-unit order: names are ASCII by the path rules, so this is byte order too.
  if (aName < bName) return -1;
  if (aName > bName) return 1;
  return TYPE_RANK[aType] - TYPE_RANK[bType];
}

/** The folder tree and in-flight streaming uploads of one emulated container. */
export class MediaStoreObjectStore {
  private readonly root = new FolderNode(0);
  private readonly uploads = new Map<string, StreamingUpload>();

  /** @param now clock in epoch milliseconds used for `LastModified`. */
  constructor(private readonly now: () => number) {}

  /**
   * Stores `body` at `segments` (already validated), creating missing folders and replacing any object
   * at that path. The buffer is kept by reference: callers must not modify it afterwards.
   */
  putObject(segments: readonly string[], body: Buffer, meta: StoredObjectMeta): StoredObject {
    const at = this.now();
    const object: StoredObject = {
      body,
      contentType: meta.contentType,
      cacheControl: meta.cacheControl,
      etag: createHash('md5').update(body).digest('hex'),
      sha256: createHash('sha256').update(body).digest('hex'),
      lastModifiedMs: at,
    };
    let folder = this.root;
    folder.lastModifiedMs = at;
    for (const name of segments.slice(0, -1)) {
      let child = folder.folders.get(name);
      if (!child) {
        child = new FolderNode(at);
        folder.folders.set(name, child);
      }
      child.lastModifiedMs = at;
      folder = child;
    }
    folder.objects.set(lastSegment(segments), object);
    return object;
  }

  /** The committed object at `segments`, or `undefined` (also for a folder path). */
  getObject(segments: readonly string[]): StoredObject | undefined {
    return this.folderAt(segments.slice(0, -1))?.objects.get(lastSegment(segments));
  }

  /**
   * Deletes the object at `segments` and prunes folders left empty, bottom-up.
   *
   * @returns `false` when there was no such object (nothing changes then).
   */
  deleteObject(segments: readonly string[]): boolean {
    const chain: FolderNode[] = [this.root];
    for (const name of segments.slice(0, -1)) {
      const next = chain[chain.length - 1]?.folders.get(name);
      if (!next) return false;
      chain.push(next);
    }
    const parent = chain[chain.length - 1];
    if (!parent?.objects.delete(lastSegment(segments))) return false;
    const at = this.now();
    for (let depth = chain.length - 1; depth >= 1; depth -= 1) {
      const node = chain[depth];
      const above = chain[depth - 1];
      const name = segments[depth - 1];
      if (!node || !above || name === undefined) break;
      if (!node.empty) break;
      above.folders.delete(name);
    }
    for (const node of chain) node.lastModifiedMs = at;
    return true;
  }

  /**
   * Lists one folder level, ordered by name (FOLDER before OBJECT on a tie), strictly after `after`.
   * A folder that does not exist, or a path naming an object, lists as empty.
   *
   * @param segments folder path (`[]` = container root).
   * @param after resume key from a NextToken, or `undefined` for the first page.
   * @param limit page size, >= 1.
   */
  listFolder(
    segments: readonly string[],
    after: { readonly name: string; readonly type: 'FOLDER' | 'OBJECT' } | undefined,
    limit: number,
  ): ListedPage {
    const folder = this.folderAt(segments);
    if (!folder) return { items: [], more: false };
    const all: ListedItem[] = [];
    for (const [name, node] of folder.folders) all.push({ type: 'FOLDER', name, lastModifiedMs: node.lastModifiedMs });
    for (const [name, object] of folder.objects) all.push({ type: 'OBJECT', name, object });
    all.sort((a, b) => compareKeys(a.name, a.type, b.name, b.type));
    const from = after ? all.findIndex((item) => compareKeys(item.name, item.type, after.name, after.type) > 0) : 0;
    if (from < 0) return { items: [], more: false };
    const items = all.slice(from, from + limit);
    return { items, more: from + limit < all.length };
  }

  /** Number of committed objects in the whole container. */
  get objectCount(): number {
    let count = 0;
    const stack = [this.root];
    for (let node = stack.pop(); node; node = stack.pop()) {
      count += node.objects.size;
      stack.push(...node.folders.values());
    }
    return count;
  }

  /**
   * Registers a STREAMING upload for `path`, readable at once through `streamingUpload`. A previous
   * upload still open at the same path fails (its readers are cut off), as a newer PUT supersedes it.
   */
  beginStreamingUpload(path: string, meta: StoredObjectMeta): StreamingUpload {
    this.uploads.get(path)?.fail();
    const upload = new StreamingUpload(meta.contentType, meta.cacheControl, this.now());
    this.uploads.set(path, upload);
    return upload;
  }

  /** The open STREAMING upload at `path`, if any. */
  streamingUpload(path: string): StreamingUpload | undefined {
    return this.uploads.get(path);
  }

  /** Forgets `upload` (completed or failed) unless a newer one has replaced it at `path`. */
  endStreamingUpload(path: string, upload: StreamingUpload): void {
    if (this.uploads.get(path) === upload) this.uploads.delete(path);
  }

  /** Fails every open streaming upload (used on shutdown so readers are released). */
  failOpenUploads(): void {
    for (const upload of this.uploads.values()) upload.fail();
    this.uploads.clear();
  }

  private folderAt(segments: readonly string[]): FolderNode | undefined {
    let folder: FolderNode | undefined = this.root;
    for (const name of segments) {
      folder = folder.folders.get(name);
      if (!folder) return undefined;
    }
    return folder;
  }
}

function lastSegment(segments: readonly string[]): string {
  const last = segments[segments.length - 1];
  if (last === undefined) throw new RangeError('an object path needs at least one segment');
  return last;
}
