import type { ReadinessCheck } from '../health.js';
import { kinesisWiring } from './kinesis.wiring.js';
import { liveStreamWiring } from './livestream.wiring.js';
import { mediaStoreWiring } from './mediastore.wiring.js';
import { ociWiring } from './oci.wiring.js';
import { s3Wiring } from './s3.wiring.js';
import type { EmulatorStartOptions, ProviderContext, ProviderServices, ProviderWiring, WiredProvider } from './provider.js';

/** Every provider the gateway serves, by name. Adding a provider is one line here plus its wiring module. */
export const PROVIDERS = {
  s3: s3Wiring,
  mediastore: mediaStoreWiring,
  kinesis: kinesisWiring,
  livestream: liveStreamWiring,
  oci: ociWiring,
} as const;

type Registry = typeof PROVIDERS;
type ProviderName = keyof Registry;
type EmulatorOf<W> = W extends ProviderWiring<infer _K, infer E> ? E : never;
type KeysOf<W> = W extends ProviderWiring<infer K, infer _E> ? K : never;

// Compile-time check that the registry builds every provider service the gateway needs.
const registryCoversServices: [Exclude<keyof ProviderServices, KeysOf<Registry[ProviderName]>>] extends [never] ? true : never = true;
void registryCoversServices;

function isEnabled(wiring: ProviderWiring<never, unknown>, config: ProviderContext['config']): boolean {
  return wiring.enabled?.(config) ?? true;
}

/** The embedded emulators that were started (a provider with cloud settings has none). Lifetime: until `close()`. */
export type EmbeddedEmulators = { readonly [N in ProviderName]: EmulatorOf<Registry[N]> | undefined } & {
  /** Every started emulator's endpoints, e.g. `{ kinesis: 'http://127.0.0.1:…', livestreamGrpc: '127.0.0.1:…' }`. */
  readonly endpoints: Readonly<Record<string, string>>;
  /** Stops every started emulator; idempotent. */
  close(): Promise<void>;
};

/**
 * Starts the embedded emulator of every provider whose configuration asks for one (`EMULATORS=auto` and no cloud
 * settings). When one fails to start, those already started are stopped before the error propagates.
 * @throws the failing emulator's error (e.g. `EADDRINUSE` on a fixed port).
 */
export async function startEmbeddedEmulators(context: ProviderContext, options: EmulatorStartOptions): Promise<EmbeddedEmulators> {
  const started: { name: ProviderName; emulator: unknown; endpoints: Readonly<Record<string, string>>; close: () => Promise<void> }[] = [];
  const closeAll = async (): Promise<void> => {
    await Promise.all(started.map((entry) => entry.close()));
  };
  try {
    for (const name of Object.keys(PROVIDERS) as ProviderName[]) {
      const wiring: ProviderWiring<never, unknown> = PROVIDERS[name];
      if (!isEnabled(wiring, context.config) || !wiring.emulated(context.config)) continue;
      started.push({ name, ...(await wiring.startEmulator(context, options)) });
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  let closed: Promise<void> | undefined;
  const byName = Object.fromEntries(started.map((entry) => [entry.name, entry.emulator]));
  return {
    ...(Object.fromEntries((Object.keys(PROVIDERS) as ProviderName[]).map((name) => [name, byName[name]])) as { [N in ProviderName]: EmulatorOf<Registry[N]> | undefined }),
    endpoints: Object.assign({}, ...started.map((entry) => entry.endpoints)) as Record<string, string>,
    close: () => (closed ??= closeAll()),
  };
}

/** Every provider's services, readiness checks and a close for all of them. Lifetime: until `close()`. */
export interface WiredProviders {
  readonly services: ProviderServices;
  readonly readiness: readonly ReadinessCheck[];
  /** Closes every provider's clients and readers; idempotent. Emulators are closed separately. */
  close(): Promise<void>;
}

/**
 * Wires every provider against its embedded emulator or its cloud. When one fails, those already wired are
 * closed before the error propagates.
 * @throws ConfigError when a provider has neither an emulator nor cloud settings and cannot run without one.
 */
export async function wireProviders(context: ProviderContext, emulators: EmbeddedEmulators): Promise<WiredProviders> {
  const wired: WiredProvider<never>[] = [];
  const closeAll = async (): Promise<void> => {
    await Promise.all(wired.map((provider) => provider.close()));
  };
  try {
    for (const name of Object.keys(PROVIDERS) as ProviderName[]) {
      const wiring: ProviderWiring<never, unknown> = PROVIDERS[name];
      if (!isEnabled(wiring, context.config)) continue;
      wired.push(await wiring.wire(context, emulators[name]));
    }
  } catch (error) {
    await closeAll();
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    services: Object.assign({}, ...wired.map((provider) => provider.services)) as ProviderServices,
    readiness: wired.flatMap((provider) => provider.readiness),
    close: () => (closed ??= closeAll()),
  };
}
