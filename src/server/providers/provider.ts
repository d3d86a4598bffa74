import type { Services } from '../../auth/services.js';
import type { Config } from '../../config.js';
import type { Logger } from '../../core/logger.js';
import type { UpstreamEndpoints } from '../../datasources/upstream-calls.js';
import type { ReadinessCheck } from '../health.js';

/** The part of {@link Services} that providers build; the rest (cursors, URLs, owners) is the gateway's own. */
export type ProviderServices = Pick<Services, 'objectStore' | 'kinesis' | 'hub' | 'livestream' | 'oci'>;

/** What every wiring step receives. */
export interface ProviderContext {
  readonly config: Config;
  readonly logger: Logger;
  /** Metrics and circuit breakers of the upstream endpoints; wiring routes every SDK client through it. */
  readonly upstream?: UpstreamEndpoints;
}

/** How to start a provider's embedded emulator. */
export interface EmulatorStartOptions {
  /** Seed the demo data `npm start` shows. */
  readonly seedDemo: boolean;
  /**
   * Loopback ports to bind, by endpoint name (the keys of {@link StartedEmulator.endpoints}, e.g. `kinesis`,
   * `livestreamGrpc`); an endpoint not named, or 0, gets a free port.
   */
  readonly ports?: Readonly<Record<string, number>> | undefined;
}

/** An embedded emulator a wiring module started. Lifetime: until `close()`. */
export interface StartedEmulator<E> {
  readonly emulator: E;
  /** Named base URLs or `host:port` addresses (what `media-graph emulate` prints), e.g. `{ kinesis: 'http://…' }`. */
  readonly endpoints: Readonly<Record<string, string>>;
  /** Stops the emulator; idempotent. */
  close(): Promise<void>;
}

/** A provider's clients and datasources, built. Lifetime: until `close()`. */
export interface WiredProvider<K extends keyof ProviderServices> {
  readonly services: Pick<ProviderServices, K>;
  /** What `/readyz` checks for this provider; empty when the provider is not configured. */
  readonly readiness: readonly ReadinessCheck[];
  /** Releases clients and readers (not the emulator: the gateway closes emulators last). Idempotent. */
  close(): Promise<void>;
}

/**
 * One provider's wiring: its clients, datasources, loaders' services and embedded emulator. The gateway knows
 * providers only through this interface and the registry (`registry.ts`), so adding a provider means one new
 * wiring module and one registry line.
 */
export interface ProviderWiring<K extends keyof ProviderServices, E> {
  /** The provider's one name (config prefix, emulator name, readiness check name). */
  readonly name: string;
  /**
   * Whether `config` selects this provider at all; omitted = always. Providers that fill the same service (the
   * object stores, chosen by `OBJECT_STORE`) answer it so that exactly one of them is wired and emulated.
   */
  enabled?(config: Config): boolean;
  /** Whether `config` asks for this provider's embedded emulator (no cloud settings and `EMULATORS=auto`). */
  emulated(config: Config): boolean;
  /** Starts the embedded emulator. @throws when its port cannot be bound. */
  startEmulator(context: ProviderContext, options: EmulatorStartOptions): Promise<StartedEmulator<E>>;
  /**
   * Builds the provider's clients and datasources against `emulator` when one runs, else against the configured
   * cloud. @throws ConfigError when the provider has neither and cannot run without one.
   */
  wire(context: ProviderContext, emulator: E | undefined): Promise<WiredProvider<K>>;
}
