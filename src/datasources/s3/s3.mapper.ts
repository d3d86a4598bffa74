import type { CommonPrefix, _Object } from '@aws-sdk/client-s3';
import { quoteETag } from '../../core/http-conditions.js';
import type { ObjectEntry, ObjectMetadata } from '../object-store/object-store.js';

/** The header fields HeadObject and GetObject return that the gateway keeps. */
export interface S3ObjectHeaders {
  readonly ETag?: string | undefined;
  readonly ContentType?: string | undefined;
  readonly ContentLength?: number | undefined;
  readonly LastModified?: Date | undefined;
  readonly CacheControl?: string | undefined;
}

/** Maps HeadObject/GetObject headers of the object at `path` to provider-neutral metadata (ETag quoted). Pure. */
export function toObjectMetadata(path: string, headers: S3ObjectHeaders): ObjectMetadata {
  return {
    path,
    eTag: headers.ETag === undefined ? undefined : quoteETag(headers.ETag),
    contentType: headers.ContentType,
    contentLength: headers.ContentLength,
    lastModified: headers.LastModified,
    cacheControl: headers.CacheControl,
  };
}

/** A name the objects API can address: one path segment, not `.` or `..`. */
function addressable(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/');
}

/**
 * Maps one ListObjectsV2 page of folder `folder` (listed with `Prefix: listPrefix`, `Delimiter: '/'`) to entries in
 * key order: common prefixes become folders, contents objects. Keys that no path can name (the zero-byte "folder
 * marker" some tools store at the prefix itself, `//` runs, `.` and `..` names) are left out. Content types are
 * not in listings; objects from a listing carry none. Pure.
 */
export function toObjectEntries(folder: string, listPrefix: string, contents: readonly _Object[], prefixes: readonly CommonPrefix[]): ObjectEntry[] {
  const base = folder === '' ? '' : `${folder}/`;
  const objects: { key: string; entry: ObjectEntry }[] = [];
  for (const item of contents) {
    const key = item.Key;
    if (key === undefined || !key.startsWith(listPrefix)) continue;
    const name = key.slice(listPrefix.length);
    if (!addressable(name)) continue;
    objects.push({
      key,
      entry: {
        kind: 'object',
        name,
        path: `${base}${name}`,
        eTag: item.ETag === undefined ? undefined : quoteETag(item.ETag),
        contentType: undefined,
        contentLength: item.Size,
        lastModified: item.LastModified,
      },
    });
  }
  const folders: { key: string; entry: ObjectEntry }[] = [];
  for (const item of prefixes) {
    const key = item.Prefix;
    if (key === undefined || !key.startsWith(listPrefix) || !key.endsWith('/')) continue;
    const name = key.slice(listPrefix.length, -1);
    if (!addressable(name)) continue;
    folders.push({ key, entry: { kind: 'folder', name, path: `${base}${name}` } });
  }
  // S3 returns both lists in key order and counts them together against MaxKeys: merging restores that order.
  const merged: ObjectEntry[] = [];
  let o = 0;
  let f = 0;
  while (o < objects.length || f < folders.length) {
    const object = objects[o];
    const folderEntry = folders[f];
    if (folderEntry === undefined || (object !== undefined && object.key < folderEntry.key)) {
      if (object !== undefined) merged.push(object.entry);
      o += 1;
    } else {
      merged.push(folderEntry.entry);
      f += 1;
    }
  }
  return merged;
}
