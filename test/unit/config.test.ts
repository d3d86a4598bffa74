import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../src/config.js';

const SECRET = 'a-signing-secret-of-at-least-32-characters';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected ConfigError for ${JSON.stringify(env)}`);
}

/** One bad value per variable; each must be refused with a message naming the variable. */
const BAD_VALUES: ReadonlyArray<readonly [string, string]> = [
  ['NODE_ENV', 'staging'],
  ['HOST', ' '],
  ['HOST', 'local host'],
  ['PORT', 'http'],
  ['PORT', '-1'],
  ['PORT', '65536'],
  ['PORT', '80.5'],
  ['PORT', ' '],
  ['PORT', '1e3'],
  ['PORT', '0x50'],
  ['LOG_LEVEL', 'verbose'],
  ['PUBLIC_BASE_URL', 'not a url'],
  ['PUBLIC_BASE_URL', 'javascript:alert(1)'],
  ['SIGNING_SECRET', 'too-short'],
  ['MEDIASTORE_ENDPOINT', 'localhost:4566'],
  ['MEDIASTORE_ENDPOINT', 'file:///etc/passwd'],
  ['EMULATORS', 'on'],
  ['UPSTREAM_TIMEOUT_MS', '99'],
  ['UPSTREAM_TIMEOUT_MS', '300001'],
  ['UPSTREAM_TIMEOUT_MS', 'ten'],
  ['UPSTREAM_IDLE_TIMEOUT_MS', '50'],
  ['UPSTREAM_MAX_ATTEMPTS', '0'],
  ['UPSTREAM_MAX_ATTEMPTS', '11'],
  ['DESCRIBE_CONCURRENCY', '0'],
  ['DESCRIBE_CONCURRENCY', '65'],
  ['PAGE_SIZE_MAX', '0'],
  ['PAGE_SIZE_MAX', '1001'],
  ['GRAPHQL_BODY_LIMIT_BYTES', '1023'],
  ['INLINE_PUT_MAX_BYTES', '0'],
  ['INLINE_PUT_MAX_BYTES', String(1024 * 1024 + 1)],
  ['SIGNED_URL_TTL_SECONDS', '9'],
  ['SIGNED_URL_TTL_SECONDS', String(7 * 24 * 3600 + 1)],
  ['SHUTDOWN_GRACE_MS', '-5'],
  ['MEDIASTORE_REGION', ' '],
];

describe('loadConfig', () => {
  it('returns the documented defaults when the environment is empty', () => {
    expect(loadConfig({})).toMatchObject({
      env: 'development',
      host: '127.0.0.1',
      port: 4000,
      logLevel: 'info',
      publicBaseUrl: undefined,
      signingSecret: undefined,
      mediastore: { endpoint: undefined, region: 'us-east-1' },
      emulators: 'auto',
      upstream: { timeoutMs: 10_000, idleTimeoutMs: 15_000, maxAttempts: 3 },
      describeConcurrency: 8,
      pageSizeMax: 100,
      graphqlBodyLimitBytes: 2 * 1024 * 1024,
      inlinePutMaxBytes: 1024 * 1024,
      signedUrlTtlSeconds: 900,
      shutdownGraceMs: 30_000,
    });
  });

  it('reads every variable when all are set to valid values', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      HOST: '0.0.0.0',
      PORT: '0',
      LOG_LEVEL: 'warn',
      PUBLIC_BASE_URL: 'https://media.example.test/',
      SIGNING_SECRET: SECRET,
      MEDIASTORE_ENDPOINT: 'https://abc.data.mediastore.us-west-2.amazonaws.com',
      MEDIASTORE_REGION: 'us-west-2',
      EMULATORS: 'off',
      UPSTREAM_TIMEOUT_MS: '2500',
      UPSTREAM_IDLE_TIMEOUT_MS: '4000',
      UPSTREAM_MAX_ATTEMPTS: '5',
      DESCRIBE_CONCURRENCY: '16',
      PAGE_SIZE_MAX: '50',
      GRAPHQL_BODY_LIMIT_BYTES: '1048576',
      INLINE_PUT_MAX_BYTES: '4096',
      SIGNED_URL_TTL_SECONDS: '60',
      SHUTDOWN_GRACE_MS: '0',
    });
    expect(config).toMatchObject({
      env: 'production',
      host: '0.0.0.0',
      port: 0,
      logLevel: 'warn',
      publicBaseUrl: 'https://media.example.test',
      signingSecret: SECRET,
      mediastore: { endpoint: 'https://abc.data.mediastore.us-west-2.amazonaws.com', region: 'us-west-2' },
      emulators: 'off',
      upstream: { timeoutMs: 2500, idleTimeoutMs: 4000, maxAttempts: 5 },
      describeConcurrency: 16,
      pageSizeMax: 50,
      graphqlBodyLimitBytes: 1_048_576,
      inlinePutMaxBytes: 4096,
      signedUrlTtlSeconds: 60,
      shutdownGraceMs: 0,
    });
  });

  it('treats an empty string as unset when a variable is blank', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: '', SIGNING_SECRET: '' })).toMatchObject({ port: 4000, logLevel: 'info', signingSecret: undefined });
  });

  it('ignores variables it does not read when the environment holds others', () => {
    expect(loadConfig({ PATH: '/usr/bin', HOME: '/root' }).port).toBe(4000);
  });

  it('throws ConfigError naming the variable when a value is invalid', () => {
    for (const [name, value] of BAD_VALUES) {
      const error = configError({ [name]: value });
      expect(error.message, `${name}=${JSON.stringify(value)}`).toContain(`${name}:`);
      expect(error.name).toBe('ConfigError');
    }
  });

  it('names every invalid variable when several are bad', () => {
    const error = configError({ PORT: 'x', LOG_LEVEL: 'loud', PAGE_SIZE_MAX: '0' });
    for (const name of ['PORT', 'LOG_LEVEL', 'PAGE_SIZE_MAX']) expect(error.message).toContain(`${name}:`);
  });

  it('refuses production when SIGNING_SECRET is missing', () => {
    const error = configError({ NODE_ENV: 'production' });
    expect(error.message).toContain('SIGNING_SECRET');
    expect(loadConfig({ NODE_ENV: 'production', SIGNING_SECRET: SECRET }).signingSecret).toBe(SECRET);
  });

  it('refuses production JWT authentication when AUTH_ISSUER or AUTH_AUDIENCE is missing', () => {
    const jwt = { NODE_ENV: 'production', SIGNING_SECRET: SECRET, AUTH_JWT_SECRET: 'j'.repeat(40) };
    expect(configError(jwt).message).toContain('AUTH_ISSUER, AUTH_AUDIENCE: required with AUTH_JWT_SECRET when NODE_ENV=production');
    expect(configError({ ...jwt, AUTH_ISSUER: 'https://issuer.example/' }).message).toContain('AUTH_AUDIENCE: required');
    expect(loadConfig({ ...jwt, AUTH_ISSUER: 'https://issuer.example/', AUTH_AUDIENCE: 'media-graph' }).auth.jwt).toMatchObject({ audience: 'media-graph' });
    // Outside production they stay optional, for local identity providers that set neither.
    expect(loadConfig({ AUTH_JWT_SECRET: 'j'.repeat(40) }).auth.jwt?.issuer).toBeUndefined();
  });

  it('never echoes the rejected secret when SIGNING_SECRET is too short', () => {
    const error = configError({ SIGNING_SECRET: 'short-secret-value' });
    expect(error.message).not.toContain('short-secret-value');
  });

  it('lists every variable it reads when CONFIG_VARIABLES is inspected', () => {
    expect(CONFIG_VARIABLES).toEqual(
      expect.arrayContaining([
        'NODE_ENV',
        'HOST',
        'PORT',
        'LOG_LEVEL',
        'PUBLIC_BASE_URL',
        'SIGNING_SECRET',
        'MEDIASTORE_ENDPOINT',
        'MEDIASTORE_REGION',
        'EMULATORS',
        'UPSTREAM_TIMEOUT_MS',
        'UPSTREAM_IDLE_TIMEOUT_MS',
        'UPSTREAM_MAX_ATTEMPTS',
        'DESCRIBE_CONCURRENCY',
        'PAGE_SIZE_MAX',
        'GRAPHQL_BODY_LIMIT_BYTES',
        'INLINE_PUT_MAX_BYTES',
        'SIGNED_URL_TTL_SECONDS',
        'SHUTDOWN_GRACE_MS',
      ]),
    );
  });
});
