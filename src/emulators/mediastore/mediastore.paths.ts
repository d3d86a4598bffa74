import { MEDIASTORE_MAX_FOLDER_DEPTH, MEDIASTORE_MAX_PATH_LENGTH } from './mediastore.limits.js';

/**
 * Path rules of the MediaStore Data plane.
 *
 * The API reference gives two patterns (current revision, which added `=` and `:` to the name alphabet):
 *   PathNaming     (objects, 1..900 chars): (?:[A-Za-z0-9_=:\.\-\~]+/){0,10}[A-Za-z0-9_=:\.\-\~]+
 *   ListPathNaming (ListItems, 0..900):     /?(?:[A-Za-z0-9_=:\.\-\~]+/){0,10}(?:[A-Za-z0-9_=:\.\-\~]+)?/?
 * so a path is at most 10 folders plus a file name, no empty segment, no leading slash for objects.
 *
 * One rule is the emulator's own: the segments `.` and `..` are refused although the character class
 * admits them. HTTP intermediaries and URL parsers remove dot segments (RFC 3986 section 5.2.4), so the
 * real service could never have stored an object under them, and silently accepting them here would hide
 * path-traversal bugs in callers.
 */

/** One path segment (folder or file name) as the API reference's character class allows it. */
const SEGMENT = /^[A-Za-z0-9_=:.~-]+$/;

/** A validated object path: the decoded string (no leading slash) and its segments (>= 1). */
export interface MediaStorePath {
  /** The path as stored, e.g. `premium/canada/mlaw.avi`. */
  readonly path: string;
  /** The path split on `/`; the last element is the file name, the others are folders. */
  readonly segments: readonly string[];
}

/** Outcome of validating a path: the path, or a reason phrased for a `ValidationError` message. */
export type PathValidation =
  | { readonly ok: true; readonly value: MediaStorePath }
  | { readonly ok: false; readonly reason: string };

function fail(reason: string): PathValidation {
  return { ok: false, reason };
}

function checkSegments(segments: readonly string[], allowEmptyList: boolean): string | undefined {
  if (segments.length === 0) return allowEmptyList ? undefined : 'Member must have length greater than or equal to 1';
  // Object paths have at most 10 folders + 1 file name; list paths the same count (the optional trailing
  // name in ListPathNaming makes 11 segments legal there too, and such a listing is simply empty).
  if (segments.length > MEDIASTORE_MAX_FOLDER_DEPTH + 1) return 'Member must not be nested deeper than 10 folders';
  for (const segment of segments) {
    if (segment.length === 0) return 'Member must not contain empty folder names';
    if (segment === '.' || segment === '..') return 'Member must not contain dot segments';
    if (!SEGMENT.test(segment)) return 'Member must satisfy regular expression pattern';
  }
  return undefined;
}

/**
 * Validates an object path (PutObject, GetObject, DescribeObject, DeleteObject) in its decoded form.
 *
 * @param path decoded path without the leading slash, e.g. `vod/a.ts`.
 * @returns the path and its segments, or the reason it breaks the documented `PathNaming` rules. Never throws.
 */
export function validateObjectPath(path: string): PathValidation {
  if (path.length === 0) return fail('Member must have length greater than or equal to 1');
  if (path.length > MEDIASTORE_MAX_PATH_LENGTH) return fail('Member must have length less than or equal to 900');
  const segments = path.split('/');
  const problem = checkSegments(segments, false);
  return problem === undefined ? { ok: true, value: { path, segments } } : fail(problem);
}

/**
 * Decodes and validates the request-target path of an object operation as the SDK sends it: a leading
 * `/`, then the greedy `{Path+}` label whose segments are individually percent-encoded (so `=` arrives as
 * `%3D`). Each segment is decoded on its own, so an encoded `%2F` cannot smuggle in a separator.
 *
 * @param rawPathname the URL pathname exactly as received, starting with `/`.
 * @returns the validated path, or a reason (malformed percent-encoding included). Never throws.
 */
export function parseObjectPathname(rawPathname: string): PathValidation {
  const label = rawPathname.startsWith('/') ? rawPathname.slice(1) : rawPathname;
  const decoded: string[] = [];
  for (const raw of label.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch (error: unknown) {
      // URIError is the only way decodeURIComponent fails; it means a malformed %-sequence from the client.
      if (error instanceof URIError) return fail('Member must be a well-formed percent-encoded path');
      throw error;
    }
    // A decoded "/" would change the folder structure; the character class excludes it anyway.
    if (segment.includes('/')) return fail('Member must satisfy regular expression pattern');
    decoded.push(segment);
  }
  return validateObjectPath(decoded.join('/'));
}

/**
 * Validates the `Path` query parameter of ListItems (already decoded from the query string) and
 * normalises it to folder segments: one optional leading and one optional trailing slash are dropped,
 * an absent or empty value means the container root.
 *
 * @param path the decoded query value, or `undefined` when the parameter is absent.
 * @returns the folder path (possibly empty: root), or the reason it breaks `ListPathNaming`. Never throws.
 */
export function validateListPath(path: string | undefined): PathValidation {
  const raw = path ?? '';
  if (raw.length > MEDIASTORE_MAX_PATH_LENGTH) return fail('Member must have length less than or equal to 900');
  let trimmed = raw.startsWith('/') ? raw.slice(1) : raw;
  trimmed = trimmed.endsWith('/') ? trimmed.slice(0, -1) : trimmed;
  const segments = trimmed.length === 0 ? [] : trimmed.split('/');
  const problem = checkSegments(segments, true);
  return problem === undefined ? { ok: true, value: { path: segments.join('/'), segments } } : fail(problem);
}
