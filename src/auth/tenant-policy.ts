import picomatch from 'picomatch';

/**
 * One tenant's access rules as written in the tenants file (see `tenants.ts`), before compilation.
 * A missing section or list grants nothing for that provider: every check is deny-by-default.
 */
export interface TenantAccessRules {
  /** MediaStore object paths: folder prefixes, each absolute and ending with '/'. */
  readonly objects?: { readonly prefixes: readonly string[] } | undefined;
  /** Kinesis Video stream names: glob patterns. */
  readonly streams?: { readonly names: readonly string[] } | undefined;
  /** Google Live Stream: one glob per resource-name segment. */
  readonly livestream?:
    | {
        readonly projects?: readonly string[] | undefined;
        readonly locations?: readonly string[] | undefined;
        /** Channel ids; they also gate the DVR sessions under each channel. */
        readonly channels?: readonly string[] | undefined;
        /** Asset ids. */
        readonly assets?: readonly string[] | undefined;
      }
    | undefined;
  /**
   * OCI Media Services: OCIDs, exact or glob. A resource is the tenant's when its OCID matches its list and the
   * provider places it in one of the compartments. OCIDs do not carry their compartment, so the id lists are what
   * lets the boundary refuse another tenant's resource without asking the provider; `*` leaves it to the
   * compartment the provider reports.
   */
  readonly oci?:
    | {
        readonly compartments?: readonly string[] | undefined;
        readonly mediaAssets?: readonly string[] | undefined;
        readonly distributionChannels?: readonly string[] | undefined;
        readonly packagingConfigs?: readonly string[] | undefined;
      }
    | undefined;
}

/**
 * What one caller may reach. Every method is pure, synchronous and allocation-light (matchers are compiled
 * once), and returns `false` rather than throwing for malformed input. Methods do not use `this`, so they may
 * be passed around detached (e.g. `names.filter(policy.canAccessStream)`).
 */
export interface TenantPolicy {
  /** The tenant these rules belong to; `undefined` for {@link UNRESTRICTED_POLICY}. */
  readonly tenantId: string | undefined;
  /** True only for {@link UNRESTRICTED_POLICY}: callers may skip filtering altogether. */
  readonly unrestricted: boolean;
  /** The object folder prefixes (each ending with '/'), e.g. to show a tenant its entry points. */
  readonly objectPrefixes: readonly string[];
  /**
   * Whether the object or folder at `path` lies inside one of the tenant's prefixes; the prefix folder itself
   * (`/tenant-a/` or `/tenant-a`) counts as inside, a sibling sharing its first letters (`/tenant-ab/x`) does
   * not. `path` must already be normalised (no `.`/`..`/empty segments; such paths are refused). The leading
   * slash is optional, because the object-store helpers return container-relative paths without one.
   */
  canAccessObjectPath(path: string): boolean;
  /** Whether the tenant may list `folder` (e.g. `/tenant-a/videos`, `/tenant-a/`, or '' / '/' for the root). */
  canListObjectFolder(folder: string): boolean;
  /** Whether the Kinesis Video stream `name` (a name, not an ARN: see {@link streamNameFromArn}) matches a pattern. */
  canAccessStream(name: string): boolean;
  /**
   * A prefix every stream name the tenant may reach starts with: the longest literal start its stream patterns
   * share, `''` when they share none (or for {@link UNRESTRICTED_POLICY}). ListStreams can then ask the provider
   * for those names only, so other tenants' streams are neither fetched nor hinted at by `hasNextPage`.
   */
  readonly streamNamePrefix: string;
  /** Whether the rules name any stream pattern at all (true for {@link UNRESTRICTED_POLICY}). */
  readonly hasStreamPatterns: boolean;
  /**
   * Whether the full Live Stream resource name is reachable: `projects/{p}/locations/{l}/` followed by
   * `channels/{c}`, `channels/{c}/dvrSessions/{d}`, `assets/{a}` or `operations/{o}`. Project and location must
   * match; channels and DVR sessions check the channel patterns, assets the asset patterns, operations only
   * project and location (the caller checks what the operation targets). Anything unparsable is refused.
   */
  canAccessLiveStreamResource(name: string): boolean;
  /** Whether the tenant may list under `projects/{p}/locations/{l}` or (DVR sessions) `.../channels/{c}`. */
  canListLiveStreamParent(parent: string): boolean;
  /** Whether the OCI compartment OCID matches a compartment pattern. */
  canAccessOciCompartment(id: string): boolean;
  /** Whether the OCI media asset OCID matches a media-asset pattern. */
  canAccessOciMediaAsset(id: string): boolean;
  /** Whether the OCI stream distribution channel OCID matches a distribution-channel pattern. */
  canAccessOciDistributionChannel(id: string): boolean;
  /** Whether the OCI stream packaging configuration OCID matches a packaging-config pattern. */
  canAccessOciPackagingConfig(id: string): boolean;
}

/**
 * Options every tenant glob is compiled with. `*` never crosses '/' (picomatch's default), dotfiles match
 * (`*` should cover `.hidden-stream` too), `!` is literal (a negated pattern in an allow-list would grant
 * almost everything; `tenants.ts` also refuses patterns starting with '!'), and backslashes are never path
 * separators, so matching does not depend on the host platform.
 */
export const GLOB_OPTIONS: Readonly<picomatch.PicomatchOptions> = Object.freeze({
  dot: true,
  nonegate: true,
  windows: false,
});

/** Characters that make a pattern a glob; a pattern without any is compared as a plain string. */
const GLOB_CHARACTERS = /[*?[\]{}()!+@\\]/;

/**
 * One Live Stream resource-id segment. The first character must be a letter or digit so that `-` (Google's
 * "any project / any location" wildcard in list calls) and `.`/`..` can never reach the API even though a
 * `*` pattern would match them.
 */
const RESOURCE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,127}$/;

/** `.`, `..` or empty segments, or any control character. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE_OBJECT_PATH = /(?:^|\/)\.{1,2}(?:\/|$)|\/\/|[\u0000-\u001f\u007f]/;

const KINESIS_STREAM_ARN = /^arn:[a-z0-9-]+:kinesisvideo:[^:/]*:[^:/]*:stream\/([^/:]+)\/[^/]+$/;

type Matcher = (value: string) => boolean;

const DENY: Matcher = () => false;

/**
 * Compiles an allow-list of patterns into one matcher. Plain strings go to a Set (exact, O(1)); the rest are
 * compiled once by picomatch. `undefined` or empty denies everything.
 */
function compileMatcher(patterns: readonly string[] | undefined): Matcher {
  if (patterns === undefined || patterns.length === 0) return DENY;
  const exact = new Set<string>();
  const globs: string[] = [];
  for (const pattern of patterns) {
    if (GLOB_CHARACTERS.test(pattern)) globs.push(pattern);
    else exact.add(pattern);
  }
  const glob = globs.length === 0 ? undefined : picomatch(globs, GLOB_OPTIONS);
  if (glob === undefined) return (value) => value !== '' && exact.has(value);
  if (exact.size === 0) return (value) => value !== '' && glob(value);
  return (value) => value !== '' && (exact.has(value) || glob(value));
}

/** Adds the slash both sides so `tenant-a`, `/tenant-a` and `/tenant-a/` compare alike against `/tenant-a/`. */
function asFolder(path: string): string {
  const absolute = path.startsWith('/') ? path : `/${path}`;
  return absolute.endsWith('/') ? absolute : `${absolute}/`;
}

function compileObjectPrefixes(prefixes: readonly string[]): Matcher {
  if (prefixes.length === 0) return DENY;
  // A tenant reaching '/' reaches everything; checking it first also keeps the common single-prefix case short.
  if (prefixes.includes('/')) return (path) => !UNSAFE_OBJECT_PATH.test(asFolder(path));
  return (path) => {
    const folder = asFolder(path);
    if (UNSAFE_OBJECT_PATH.test(folder)) return false;
    // Prefixes end with '/', so `/tenant-ab/` can never start with `/tenant-a/`.
    for (const prefix of prefixes) if (folder.startsWith(prefix)) return true;
    return false;
  };
}

/**
 * Characters that may start glob syntax in a picomatch pattern. Stopping at any of them is conservative: `+` and
 * `@` are literal unless a `(` follows, so the prefix may come out shorter than it could be, never too long.
 */
const GLOB_START = /[*?[\]{}()!+@\\]/;

/** Characters a Kinesis Video stream name may hold (and a ListStreams `ComparisonValue`). */
const STREAM_NAME_CHARACTER = /[a-zA-Z0-9_.-]/;

/** Longest ListStreams `ComparisonValue`. */
const MAX_COMPARISON_VALUE = 256;

/**
 * The longest start that every name matching any of `patterns` shares ('' for no patterns), cut to characters a
 * stream name may hold so that it is always a valid ListStreams `ComparisonValue`. A pattern with a `/` gives ''
 * (picomatch drops a leading `./` and lets `x/**` match `x`; the tenants file refuses `/` anyway).
 */
export function sharedLiteralPrefix(patterns: readonly string[]): string {
  let shared: string | undefined;
  for (const pattern of patterns) {
    const glob = GLOB_START.exec(pattern);
    let literal = pattern.includes('/') ? '' : glob === null ? pattern : pattern.slice(0, glob.index);
    let valid = 0;
    while (valid < literal.length && valid < MAX_COMPARISON_VALUE && STREAM_NAME_CHARACTER.test(literal[valid] ?? '')) valid += 1;
    literal = literal.slice(0, valid);
    if (shared === undefined) {
      shared = literal;
      continue;
    }
    let length = 0;
    while (length < shared.length && length < literal.length && shared[length] === literal[length]) length += 1;
    shared = shared.slice(0, length);
    if (shared === '') break;
  }
  return shared ?? '';
}

/**
 * Compiles one tenant's rules. Patterns are assumed valid (`tenants.ts` validates them); an invalid glob makes
 * picomatch throw here, at load time, never during a request.
 * @throws TypeError from picomatch for an empty pattern.
 */
export function compileTenantPolicy(tenantId: string, rules: TenantAccessRules): TenantPolicy {
  const objectPrefixes = Object.freeze([...(rules.objects?.prefixes ?? [])]);
  const objectMatcher = compileObjectPrefixes(objectPrefixes);
  const stream = compileMatcher(rules.streams?.names);
  const project = compileMatcher(rules.livestream?.projects);
  const location = compileMatcher(rules.livestream?.locations);
  const channel = compileMatcher(rules.livestream?.channels);
  const asset = compileMatcher(rules.livestream?.assets);
  const compartment = compileMatcher(rules.oci?.compartments);
  const mediaAsset = compileMatcher(rules.oci?.mediaAssets);
  const distributionChannel = compileMatcher(rules.oci?.distributionChannels);
  const packagingConfig = compileMatcher(rules.oci?.packagingConfigs);

  /** Checks `projects/{p}/locations/{l}` at the start of `segments`, and that every segment is a plain id. */
  const locationAllowed = (segments: readonly string[]): boolean => {
    if (segments[0] !== 'projects' || segments[2] !== 'locations') return false;
    for (let index = 1; index < segments.length; index += 2) {
      if (!RESOURCE_SEGMENT.test(segments[index] ?? '')) return false;
    }
    return project(segments[1] ?? '') && location(segments[3] ?? '');
  };

  return Object.freeze({
    tenantId,
    unrestricted: false,
    objectPrefixes,
    canAccessObjectPath: (path: string) => objectMatcher(path),
    canListObjectFolder: (folder: string) => objectMatcher(folder),
    canAccessStream: (name: string) => stream(name),
    streamNamePrefix: sharedLiteralPrefix(rules.streams?.names ?? []),
    hasStreamPatterns: (rules.streams?.names ?? []).length > 0,
    canAccessLiveStreamResource: (name: string): boolean => {
      const segments = name.split('/');
      if (segments.length !== 6 && segments.length !== 8) return false;
      if (!locationAllowed(segments)) return false;
      const id = segments[5] ?? '';
      switch (segments[4]) {
        case 'channels':
          return (segments.length === 6 || segments[6] === 'dvrSessions') && channel(id);
        case 'assets':
          return segments.length === 6 && asset(id);
        case 'operations':
          return segments.length === 6;
        default:
          return false;
      }
    },
    canListLiveStreamParent: (parent: string): boolean => {
      const segments = parent.split('/');
      if (segments.length === 4) return locationAllowed(segments);
      return (
        segments.length === 6 && segments[4] === 'channels' && locationAllowed(segments) && channel(segments[5] ?? '')
      );
    },
    canAccessOciCompartment: (id: string) => compartment(id),
    canAccessOciMediaAsset: (id: string) => mediaAsset(id),
    canAccessOciDistributionChannel: (id: string) => distributionChannel(id),
    canAccessOciPackagingConfig: (id: string) => packagingConfig(id),
  });
}

const ALLOW = (): boolean => true;

/**
 * The policy that allows everything: for the anonymous development mode and for administrators who act
 * without a tenant. Never hand it to a tenant's caller.
 */
export const UNRESTRICTED_POLICY: TenantPolicy = Object.freeze({
  tenantId: undefined,
  unrestricted: true,
  objectPrefixes: Object.freeze(['/']),
  canAccessObjectPath: ALLOW,
  canListObjectFolder: ALLOW,
  canAccessStream: ALLOW,
  streamNamePrefix: '',
  hasStreamPatterns: true,
  canAccessLiveStreamResource: ALLOW,
  canListLiveStreamParent: ALLOW,
  canAccessOciCompartment: ALLOW,
  canAccessOciMediaAsset: ALLOW,
  canAccessOciDistributionChannel: ALLOW,
  canAccessOciPackagingConfig: ALLOW,
});

/**
 * The stream name inside a Kinesis Video stream ARN
 * (`arn:aws:kinesisvideo:{region}:{account}:stream/{name}/{creationTime}`, any partition), or `undefined`
 * when `arn` does not have that shape. Check the result with {@link TenantPolicy.canAccessStream}.
 */
export function streamNameFromArn(arn: string): string | undefined {
  return KINESIS_STREAM_ARN.exec(arn)?.[1];
}
