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

/** Requests every emulator behind the test gateway has received so far (its MediaStore and the embedded ones). */
export function upstreamCalls(t: TestGateway): number {
  const embedded = t.gateway.emulators;
  return t.emulator.count() + (embedded.kinesis?.count() ?? 0) + (embedded.livestream?.count() ?? 0) + (embedded.oci?.emulator.count() ?? 0);
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
