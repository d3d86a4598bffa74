/**
 * Every scope a credential can carry. The list is part of the public contract: JWT issuers and API key files
 * name these strings, so renaming one locks existing clients out.
 */
export const SCOPES = [
  'objects:read',
  'objects:write',
  'streams:read',
  'streams:subscribe',
  'livestream:read',
  'livestream:write',
  'oci:issue',
  'ops:read',
  'admin',
] as const;

/** One authorization scope. `admin` implies every other scope (see {@link hasScope}). */
export type Scope = (typeof SCOPES)[number];

const SCOPE_SET: ReadonlySet<string> = new Set<string>(SCOPES);

/** True when `value` is exactly one of {@link SCOPES} (case-sensitive). */
export function isScope(value: string): value is Scope {
  return SCOPE_SET.has(value);
}

/**
 * Former scope names still accepted, each with the scope it now grants. A credential naming one is treated as
 * naming the new scope, and the gateway logs a deprecation warning. `playback:issue` became `oci:issue` (one name
 * per provider) and is accepted for one more release; see docs/operations.md, "Scopes".
 */
export const DEPRECATED_SCOPE_ALIASES: Readonly<Record<string, Scope>> = Object.freeze({ 'playback:issue': 'oci:issue' });

/**
 * The scope a credential's scope name grants: the name itself when it is one of {@link SCOPES}, the replacement
 * of a {@link DEPRECATED_SCOPE_ALIASES} entry, otherwise `undefined`. Case-sensitive.
 */
export function scopeNamed(name: string): Scope | undefined {
  if (isScope(name)) return name;
  return Object.hasOwn(DEPRECATED_SCOPE_ALIASES, name) ? DEPRECATED_SCOPE_ALIASES[name] : undefined;
}

/**
 * The authenticated caller of one request or subscription. Immutable; created by the authenticator and never
 * re-validated, so anything that outlives the request (subscriptions) must check {@link Principal.expiresAt}.
 */
export interface Principal {
  /** How the caller authenticated. */
  readonly kind: 'jwt' | 'apiKey' | 'anonymous';
  /** JWT `sub`, the API key id, or `'anonymous'`. Unique only together with {@link Principal.kind}. */
  readonly subject: string;
  /**
   * The tenant the caller acts for. `undefined` means every tenant: anonymous development mode, or a JWT that
   * names no tenant (tenant policy decides whether that is acceptable for non-admin callers).
   */
  readonly tenant: string | undefined;
  /** Granted scopes; unknown scopes from a token were dropped before this set was built. */
  readonly scopes: ReadonlySet<Scope>;
  /** When the credential stops being valid, in epoch milliseconds (JWT `exp`, API key `expiresAt`); `undefined` = never. */
  readonly expiresAt: number | undefined;
  /** The API key id when {@link Principal.kind} is `'apiKey'`; never the key itself. */
  readonly keyId?: string;
}

/** True when `principal` was granted `scope` directly or holds `admin`. */
export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.has(scope) || principal.scopes.has('admin');
}

/**
 * The caller used when authentication is not configured and the server runs in development mode: every scope,
 * every tenant, no expiry. Must never be used in production.
 */
export const ANONYMOUS_DEVELOPER: Principal = Object.freeze({
  kind: 'anonymous',
  subject: 'anonymous',
  tenant: undefined,
  scopes: new Set<Scope>(SCOPES),
  expiresAt: undefined,
});

/**
 * A stable string identifying the authorization identity of `principal` (kind, subject, tenant and sorted
 * scopes). Two principals with equal keys are authorized identically, so they may share one subscription
 * execution. Expiry and key id are deliberately excluded: they do not change what the caller may see.
 */
export function principalKey(principal: Principal): string {
  // JSON encoding keeps the fields unambiguous whatever characters a subject or tenant contains.
  return JSON.stringify([principal.kind, principal.subject, principal.tenant ?? null, [...principal.scopes].sort()]);
}
