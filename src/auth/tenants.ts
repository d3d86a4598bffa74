import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import picomatch from 'picomatch';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import type { RateLimitSettings } from './rate-limiter.js';
import { GLOB_OPTIONS, compileTenantPolicy, type TenantPolicy } from './tenant-policy.js';

/** A tenant id: what `TENANTS_FILE` keys tenants by and what tokens name. */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Longest accepted pattern or prefix, in characters; far beyond any real name, short enough to stay cheap. */
const MAX_PATTERN_LENGTH = 1024;

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;
const WHITESPACE = /\s/;
const GLOB_CHARACTER = /[*?[\]{}()!+@\\]/;

/** The tenants known to this deployment, loaded once at startup from `TENANTS_FILE`. Immutable. */
export interface TenantDirectory {
  /** The compiled policy of `tenantId`, or `undefined` for an unknown tenant (callers must refuse it). */
  get(tenantId: string): TenantPolicy | undefined;
  /** Every tenant id, in file order. */
  readonly ids: readonly string[];
  /** The tenants that override the default rate limit, by tenant id (feed to `TenantRateLimiter`). */
  readonly rateLimitOverrides: ReadonlyMap<string, RateLimitSettings>;
}

/** The tenants file is unreadable, not JSON/YAML, or breaks a rule; `message` names the file, tenant and field. */
export class TenantConfigError extends Error {
  /** The file (or other source label) the problem is in. */
  readonly source: string;
  /** One line per problem, each naming the tenant and field when there is one. */
  readonly problems: readonly string[];

  constructor(source: string, problems: readonly string[], options?: { cause?: unknown }) {
    super(`Invalid tenants file ${source}: ${problems.join('; ')}`, options);
    this.name = 'TenantConfigError';
    this.source = source;
    this.problems = problems;
  }
}

/** A string; YAML reads unquoted `123456789` (a project number) as a number, so say how to fix that. */
function text() {
  return z.string({
    invalid_type_error: 'must be a string (quote numbers, e.g. "123456789")',
    required_error: 'is required',
  });
}

/**
 * One allow-list pattern over a single name (stream name, resource-id segment, OCID). Patterns never contain
 * '/', so a pattern can never be written that crosses a segment.
 */
const namePattern = text().superRefine((pattern, ctx) => {
  const problem = (message: string): void => {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message });
  };
  if (pattern === '') return problem('must not be empty');
  if (pattern.length > MAX_PATTERN_LENGTH) return problem(`must be at most ${MAX_PATTERN_LENGTH} characters`);
  if (CONTROL_CHARACTER.test(pattern)) return problem('must not contain control characters');
  if (WHITESPACE.test(pattern)) return problem('must not contain whitespace');
  if (pattern.includes('/')) return problem("must not contain '/' (a pattern matches one name or path segment)");
  if (pattern.startsWith('!')) return problem("must not start with '!' (negated patterns are not supported)");
  try {
    picomatch.makeRe(pattern, GLOB_OPTIONS);
  } catch (error) {
    problem(`is not a valid glob (${error instanceof Error ? error.message : String(error)})`);
  }
});

const patternList = z.array(namePattern, { invalid_type_error: 'must be a list of patterns' });

/** A MediaStore folder prefix: literal, absolute, ending with '/', no `.`/`..`/empty segments. */
const objectPrefix = text().superRefine((prefix, ctx) => {
  const problem = (message: string): void => {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message });
  };
  if (prefix.length > MAX_PATTERN_LENGTH) return problem(`must be at most ${MAX_PATTERN_LENGTH} characters`);
  if (!prefix.startsWith('/')) return problem("must be absolute (start with '/')");
  if (!prefix.endsWith('/')) return problem("must end with '/' (a folder; '/tenant-a' would also match '/tenant-ab')");
  if (CONTROL_CHARACTER.test(prefix)) return problem('must not contain control characters');
  if (prefix === '/') return;
  const segments = prefix.slice(1, -1).split('/');
  if (segments.includes('')) return problem("must not contain empty segments ('//')");
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    return problem("must not contain '.' or '..' segments");
  }
  if (GLOB_CHARACTER.test(prefix)) return problem('must be a literal folder, not a glob');
});

const rateLimitSchema = z
  .object(
    {
      requestsPerSecond: z
        .number({ invalid_type_error: 'must be a number', required_error: 'is required' })
        .positive('must be greater than 0')
        .max(1_000_000, 'must be at most 1000000'),
      burst: z
        .number({ invalid_type_error: 'must be a number', required_error: 'is required' })
        .int('must be a whole number')
        .min(1, 'must be at least 1')
        .max(1_000_000, 'must be at most 1000000'),
    },
    { invalid_type_error: 'must be a mapping with requestsPerSecond and burst' },
  )
  .strict();

function section<T extends z.ZodRawShape>(shape: T) {
  return z.object(shape, { invalid_type_error: 'must be a mapping' }).strict().optional();
}

const tenantSchema = z
  .object(
    {
      objects: section({ prefixes: z.array(objectPrefix, { invalid_type_error: 'must be a list of folder prefixes', required_error: 'is required' }) }),
      streams: section({ names: z.array(namePattern, { invalid_type_error: 'must be a list of patterns', required_error: 'is required' }) }),
      livestream: section({
        projects: patternList.optional(),
        locations: patternList.optional(),
        channels: patternList.optional(),
        assets: patternList.optional(),
      }),
      oci: section({
        compartments: patternList.optional(),
        mediaAssets: patternList.optional(),
        distributionChannels: patternList.optional(),
        packagingConfigs: patternList.optional(),
      }),
      rateLimit: rateLimitSchema.optional(),
    },
    { invalid_type_error: 'must be a mapping of sections (objects, streams, livestream, oci, rateLimit)' },
  )
  .strict();

const fileSchema = z
  .object(
    {
      tenants: z.record(
        z.string().regex(TENANT_ID_PATTERN, {
          message: `tenant id must match ${TENANT_ID_PATTERN.source} (lowercase letters, digits, '-' and '_', at most 63 characters)`,
        }),
        tenantSchema,
        { invalid_type_error: 'must be a mapping of tenant id to rules', required_error: 'is required' },
      ),
    },
    { invalid_type_error: "must be a mapping with a top-level 'tenants' key" },
  )
  .strict();

type TenantsFile = z.infer<typeof fileSchema>;

/** `['tenants', 'a', 'objects', 'prefixes', 0]` → `tenant 'a': objects.prefixes[0]`. */
function describePath(path: readonly (string | number)[]): string {
  const field = (parts: readonly (string | number)[]): string =>
    parts.map((part, index) => (typeof part === 'number' ? `[${part}]` : index === 0 ? part : `.${part}`)).join('');
  if (path.length === 0) return '(top level)';
  if (path[0] === 'tenants' && path.length >= 2) {
    const rest = path.slice(2);
    return rest.length === 0 ? `tenant '${String(path[1])}'` : `tenant '${String(path[1])}': ${field(rest)}`;
  }
  return field(path);
}

function parseSyntax(text: string, format: 'json' | 'yaml', source: string): unknown {
  if (format === 'json') {
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new TenantConfigError(source, [`not valid JSON: ${errorMessage(error)}`], { cause: error });
    }
  }
  // Duplicate keys are refused: a tenant listed twice would otherwise silently lose its first definition.
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  // Warnings (unknown tags and the like) are refused too: this file grants access, so nothing may be guessed.
  const problems = [...document.errors, ...document.warnings].map((issue) => `not valid YAML: ${issue.message}`);
  if (problems.length > 0) throw new TenantConfigError(source, problems);
  return document.toJS({ maxAliasCount: 100 }) as unknown;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function buildDirectory(file: TenantsFile): TenantDirectory {
  const policies = new Map<string, TenantPolicy>();
  const rateLimitOverrides = new Map<string, RateLimitSettings>();
  for (const [tenantId, rules] of Object.entries(file.tenants)) {
    policies.set(tenantId, compileTenantPolicy(tenantId, rules));
    if (rules.rateLimit !== undefined) rateLimitOverrides.set(tenantId, Object.freeze({ ...rules.rateLimit }));
  }
  const ids = Object.freeze([...policies.keys()]);
  return Object.freeze({
    get: (tenantId: string) => policies.get(tenantId),
    ids,
    rateLimitOverrides,
  });
}

/**
 * Parses and validates the text of a tenants file, and compiles every tenant's policy.
 * @param format how to read `text`; YAML refuses duplicate keys, JSON keeps the last one (as `JSON.parse` does).
 * @param source a label for messages, normally the file path.
 * @throws TenantConfigError listing every problem (syntax, or each invalid field by tenant and field).
 */
export function parseTenants(text: string, format: 'json' | 'yaml', source: string): TenantDirectory {
  return validate(parseSyntax(text, format, source), source);
}

function validate(raw: unknown, source: string): TenantDirectory {
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new TenantConfigError(
      source,
      parsed.error.issues.map((issue) => `${describePath(issue.path)}: ${issue.message}`),
    );
  }
  return buildDirectory(parsed.data);
}

/**
 * Reads `TENANTS_FILE`. The format follows the extension (`.json`, `.yaml`, `.yml`, any case); any other name is
 * read as JSON and, failing that, as YAML.
 * @throws TenantConfigError when the file cannot be read (with the I/O error as `cause`) or is invalid.
 */
export async function loadTenants(path: string): Promise<TenantDirectory> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new TenantConfigError(path, [`cannot be read: ${errorMessage(error)}`], { cause: error });
  }
  const extension = extname(path).toLowerCase();
  if (extension === '.json') return parseTenants(text, 'json', path);
  if (extension === '.yaml' || extension === '.yml') return parseTenants(text, 'yaml', path);
  let raw: unknown;
  try {
    raw = parseSyntax(text, 'json', path);
  } catch (jsonError) {
    try {
      raw = parseSyntax(text, 'yaml', path);
    } catch (yamlError) {
      // Neither reading worked: report both, since the extension does not say which one was meant.
      const problems = [jsonError, yamlError].flatMap((error) =>
        error instanceof TenantConfigError ? error.problems : [errorMessage(error)],
      );
      throw new TenantConfigError(path, problems, { cause: yamlError });
    }
  }
  return validate(raw, path);
}
