import { badInput } from '../../core/domain-error.js';

/**
 * How object paths become S3 keys. Every key the gateway reads or writes is `prefix + path`, where `prefix` is the
 * deployment's `S3_PREFIX` (`''` or a key prefix ending with `/`) and `path` has passed `parseObjectPath` /
 * `parseFolderPath` (no `..`, `.` or empty segments, no percent escapes); a tenant's path policy is checked on the
 * path before any call, so a tenant's keys are always under `prefix + <its folders>`.
 */

/** A deployment's key layout in one bucket. */
export interface KeyLayout {
  readonly bucket: string;
  /** `''` or a key prefix ending with `/`. */
  readonly prefix: string;
}

/**
 * Refuses a path S3 would take literally but that could mean something else to a reader of the key, or reach outside
 * the prefix through an S3-compatible store that normalises paths: `.`, `..` or empty segments, a leading slash.
 * Paths that passed `parseObjectPath` never fail here; this keeps the store safe on its own.
 * @throws DomainError `BAD_USER_INPUT`.
 */
function checkPath(path: string): void {
  if (path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw badInput('A path may not contain empty, `.` or `..` segments.');
  }
}

/** The key of the object at `path`. @throws DomainError `BAD_USER_INPUT` for an unsafe path (see checkPath). */
export function keyOf(layout: KeyLayout, path: string): string {
  checkPath(path);
  return `${layout.prefix}${path}`;
}

/**
 * The `Prefix` that lists folder `folder` (`''` = the root) one level deep with `Delimiter: '/'`.
 * @throws DomainError `BAD_USER_INPUT` for an unsafe folder path.
 */
export function listPrefixOf(layout: KeyLayout, folder: string): string {
  if (folder === '') return layout.prefix;
  checkPath(folder);
  return `${layout.prefix}${folder}/`;
}

/**
 * Whether `prefix` is a usable `S3_PREFIX`: empty, or segments of the path alphabet each followed by `/`, so it can
 * never contain `..` or an empty segment.
 */
export function isValidKeyPrefix(prefix: string): boolean {
  return /^(?:[A-Za-z0-9_.\-~=:]+\/)*$/.test(prefix) && !prefix.split('/').some((segment) => segment === '.' || segment === '..');
}
