import type { UsageSample } from './ipc.js';
import type { ComponentCosts, MicroPlan } from './security-micro.js';

/**
 * The IPC vocabulary of the security benchmark's own children (`security-gateway.child.ts`,
 * `security-micro.child.ts`). Command maps are type aliases, not interfaces, for the reason `commands.ts` gives.
 */

type NoArgs = Record<string, never>;

/**
 * Environment variable of `security-gateway.child.ts`: when set, the gateway's configuration reads this value
 * as `NODE_ENV` instead of the process's own. Libraries (graphql-js, Express) read `NODE_ENV` from the process
 * environment, the gateway through `loadConfig`; this lets the open server run its libraries in production mode,
 * like the secured one, while its configuration says development, the only mode in which the gateway runs
 * without authentication.
 */
export const CONFIG_NODE_ENV_VARIABLE = 'SECURITY_BENCH_CONFIG_NODE_ENV';

/**
 * Environment variable of `security-gateway.child.ts`: `off` starts the gateway with `withoutHttpOperationGuard`,
 * the open baseline's "limits off" (no configuration variable can do that, by design).
 */
export const OPERATION_GUARD_VARIABLE = 'SECURITY_BENCH_OPERATION_GUARD';

/** Ready info of `security-gateway.child.ts`. */
export interface SecurityGatewayReady {
  /** The gateway's base URL, e.g. `http://127.0.0.1:43211`. */
  readonly url: string;
  /** `NODE_ENV` as the gateway's configuration read it. */
  readonly configEnv: string;
  /** Whether the HTTP GraphQL endpoint runs the operation guard. */
  readonly operationGuard: boolean;
}

/** Commands of `security-gateway.child.ts`. */
export type SecurityGatewayCommands = {
  /** This process's CPU and RSS, by its own account (the benchmark reads `/proc` instead while loading it). */
  usage: { args: NoArgs; result: UsageSample };
};

/** What `security-micro.child.ts` times, all JSON: it builds the schema and the configurations itself. */
export interface MicroArgs {
  /** The two servers' environments, exactly as their processes got them (configuration part only). */
  readonly securedEnv: Readonly<Record<string, string>>;
  readonly openEnv: Readonly<Record<string, string>>;
  readonly query: string;
  readonly operationName: string;
  readonly variables: Readonly<Record<string, unknown>>;
  /** The secured request's headers, names lower-cased as Node presents them. */
  readonly securedHeaders: Readonly<Record<string, string>>;
  readonly token: string;
  readonly jwtSecret: string;
  readonly issuer: string;
  readonly audience: string;
  readonly tenant: string;
  readonly plan: MicroPlan;
}

/** Commands of `security-micro.child.ts`. */
export type SecurityMicroCommands = {
  /** Times the security layer's parts in that process (see `security-micro.ts`). */
  measure: { args: MicroArgs; result: ComponentCosts };
};
