import { createHmac, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { jwtVerify, type JWTVerifyOptions } from 'jose';
import { parse, validate, type GraphQLSchema } from 'graphql';
import type { Config } from '../../src/config.js';
import { Access } from '../../src/auth/access.js';
import { Security } from '../../src/auth/security.js';
import { createLogger } from '../../src/core/logger.js';
import { OperationGuard, type GuardedRequest } from '../../src/server/operation-guard.js';
import { median, range } from './stats.js';

/**
 * In-process timings of the security layer's parts, for the same request the servers are loaded with. The
 * server-level comparison says what the layer costs altogether; these say which part costs what, including the
 * limit checks, which the open server runs too (there is no switch to turn them off) and which that comparison
 * therefore cannot see.
 */

/** Cost of one call, from many timed batches. */
export interface CallCost {
  /** Median over the batches of (process CPU time of the batch / calls in the batch), µs. */
  readonly medianUs: number;
  /** Fastest and slowest batch, per call, µs. */
  readonly minUs: number;
  readonly maxUs: number;
  /**
   * The system (kernel) part alone, per call, over all batches together, µs. Not a median: Linux splits a
   * process's CPU time into user and system by sampling at clock ticks (4–10 ms), so a 10 ms batch often shows
   * none or a whole tick; only the sum over many batches is meaningful.
   */
  readonly systemUs: number;
  readonly batches: number;
  readonly callsPerBatch: number;
}

/** How long and how often to time the parts. */
export interface MicroPlan {
  /** Untimed calls of each part first, so it is optimised and its caches are warm; also calibrates the batch size, ms. */
  readonly warmupMs: number;
  /** Each timed batch lasts about this long, ms. */
  readonly batchMs: number;
  /** Rounds over all parts; each round times `batchesPerRound` batches of every part, one part after the other. */
  readonly rounds: number;
  readonly batchesPerRound: number;
}

/** What the bench measures in process. */
export interface ComponentCosts {
  /** `OperationGuard.check` as `guardOperations` calls it, with the secured server's (default) limits. */
  readonly guardSecured: CallCost;
  /** The same with the open server's limits (every limit at its maximum): the checks still run. */
  readonly guardOpen: CallCost;
  /**
   * graphql-js `validate()` with no rules on the request's document: the TypeInfo walk the guard would pay on every
   * request to host its limit rules (one acts on the Document node and walks the operation itself, the other
   * counts directives).
   */
  readonly validateWalk: CallCost;
  /** `Security.fromHeaders` for the bearer token: header parsing, HS256 JWT verification, tenant policy lookup. */
  readonly authenticate: CallCost;
  /** `Security.charge`: one unit from the tenant's in-memory rate limiter. */
  readonly charge: CallCost;
  /** jose `jwtVerify` with the secret as bytes (jose imports the key on every call); `JwtVerifier` imports it once and caches verified tokens. */
  readonly joseBytesKey: CallCost;
  /** jose `jwtVerify` with the same secret imported once as a `CryptoKey` (reference, not what src/ does). */
  readonly joseCryptoKey: CallCost;
  /**
   * The token's HS256 signature checked synchronously with `node:crypto` (`createHmac` + `timingSafeEqual`):
   * what the signature check itself costs without WebCrypto's promise and thread-pool round trip (reference).
   */
  readonly syncHmac: CallCost;
}

/** The inputs of {@link measureComponents}. */
export interface ComponentInputs {
  readonly schema: GraphQLSchema;
  /** Configuration of the secured server (auth, tenants file, default limits). */
  readonly secured: Config;
  /** Configuration of the open server (no auth, limits at their maxima). */
  readonly open: Config;
  /** The request the servers are loaded with. */
  readonly request: GuardedRequest;
  /** The request's headers as Node presents them to the middleware (lower-case names). */
  readonly securedHeaders: Readonly<Record<string, string>>;
  /** The bearer token alone, and what `JwtVerifier` checks it with. */
  readonly token: string;
  readonly jwtSecret: string;
  readonly jwtOptions: JWTVerifyOptions;
  /** The tenant the token names (checked on the authenticated principal). */
  readonly tenant: string;
}

/** One part to time: `prepare` runs before each batch (and each warm-up step), untimed, and hands it its inputs. */
interface Part<T> {
  readonly prepare: (calls: number) => T;
  readonly call: (input: T, index: number) => unknown;
}

/** A part with its batch size calibrated and its per-call samples so far. */
interface Timed {
  /** Runs one batch; CPU per call, total and system part, µs. */
  readonly runBatch: () => Promise<{ readonly totalUs: number; readonly systemUs: number }>;
  readonly samples: number[];
  readonly systemSamples: number[];
  readonly callsPerBatch: number;
}

/**
 * Runs calls `from` to `to - 1` of a batch, one at a time. A synchronous part runs in a plain loop (an await would
 * add a microtask hop the server does not pay). An asynchronous one is awaited call by call, which is how the
 * server meets it: each request's JWT verification arrives alone, milliseconds after the previous one, and
 * WebCrypto runs it on libuv's thread pool, whose threads sleep in between, so every call pays for waking one and
 * for being woken when it is done. Calls kept in flight together would share those wake-ups and measure a
 * fraction of the cost.
 */
async function runCalls<T>(part: Part<T>, input: T, from: number, to: number): Promise<void> {
  for (let index = from; index < to; index += 1) {
    const result = part.call(input, index);
    if (result instanceof Promise) await result;
  }
}

/** Warms `part` up for `plan.warmupMs` and sizes its batches from the calls that fitted. */
async function calibrate<T>(part: Part<T>, plan: MicroPlan): Promise<Timed> {
  let calls = 0;
  const step = 64;
  const warmupEnd = performance.now() + plan.warmupMs;
  while (performance.now() < warmupEnd) {
    await runCalls(part, part.prepare(step), 0, step);
    calls += step;
  }
  const callsPerBatch = Math.max(10, Math.round((calls / plan.warmupMs) * plan.batchMs));
  const runBatch = async (): Promise<{ totalUs: number; systemUs: number }> => {
    const input = part.prepare(callsPerBatch);
    // CPU time, not wall time: it is what the server pays (the pool threads' share included, as in the server's
    // /proc figures), and a time slice lost to another process on this shared machine does not count in it.
    const started = process.cpuUsage();
    await runCalls(part, input, 0, callsPerBatch);
    const used = process.cpuUsage(started);
    return { totalUs: (used.user + used.system) / callsPerBatch, systemUs: used.system / callsPerBatch };
  };
  return { runBatch, samples: [], systemSamples: [], callsPerBatch };
}

/**
 * Times every part in batches, interleaved: round after round, a few batches of each part in turn. Batches (not
 * single calls) because one call costs µs, below what a CPU-time reading resolves.
 * Interleaved because this machine is shared and its speed drifts by tens of percent within seconds: timing one
 * part after the other would hand each part a different machine, and comparisons between parts (the two jose
 * keys, the two guards) would measure the drift. The median over the batches keeps a GC pause or a preempted time
 * slice from deciding the figure, while every batch still pays its fair share of collections.
 */
async function timeInterleaved(parts: Readonly<Record<string, Part<never>>>, plan: MicroPlan): Promise<Record<string, CallCost>> {
  const timed = new Map<string, Timed>();
  for (const [name, part] of Object.entries(parts)) timed.set(name, await calibrate(part, plan));
  for (let round = 0; round < plan.rounds; round += 1) {
    for (const entry of timed.values()) {
      for (let batch = 0; batch < plan.batchesPerRound; batch += 1) {
        const { totalUs, systemUs } = await entry.runBatch();
        entry.samples.push(totalUs);
        entry.systemSamples.push(systemUs);
      }
    }
  }
  const costs: Record<string, CallCost> = {};
  for (const [name, entry] of timed) {
    const { min, max } = range(entry.samples);
    costs[name] = {
      medianUs: median(entry.samples),
      minUs: min,
      maxUs: max,
      systemUs: entry.systemSamples.reduce((sum, value) => sum + value, 0) / entry.systemSamples.length,
      batches: entry.samples.length,
      callsPerBatch: entry.callsPerBatch,
    };
  }
  return costs;
}

/**
 * Distinct copies of `text`. The server sees a new query string in every request (fresh from `JSON.parse`), so
 * the guard's document-cache lookup hashes and compares it every time; a benchmark reusing one string object
 * would find its hash cached by V8 and measure less than the server does.
 */
function freshCopies(text: string, count: number): string[] {
  return Array.from({ length: count }, () => Buffer.from(text, 'utf8').toString('utf8'));
}

function guardFor(schema: GraphQLSchema, config: Config): OperationGuard {
  // The arguments `startGateway` passes: no safelist (PERSISTED_OPERATIONS_ONLY is off in both servers).
  return new OperationGuard(schema, config.limits, undefined, config.auth.routerSecret, config.pageSizeMax);
}

/** `guardOperations`' call for a caller with `access` (the guard also checks the root fields' scopes against it). */
function guardPart(guard: OperationGuard, request: GuardedRequest, access: Access): Part<string[]> {
  const query = request.query ?? '';
  const first = guard.check(request, undefined, { validate: false, access });
  if (!first.ok) throw new Error(`the guard refused the benchmark query: ${first.errors.map((error) => error.message).join('; ')}`);
  return {
    prepare: (calls) => freshCopies(query, calls),
    call: (queries, index) => {
      // Checked inside the loop as well: a refusal is cheaper than an acceptance and would flatter the figure.
      const result = guard.check({ ...request, query: queries[index] as string }, undefined, { validate: false, access });
      if (!result.ok) throw new Error('the guard refused the benchmark query');
    },
  };
}

let rateKeys = 0;

/**
 * `access` under a rate-limit key of its own (the limiter keys callers without a tenant by subject). The
 * limiter really counts, and at a µs per call a few warm-up seconds on one key would spend the million-request
 * window the configuration allows and be refused; a key per batch keeps each far below it while every call
 * but the first of a batch still finds its key in place, as the tenant's key is in the server.
 */
function rateKeyOf(access: Access): Access {
  rateKeys += 1;
  return new Access({ ...access.principal, tenant: undefined, subject: `security-bench-${rateKeys}` }, access.policy);
}

/** Adapts a typed part to the untyped table {@link timeInterleaved} takes; each part keeps its own input type. */
function part<T>(value: Part<T>): Part<never> {
  return value as unknown as Part<never>;
}

/**
 * Times every part in this process (see {@link timeInterleaved}).
 * @throws Error when a part refuses the benchmark's request (wrong setup, not a slow path).
 */
export async function measureComponents(inputs: ComponentInputs, plan: MicroPlan): Promise<ComponentCosts> {
  const logger = createLogger('silent');
  const security = await Security.create(inputs.secured, logger);
  const access = await security.fromHeaders(inputs.securedHeaders);
  if (access.principal.tenant !== inputs.tenant || access.unrestricted) {
    throw new Error(`the token authenticated as tenant ${String(access.principal.tenant)} (unrestricted: ${String(access.unrestricted)})`);
  }
  // The open server's caller: no credentials, so the anonymous development access.
  const openSecurity = await Security.create(inputs.open, logger);
  const openAccess = await openSecurity.fromHeaders({});
  if (!openAccess.unrestricted) throw new Error('the open configuration did not grant the anonymous caller full access');
  const secretBytes = new TextEncoder().encode(inputs.jwtSecret);
  const cryptoKey = await crypto.subtle.importKey('raw', secretBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
  const document = parse(inputs.request.query ?? '');
  // The JWS signing input (header.payload) and the signature bytes, split once as a verifier would per request.
  const lastDot = inputs.token.lastIndexOf('.');
  const signed = { input: inputs.token.slice(0, lastDot), signature: Buffer.from(inputs.token.slice(lastDot + 1), 'base64url') };
  const costs = await timeInterleaved(
    {
      guardSecured: part(guardPart(guardFor(inputs.schema, inputs.secured), inputs.request, access)),
      guardOpen: part(guardPart(guardFor(inputs.schema, inputs.open), inputs.request, openAccess)),
      validateWalk: part({ prepare: () => document, call: (parsed) => validate(inputs.schema, parsed, []) }),
      authenticate: part({ prepare: () => inputs.securedHeaders, call: (headers) => security.fromHeaders(headers) }),
      charge: part({ prepare: () => rateKeyOf(access), call: (caller) => security.charge(caller) }),
      joseBytesKey: part({ prepare: () => secretBytes, call: (key) => jwtVerify(inputs.token, key, inputs.jwtOptions) }),
      joseCryptoKey: part({ prepare: () => cryptoKey, call: (key) => jwtVerify(inputs.token, key, inputs.jwtOptions) }),
      syncHmac: part({
        prepare: () => signed,
        call: ({ input, signature }) => {
          if (!timingSafeEqual(createHmac('sha256', secretBytes).update(input).digest(), signature)) throw new Error('the token signature did not verify');
        },
      }),
    },
    plan,
  );
  await Promise.all([security.close(), openSecurity.close()]);
  const pick = (name: keyof ComponentCosts): CallCost => {
    const cost = costs[name];
    if (cost === undefined) throw new Error(`no timing for ${name}`);
    return cost;
  };
  return {
    guardSecured: pick('guardSecured'),
    guardOpen: pick('guardOpen'),
    validateWalk: pick('validateWalk'),
    authenticate: pick('authenticate'),
    charge: pick('charge'),
    joseBytesKey: pick('joseBytesKey'),
    joseCryptoKey: pick('joseCryptoKey'),
    syncHmac: pick('syncHmac'),
  };
}
