import type { Item } from '@aws-sdk/client-mediastore-data';
import type { ObjectEntry, ObjectMetadata } from '../object-store/object-store.js';
import { joinPath } from '../object-store/object-path.js';

/** The header-ish fields MediaStore returns for DescribeObject, GetObject and PutObject. */
export interface MediaStoreObjectHeaders {
  readonly ETag?: string | undefined;
  readonly ContentType?: string | undefined;
  readonly ContentLength?: number | undefined;
  readonly LastModified?: Date | undefined;
  readonly CacheControl?: string | undefined;
}

/** Maps MediaStore object headers to provider-neutral metadata. Pure. */
export function toObjectMetadata(path: string, headers: MediaStoreObjectHeaders): ObjectMetadata {
  return {
    path,
    eTag: headers.ETag,
    contentType: headers.ContentType,
    contentLength: headers.ContentLength,
    lastModified: headers.LastModified,
    cacheControl: headers.CacheControl,
  };
}

/**
 * Maps one ListItems item under `folder` to an entry; `undefined` for an item without a name (never sent by the
 * service, but the SDK types allow it and a nameless entry cannot be addressed).
 */
export function toObjectEntry(folder: string, item: Item): ObjectEntry | undefined {
  if (item.Name === undefined || item.Name === '') return undefined;
  const path = joinPath(folder, item.Name);
  if (item.Type === 'FOLDER') return { kind: 'folder', name: item.Name, path };
  return {
    kind: 'object',
    name: item.Name,
    path,
    eTag: item.ETag,
    contentType: item.ContentType,
    contentLength: item.ContentLength,
    lastModified: item.LastModified,
  };
}
