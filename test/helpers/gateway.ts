import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type GraphQLFormattedError } from 'graphql';
import { loadConfig, type Config } from '../../src/config.js';
import { MediaStoreEmulator, type MediaStoreEmulatorOptions } from '../../src/emulators/mediastore/mediastore.emulator.js';
import { startGateway, type Gateway } from '../../src/server/gateway.js';
import { createLogger, type Logger } from '../../src/core/logger.js';
import { Writable } from 'node:stream';

/** A fixed secret so tests can derive the same keys as the gateway (to forge cursors on purpose). */
export const TEST_SIGNING_SECRET = 'test-signing-secret-that-is-long-enough-0123456789';

/**
 * The configuration of a test gateway on its embedded emulators: loopback, an ephemeral port, {@link TEST_SIGNING_SECRET}
 * and a 1 s shutdown grace, so closing it never waits long; `env` adds variables or overrides these.
 * @throws what `loadConfig` throws for a bad value in `env`.
 */
export function testGatewayConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ NODE_ENV: 'test', HOST: '127.0.0.1', PORT: '0', SIGNING_SECRET: TEST_SIGNING_SECRET, SHUTDOWN_GRACE_MS: '1000', ...env });
}

/** A logger that writes nowhere, for a gateway whose log a test does not read. */
export function quietLogger(): Logger {
  return createLogger('warn', new Writable({ write: (_chunk, _encoding, callback) => callback() }));
}

/** A gateway plus the emulator it talks to; `close()` stops both. */
export interface TestGateway {
  readonly gateway: Gateway;
  readonly emulator: MediaStoreEmulator;
  readonly graphqlUrl: string;
  /** Every log line the gateway wrote, as text (for secret scans). */
  readonly logs: string[];
  close(): Promise<void>;
}

/**
 * Starts a MediaStore emulator and a gateway on ephemeral loopback ports, wired together through config
 * (`MEDIASTORE_ENDPOINT`), as a deployment would be. `env` overrides configuration variables.
 */
export async function startTestGateway(
  env: Record<string, string> = {},
  emulatorOptions: MediaStoreEmulatorOptions = {},
): Promise<TestGateway> {
  // The gateway reaches the emulator as it would a real endpoint: through the SDK's default credential chain.
  process.env['AWS_ACCESS_KEY_ID'] ??= 'AKIDTESTGATEWAY';
  process.env['AWS_SECRET_ACCESS_KEY'] ??= 'test-secret';
  const emulator = await MediaStoreEmulator.start(emulatorOptions);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      logs.push(chunk.toString('utf8'));
      callback();
    },
  });
  let config: Config;
  try {
    config = loadConfig({
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      SIGNING_SECRET: TEST_SIGNING_SECRET,
      MEDIASTORE_ENDPOINT: emulator.endpoint,
      UPSTREAM_MAX_ATTEMPTS: '2',
      SHUTDOWN_GRACE_MS: '2000',
      ...env,
    });
  } catch (error) {
    await emulator.close();
    throw error;
  }
  let gateway: Gateway;
  try {
    gateway = await startGateway(config, { logger: createLogger('info', sink) });
  } catch (error) {
    await emulator.close();
    throw error;
  }
  return {
    gateway,
    emulator,
    graphqlUrl: `${gateway.url}/graphql`,
    logs,
    close: async () => {
      await gateway.close();
      await emulator.close();
    },
  };
}

/** A GraphQL response as JSON. */
export interface GraphqlResponse<TData> {
  readonly status: number;
  readonly data?: TData | null;
  readonly errors?: readonly GraphQLFormattedError[];
}

/** POSTs a typed operation and returns status, data and errors. */
export async function execute<TData, TVariables>(
  url: string,
  document: TypedDocumentNode<TData, TVariables>,
  variables: TVariables,
  headers: Record<string, string> = {},
): Promise<GraphqlResponse<TData>> {
  return postGraphql<TData>(url, { query: print(document), variables }, headers);
}

/** POSTs a raw GraphQL request body. */
export async function postGraphql<TData = Record<string, unknown>>(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<GraphqlResponse<TData>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as { data?: TData | null; errors?: GraphQLFormattedError[] };
  return { status: response.status, ...json };
}

/** The `extensions.code` of each error, in order. */
export function errorCodes(response: { readonly errors?: readonly GraphQLFormattedError[] }): unknown[] {
  return (response.errors ?? []).map((error) => error.extensions?.['code']);
}
