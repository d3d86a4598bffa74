import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { defaultFieldResolver, type GraphQLSchema } from 'graphql';
import type { TestGateway } from './gateway.js';

/**
 * A full garbage collection, so memory samples compare live memory rather than garbage awaiting collection. Uses
 * `global.gc` when the process runs with `--expose-gc`; otherwise enables the same V8 flag at runtime and takes
 * the function from a fresh context (V8 installs `gc` on contexts created after the flag is set).
 */
export function fullGc(): () => void {
  if (globalThis.gc !== undefined) return globalThis.gc;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * Requests every emulator behind the test gateway has received so far: its MediaStore, and the embedded ones (the
 * embedded object store, S3 or MediaStore, counts when the gateway was started with one).
 */
export function upstreamCalls(t: TestGateway): number {
  const embedded = t.gateway.emulators;
  return (
    t.emulator.count() +
    (embedded.s3?.count() ?? 0) +
    (embedded.mediastore?.count() ?? 0) +
    (embedded.kinesis?.count() ?? 0) +
    (embedded.livestream?.count() ?? 0) +
    (embedded.oci?.emulator.count() ?? 0)
  );
}

/**
 * Every request the emulators behind the test gateway have received since the last {@link resetUpstreamLog}, as
 * `provider:Operation` (`mediastore:GetObject`, `s3:HeadObject`, `kinesis:ListStreams`, `livestream:GetOperation`, `oci:...`), in
 * order per provider. Embedded emulators the gateway did not start contribute nothing.
 */
export function upstreamOperations(t: TestGateway): string[] {
  const embedded = t.gateway.emulators;
  return [
    ...t.emulator.requests.map((request) => `mediastore:${request.operation}`),
    ...(embedded.s3?.requests ?? []).map((request) => `s3:${request.operation}`),
    ...(embedded.mediastore?.requests ?? []).map((request) => `mediastore:${request.operation}`),
    ...(embedded.kinesis?.requests ?? []).map((request) => `kinesis:${request.operation}`),
    ...(embedded.livestream?.requests ?? []).map((request) => `livestream:${request.operation}`),
    ...(embedded.oci?.emulator.requests ?? []).map((request) => `oci:${request.operation}`),
  ];
}

/** Clears the request log of every emulator behind the test gateway. */
export function resetUpstreamLog(t: TestGateway): void {
  t.emulator.resetRequests();
  t.gateway.emulators.s3?.resetRequests();
  t.gateway.emulators.mediastore?.resetRequests();
  t.gateway.emulators.kinesis?.resetRequests();
  t.gateway.emulators.livestream?.resetRequests();
  t.gateway.emulators.oci?.emulator.resetRequests();
}

/** Counts calls of every root field resolver (and subscription source) of `schema` until restored. */
export class RootResolverProbe {
  calls = 0;
  private readonly restores: (() => void)[] = [];

  constructor(schema: GraphQLSchema) {
    for (const type of [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]) {
      for (const field of Object.values(type?.getFields() ?? {})) {
        const { resolve, subscribe } = field;
        const inner = resolve ?? defaultFieldResolver;
        field.resolve = (source, args, context, info) => {
          this.calls += 1;
          return inner(source, args, context, info);
        };
        if (subscribe !== undefined) {
          field.subscribe = (source, args, context, info) => {
            this.calls += 1;
            return subscribe(source, args, context, info);
          };
        }
        this.restores.push(() => {
          field.resolve = resolve;
          field.subscribe = subscribe;
        });
      }
    }
  }

  /** Puts the original resolvers back. */
  restore(): void {
    for (const restore of this.restores.splice(0)) restore();
  }
}
