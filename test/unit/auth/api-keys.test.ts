import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_KEY_PATTERN, generateApiKey, hashApiKey, loadApiKeys, parseApiKeys, type ApiKeyEntry } from '../../../src/auth/api-keys.js';
import { runApiKey } from '../../../src/cli/api-key.command.js';
import { ConfigError } from '../../../src/config.js';
import { DomainError } from '../../../src/core/domain-error.js';
import { createLogger } from '../../../src/core/logger.js';

function entry(overrides: Partial<ApiKeyEntry> = {}): ApiKeyEntry {
  return { id: 'partner-a', sha256: 'a'.repeat(64), tenant: 'tenant-a', scopes: ['objects:read'], ...overrides };
}

function parseError(json: unknown): ConfigError {
  try {
    parseApiKeys(json, 'keys.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected parseApiKeys to throw');
}

function authError(action: () => unknown, key: string): DomainError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(DomainError);
    const domainError = error as DomainError;
    expect(domainError.code).toBe('UNAUTHENTICATED');
    if (key.length > 0) expect(domainError.message).not.toContain(key);
    return domainError;
  }
  throw new Error('expected authenticate to throw');
}

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.text += chunk.toString('utf8');
    callback();
  }
}

describe('generateApiKey', () => {
  it('returns a key in the mgk_ format with its SHA-256 when called', () => {
    const { key, sha256 } = generateApiKey();
    expect(key).toMatch(API_KEY_PATTERN);
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(sha256).toBe(hashApiKey(key));
  });

  it('returns different keys when called twice', () => {
    expect(generateApiKey().key).not.toBe(generateApiKey().key);
  });
});

describe('parseApiKeys', () => {
  it('returns a store when the file is valid, optional fields included', () => {
    const store = parseApiKeys(
      { keys: [entry(), entry({ id: 'partner-b', sha256: 'B'.repeat(64), description: 'B', expiresAt: '2030-01-01T00:00:00+02:00' })] },
      'keys.json',
    );
    expect(store.size).toBe(2);
  });

  it('returns an empty store when the key list is empty', () => {
    expect(parseApiKeys({ keys: [] }, 'keys.json').size).toBe(0);
  });

  it('throws naming the index and field when an id is duplicated', () => {
    const error = parseError({ keys: [entry(), entry({ sha256: 'b'.repeat(64) })] });
    expect(error.message).toContain('keys.json');
    expect(error.message).toContain('keys[1].id: duplicate id "partner-a" (also keys[0])');
  });

  it('throws when a hash is duplicated, ignoring case', () => {
    const error = parseError({ keys: [entry(), entry({ id: 'partner-b', sha256: 'A'.repeat(64) })] });
    expect(error.message).toContain('keys[1].sha256: duplicate hash (also keys[0])');
  });

  it('throws naming the index and field when a hash is malformed', () => {
    const error = parseError({ keys: [entry(), entry({ id: 'partner-b', sha256: 'xyz' })] });
    expect(error.message).toContain('keys[1].sha256: must be 64 hexadecimal characters');
  });

  it('throws naming the index and the scope when a scope is unknown', () => {
    const error = parseError({ keys: [entry({ scopes: ['objects:read', 'objects:delete'] as unknown as ApiKeyEntry['scopes'] })] });
    expect(error.message).toContain('keys[0].scopes[1]: unknown scope "objects:delete"');
  });

  it('grants oci:issue and warns once for the key when a key lists the deprecated playback:issue', () => {
    const key = generateApiKey();
    const capture = new Capture();
    const store = parseApiKeys(
      { keys: [entry({ sha256: key.sha256, scopes: ['playback:issue', 'oci:issue', 'objects:read'] as unknown as ApiKeyEntry['scopes'] }), entry({ id: 'partner-b', sha256: 'b'.repeat(64) })] },
      'keys.json',
      createLogger('warn', capture),
    );
    expect(store.authenticate(key.key).scopes).toEqual(new Set(['oci:issue', 'objects:read']));
    const warnings = capture.text.trim().split('\n').map((line) => JSON.parse(line) as { keyId?: string; renamed?: string[]; msg?: string });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ keyId: 'partner-a', renamed: ['playback:issue -> oci:issue'] });
    expect(warnings[0]?.msg).toContain('deprecated');
  });

  it('throws when a field is unknown or missing', () => {
    const { tenant: _tenant, ...withoutTenant } = entry();
    const error = parseError({ keys: [{ ...withoutTenant, scope: ['admin'] }] });
    expect(error.message).toContain('keys[0].tenant');
    expect(error.message).toMatch(/keys\[0\]: Unrecognized key.*scope/);
  });

  it('throws when expiresAt is not an ISO-8601 date-time', () => {
    expect(parseError({ keys: [entry({ expiresAt: 'next tuesday' })] }).message).toContain('keys[0].expiresAt');
  });

  it('throws when the document has no keys array', () => {
    expect(parseError([entry()]).message).toContain('keys.json');
  });
});

describe('loadApiKeys', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'media-graph-api-keys-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('returns a store whose key authenticates when the file is valid', async () => {
    const { key, sha256 } = generateApiKey();
    const path = join(dir, 'keys.json');
    await writeFile(path, JSON.stringify({ keys: [entry({ sha256 })] }));
    expect((await loadApiKeys(path)).authenticate(key).subject).toBe('partner-a');
  });

  it('throws naming the file when it is not JSON', async () => {
    const path = join(dir, 'broken.json');
    await writeFile(path, '{ keys: ');
    await expect(loadApiKeys(path)).rejects.toThrow(new RegExp(`${path}.*not JSON`));
  });

  it('throws naming the file when it does not exist', async () => {
    const path = join(dir, 'missing.json');
    await expect(loadApiKeys(path)).rejects.toThrow(path);
  });
});

describe('ApiKeyStore', () => {
  const valid = generateApiKey();
  const expired = generateApiKey();
  const store = parseApiKeys(
    {
      keys: [
        entry({ sha256: valid.sha256, scopes: ['objects:read', 'streams:read'], expiresAt: '2030-01-01T00:00:00Z' }),
        entry({ id: 'partner-old', sha256: expired.sha256, expiresAt: '2020-01-01T00:00:00Z' }),
      ],
    },
    'keys.json',
  );
  const now = Date.parse('2025-06-01T00:00:00Z');

  it('returns the principal when the key is known', () => {
    expect(store.authenticate(valid.key, now)).toEqual({
      kind: 'apiKey',
      subject: 'partner-a',
      tenant: 'tenant-a',
      scopes: new Set(['objects:read', 'streams:read']),
      expiresAt: Date.parse('2030-01-01T00:00:00Z'),
      keyId: 'partner-a',
    });
  });

  it('throws UNAUTHENTICATED when the key is unknown', () => {
    const unknown = generateApiKey().key;
    expect(authError(() => store.authenticate(unknown, now), unknown).details).toEqual({ reason: 'API_KEY_INVALID' });
  });

  it('throws UNAUTHENTICATED with reason API_KEY_EXPIRED when the key expired', () => {
    const error = authError(() => store.authenticate(expired.key, now), expired.key);
    expect(error.message).toMatch(/expired/);
    expect(error.details).toEqual({ reason: 'API_KEY_EXPIRED' });
  });

  it('throws when the key expires exactly now', () => {
    authError(() => store.authenticate(valid.key, Date.parse('2030-01-01T00:00:00Z')), valid.key);
  });

  it.each([
    ['a key without the prefix', valid.key.slice(4)],
    ['a truncated key', valid.key.slice(0, -1)],
    ['a key with padding', `${valid.key}=`],
    ['a key with a space', `${valid.key.slice(0, -1)} `],
    ['an empty string', ''],
  ])('throws UNAUTHENTICATED when the key is malformed (%s)', (_label, key) => {
    expect(authError(() => store.authenticate(key, now), key).message).toMatch(/malformed/);
  });
});

describe('runApiKey', () => {
  it('prints a key and an entry that loads back and authenticates when the arguments are valid', async () => {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await runApiKey(
      ['create', '--id', 'partner-c', '--tenant', 'tenant-c', '--scopes', 'objects:read,streams:subscribe', '--description', 'Partner C'],
      { stdout, stderr },
    );
    expect(code).toBe(0);
    const [first, ...rest] = stdout.text.split('\n');
    expect(first).toMatch(/^key: mgk_[A-Za-z0-9_-]{43}$/);
    const key = (first ?? '').slice('key: '.length);
    const printed = JSON.parse(rest.join('\n')) as ApiKeyEntry;
    expect(printed).toMatchObject({ id: 'partner-c', tenant: 'tenant-c', scopes: ['objects:read', 'streams:subscribe'], description: 'Partner C' });
    expect(JSON.stringify(printed)).not.toContain(key);
    const principal = parseApiKeys({ keys: [printed] }, 'stdout').authenticate(key);
    expect(principal).toMatchObject({ kind: 'apiKey', subject: 'partner-c', tenant: 'tenant-c' });
    expect(principal.scopes).toEqual(new Set(['objects:read', 'streams:subscribe']));
  });

  it.each([
    ['an unknown scope', ['create', '--id', 'p', '--tenant', 't', '--scopes', 'objects:read,objects:nuke'], /unknown scope\(s\): objects:nuke/],
    ['a deprecated scope name', ['create', '--id', 'p', '--tenant', 't', '--scopes', 'playback:issue'], /unknown scope\(s\): playback:issue \(renamed oci:issue\)/],
    ['a missing --tenant', ['create', '--id', 'p', '--scopes', 'admin'], /--tenant is required/],
    ['a bad id', ['create', '--id', 'has space', '--tenant', 't', '--scopes', 'admin'], /--id must be/],
    ['an unknown option', ['create', '--id', 'p', '--tenant', 't', '--scopes', 'admin', '--force'], /--force/],
    ['a missing subcommand', ['--id', 'p'], /missing subcommand/],
    ['a bad --expires-at', ['create', '--id', 'p', '--tenant', 't', '--scopes', 'admin', '--expires-at', '2030-01-01'], /--expires-at/],
  ])('returns 2 with usage on stderr when given %s', async (_label, args, message) => {
    const stdout = new Capture();
    const stderr = new Capture();
    expect(await runApiKey(args, { stdout, stderr })).toBe(2);
    expect(stdout.text).toBe('');
    expect(stderr.text).toMatch(message);
    expect(stderr.text).toContain('Usage: media-graph api-key create');
  });
});
