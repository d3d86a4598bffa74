import { it } from 'vitest';

/**
 * A contract test body: one behaviour the gateway relies on, written once and run against every target that
 * provides it: our emulators on every test run (test/integration), the real clouds by `npm run test:contract`.
 * A body may only assert what the provider's public reference promises, never what one target happens to do.
 */
export interface ContractBody<Target> {
  /** The test title, `<does X> when <Y>`. */
  readonly title: string;
  /** Creates or deletes something: run only where writes are allowed (`CONTRACT_ALLOW_WRITES=1` on a real cloud). */
  readonly writes?: boolean;
  /** Names what else the body needs from its target, checked when tests are collected (e.g. an asset URI). */
  readonly needs?: readonly string[];
  run(target: Target): Promise<void>;
}

/** What a suite offers the bodies it runs. */
export interface ContractRunOptions<Target> {
  /** The target, built in the suite's `beforeAll` (so it is read when a test runs, not when it is collected). */
  readonly target: () => Target;
  /** Whether bodies that create or delete may run. */
  readonly writes: boolean;
  /** The `needs` this suite satisfies. */
  readonly provides?: ReadonlySet<string>;
  /** Per-test timeout in ms (real clouds are slower than emulators); default vitest's. */
  readonly timeoutMs?: number;
}

/**
 * Registers one vitest test per body in the current `describe`. A body the suite cannot run (writes not allowed, a
 * need not provided) is registered as skipped with the reason in its title, so the report says what is missing.
 */
export function runContractBodies<Target>(bodies: readonly ContractBody<Target>[], options: ContractRunOptions<Target>): void {
  for (const body of bodies) {
    const missing = (body.needs ?? []).filter((need) => options.provides?.has(need) !== true);
    if (body.writes === true && !options.writes) {
      it.skip(`${body.title} (writes: set CONTRACT_ALLOW_WRITES=1)`, () => undefined);
    } else if (missing.length > 0) {
      it.skip(`${body.title} (needs ${missing.join(', ')})`, () => undefined);
    } else {
      it(body.title, () => body.run(options.target()), options.timeoutMs);
    }
  }
}
