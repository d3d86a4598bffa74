import { S3WireError } from './s3.errors.js';
import type { S3Operation } from './s3.faults.js';

/**
 * Which bucket, key and operation a request addresses. S3 accepts two addressing styles: path-style
 * (`http://host/bucket/key`, what the SDK sends with `forcePathStyle: true` and for IP-address endpoints) and
 * virtual-hosted style (`http://bucket.host/key`). A Host header is read as virtual-hosted when its first label is
 * followed by `localhost` or by an `s3.` / `s3-` endpoint name; an IP address or plain `localhost` means path-style.
 */

/** How the bucket was named. */
export type Addressing = 'path' | 'virtual-host';

/** A routed request. */
export interface S3Target {
  readonly operation: S3Operation;
  readonly addressing: Addressing;
  /** `''` when the request names no bucket (`GET /`). */
  readonly bucket: string;
  /** The decoded key, `undefined` for bucket operations. */
  readonly key: string | undefined;
  readonly query: URLSearchParams;
  readonly rawQuery: string;
  /** Set when the path cannot be decoded (answered after faults, as S3 would). */
  readonly error: S3WireError | undefined;
}

function virtualHostBucket(host: string | undefined): string | undefined {
  if (host === undefined) return undefined;
  const name = host.replace(/:\d+$/, '').toLowerCase();
  if (name.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(name)) return undefined;
  const dot = name.indexOf('.');
  if (dot <= 0) return undefined;
  const rest = name.slice(dot + 1);
  return rest === 'localhost' || rest.startsWith('s3.') || rest.startsWith('s3-') ? name.slice(0, dot) : undefined;
}

function routeOperation(method: string, key: string | undefined, query: URLSearchParams): S3Operation {
  if (key === undefined) {
    if (method === 'HEAD') return 'HeadBucket';
    if (method === 'GET' && query.has('uploads')) return 'ListMultipartUploads';
    if (method === 'GET' && query.get('list-type') === '2') return 'ListObjectsV2';
    return 'Unknown';
  }
  switch (method) {
    case 'HEAD':
      return 'HeadObject';
    case 'GET':
      return query.has('uploadId') ? 'Unknown' : 'GetObject';
    case 'PUT':
      if (query.has('uploadId') || query.has('partNumber')) return 'UploadPart';
      return 'PutObject';
    case 'POST':
      if (query.has('uploads')) return 'CreateMultipartUpload';
      if (query.has('uploadId')) return 'CompleteMultipartUpload';
      return 'Unknown';
    case 'DELETE':
      return query.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
    default:
      return 'Unknown';
  }
}

/** Routes a request from its method, request-target and Host header. Never throws. */
export function resolveTarget(method: string, url: string, host: string | undefined): S3Target {
  const mark = url.indexOf('?');
  const pathname = mark < 0 ? url : url.slice(0, mark);
  const rawQuery = mark < 0 ? '' : url.slice(mark + 1);
  const query = new URLSearchParams(rawQuery);
  const hosted = virtualHostBucket(host);
  let bucket: string;
  let rawKey: string;
  if (hosted !== undefined) {
    bucket = hosted;
    rawKey = pathname.slice(1);
  } else {
    const rest = pathname.slice(1);
    const slash = rest.indexOf('/');
    bucket = slash === -1 ? rest : rest.slice(0, slash);
    rawKey = slash === -1 ? '' : rest.slice(slash + 1);
  }
  let key: string | undefined;
  let error: S3WireError | undefined;
  try {
    bucket = decodeURIComponent(bucket);
    key = rawKey === '' ? undefined : decodeURIComponent(rawKey);
  } catch {
    // A malformed percent-escape: S3 cannot tell which object is meant.
    key = '';
    error = new S3WireError('InvalidURI', "Couldn't parse the specified URI.");
  }
  const operation = bucket === '' ? 'Unknown' : routeOperation(method, key, query);
  return { operation, addressing: hosted === undefined ? 'path' : 'virtual-host', bucket, key, query, rawQuery, error };
}
