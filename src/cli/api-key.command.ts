import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError } from '../config.js';
import { parseCommandLine, usageFailure, UsageError } from './cli-args.js';
import { API_KEY_ID_PATTERN, generateApiKey, parseApiKeys, type ApiKeyEntry } from '../auth/api-keys.js';
import { isScope, SCOPES, scopeNamed, type Scope } from '../auth/principal.js';

/** Streams the command writes to. */
export interface ApiKeyIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

const USAGE = `Usage: media-graph api-key create --id ID --tenant TENANT --scopes SCOPE[,SCOPE...] [--description TEXT] [--expires-at ISO-8601]

Makes a partner API key. Prints "key: mgk_..." once (it is never shown again) and then the JSON entry to add
to the "keys" array of AUTH_API_KEYS_FILE (only the key's SHA-256 is stored there). Nothing is written to disk.

Options:
  --id ID                 the key's name in logs and in the file (letters, digits, ".", "_", "-"; at most 64)
  --tenant TENANT         the tenant whose resources the key reaches
  --scopes SCOPE,...      what the key may do: ${SCOPES.join(', ')}
  --description TEXT      a note for operators
  --expires-at ISO-8601   when the key stops working, with a time zone (2030-01-01T00:00:00Z)
  -h, --help              print this help

Exit status: 0 printed, 2 bad usage.
`;

const ISO_INSTANT = z.string().datetime({ offset: true });

/**
 * `media-graph api-key create`: generates a partner API key. Writes `key: mgk_...` as the first stdout line (the
 * only time the key is ever shown) followed by the JSON entry to add to the `keys` array of `AUTH_API_KEYS_FILE`.
 * Nothing is written to disk.
 * @returns 0 on success, 2 with a usage message on stderr for bad arguments.
 */
export async function runApiKey(args: readonly string[], io: ApiKeyIo): Promise<number> {
  try {
    create(args, io);
    return 0;
  } catch (error) {
    if (error instanceof UsageError || error instanceof ConfigError) return usageFailure(io, 'api-key', error.message, USAGE);
    throw error;
  }
}

/** Prints a new key and its entry, or the usage for `--help`. @throws UsageError or ConfigError on bad arguments. */
function create(args: readonly string[], io: ApiKeyIo): void {
  const { values, positionals } = parseCommandLine(() =>
    parseArgs({
      args: [...args],
      allowPositionals: true,
      strict: true,
      options: {
        id: { type: 'string' },
        tenant: { type: 'string' },
        scopes: { type: 'string' },
        description: { type: 'string' },
        'expires-at': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }),
  );
  if (values.help === true) {
    io.stdout.write(USAGE);
    return;
  }
  const [subcommand, ...extra] = positionals;
  if (subcommand === undefined) throw new UsageError('missing subcommand (create)');
  if (subcommand !== 'create') throw new UsageError(`unknown subcommand '${subcommand}'`);
  if (extra.length > 0) throw new UsageError(`unexpected argument '${extra[0] ?? ''}'`);
  const id = required(values.id, 'id');
  if (!API_KEY_ID_PATTERN.test(id)) {
    throw new UsageError('--id must be 1-64 characters of letters, digits, ".", "_" or "-", starting with a letter or digit');
  }
  const tenant = required(values.tenant, 'tenant');
  const scopes = parseScopes(required(values.scopes, 'scopes'));
  const expiresAt = values['expires-at'];
  if (expiresAt !== undefined && !ISO_INSTANT.safeParse(expiresAt).success) {
    throw new UsageError('--expires-at must be an ISO-8601 date-time with a time zone, such as 2030-01-01T00:00:00Z');
  }

  const { key, sha256 } = generateApiKey();
  const entry: ApiKeyEntry = {
    id,
    sha256,
    tenant,
    scopes,
    ...(values.description === undefined ? {} : { description: values.description }),
    ...(expiresAt === undefined ? {} : { expiresAt }),
  };
  // The loader is the authority on what the file accepts; printing an entry it would refuse helps nobody.
  parseApiKeys({ keys: [entry] }, 'generated entry');
  io.stdout.write(`key: ${key}\n${JSON.stringify(entry, null, 2)}\n`);
  io.stderr.write('Store the key now: it is not shown again. Add the JSON entry to the "keys" array of AUTH_API_KEYS_FILE.\n');
}

function required(value: string | undefined, name: string): string {
  if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value;
}

function parseScopes(list: string): Scope[] {
  const names = list.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = names.filter((name) => !isScope(name));
  if (unknown.length > 0) {
    // A new key gets the current names only; a former name is pointed at its replacement.
    const named = unknown.map((name) => (scopeNamed(name) === undefined ? name : `${name} (renamed ${scopeNamed(name) ?? ''})`));
    throw new UsageError(`unknown scope(s): ${named.join(', ')}`);
  }
  if (names.length === 0) throw new UsageError('--scopes must list at least one scope');
  return [...new Set(names.filter(isScope))];
}
