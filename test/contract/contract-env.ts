import { randomBytes } from 'node:crypto';

/*
 * What the contract suite (`npm run test:contract`) reads from the environment. docs/contract-tests.md lists every
 * variable; docs/configuration.md repeats them in its test section.
 */

/** Whether bodies that create and delete resources run (`CONTRACT_ALLOW_WRITES=1`); read-only otherwise. */
export const CONTRACT_ALLOW_WRITES = process.env.CONTRACT_ALLOW_WRITES === '1';

/** Per-test timeout against a real cloud, in ms (`CONTRACT_TIMEOUT_MS`, default 60 000). */
export const CONTRACT_TIMEOUT_MS = positiveInteger(process.env.CONTRACT_TIMEOUT_MS, 60_000);

/**
 * The name every resource of this run carries (`CONTRACT_RUN_ID`, else `mgc-<time>-<random>`): lower-case letters,
 * digits and `-`, so it fits every provider's naming rules, and unique, so runs never touch each other's resources.
 */
export const CONTRACT_RUN_ID = runId(process.env.CONTRACT_RUN_ID);

function positiveInteger(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed <= 0) throw new Error(`CONTRACT_TIMEOUT_MS must be a positive integer, got ${JSON.stringify(value)}`);
  return parsed;
}

function runId(given: string | undefined): string {
  if (given !== undefined && given !== '') {
    if (!/^[a-z][a-z0-9-]{2,39}$/.test(given)) throw new Error('CONTRACT_RUN_ID must be 3 to 40 of a-z, 0-9 and -, starting with a letter');
    return given;
  }
  return `mgc-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Reads a variable; `undefined` when unset or empty. */
export function env(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Says, in one line, that a provider's contract tests are skipped and what to set to run them. The contract suite is
 * opt-in: a skip is never a failure, in CI (`CI=true`) included.
 * @returns true when the provider's block must be skipped (some of `required` are unset).
 */
export function skipUnless(provider: string, required: readonly string[], purpose: string): boolean {
  const missing = required.filter((name) => env(name) === undefined);
  if (missing.length === 0) return false;
  console.warn(`[contract] ${provider}: skipped; set ${missing.join(', ')} (${purpose}) to run it against the real service`);
  return true;
}

/**
 * Undo actions for what a run created, run in reverse order by {@link Cleanup.run} from `afterAll`, whatever the
 * tests' outcome. Register an action before creating the resource it removes, and make it tolerate the resource
 * being absent, so a test that fails halfway leaves nothing behind.
 */
export class Cleanup {
  private readonly actions: { readonly label: string; readonly action: () => Promise<void> }[] = [];

  /** Adds an undo action; `label` names the resource in the report of a failed cleanup. */
  add(label: string, action: () => Promise<void>): void {
    this.actions.push({ label, action });
  }

  /**
   * Runs every action (newest first), each once, even when earlier ones fail.
   * @throws Error naming every resource whose cleanup failed (so a leak is reported, not hidden).
   */
  async run(): Promise<void> {
    const failed: string[] = [];
    for (const { label, action } of this.actions.splice(0).reverse()) {
      try {
        await action();
      } catch (err) {
        console.error(`[contract] cleanup of ${label} failed`, { err });
        failed.push(label);
      }
    }
    if (failed.length > 0) throw new Error(`cleanup failed for: ${failed.join(', ')}`);
  }
}
