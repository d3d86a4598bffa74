import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const testRoot = path.resolve(import.meta.dirname, '../..');

/** The projects vitest.config.ts runs with `isolate: false`: each worker's files share one module graph. */
const SHARED_MODULE_PROJECTS = ['unit', 'e2e'] as const;

function testFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return testFiles(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

describe('test isolation of the shared-module projects', () => {
  // A module mocked by one file would stay mocked, or unmocked, for the files after it in the same worker. Inject the
  // dependency instead (see MediaReader's sleep).
  it.each(SHARED_MODULE_PROJECTS)('finds no module mocks in test/%s when every test file is read', (project) => {
    const mocking = testFiles(path.join(testRoot, project))
      .filter((file) => /\bvi\.(?:mock|doMock|unmock|doUnmock|resetModules)\(/.test(readFileSync(file, 'utf8').replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '')))
      .map((file) => path.relative(testRoot, file));
    expect(mocking).toEqual([]);
  });

  it('runs every e2e file that measures process memory in a process of its own when the config is read', () => {
    // In a shared worker, earlier files' heap and allocator state moves such a file's figures.
    const config = readFileSync(path.join(testRoot, '..', 'vitest.config.ts'), 'utf8');
    const ownProcess = /OWN_PROCESS_E2E\s*=\s*\[([^\]]*)\]/.exec(config)?.[1] ?? '';
    const listed = [...ownProcess.matchAll(/'([^']+)'/g)].map((match) => match[1]).sort();
    const measuring = testFiles(path.join(testRoot, 'e2e'))
      .filter((file) => /\bmemoryUsage\(|\bheapUsed\b|\brss\b/.test(readFileSync(file, 'utf8')))
      .map((file) => path.relative(path.join(testRoot, '..'), file))
      .sort();
    expect(listed).toEqual(measuring);
  });

  it('matches the projects vitest.config.ts runs without isolation when the config is read', () => {
    const config = readFileSync(path.join(testRoot, '..', 'vitest.config.ts'), 'utf8');
    const shared = /SHARED_MODULES[^=]*=\s*new Set\(\[([^\]]*)\]\)/.exec(config)?.[1] ?? '';
    expect([...shared.matchAll(/'([^']+)'/g)].map((match) => match[1])).toEqual([...SHARED_MODULE_PROJECTS]);
  });
});
