import { badInput } from '../../core/domain-error.js';

/** Most folder levels a path may have above the object name (MediaStore allows 10). */
export const MAX_FOLDER_DEPTH = 10;
/** Longest accepted path, in characters. */
export const MAX_PATH_LENGTH = 900;
/** Longest single path segment, in characters. */
export const MAX_SEGMENT_LENGTH = 255;

// Letters, digits and the punctuation every supported store accepts in a key. Percent signs are excluded on
// purpose: a path is never URL-decoded again downstream, so '%2e%2e' must not be able to mean '..'.
const SEGMENT = /^[A-Za-z0-9_.\-~=:]+$/;

/**
 * Validates and normalises an object path (a file, not a folder): no leading or trailing slash, no empty,
 * `.` or `..` segments, no control characters or percent-escapes, at most {@link MAX_FOLDER_DEPTH} folders.
 * A single leading slash is accepted and removed.
 * @throws DomainError `BAD_USER_INPUT` naming the rule that failed.
 */
export function parseObjectPath(input: string): string {
  const path = input.startsWith('/') ? input.slice(1) : input;
  if (path === '' || path.endsWith('/')) throw badInput('An object path must name an object, not a folder.');
  checkSegments(path, MAX_FOLDER_DEPTH + 1);
  return path;
}

/**
 * Validates and normalises a folder path for listing: '' or '/' is the root; otherwise the same rules as
 * {@link parseObjectPath}, with an optional trailing slash. Returns the folder without leading/trailing slash.
 * @throws DomainError `BAD_USER_INPUT` naming the rule that failed.
 */
export function parseFolderPath(input: string): string {
  if (input === '' || input === '/') return '';
  let path = input.startsWith('/') ? input.slice(1) : input;
  if (path.endsWith('/')) path = path.slice(0, -1);
  // Anything else that strips down to '' (e.g. '//') is an empty segment, refused below, not the root.
  checkSegments(path, MAX_FOLDER_DEPTH);
  return path;
}

function checkSegments(path: string, maxSegments: number): void {
  if (path.length > MAX_PATH_LENGTH) throw badInput(`A path may be at most ${MAX_PATH_LENGTH} characters long.`);
  const segments = path.split('/');
  if (segments.length > maxSegments) {
    throw badInput(`A path may be at most ${MAX_FOLDER_DEPTH} folders deep.`);
  }
  for (const segment of segments) {
    if (segment === '') throw badInput('A path may not contain empty segments (`//`) or start with more than one slash.');
    if (segment === '.' || segment === '..') throw badInput('A path may not contain `.` or `..` segments.');
    if (segment.length > MAX_SEGMENT_LENGTH) {
      throw badInput(`A path segment may be at most ${MAX_SEGMENT_LENGTH} characters long.`);
    }
    if (!SEGMENT.test(segment)) {
      throw badInput('A path segment may contain only letters, digits and `_ . - ~ = :`.');
    }
  }
}

/** The last segment of a path (the object or folder name). */
export function baseName(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? path : path.slice(slash + 1);
}

/** Joins a folder ('' for root) and a name into a container-relative path. */
export function joinPath(folder: string, name: string): string {
  return folder === '' ? name : `${folder}/${name}`;
}
