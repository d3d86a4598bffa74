import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (this file lives in test/helpers/). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** A folder of shared test fixtures and whether the tests that need it run. */
export interface SharedFixtures {
  /** Absolute path of the folder. */
  readonly dir: string;
  /** True when the folder exists. */
  readonly available: boolean;
  /**
   * True when tests needing the folder must be skipped: it is absent and this is not CI. Use with
   * `describe.skipIf(fixtures.skip)`; a warning saying so has already been printed.
   */
  readonly skip: boolean;
  /** Absolute path of a file in the folder. */
  file(name: string): string;
}

/**
 * Locates `../shared/fixtures/<subdir>` (relative to the repository root) and applies the project's
 * policy for missing fixtures: outside CI the dependent tests skip loudly (a console warning names the
 * folder); in CI (`CI=true`) a missing folder is a failure, so this throws and the test file fails.
 * @throws Error when the folder is missing and `process.env.CI === 'true'`.
 */
export function sharedFixtures(subdir: string): SharedFixtures {
  const dir = resolve(REPO_ROOT, '..', 'shared', 'fixtures', subdir);
  const available = existsSync(dir) && statSync(dir).isDirectory();
  if (!available) {
    const reason = `shared fixtures not found at ${dir}`;
    if (process.env.CI === 'true') throw new Error(`${reason}: CI must provide them (tests cannot be skipped in CI)`);
    console.warn(`[fixtures] SKIPPING tests that need ${subdir} fixtures: ${reason}`);
  }
  return { dir, available, skip: !available, file: (name) => join(dir, name) };
}

/** The real Kinesis GetMedia captures (`../shared/fixtures/kvs`), with the policy of {@link sharedFixtures}. */
export function kvsFixtures(): SharedFixtures {
  return sharedFixtures('kvs');
}
