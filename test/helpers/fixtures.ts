import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Absolute path of the repository root (this file lives in test/helpers/). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** Where shared fixtures live unless a test says otherwise: `../shared/fixtures` beside the repository. */
export const SHARED_FIXTURES_ROOT = resolve(REPO_ROOT, '..', 'shared', 'fixtures');

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

/** Options of {@link sharedFixtures}. */
export interface SharedFixturesOptions {
  /** Folder holding the fixture folders; defaults to {@link SHARED_FIXTURES_ROOT}. */
  readonly root?: string;
  /** One sentence telling a developer how to obtain the folder; printed in the warning and the CI error. */
  readonly howToGet?: string;
}

const GENERIC_HOW_TO_GET = 'Put the shared fixtures folder beside this repository (../shared/fixtures); see README.md, "npm test".';

const KVS_HOW_TO_GET =
  'Put the shared fixtures beside this repository so that ../shared/fixtures/kvs holds the real GetMedia captures ' +
  '(output_get_media.mkv, test_mixed_tags.mkv, empty-mkv-with-tags.mkv, vogels_330.mkv: test resources of ' +
  'github.com/aws/amazon-kinesis-video-streams-parser-library, src/test/resources) with their NAME.expected.ndjson ' +
  'listings and README.md.';

/**
 * Locates `<root>/<subdir>` (by default `../shared/fixtures/<subdir>` beside the repository) and applies the project's
 * policy for missing fixtures: outside CI the dependent tests skip loudly (a console warning names the missing
 * folder and how to get it); in CI (`CI=true`) a missing folder is a failure, so this throws and the test file fails.
 * @throws Error when the folder is missing and `process.env.CI === 'true'`.
 */
export function sharedFixtures(subdir: string, options: SharedFixturesOptions = {}): SharedFixtures {
  const dir = resolve(options.root ?? SHARED_FIXTURES_ROOT, subdir);
  const available = existsSync(dir) && statSync(dir).isDirectory();
  if (!available) {
    const reason = `${subdir} fixtures not found: ${dir} does not exist. ${options.howToGet ?? GENERIC_HOW_TO_GET}`;
    if (process.env.CI === 'true') throw new Error(`${reason} CI must provide them (tests cannot be skipped in CI).`);
    console.warn(`[fixtures] SKIPPING tests that need ${subdir} fixtures: ${reason} With CI=true their absence fails the run.`);
  }
  return { dir, available, skip: !available, file: (name) => join(dir, name) };
}

/** The real Kinesis GetMedia captures (`../shared/fixtures/kvs`), with the policy of {@link sharedFixtures}. */
export function kvsFixtures(): SharedFixtures {
  return sharedFixtures('kvs', { howToGet: KVS_HOW_TO_GET });
}
