import { DomainError } from '../core/domain-error.js';
import { hasScope, type Principal, type Scope } from './principal.js';
import { streamNameFromArn, UNRESTRICTED_POLICY, type TenantPolicy } from './tenant-policy.js';

/**
 * What one caller may do: its principal (scopes) and its tenant's policy (resources). Built once per request or
 * subscription from the authenticated principal; immutable. Every check throws `DomainError('FORBIDDEN')` with a
 * message that names the missing scope or says the resource is outside the tenant, never whether the resource
 * exists, so a refused caller learns nothing about other tenants. Checks are synchronous and make no upstream
 * call: a refused request costs no provider call.
 */
export class Access {
  /** True when nothing is restricted (anonymous development mode, or an admin without a tenant). */
  readonly unrestricted: boolean;

  constructor(
    readonly principal: Principal,
    readonly policy: TenantPolicy,
  ) {
    this.unrestricted = policy === UNRESTRICTED_POLICY && hasScope(principal, 'admin');
  }

  /** The tenant cursors and signed URLs are bound to; '*' when the caller reaches every tenant. */
  get tenantKey(): string {
    return this.principal.tenant ?? '*';
  }

  /**
   * `scope` may list alternatives: any one of them suffices.
   * @throws DomainError FORBIDDEN when the principal lacks `scope` (and `admin`), naming the first alternative.
   */
  requireScope(scope: Scope | readonly Scope[]): void {
    const alternatives: readonly Scope[] = typeof scope === 'string' ? [scope] : scope;
    if (!alternatives.some((one) => hasScope(this.principal, one))) {
      const named = alternatives[0] ?? 'admin';
      throw new DomainError('FORBIDDEN', `This operation requires the ${named} scope.`, { details: { scope: named } });
    }
  }

  /**
   * `path` is container-relative without a leading slash, as the object store takes it.
   * @throws DomainError FORBIDDEN when the scope is missing or the object lies outside the tenant's prefixes.
   */
  object(path: string, scope: Scope | readonly Scope[]): void {
    this.requireScope(scope);
    if (!this.policy.canAccessObjectPath(`/${path}`)) throw outsideTenant('object');
  }

  /** `folder` is '' for the root, otherwise container-relative without slashes at either end. */
  folder(folder: string): void {
    this.requireScope('objects:read');
    if (!this.policy.canListObjectFolder(folder === '' ? '/' : `/${folder}/`)) throw outsideTenant('folder');
  }

  /** A Kinesis stream by name or ARN; an ARN whose name cannot be read is refused. */
  stream(ref: { readonly name?: string | undefined; readonly arn?: string | undefined }, scope: Scope | readonly Scope[]): void {
    this.requireScope(scope);
    const name = ref.name ?? (ref.arn === undefined ? undefined : streamNameFromArn(ref.arn));
    if (name === undefined || !this.policy.canAccessStream(name)) throw outsideTenant('stream');
  }

  /** Whether a stream is the tenant's, for filtering lists (the scope is checked by the list itself). */
  ownsStream(name: string): boolean {
    return this.policy.canAccessStream(name);
  }

  /** A Live Stream resource by full name (channel, asset, DVR session, operation). */
  liveStream(name: string, scope: 'livestream:read' | 'livestream:write'): void {
    this.requireScope(scope);
    if (!this.policy.canAccessLiveStreamResource(name)) throw outsideTenant('Live Stream resource');
  }

  /** A Live Stream list parent: `projects/p/locations/l` or a channel (for its DVR sessions). */
  liveStreamParent(parent: string, scope: 'livestream:read' | 'livestream:write'): void {
    this.requireScope(scope);
    if (!this.policy.canListLiveStreamParent(parent)) throw outsideTenant('Live Stream location');
  }

  /** Whether a listed Live Stream resource is the tenant's, for filtering lists. */
  ownsLiveStream(name: string): boolean {
    return this.policy.canAccessLiveStreamResource(name);
  }

  /** An OCI compartment (lists, and the compartment a fetched resource reports). */
  ociCompartment(compartmentId: string, scope: Scope | readonly Scope[]): void {
    this.requireScope(scope);
    if (!this.policy.canAccessOciCompartment(compartmentId)) throw outsideTenant('compartment');
  }

  /** An OCI media asset by OCID. */
  ociMediaAsset(assetId: string, scope: Scope | readonly Scope[]): void {
    this.requireScope(scope);
    if (!this.policy.canAccessOciMediaAsset(assetId)) throw outsideTenant('media asset');
  }

  /** An OCI stream distribution channel by OCID. */
  ociDistributionChannel(channelId: string, scope: Scope | readonly Scope[]): void {
    this.requireScope(scope);
    if (!this.policy.canAccessOciDistributionChannel(channelId)) throw outsideTenant('distribution channel');
  }

  /** An OCI stream packaging configuration by OCID. */
  ociPackagingConfig(configId: string, scope: Scope | readonly Scope[]): void {
    this.requireScope(scope);
    if (!this.policy.canAccessOciPackagingConfig(configId)) throw outsideTenant('packaging configuration');
  }
}

function outsideTenant(what: string): DomainError {
  return new DomainError('FORBIDDEN', `The ${what} is outside what this caller may access.`);
}
