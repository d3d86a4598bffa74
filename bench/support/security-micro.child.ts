/**
 * Entry point of the security benchmark's in-process timing (started by `bench/security.bench.ts` with
 * `node --import tsx`, after the load rounds). A process of its own rather than the benchmark's: it must run with
 * the servers' `NODE_ENV=production` (graphql-js fixes its mode when it loads, and the benchmark's process has
 * loaded it long before), and it should not share a heap with the load generator's recorded samples.
 */
import { loadConfig } from '../../src/config.js';
import { buildFederatedSchema } from '../../src/schema/build-schema.js';
import { serveCommands } from './ipc.js';
import type { SecurityMicroCommands } from './security-commands.js';
import { measureComponents } from './security-micro.js';

if (process.env['NODE_ENV'] !== 'production') console.error(`security-micro: NODE_ENV is ${String(process.env['NODE_ENV'])}, not production as in the servers`);

serveCommands<SecurityMicroCommands>(
  null,
  {
    measure: async (args) => {
      const secured = loadConfig(args.securedEnv);
      const jwt = secured.auth.jwt;
      if (jwt === undefined) throw new Error('the secured environment configures no JWT verification');
      return measureComponents(
        {
          schema: await buildFederatedSchema(),
          secured,
          open: loadConfig(args.openEnv),
          request: { query: args.query, operationName: args.operationName, variables: args.variables },
          securedHeaders: args.securedHeaders,
          token: args.token,
          jwtSecret: args.jwtSecret,
          // What `JwtVerifier.create` builds for an HS256 secret with issuer and audience.
          jwtOptions: { algorithms: ['HS256'], clockTolerance: jwt.clockToleranceSeconds, requiredClaims: ['sub'], issuer: args.issuer, audience: args.audience },
          tenant: args.tenant,
        },
        args.plan,
      );
    },
  },
  // The benchmark disconnects when it is done (or gone): nothing to clean up.
  () => process.exit(0),
);
