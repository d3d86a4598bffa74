import { DomainError, type ErrorCode } from '../core/domain-error.js';

/**
 * The shape every provider error table shares, and the one translation through it. Each provider's `*.errors.ts`
 * reads what its SDK threw into {@link ProviderErrorFacts} (its only provider-specific part) and declares a
 * {@link ProviderErrorTable}; {@link translateByTable} picks the row and builds the {@link DomainError}.
 *
 * Client messages come from the table, never from the provider. Two things of the provider's reach a client: the
 * name of an argument it refused (`extensions.argument`, a bare identifier checked by {@link ARGUMENT_SHAPE}), and
 * in development only its own message (`extensions.debugMessage`).
 */

/** One row: what a provider error becomes. */
export interface ProviderErrorRow {
  readonly code: ErrorCode;
  /** Client message; never the provider's words. */
  readonly message: string;
  /** Overrides the code's default `retryable`. */
  readonly retryable?: boolean;
  /**
   * The provider refused the request's arguments: the error names the refused argument when the provider said
   * which (appended to the message, and as `details.argument`), and keeps the provider's message as `debugMessage`.
   */
  readonly refusesArgument?: true;
}

/** A provider's table. Rows are tried in this order: by name, by status, any 5xx, no response, unexpected. */
export interface ProviderErrorTable<Row extends ProviderErrorRow = ProviderErrorRow> {
  /** By error name: the AWS SDK's exception name, the google.rpc.Code name, OCI's service code. */
  readonly byName?: Readonly<Record<string, Row>>;
  /** By HTTP status, for names not in {@link ProviderErrorTable.byName}. */
  readonly byStatus?: Readonly<Record<number, Row>>;
  /** Any other status from 500 up. */
  readonly serverError?: Row;
  /** No HTTP response at all (refused, reset, DNS). */
  readonly network?: Row;
  /** Anything else: a bug on our side or an error nobody documented; masked. */
  readonly unexpected: Row;
  /**
   * Provider parameter names (in lowerCamel, as {@link apiArgumentName} spells them) that the API calls
   * something else, e.g. `{ timeExpires: 'expiresAt' }`.
   */
  readonly argumentNames?: Readonly<Record<string, string>>;
}

/** What a provider's reader learned from one thrown error. */
export interface ProviderErrorFacts {
  /** Error name or code name, looked up in {@link ProviderErrorTable.byName}. */
  readonly name?: string | undefined;
  /** HTTP status of the response, when one arrived. */
  readonly status?: number | undefined;
  /** True when no response arrived at all (a transport failure of the SDK). */
  readonly network?: boolean | undefined;
  /** The provider's own message, secrets already removed; becomes `debugMessage` on argument errors. */
  readonly providerMessage?: string | undefined;
  /** The refused field when the provider named it in structured form (e.g. google.rpc.BadRequest field violations). */
  readonly field?: string | undefined;
}

/** Network-level error codes (Node's `error.code`) meaning no response arrived. */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ECONNABORTED',
]);

/** A name that may be shown as `extensions.argument`: a parameter path such as `filter`, `video.uri` or `dvrWindows[0]`. */
const ARGUMENT_SHAPE = /^[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?(?:\.[A-Za-z_][A-Za-z0-9_]*(?:\[\d+\])?)*$/;
const MAX_ARGUMENT_LENGTH = 64;

/**
 * How providers name the refused parameter in their messages, most specific first: AWS validation and Google's
 * JSON parser ("Value 'x' at 'streamName' failed…", "Invalid value at 'page_size'…"), MediaStore ("Value at Path
 * failed…"), Google and OCI ("invalid filter: …", "Invalid limit: …"), and a message that starts with the
 * parameter ("StartTimestamp must not be later…", "timeExpires must be in the future.").
 */
const MESSAGE_PATTERNS: readonly RegExp[] = [
  /\bat '([^']+)'/,
  /\bValue at ([A-Za-z_][\w.]*) failed\b/,
  /^invalid ([A-Za-z_][\w.]*)\s*:/i,
  /^invalid ([a-z]+_[a-z_]+)\b/i,
  /^([A-Za-z_][\w.[\]]*) (?:is required|is not valid|must|needs|failed|does not|belongs)\b/,
];

/** The parameter a provider message names as refused, as the provider spells it, or `undefined`. */
export function argumentInMessage(message: string | undefined): string | undefined {
  if (message === undefined) return undefined;
  for (const pattern of MESSAGE_PATTERNS) {
    const found = pattern.exec(message)?.[1];
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * A provider's parameter name in the API's spelling: each path segment in lowerCamel (`order_by` → `orderBy`,
 * `StreamName` → `streamName`), then renamed by `names` where the API uses another word. `undefined` when the
 * result is not a plain parameter path, so nothing else of a provider message can reach a client.
 */
export function apiArgumentName(field: string, names: Readonly<Record<string, string>> = {}): string | undefined {
  const camel = field
    .split('.')
    .map((segment) => {
      const joined = segment.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
      // An all-capitals segment is an acronym (`URI`), not a PascalCase word.
      return /^[A-Z0-9_]+$/.test(joined) ? joined.toLowerCase() : joined.charAt(0).toLowerCase() + joined.slice(1);
    })
    .join('.');
  const named = Object.hasOwn(names, camel) ? names[camel] : camel;
  return named !== undefined && named.length <= MAX_ARGUMENT_LENGTH && ARGUMENT_SHAPE.test(named) ? named : undefined;
}

/** The row of `table` that `facts` select (see {@link ProviderErrorTable} for the order). */
export function rowFor<Row extends ProviderErrorRow>(table: ProviderErrorTable<Row>, facts: ProviderErrorFacts): Row {
  const byName = facts.name === undefined || table.byName === undefined || !Object.hasOwn(table.byName, facts.name) ? undefined : table.byName[facts.name];
  if (byName !== undefined) return byName;
  if (facts.status !== undefined) {
    const byStatus = table.byStatus?.[facts.status];
    if (byStatus !== undefined) return byStatus;
    if (facts.status >= 500 && table.serverError !== undefined) return table.serverError;
  }
  if (facts.network === true && table.network !== undefined) return table.network;
  return table.unexpected;
}

/**
 * The client error for `row`. On an argument row the refused argument (the structured `field`, else one named in
 * the provider's message) is appended to the message and set as `details.argument`, and the provider's message
 * becomes the development-only `debugMessage`.
 *
 * @param cause kept for logs; never shown to clients.
 */
export function domainErrorFor(table: ProviderErrorTable, row: ProviderErrorRow, facts: ProviderErrorFacts, cause: unknown): DomainError {
  const options = { cause, ...(row.retryable === undefined ? {} : { retryable: row.retryable }) };
  if (row.refusesArgument !== true) return new DomainError(row.code, row.message, options);
  const field = facts.field ?? argumentInMessage(facts.providerMessage);
  const argument = field === undefined ? undefined : apiArgumentName(field, table.argumentNames);
  return new DomainError(row.code, argument === undefined ? row.message : `${row.message.replace(/\.$/, '')}: ${argument}.`, {
    ...options,
    ...(argument === undefined ? {} : { details: { argument } }),
    ...(facts.providerMessage === undefined || facts.providerMessage === '' ? {} : { debugMessage: facts.providerMessage }),
  });
}

/** Translates one provider error through `table`: {@link rowFor}, then {@link domainErrorFor}. */
export function translateByTable(table: ProviderErrorTable, facts: ProviderErrorFacts, cause: unknown): DomainError {
  return domainErrorFor(table, rowFor(table, facts), facts, cause);
}

/** True for an `AbortError`: our caller's cancellation, which error tables pass through unchanged. */
export function isAbortError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'AbortError';
}

interface AwsErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly message?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

/** What an AWS SDK v3 error says: exception name, HTTP status, whether no response came, its message. */
export function awsErrorFacts(error: unknown): ProviderErrorFacts {
  const shape: AwsErrorShape = typeof error === 'object' && error !== null ? (error as AwsErrorShape) : {};
  const status = shape.$metadata?.httpStatusCode;
  return {
    name: typeof shape.name === 'string' ? shape.name : undefined,
    status: typeof status === 'number' ? status : undefined,
    network: typeof shape.code === 'string' && NETWORK_ERROR_CODES.has(shape.code),
    providerMessage: typeof shape.message === 'string' ? shape.message : undefined,
  };
}
