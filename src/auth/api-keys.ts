import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { ConfigError } from '../config.js';
import { DomainError } from '../core/domain-error.js';
import type { Logger } from '../core/logger.js';
import { SCOPES, scopeNamed, type Principal, type Scope } from './principal.js';

/** Prefix of every API key; lets secret scanners recognise leaked keys and lets us reject other strings cheaply. */
export const API_KEY_PREFIX = 'mgk_';

/** `mgk_` followed by 32 random bytes in unpadded base64url (43 characters). */
export const API_KEY_PATTERN = /^mgk_[A-Za-z0-9_-]{43}$/;

/** Allowed API key ids: short, log-safe, and usable as a principal subject. */
export const API_KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const SHA256_HEX = /^[0-9a-fA-F]{64}$/;

const entrySchema = z
  .object({
    id: z.string().regex(API_KEY_ID_PATTERN, 'must be 1-64 characters of letters, digits, ".", "_" or "-", starting with a letter or digit'),
    sha256: z.string().regex(SHA256_HEX, 'must be 64 hexadecimal characters (the SHA-256 of the key)'),
    tenant: z.string().min(1, 'must not be empty'),
    // Deprecated scope names (DEPRECATED_SCOPE_ALIASES) are accepted here and replaced in parseApiKeys.
    scopes: z
      .array(
        z.string().refine((name) => scopeNamed(name) !== undefined, (name) => ({
          message: `unknown scope ${JSON.stringify(name)} (expected one of ${SCOPES.join(', ')})`,
        })),
      )
      .min(1, 'must list at least one scope'),
    description: z.string().optional(),
    expiresAt: z.string().datetime({ offset: true, message: 'must be an ISO-8601 date-time with a time zone' }).optional(),
  })
  .strict();

const fileSchema = z.object({ keys: z.array(entrySchema) }).strict();

/** One entry of the API keys file, as written by operators (and printed by `media-graph api-key create`). */
export interface ApiKeyEntry {
  /** Key id; becomes the principal's subject and `keyId`. */
  readonly id: string;
  /** Lowercase or uppercase hex SHA-256 of the whole key string, `mgk_` prefix included. */
  readonly sha256: string;
  /** Tenant every request made with this key acts for. */
  readonly tenant: string;
  /** Granted scopes. */
  readonly scopes: readonly Scope[];
  /** Free text for operators. */
  readonly description?: string;
  /** ISO-8601 instant after which the key is refused. */
  readonly expiresAt?: string;
}

interface StoredKey {
  readonly digest: Buffer;
  readonly principal: Principal;
}

/**
 * In-memory index of the configured API keys, keyed by SHA-256. Immutable after construction; reload by building
 * a new store.
 */
export class ApiKeyStore {
  private readonly byHash: ReadonlyMap<string, StoredKey>;

  /** @param entries already validated entries (see {@link parseApiKeys}); hashes must be unique. */
  constructor(entries: readonly ApiKeyEntry[]) {
    const byHash = new Map<string, StoredKey>();
    for (const entry of entries) {
      const hex = entry.sha256.toLowerCase();
      byHash.set(hex, {
        digest: Buffer.from(hex, 'hex'),
        principal: Object.freeze({
          kind: 'apiKey',
          subject: entry.id,
          tenant: entry.tenant,
          scopes: new Set(entry.scopes),
          expiresAt: entry.expiresAt === undefined ? undefined : Date.parse(entry.expiresAt),
          keyId: entry.id,
        }),
      });
    }
    this.byHash = byHash;
  }

  /** Number of configured keys. */
  get size(): number {
    return this.byHash.size;
  }

  /**
   * Resolves a presented key to its principal. The returned principal is shared between calls and frozen.
   * @param now current time in epoch milliseconds; a key whose `expiresAt` is at or before it is refused.
   * @throws DomainError `UNAUTHENTICATED` (`details.reason` `API_KEY_INVALID` or `API_KEY_EXPIRED`) when the key is
   *   malformed, unknown or expired; the message never contains the key.
   */
  authenticate(key: string, now: number = Date.now()): Principal {
    // Anything that cannot be a key is refused before hashing, so arbitrary input costs nothing.
    if (!API_KEY_PATTERN.test(key)) throw apiKeyInvalid('The API key is malformed.');
    const digest = createHash('sha256').update(key, 'utf8').digest();
    const stored = this.byHash.get(digest.toString('hex'));
    // The map lookup already matched; the constant-time comparison guards against a future lookup that is not exact.
    if (stored === undefined || !timingSafeEqual(digest, stored.digest)) throw apiKeyInvalid('The API key is not recognised.');
    const { expiresAt } = stored.principal;
    if (expiresAt !== undefined && expiresAt <= now) {
      throw new DomainError('UNAUTHENTICATED', 'The API key has expired.', { details: { reason: 'API_KEY_EXPIRED' } });
    }
    return stored.principal;
  }
}

function apiKeyInvalid(message: string): DomainError {
  return new DomainError('UNAUTHENTICATED', message, { details: { reason: 'API_KEY_INVALID' } });
}

/**
 * Validates a parsed API keys document (`{ "keys": [...] }`) and builds the store. Unknown fields and unknown
 * scopes are errors because the file is written by operators and a typo must not silently grant less or more. A
 * deprecated scope name grants the scope that replaced it, and `logger` gets one warning per key that uses one.
 * @param source file name (or other label) used in error messages.
 * @throws ConfigError naming `source`, the entry index and the field of every problem, including duplicate ids
 *   and duplicate hashes.
 */
export function parseApiKeys(json: unknown, source: string, logger?: Pick<Logger, 'warn'>): ApiKeyStore {
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
    throw new ConfigError(`invalid API keys file ${source}: ${problems.join('; ')}`);
  }
  const entries: readonly ApiKeyEntry[] = parsed.data.keys.map((entry) => {
    const scopes = new Set<Scope>();
    const deprecated: string[] = [];
    for (const name of entry.scopes) {
      const scope = scopeNamed(name);
      if (scope === undefined) continue;
      scopes.add(scope);
      if (scope !== name) deprecated.push(`${name} -> ${scope}`);
    }
    if (deprecated.length > 0) {
      logger?.warn(
        { keyId: entry.id, source, renamed: deprecated },
        `API key ${entry.id} lists deprecated scope names (${deprecated.join(', ')}); they are accepted for one release: use the new names`,
      );
    }
    return { ...entry, scopes: [...scopes] };
  });
  const problems: string[] = [];
  const firstById = new Map<string, number>();
  const firstByHash = new Map<string, number>();
  entries.forEach((entry, index) => {
    const sameId = firstById.get(entry.id);
    if (sameId === undefined) firstById.set(entry.id, index);
    else problems.push(`keys[${index}].id: duplicate id "${entry.id}" (also keys[${sameId}])`);
    const hash = entry.sha256.toLowerCase();
    const sameHash = firstByHash.get(hash);
    if (sameHash === undefined) firstByHash.set(hash, index);
    else problems.push(`keys[${index}].sha256: duplicate hash (also keys[${sameHash}])`);
  });
  if (problems.length > 0) throw new ConfigError(`invalid API keys file ${source}: ${problems.join('; ')}`);
  return new ApiKeyStore(entries);
}

/**
 * Reads and validates the API keys file at `path` (UTF-8 JSON). Read once; the store does not watch the file.
 * `logger` gets the deprecation warnings of {@link parseApiKeys}.
 * @throws ConfigError when the file cannot be read, is not JSON, or fails {@link parseApiKeys}.
 */
export async function loadApiKeys(path: string, logger?: Pick<Logger, 'warn'>): Promise<ApiKeyStore> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigError(`cannot read API keys file ${path}: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError(`invalid API keys file ${path}: not JSON (${cause instanceof Error ? cause.message : String(cause)})`);
  }
  return parseApiKeys(json, path, logger);
}

/**
 * Creates a new random API key (32 bytes from the CSPRNG) and the hex SHA-256 to store in the keys file. The key
 * itself must be shown to its owner once and never stored.
 */
export function generateApiKey(): { key: string; sha256: string } {
  const key = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, sha256: hashApiKey(key) };
}

/** Hex SHA-256 of `key` (the whole string, prefix included), as stored in the keys file. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

function formatPath(path: ReadonlyArray<string | number>): string {
  if (path.length === 0) return '(root)';
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text === '' ? part : `${text}.${part}`), '');
}
