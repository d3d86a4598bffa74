import { z } from 'zod';

/** Default of `RELAY_GC_INTERVAL_BYTES`: small enough to hold a download's garbage well under 16 MiB (see bench/RESULTS.md). */
export const DEFAULT_RELAY_GC_INTERVAL_BYTES = 2 * 1024 * 1024;

/**
 * Every environment variable media-graph reads, with its default. docs/configuration.md's tables are written
 * from the same list by hand: keep them in step (a test compares them).
 */
/**
 * A decimal integer variable in `[min, max]`. Not `z.coerce.number()`: `Number()` reads ' ' as 0, and accepts
 * '1e3' and '0x50', so `PORT=' '` would silently bind an ephemeral port.
 */
function integer(min: number, max: number, fallback: number) {
  // One message for every way a value can miss, so `PORT=-1` and `PORT=70000` both say what would be accepted.
  const range = `must be a whole number in the range ${String(min)}-${String(max)}`;
  return z
    .string()
    .regex(/^\d+$/, range)
    .transform(Number)
    .pipe(z.number().int(range).min(min, range).max(max, range))
    .default(String(fallback));
}

/** An absolute http(s) URL. `z.string().url()` alone accepts `localhost:4566` (scheme `localhost:`) and `file:` URLs. */
const httpUrl = z
  .string()
  .url()
  .refine((value) => /^https?:\/\//i.test(value), 'must be an http:// or https:// URL');

/** A non-empty value without whitespace. */
const word = z.string().regex(/^\S+$/, 'must be non-empty and contain no whitespace');

/** The OpenTelemetry list of `key=value` pairs (`OTEL_RESOURCE_ATTRIBUTES`, `OTEL_EXPORTER_OTLP_HEADERS`). */
const keyValueList = z.string().regex(/^\s*[^\s=,]+\s*=[^,]*(?:,\s*[^\s=,]+\s*=[^,]*)*$/, 'must be comma-separated key=value pairs');

/** An OTLP transport, as the OpenTelemetry specification names them. */
const otlpProtocol = z.enum(['http/protobuf', 'http/json', 'grpc']);

const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: word.default('127.0.0.1'),
  PORT: integer(0, 65535, 4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CONSOLE: z.enum(['on', 'off']).optional(),
  PUBLIC_BASE_URL: httpUrl.optional(),
  SIGNING_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  OBJECT_STORE: z.enum(['s3', 'mediastore']).optional(),
  OBJECT_URLS: z.enum(['gateway', 'direct']).default('gateway'),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be a bucket name: 3-63 lowercase letters, digits, dots and hyphens')
    .optional(),
  S3_PREFIX: z
    .string()
    .regex(/^(?:[A-Za-z0-9_.\-~=:]+\/)*$/, 'must be path segments each ending with / (e.g. media/), or empty')
    .refine((value) => !value.split('/').some((segment) => segment === '.' || segment === '..'), 'must not contain . or .. segments')
    .default(''),
  S3_REGION: word.default('us-east-1'),
  S3_ENDPOINT: httpUrl.optional(),
  S3_FORCE_PATH_STYLE: z.enum(['true', 'false']).optional(),
  MEDIASTORE_ENDPOINT: httpUrl.optional(),
  MEDIASTORE_REGION: word.default('us-east-1'),
  KINESIS_ENDPOINT: httpUrl.optional(),
  KINESIS_REGION: word.default('us-east-1'),
  OCI_ENDPOINT: httpUrl.optional(),
  OCI_REGION: word.default('us-ashburn-1'),
  OCI_TENANCY_ID: word.optional(),
  OCI_USER_ID: word.optional(),
  OCI_FINGERPRINT: word.optional(),
  OCI_PRIVATE_KEY_FILE: z.string().min(1).optional(),
  OCI_PRIVATE_KEY_PASSPHRASE: z.string().min(1).optional(),
  OCI_COMPARTMENT_ID: word.optional(),
  LIVESTREAM_PROJECT: word.optional(),
  LIVESTREAM_LOCATION: word.default('us-central1'),
  LIVESTREAM_API_ENDPOINT: word.optional(),
  LIVESTREAM_REST_ENDPOINT: httpUrl.optional(),
  LIVESTREAM_KEY_FILE: z.string().min(1).optional(),
  EMULATORS: z.enum(['auto', 'off']).default('auto'),
  EMULATOR_PORTS: z.string().min(1).optional(),
  EMULATOR_DEMO_FRAGMENT_MS: integer(10, 3_600_000, 2_000),
  UPSTREAM_TIMEOUT_MS: integer(100, 300_000, 10_000),
  UPSTREAM_IDLE_TIMEOUT_MS: integer(100, 300_000, 15_000),
  UPSTREAM_MAX_ATTEMPTS: integer(1, 10, 3),
  DESCRIBE_CONCURRENCY: integer(1, 64, 8),
  PAGE_SIZE_MAX: integer(1, 1000, 100),
  GRAPHQL_BODY_LIMIT_BYTES: integer(1024, 64 * 1024 * 1024, 2 * 1024 * 1024),
  INLINE_PUT_MAX_BYTES: integer(1, 1024 * 1024, 1024 * 1024),
  SIGNED_URL_TTL_SECONDS: integer(10, 7 * 24 * 3600, 900),
  SHUTDOWN_GRACE_MS: integer(0, 300_000, 30_000),
  RELAY_GC_INTERVAL_BYTES: integer(0, 1024 * 1024 * 1024, DEFAULT_RELAY_GC_INTERVAL_BYTES),
  LIVE_SUBSCRIBER_BUFFER: integer(1, 100_000, 256),
  LIVE_OVERFLOW: z.enum(['gap', 'close']).default('gap'),
  LIVE_WINDOW_FRAGMENTS: integer(1, 100_000, 150),
  LIVE_LINGER_MS: integer(0, 3_600_000, 5_000),
  LIVE_IDLE_TIMEOUT_MS: integer(500, 300_000, 5_000),
  LIVE_HUB: z.enum(['local', 'redis']).default('local'),
  LIVE_LEASE_TTL_MS: integer(500, 600_000, 5_000),
  REDIS_URL: z.string().min(1).optional(),
  REDIS_KEY_PREFIX: z.string().regex(/^[^\s{}]+$/, 'must contain no whitespace and no braces (they would break the per-stream hash tags)').default('media-graph:'),
  AUTH_JWKS_FILE: z.string().min(1).optional(),
  AUTH_JWKS_URL: httpUrl.optional(),
  AUTH_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  AUTH_CLOCK_TOLERANCE_SECONDS: integer(0, 600, 30),
  AUTH_API_KEYS_FILE: z.string().min(1).optional(),
  TENANTS_FILE: z.string().min(1).optional(),
  TENANT_OWNER_MEMO_ENTRIES: integer(0, 10_000_000, 50_000),
  TENANT_OWNER_MEMO_TTL_SECONDS: integer(1, 86_400, 300),
  SUBGRAPH_ROUTER_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  ENTITIES_MAX_REPRESENTATIONS: integer(1, 10_000, 100),
  LIMIT_MAX_DEPTH: integer(1, 100, 12),
  LIMIT_MAX_ALIASES: integer(0, 10_000, 30),
  LIMIT_MAX_ROOT_FIELDS: integer(1, 1_000, 10),
  LIMIT_MAX_DIRECTIVES: integer(0, 10_000, 20),
  LIMIT_MAX_TOKENS: integer(100, 1_000_000, 5_000),
  LIMIT_MAX_COST: integer(1, 100_000_000, 5_000),
  GRAPHQL_BATCH_MAX: integer(0, 100, 0),
  GRAPHQL_JSON_MAX_DEPTH: integer(8, 1_000, 64),
  RATE_LIMIT_PER_SECOND: integer(1, 1_000_000, 50),
  RATE_LIMIT_BURST: integer(1, 1_000_000, 100),
  RATE_LIMIT_REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').optional(),
  PERSISTED_OPERATIONS_ONLY: z.enum(['true', 'false']).default('false'),
  WS_MAX_PAYLOAD_BYTES: integer(1024, 64 * 1024 * 1024, 64 * 1024),
  WS_ALLOWED_ORIGINS: z.string().min(1).optional(),
  WS_MAX_SUBSCRIPTIONS_PER_SOCKET: integer(1, 10_000, 100),
  WS_KEEPALIVE_MS: integer(1_000, 600_000, 12_000),
  METRICS_PORT: z.string().regex(/^(?:off|\d{1,5})$/, 'must be off or a port number in the range 0-65535 (0 = any free port)').optional(),
  METRICS_TOKEN: z.string().regex(/^[\x21-\x7e]{16,}$/, 'must be at least 16 visible ASCII characters').optional(),
  METRICS_STREAM_LABELS: z.string().min(1).optional(),
  UPSTREAM_BREAKER_FAILURES: integer(0, 1_000, 5),
  UPSTREAM_BREAKER_FAILURE_PERCENT: integer(1, 100, 50),
  UPSTREAM_BREAKER_WINDOW_MS: integer(1_000, 3_600_000, 30_000),
  UPSTREAM_BREAKER_HALF_OPEN_MS: integer(100, 3_600_000, 10_000),
  // OpenTelemetry: validated here so a bad value stops startup with its name; the SDK itself reads them from the
  // process environment (see Config['tracing']).
  OTEL_SDK_DISABLED: z.string().regex(/^(?:true|false)$/i, 'must be true or false').optional(),
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none']).optional(),
  OTEL_EXPORTER_OTLP_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: httpUrl.optional(),
  OTEL_EXPORTER_OTLP_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: otlpProtocol.optional(),
  OTEL_EXPORTER_OTLP_HEADERS: keyValueList.optional(),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: keyValueList.optional(),
  OTEL_SERVICE_NAME: word.optional(),
  OTEL_RESOURCE_ATTRIBUTES: keyValueList.optional(),
  OTEL_TRACES_SAMPLER: z
    .enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
    .optional(),
  OTEL_TRACES_SAMPLER_ARG: z.string().regex(/^(?:0(?:\.\d+)?|1(?:\.0+)?|\.\d+)$/, 'must be a decimal number in the range 0-1').optional(),
  OTEL_PROPAGATORS: z
    .string()
    .regex(/^(?:tracecontext|baggage|b3|b3multi|jaeger|none)(?:\s*,\s*(?:tracecontext|baggage|b3|b3multi|jaeger|none))*$/, 'must be a comma-separated list of tracecontext, baggage, b3, b3multi, jaeger or none')
    .optional(),
  OTEL_LOG_LEVEL: z
    .string()
    .regex(/^(?:none|error|warn|info|debug|verbose|all)$/i, 'must be one of none, error, warn, info, debug, verbose, all')
    .transform((value) => value.toLowerCase() as 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all')
    .default('warn'),
});

/** The validated configuration. Immutable; built once at startup by {@link loadConfig}. */
export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly host: string;
  readonly port: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Base URL used when the API hands out links (signed byte URLs); defaults to `http://HOST:PORT`. */
  readonly publicBaseUrl: string | undefined;
  /** HMAC key material for cursors and signed URLs; `undefined` means a random per-process key (development only). */
  readonly signingSecret: string | undefined;
  /** The Objects API: which store serves it, and how bytes move. */
  readonly objects: {
    /**
     * `s3` (the default), or `mediastore`, the legacy store AWS retired on 2025-11-13. Without `OBJECT_STORE`,
     * `mediastore` when `MEDIASTORE_ENDPOINT` is set, so a deployment that predates the variable keeps its store.
     */
    readonly store: 's3' | 'mediastore';
    /**
     * `gateway`: `MediaObject.url` and `createObjectUpload` point at the gateway's signed byte endpoints. `direct`:
     * presigned S3 URLs, so bytes never pass through the gateway (S3 only).
     */
    readonly urls: 'gateway' | 'direct';
  };
  /** Amazon S3 (or an S3-compatible store). Without `bucket` and `endpoint` the embedded emulator is used (when allowed). */
  readonly s3: {
    readonly bucket: string | undefined;
    /** Key prefix of every object (`''` or segments ending with `/`): the Objects API's root inside the bucket. */
    readonly prefix: string;
    readonly region: string;
    /** An S3-compatible endpoint; `undefined` uses AWS's regional endpoint. */
    readonly endpoint: string | undefined;
    /** Path-style addressing; defaults to true with `endpoint`, false for AWS. */
    readonly forcePathStyle: boolean;
  };
  readonly mediastore: {
    /** MediaStore container data endpoint; `undefined` starts the embedded emulator (when emulators are allowed). */
    readonly endpoint: string | undefined;
    readonly region: string;
  };
  readonly kinesis: {
    /** Kinesis Video control-plane endpoint; `undefined` starts the embedded emulator (when emulators are allowed). */
    readonly endpoint: string | undefined;
    readonly region: string;
  };
  /**
   * OCI Media Services. `credentials` is set when OCI_TENANCY_ID is (real OCI, API-key signing); otherwise the
   * embedded emulator is used when emulators are allowed, and OCI features are off when they are not.
   */
  readonly oci: {
    readonly endpoint: string | undefined;
    readonly region: string;
    readonly credentials:
      | {
          readonly tenancyId: string;
          readonly userId: string;
          readonly fingerprint: string;
          /** Path of the PEM private key (the key itself never enters the configuration object). */
          readonly privateKeyFile: string;
          readonly passphrase: string | undefined;
        }
      | undefined;
    /** Compartment `mediaAssets` and the other lists use when the query names none. */
    readonly compartmentId: string | undefined;
  };
  /**
   * Google Cloud Live Stream. With `project` set, the real API is used (Application Default Credentials, or
   * `keyFile`); otherwise the embedded emulator when emulators are allowed, and Live Stream features are off
   * when they are not.
   */
  readonly livestream: {
    readonly project: string | undefined;
    readonly location: string;
    readonly apiEndpoint: string | undefined;
    readonly restEndpoint: string | undefined;
    readonly keyFile: string | undefined;
  };
  /** Live fragment hub tunables. */
  readonly live: {
    /** Events buffered per subscriber before the overflow policy applies. */
    readonly subscriberBuffer: number;
    /** `gap`: skip fragments and send a gap event; `close`: end the subscription with RATE_LIMITED. */
    readonly overflow: 'gap' | 'close';
    /**
     * Recent fragments per stream kept in memory for subscribers starting slightly in the past; at least 1, since
     * catch-up readers hand over to the live feed at the oldest of them.
     */
    readonly windowFragments: number;
    /** How long a stream's upstream reader outlives its last subscriber, in ms. */
    readonly lingerMs: number;
    /** Silence after which an upstream GetMedia session is considered stalled and resumed, in ms. */
    readonly idleTimeoutMs: number;
    /**
     * `local`: one GetMedia reader per stream per instance; `redis`: one per stream across every instance sharing
     * `redis` (fleet mode, docs/architecture.md).
     */
    readonly hub: 'local' | 'redis';
    /** Lifetime of a fleet reader lease in ms; renewed every third of it. Fleet mode only. */
    readonly leaseTtlMs: number;
  };
  /** The Redis the fleet hub coordinates through; set when `REDIS_URL` is. */
  readonly redis: { readonly target: RedisTarget; readonly keyPrefix: string } | undefined;
  /** Whether the gateway serves the web console at `/console` (`CONSOLE`; on unless `NODE_ENV=production`). */
  readonly console: boolean;
  /** `auto`: start an embedded emulator for every provider without a configured endpoint; `off`: never. */
  readonly emulators: 'auto' | 'off';
  /** Settings of the embedded emulators themselves. */
  readonly emulator: {
    /** Fixed loopback ports by endpoint name (`kinesis`, `mediastore`, ...) for `media-graph emulate`; empty = free ports. */
    readonly ports: Readonly<Record<string, number>>;
    /** Milliseconds between two fragments of the demo Kinesis stream (also each fragment's length). */
    readonly demoFragmentMs: number;
  };
  readonly upstream: {
    /** Deadline for one upstream call including retries, in milliseconds. */
    readonly timeoutMs: number;
    /** Longest silence tolerated inside a streamed upstream body, in milliseconds. */
    readonly idleTimeoutMs: number;
    readonly maxAttempts: number;
    /** Circuit breaker per provider endpoint; `consecutiveFailures` 0 turns breakers off. */
    readonly breaker: {
      readonly consecutiveFailures: number;
      /** Failed share of calls (0-1) over `windowMs` that opens a breaker. */
      readonly failureRate: number;
      readonly windowMs: number;
      /** How long an open breaker fails fast before one probe call, in ms. */
      readonly halfOpenAfterMs: number;
    };
  };
  /** Prometheus metrics (see {@link metricsConfig}). */
  readonly metrics: {
    /** Separate metrics listener port on HOST; `undefined` = none. */
    readonly port: number | undefined;
    /** Bearer token for `/metrics` (on the main port when `port` is undefined, else on the metrics listener). */
    readonly token: string | undefined;
    /** Streams that keep their own `stream` label; the rest are aggregated as `other`. */
    readonly streamLabels: readonly string[];
    /** The port is development's default, not the operator's choice: when it is taken, metrics stay off with a warning. */
    readonly byDefault: boolean;
  };
  /**
   * OpenTelemetry traces (see {@link tracingConfig}). The OTEL_* variables are validated from the environment given
   * to {@link loadConfig}; the SDK reads its settings (exporter, sampler, resource, batching) from the process
   * environment itself, which is the same environment under `media-graph serve`.
   */
  readonly tracing: {
    /** Whether the SDK starts: an OTLP endpoint is set, and neither `OTEL_SDK_DISABLED=true` nor `OTEL_TRACES_EXPORTER=none`. */
    readonly enabled: boolean;
    /** The traces endpoint (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, else `OTEL_EXPORTER_OTLP_ENDPOINT`), for the startup line. */
    readonly endpoint: string | undefined;
    /** Threshold of the SDK's own diagnostics (export failures and the like), which go to the process log. */
    readonly diagnostics: 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';
    /** OTEL_* variables that are set but have no effect because traces are off for want of an endpoint. */
    readonly ignored: readonly string[];
  };
  /** Concurrent upstream describes per request (DataLoader batch fan-out). */
  readonly describeConcurrency: number;
  /** Largest accepted `first`. */
  readonly pageSizeMax: number;
  /** Largest GraphQL HTTP request body in bytes; bigger bodies get 413 before parsing. */
  readonly graphqlBodyLimitBytes: number;
  /** Largest decoded body `putObject` accepts through GraphQL, in bytes. */
  readonly inlinePutMaxBytes: number;
  /** Lifetime of signed byte URLs, in seconds. */
  readonly signedUrlTtlSeconds: number;
  /** Bytes relayed by the byte endpoints between two paced young-generation collections; 0 leaves collection to V8. */
  readonly relayGcIntervalBytes: number;
  /** How long shutdown waits for in-flight requests and sockets before forcing them closed, in ms. */
  readonly shutdownGraceMs: number;
  /**
   * Authentication. With neither `jwt` nor `apiKeysFile` the server is in development mode: anonymous callers
   * get full access, which is allowed only on a loopback address outside production.
   */
  readonly auth: {
    readonly jwt:
      | {
          readonly jwksFile?: string;
          readonly jwksUrl?: string;
          readonly hs256Secret?: string;
          readonly issuer?: string;
          readonly audience?: string;
          readonly clockToleranceSeconds: number;
        }
      | undefined;
    readonly apiKeysFile: string | undefined;
    /** Tenants file (JSON or YAML); without it every authenticated caller reaches every resource its scopes allow. */
    readonly tenantsFile: string | undefined;
    /**
     * The memo of owners the provider named (OCI compartments, Live Stream operation targets) that lets the tenant
     * boundary refuse a repeated probe without an upstream call; `maxEntries` 0 turns it off, `ttlMs` in ms.
     */
    readonly ownerMemo: { readonly maxEntries: number; readonly ttlMs: number };
    /** When set, `_service` and `_entities` need this value in the `x-router-secret` header. */
    readonly routerSecret: string | undefined;
    /**
     * Per-tenant request rate (requests per second) and burst; with `redisUrl` the counters are shared by every
     * instance through Redis.
     */
    readonly rateLimit: { readonly requestsPerSecond: number; readonly burst: number; readonly redisUrl: string | undefined };
  };
  /** Operation limits applied alike on HTTP, graphql-ws and SSE. */
  readonly limits: {
    readonly maxDepth: number;
    readonly maxAliases: number;
    readonly maxRootFields: number;
    readonly maxDirectives: number;
    readonly maxTokens: number;
    readonly maxCost: number;
    /** Most `_entities` representations per request. */
    readonly maxEntityRepresentations: number;
    /** Most operations in one batched HTTP request; 0 turns batching off. */
    readonly batchMax: number;
    /** Deepest nesting of JSON arrays and objects in a request body, GET parameter or WebSocket message. */
    readonly jsonMaxDepth: number;
    /** Accept only the operations in `schema/operations/` (and introspection). */
    readonly persistedOperationsOnly: boolean;
  };
  /** graphql-ws transport limits. */
  readonly websocket: {
    /** Largest accepted frame, in bytes; bigger frames close the socket with 1009. */
    readonly maxPayloadBytes: number;
    /** Origins (scheme://host[:port]) allowed besides the server's own; `undefined` = same origin only. */
    readonly allowedOrigins: readonly string[];
    readonly maxSubscriptionsPerSocket: number;
    /** Ping interval; a socket that misses a pong for this long is terminated, in ms. */
    readonly keepAliveMs: number;
  };
}

/** Thrown by {@link loadConfig} when a variable is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** A variable that must be set when another one is. */
function requireWith(value: string | undefined, name: string, because: string): string {
  if (value === undefined) throw new ConfigError(`invalid configuration: ${name}: required when ${because} is set`);
  return value;
}

/** The names of every environment variable {@link loadConfig} reads. */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(envSchema.shape);

/**
 * Parses configuration from an environment map (normally `process.env`). Empty strings count as unset.
 * @throws ConfigError naming each invalid variable and why.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const relevant: Record<string, string> = {};
  for (const name of CONFIG_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value !== '') relevant[name] = value;
  }
  const parsed = envSchema.safeParse(relevant);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  if (e.NODE_ENV === 'production' && e.SIGNING_SECRET === undefined) {
    throw new ConfigError('invalid configuration: SIGNING_SECRET: required when NODE_ENV=production');
  }
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    publicBaseUrl: e.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
    signingSecret: e.SIGNING_SECRET,
    objects: objectsConfig(e),
    s3: {
      bucket: e.S3_BUCKET,
      prefix: e.S3_PREFIX,
      region: e.S3_REGION,
      endpoint: e.S3_ENDPOINT,
      forcePathStyle: e.S3_FORCE_PATH_STYLE === undefined ? e.S3_ENDPOINT !== undefined : e.S3_FORCE_PATH_STYLE === 'true',
    },
    mediastore: { endpoint: e.MEDIASTORE_ENDPOINT, region: e.MEDIASTORE_REGION },
    kinesis: { endpoint: e.KINESIS_ENDPOINT, region: e.KINESIS_REGION },
    livestream: {
      project: e.LIVESTREAM_PROJECT,
      location: e.LIVESTREAM_LOCATION,
      apiEndpoint: e.LIVESTREAM_API_ENDPOINT,
      restEndpoint: e.LIVESTREAM_REST_ENDPOINT,
      keyFile: e.LIVESTREAM_KEY_FILE,
    },
    oci: {
      endpoint: e.OCI_ENDPOINT,
      region: e.OCI_REGION,
      credentials:
        e.OCI_TENANCY_ID === undefined
          ? undefined
          : {
              tenancyId: e.OCI_TENANCY_ID,
              userId: requireWith(e.OCI_USER_ID, 'OCI_USER_ID', 'OCI_TENANCY_ID'),
              fingerprint: requireWith(e.OCI_FINGERPRINT, 'OCI_FINGERPRINT', 'OCI_TENANCY_ID'),
              privateKeyFile: requireWith(e.OCI_PRIVATE_KEY_FILE, 'OCI_PRIVATE_KEY_FILE', 'OCI_TENANCY_ID'),
              passphrase: e.OCI_PRIVATE_KEY_PASSPHRASE,
            },
      compartmentId: e.OCI_COMPARTMENT_ID,
    },
    live: {
      subscriberBuffer: e.LIVE_SUBSCRIBER_BUFFER,
      overflow: e.LIVE_OVERFLOW,
      windowFragments: e.LIVE_WINDOW_FRAGMENTS,
      lingerMs: e.LIVE_LINGER_MS,
      idleTimeoutMs: e.LIVE_IDLE_TIMEOUT_MS,
      hub: e.LIVE_HUB,
      leaseTtlMs: e.LIVE_LEASE_TTL_MS,
    },
    redis: redisConfig(e),
    console: e.CONSOLE === undefined ? e.NODE_ENV !== 'production' : e.CONSOLE === 'on',
    emulators: e.EMULATORS,
    emulator: {
      ports: e.EMULATOR_PORTS === undefined ? {} : parseEndpointPorts(e.EMULATOR_PORTS.split(','), 'EMULATOR_PORTS'),
      demoFragmentMs: e.EMULATOR_DEMO_FRAGMENT_MS,
    },
    upstream: {
      timeoutMs: e.UPSTREAM_TIMEOUT_MS,
      idleTimeoutMs: e.UPSTREAM_IDLE_TIMEOUT_MS,
      maxAttempts: e.UPSTREAM_MAX_ATTEMPTS,
      breaker: {
        consecutiveFailures: e.UPSTREAM_BREAKER_FAILURES,
        failureRate: e.UPSTREAM_BREAKER_FAILURE_PERCENT / 100,
        windowMs: e.UPSTREAM_BREAKER_WINDOW_MS,
        halfOpenAfterMs: e.UPSTREAM_BREAKER_HALF_OPEN_MS,
      },
    },
    describeConcurrency: e.DESCRIBE_CONCURRENCY,
    pageSizeMax: e.PAGE_SIZE_MAX,
    graphqlBodyLimitBytes: e.GRAPHQL_BODY_LIMIT_BYTES,
    inlinePutMaxBytes: e.INLINE_PUT_MAX_BYTES,
    signedUrlTtlSeconds: e.SIGNED_URL_TTL_SECONDS,
    relayGcIntervalBytes: e.RELAY_GC_INTERVAL_BYTES,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    auth: {
      jwt: jwtConfig(e),
      apiKeysFile: e.AUTH_API_KEYS_FILE,
      tenantsFile: e.TENANTS_FILE,
      ownerMemo: { maxEntries: e.TENANT_OWNER_MEMO_ENTRIES, ttlMs: e.TENANT_OWNER_MEMO_TTL_SECONDS * 1000 },
      routerSecret: e.SUBGRAPH_ROUTER_SECRET,
      rateLimit: { requestsPerSecond: e.RATE_LIMIT_PER_SECOND, burst: e.RATE_LIMIT_BURST, redisUrl: e.RATE_LIMIT_REDIS_URL },
    },
    limits: {
      maxDepth: e.LIMIT_MAX_DEPTH,
      maxAliases: e.LIMIT_MAX_ALIASES,
      maxRootFields: e.LIMIT_MAX_ROOT_FIELDS,
      maxDirectives: e.LIMIT_MAX_DIRECTIVES,
      maxTokens: e.LIMIT_MAX_TOKENS,
      maxCost: e.LIMIT_MAX_COST,
      maxEntityRepresentations: e.ENTITIES_MAX_REPRESENTATIONS,
      batchMax: e.GRAPHQL_BATCH_MAX,
      jsonMaxDepth: e.GRAPHQL_JSON_MAX_DEPTH,
      persistedOperationsOnly: e.PERSISTED_OPERATIONS_ONLY === 'true',
    },
    websocket: {
      maxPayloadBytes: e.WS_MAX_PAYLOAD_BYTES,
      allowedOrigins: parseOrigins(e.WS_ALLOWED_ORIGINS),
      maxSubscriptionsPerSocket: e.WS_MAX_SUBSCRIPTIONS_PER_SOCKET,
      keepAliveMs: e.WS_KEEPALIVE_MS,
    },
    metrics: metricsConfig(e),
    tracing: tracingConfig(e),
  };
}

/** Port of the metrics listener when development turns it on by default (the Prometheus exporter convention). */
export const DEFAULT_METRICS_PORT = 9464;

/**
 * Where metrics are served. `METRICS_PORT` (a port) starts a separate listener on HOST; `METRICS_TOKEN` alone serves
 * `/metrics` on the main port behind that bearer token (with both, the listener asks for the token). Without either,
 * development listens on {@link DEFAULT_METRICS_PORT} and other environments serve no metrics; `METRICS_PORT=off`
 * turns them off everywhere.
 * @throws ConfigError when metrics would be on by default on a HOST other machines reach: neither a port the
 * operator chose nor a token protects them.
 */
function metricsConfig(e: z.infer<typeof envSchema>): Config['metrics'] {
  const streamLabels = (e.METRICS_STREAM_LABELS ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  const port = e.METRICS_PORT === undefined || e.METRICS_PORT === 'off' ? undefined : Number(e.METRICS_PORT);
  if (port !== undefined && port > 65_535) throw new ConfigError('invalid configuration: METRICS_PORT: must be off or a port number in the range 0-65535 (0 = any free port)');
  if (port !== undefined && port !== 0 && port === e.PORT) throw new ConfigError('invalid configuration: METRICS_PORT: must differ from PORT (set METRICS_TOKEN instead to serve /metrics on the main port)');
  if (e.METRICS_PORT !== undefined || e.METRICS_TOKEN !== undefined || e.NODE_ENV !== 'development') {
    return { port, token: e.METRICS_TOKEN, streamLabels, byDefault: false };
  }
  if (!isLoopbackHost(e.HOST)) {
    throw new ConfigError(
      `invalid configuration: METRICS_PORT: development serves metrics by default on port ${String(DEFAULT_METRICS_PORT)}, and HOST=${e.HOST} is not a loopback address, ` +
        'so anyone who reaches this machine could read them; set METRICS_TOKEN (bearer token for /metrics), METRICS_PORT (a port you keep off public networks), or METRICS_PORT=off',
    );
  }
  return { port: DEFAULT_METRICS_PORT, token: undefined, streamLabels, byDefault: true };
}

/**
 * Whether traces are exported. Off unless an OTLP endpoint is named: the SDK would otherwise send to
 * `localhost:4318`, so a deployment without a collector would pay for spans nobody receives and log an export failure
 * every few seconds. `OTEL_SDK_DISABLED=true` and `OTEL_TRACES_EXPORTER=none` turn it off as the specification says.
 */
function tracingConfig(e: z.infer<typeof envSchema>): Config['tracing'] {
  const endpoint = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? e.OTEL_EXPORTER_OTLP_ENDPOINT;
  const disabled = e.OTEL_SDK_DISABLED?.toLowerCase() === 'true' || e.OTEL_TRACES_EXPORTER === 'none';
  const enabled = endpoint !== undefined && !disabled;
  const settings = Object.keys(e).filter((name) => name.startsWith('OTEL_') && name !== 'OTEL_LOG_LEVEL' && e[name as keyof typeof e] !== undefined);
  return { enabled, endpoint, diagnostics: e.OTEL_LOG_LEVEL, ignored: enabled || disabled ? [] : settings.sort() };
}

/** A bind address only this machine reaches. */
function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Settings that are valid but probably not what the operator meant, one sentence each, for the caller to log at
 * startup (empty when there are none). Pure: reads only `config`.
 */
export function configWarnings(config: Config): readonly string[] {
  const warnings: string[] = [];
  if (config.tracing.ignored.length > 0) {
    warnings.push(
      `${config.tracing.ignored.join(', ')} set, but neither OTEL_EXPORTER_OTLP_ENDPOINT nor OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is: ` +
        'traces are off; set one of them to the collector',
    );
  }
  if (config.publicBaseUrl === undefined && isWildcardHost(config.host)) {
    // Without PUBLIC_BASE_URL the signed byte URLs are built from the listening address, which for a wildcard bind
    // names no interface a client could reach.
    const listening = config.host.includes(':') ? `[${config.host.replace(/^\[|\]$/g, '')}]` : config.host;
    warnings.push(
      `HOST=${config.host} listens on every interface but PUBLIC_BASE_URL is not set: signed URLs will point at ` +
        `http://${listening}:${String(config.port)}, which clients cannot reach; set PUBLIC_BASE_URL to the URL clients use`,
    );
  }
  return warnings;
}

/** A host that binds every interface: `0.0.0.0`, or the IPv6 unspecified address in any spelling (`::`, `[::]`, `0:0:0:0:0:0:0:0`). */
function isWildcardHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === '0.0.0.0') return true;
  return bare.includes('::') || bare.split(':').length === 8 ? bare.split(':').every((group) => /^0*$/.test(group)) : false;
}

/** Which object store serves the Objects API, and how its bytes move. */
function objectsConfig(e: z.infer<typeof envSchema>): Config['objects'] {
  const store = e.OBJECT_STORE ?? (e.MEDIASTORE_ENDPOINT === undefined ? 's3' : 'mediastore');
  if (store === 's3' && e.S3_ENDPOINT !== undefined) requireWith(e.S3_BUCKET, 'S3_BUCKET', 'S3_ENDPOINT');
  if (e.OBJECT_URLS === 'direct' && store !== 's3') {
    throw new ConfigError('invalid configuration: OBJECT_URLS: direct needs OBJECT_STORE=s3 (MediaStore has no presigned URLs)');
  }
  return { store, urls: e.OBJECT_URLS };
}

/** The JWT settings, or undefined when no key source is set. At most one key source may be. */
function jwtConfig(e: z.infer<typeof envSchema>): Config['auth']['jwt'] {
  const sources = (['AUTH_JWKS_FILE', 'AUTH_JWKS_URL', 'AUTH_JWT_SECRET'] as const).filter((name) => e[name] !== undefined);
  if (sources.length > 1) throw new ConfigError(`invalid configuration: ${sources.join(', ')}: set only one JWT key source`);
  if (sources.length === 0) {
    for (const name of ['AUTH_ISSUER', 'AUTH_AUDIENCE'] as const) {
      if (e[name] !== undefined) throw new ConfigError(`invalid configuration: ${name}: needs AUTH_JWKS_FILE, AUTH_JWKS_URL or AUTH_JWT_SECRET`);
    }
    return undefined;
  }
  if (e.NODE_ENV === 'production') {
    // Without them any token the key source signs would do, including one the issuer minted for another service.
    const missing = (['AUTH_ISSUER', 'AUTH_AUDIENCE'] as const).filter((name) => e[name] === undefined);
    if (missing.length > 0) throw new ConfigError(`invalid configuration: ${missing.join(', ')}: required with ${sources.join(', ')} when NODE_ENV=production`);
  }
  return {
    ...(e.AUTH_JWKS_FILE === undefined ? {} : { jwksFile: e.AUTH_JWKS_FILE }),
    ...(e.AUTH_JWKS_URL === undefined ? {} : { jwksUrl: e.AUTH_JWKS_URL }),
    ...(e.AUTH_JWT_SECRET === undefined ? {} : { hs256Secret: e.AUTH_JWT_SECRET }),
    ...(e.AUTH_ISSUER === undefined ? {} : { issuer: e.AUTH_ISSUER }),
    ...(e.AUTH_AUDIENCE === undefined ? {} : { audience: e.AUTH_AUDIENCE }),
    clockToleranceSeconds: e.AUTH_CLOCK_TOLERANCE_SECONDS,
  };
}

/**
 * Endpoint ports given as `name=port` entries (`kinesis=4566`), from `EMULATOR_PORTS` (comma-separated) or
 * `media-graph emulate --port`; a later entry for the same name wins. Port 0 asks for a free port. Which names
 * exist is the emulators' business: this checks only the shape.
 * @throws ConfigError naming `source` for an entry that is not `name=port` with a port in 0..65535.
 */
export function parseEndpointPorts(entries: readonly string[], source: string): Readonly<Record<string, number>> {
  const ports: Record<string, number> = {};
  for (const raw of entries) {
    const entry = raw.trim();
    const match = /^([A-Za-z][A-Za-z0-9]*)=(\d{1,5})$/.exec(entry);
    const port = Number(match?.[2]);
    if (match?.[1] === undefined || port > 65_535) {
      throw new ConfigError(`invalid configuration: ${source}: '${entry}' must be name=port with a port from 0 to 65535, e.g. kinesis=4566`);
    }
    ports[match[1]] = port;
  }
  return ports;
}

/** One Redis host and port. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/** Credentials and TLS shared by every node of a Redis deployment. */
export interface RedisAuth {
  readonly username: string | undefined;
  readonly password: string | undefined;
  /** `rediss`: TLS to every node. */
  readonly tls: boolean;
}

/**
 * Where Redis is, parsed from `REDIS_URL`: one server (`redis://` / `rediss://`, given to ioredis as is), a Sentinel
 * group (`redis+sentinel://[user:pass@]host:port,host:port/masterName[/db]`, optional `?sentinelPassword=`), or a
 * Cluster seed list (comma-separated `redis://host:port` URLs).
 */
export type RedisTarget =
  | { readonly mode: 'standalone'; readonly url: string }
  | (RedisAuth & {
      readonly mode: 'sentinel';
      readonly sentinels: readonly RedisNode[];
      readonly masterName: string;
      readonly db: number;
      readonly sentinelPassword: string | undefined;
    })
  | (RedisAuth & { readonly mode: 'cluster'; readonly nodes: readonly RedisNode[] });

/** The fleet hub's Redis, or undefined without `REDIS_URL`; `LIVE_HUB=redis` needs it. */
function redisConfig(e: z.infer<typeof envSchema>): Config['redis'] {
  if (e.REDIS_URL === undefined) {
    if (e.LIVE_HUB === 'redis') throw new ConfigError('invalid configuration: REDIS_URL: required when LIVE_HUB=redis');
    return undefined;
  }
  return { target: parseRedisUrl(e.REDIS_URL), keyPrefix: e.REDIS_KEY_PREFIX };
}

/**
 * Parses `REDIS_URL` (see {@link RedisTarget}).
 * @throws ConfigError naming `REDIS_URL` and what is wrong (never echoing the value: it may carry a password).
 */
export function parseRedisUrl(value: string): RedisTarget {
  const fail = (why: string): never => {
    throw new ConfigError(`invalid configuration: REDIS_URL: ${why}`);
  };
  const sentinel = /^(rediss?)\+sentinel:\/\/(?:([^@/]*)@)?([^/?]+)\/([^/?]+)(?:\/(\d+))?\/?(?:\?(.*))?$/i.exec(value);
  if (sentinel !== null) {
    const [, scheme = '', userinfo, hosts = '', masterName = '', db, query] = sentinel;
    const params = new URLSearchParams(query ?? '');
    return {
      mode: 'sentinel',
      ...splitUserinfo(userinfo),
      tls: scheme.toLowerCase() === 'rediss',
      sentinels: hosts.split(',').map((entry) => parseHostPort(entry.trim(), 26_379, fail)),
      masterName: decodeURIComponent(masterName),
      db: db === undefined ? 0 : Number(db),
      sentinelPassword: params.get('sentinelPassword') ?? undefined,
    };
  }
  if (/^rediss?\+sentinel:/i.test(value)) fail('a Sentinel URL is redis+sentinel://[user:password@]host:port[,host:port...]/masterName[/db]');
  const entries = value.split(',').map((entry) => entry.trim());
  const urls = entries.map((entry) => {
    if (!/^rediss?:\/\/[^\s]+$/i.test(entry)) {
      fail('must be a redis:// or rediss:// URL, a redis+sentinel:// URL, or a comma-separated list of redis:// cluster nodes');
    }
    try {
      return new URL(entry);
    } catch {
      return fail('is not a valid URL');
    }
  });
  if (urls.length === 1) return { mode: 'standalone', url: value };
  const schemes = new Set(urls.map((url) => url.protocol.toLowerCase()));
  if (schemes.size > 1) fail('cluster nodes must all use redis:// or all use rediss://');
  const first = urls.find((url) => url.username !== '' || url.password !== '');
  return {
    mode: 'cluster',
    username: first === undefined || first.username === '' ? undefined : decodeURIComponent(first.username),
    password: first === undefined || first.password === '' ? undefined : decodeURIComponent(first.password),
    tls: schemes.has('rediss:'),
    nodes: urls.map((url) => ({ host: url.hostname, port: url.port === '' ? 6379 : Number(url.port) })),
  };
}

function splitUserinfo(userinfo: string | undefined): Pick<RedisAuth, 'username' | 'password'> {
  if (userinfo === undefined || userinfo === '') return { username: undefined, password: undefined };
  const colon = userinfo.indexOf(':');
  const username = colon === -1 ? userinfo : userinfo.slice(0, colon);
  const password = colon === -1 ? undefined : userinfo.slice(colon + 1);
  return {
    username: username === '' ? undefined : decodeURIComponent(username),
    password: password === undefined || password === '' ? undefined : decodeURIComponent(password),
  };
}

function parseHostPort(entry: string, defaultPort: number, fail: (why: string) => never): RedisNode {
  const match = /^(\[[0-9a-f:.]+\]|[^:\s[\]]+)(?::(\d{1,5}))?$/i.exec(entry);
  const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
  if (match?.[1] === undefined || port < 1 || port > 65_535) return fail('each Sentinel must be host[:port] with a port from 1 to 65535');
  return { host: match[1].replace(/^\[|\]$/g, ''), port };
}

/** Comma-separated origins, each `scheme://host[:port]` without a path. */
function parseOrigins(value: string | undefined): readonly string[] {
  if (value === undefined) return [];
  return value.split(',').map((raw) => {
    const origin = raw.trim();
    let parsed: URL;
    try {
      parsed = new URL(origin);
    } catch (error) {
      throw new ConfigError(`invalid configuration: WS_ALLOWED_ORIGINS: '${origin}' is not an origin (${String(error)})`);
    }
    if (parsed.origin !== origin) throw new ConfigError(`invalid configuration: WS_ALLOWED_ORIGINS: '${origin}' must be exactly scheme://host[:port]`);
    return origin;
  });
}
