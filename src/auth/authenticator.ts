import { DomainError } from '../core/domain-error.js';
import type { Logger } from '../core/logger.js';
import { loadApiKeys, type ApiKeyStore } from './api-keys.js';
import { JwtVerifier, type JwtVerifierOptions } from './jwt-verifier.js';
import type { Principal } from './principal.js';

/** Which authentication methods the gateway accepts; an absent field disables that method. */
export interface AuthOptions {
  /** Bearer JWT verification. */
  readonly jwt?: JwtVerifierOptions;
  /** Path of the API keys file (`AUTH_API_KEYS_FILE`). */
  readonly apiKeysFile?: string;
  /** Receives deprecation warnings: a key or a JWT issuer that still uses a former scope name. */
  readonly logger?: Pick<Logger, 'warn'>;
}

/** Credentials extracted from one HTTP request or WebSocket connection, not yet verified. */
export interface Credentials {
  /** The `Authorization` header value (`Bearer <jwt>` or `ApiKey <key>`). */
  readonly authorization?: string | undefined;
  /** The `x-api-key` header value. */
  readonly apiKey?: string | undefined;
}

/** HTTP headers in Node's `IncomingHttpHeaders` shape. */
export type HeaderMap = Readonly<Record<string, string | string[] | undefined>>;

/**
 * Turns presented credentials into a {@link Principal} using whichever of JWT and API key authentication is
 * configured. Holds no per-request state; one instance serves the process.
 */
export class Authenticator {
  /** Prefer {@link Authenticator.create}; this constructor exists for callers that already built the parts. */
  constructor(
    private readonly jwt: JwtVerifier | undefined,
    private readonly apiKeys: ApiKeyStore | undefined,
  ) {}

  /**
   * Builds the configured verifiers: reads the JWKS and API keys files now.
   * @throws ConfigError when a configured method is invalid (see {@link JwtVerifier.create} and `loadApiKeys`).
   */
  static async create(options: AuthOptions): Promise<Authenticator> {
    const [jwt, apiKeys] = await Promise.all([
      options.jwt === undefined ? undefined : JwtVerifier.create(options.logger === undefined ? options.jwt : { ...options.jwt, logger: options.logger }),
      options.apiKeysFile === undefined ? undefined : loadApiKeys(options.apiKeysFile, options.logger),
    ]);
    return new Authenticator(jwt, apiKeys);
  }

  /** True when at least one authentication method is configured. */
  get configured(): boolean {
    return this.jwt !== undefined || this.apiKeys !== undefined;
  }

  /**
   * Authenticates `credentials`. `Authorization: Bearer <jwt>` uses the JWT verifier; `Authorization: ApiKey <key>`
   * or an `x-api-key` value uses the API key store. Scheme names are case-insensitive.
   * @returns the principal, or `undefined` when no credential was presented (the caller decides whether anonymous
   *   access is allowed).
   * @throws DomainError `UNAUTHENTICATED` when both an Authorization header and an API key are present, the header
   *   is malformed or uses an unsupported scheme, the method is not configured, or verification fails.
   * @throws DomainError `UPSTREAM_UNAVAILABLE` when the remote JWKS cannot be fetched.
   */
  async authenticate(credentials: Credentials): Promise<Principal | undefined> {
    const { authorization, apiKey } = credentials;
    if (authorization !== undefined && apiKey !== undefined) {
      throw unauthenticated('Send either an Authorization header or an x-api-key header, not both.');
    }
    if (apiKey !== undefined) return this.withApiKey(apiKey);
    if (authorization === undefined) return undefined;

    const match = /^[ \t]*([!#$%&'*+.^_`|~0-9A-Za-z-]+)[ \t]+(\S+)[ \t]*$/.exec(authorization);
    if (match === null) {
      throw unauthenticated('The Authorization header is malformed; expected "Bearer <token>" or "ApiKey <key>".');
    }
    const scheme = (match[1] ?? '').toLowerCase();
    const value = match[2] ?? '';
    if (scheme === 'bearer') {
      if (this.jwt === undefined) throw unauthenticated('Bearer tokens are not accepted by this server.');
      return this.jwt.verify(value);
    }
    if (scheme === 'apikey') return this.withApiKey(value);
    throw unauthenticated('Unsupported Authorization scheme; expected "Bearer" or "ApiKey".');
  }

  private withApiKey(key: string): Principal {
    if (this.apiKeys === undefined) throw unauthenticated('API keys are not accepted by this server.');
    return this.apiKeys.authenticate(key);
  }
}

function unauthenticated(message: string): DomainError {
  return new DomainError('UNAUTHENTICATED', message);
}

/**
 * Extracts credentials from HTTP request headers (names matched case-insensitively, as Node lowercases them).
 * @throws DomainError `UNAUTHENTICATED` when `authorization` or `x-api-key` appears more than once: which one
 *   applies would be ambiguous.
 */
export function credentialsFromHeaders(headers: HeaderMap): Credentials {
  let authorization: string | undefined;
  let apiKey: string | undefined;
  let seenAuthorization = false;
  let seenApiKey = false;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (lower !== 'authorization' && lower !== 'x-api-key') continue;
    const isAuthorization = lower === 'authorization';
    if (typeof value !== 'string' || (isAuthorization ? seenAuthorization : seenApiKey)) {
      throw unauthenticated(`The ${isAuthorization ? 'Authorization' : 'x-api-key'} header must appear only once.`);
    }
    if (isAuthorization) {
      seenAuthorization = true;
      authorization = value;
    } else {
      seenApiKey = true;
      apiKey = value;
    }
  }
  return { authorization, apiKey };
}

/**
 * Extracts credentials from GraphQL over WebSocket `connection_init` payloads. Accepts `authorization` or
 * `Authorization` (same syntax as the header) and `apiKey` or `x-api-key`. Absent or `undefined` params mean no
 * credentials.
 * @throws DomainError `UNAUTHENTICATED` when a credential field is not a string or both spellings of one field
 *   are present.
 */
export function credentialsFromConnectionParams(params: Readonly<Record<string, unknown>> | undefined): Credentials {
  if (params === undefined) return {};
  return {
    authorization: stringParam(params, ['authorization', 'Authorization']),
    apiKey: stringParam(params, ['apiKey', 'x-api-key']),
  };
}

function stringParam(params: Readonly<Record<string, unknown>>, names: readonly string[]): string | undefined {
  const present = names.filter((name) => Object.hasOwn(params, name) && params[name] !== undefined);
  if (present.length > 1) throw unauthenticated(`Connection params must contain only one of ${names.join(', ')}.`);
  const [name] = present;
  if (name === undefined) return undefined;
  const value = params[name];
  if (typeof value !== 'string') throw unauthenticated(`Connection param ${name} must be a string.`);
  return value;
}
