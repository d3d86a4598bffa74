import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const unitRoot = path.resolve(import.meta.dirname, '..');

function testFiles(directory: string): string[] {
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(directory, entry.name);
    if (entry.isDirectory()) return testFiles(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

describe('unit test isolation', () => {
  // The unit project shares each worker's module cache (vitest.config.ts, isolate: false): a module mocked by one
  // file would stay mocked, or unmocked, for the files after it. Inject the dependency instead (see MediaReader's sleep).
  it('finds no module mocks in test/unit when every unit test file is read', () => {
    const mocking = testFiles(unitRoot)
      .filter((file) => /\bvi\.(?:mock|doMock|unmock|doUnmock|resetModules)\(/.test(readFileSync(file, 'utf8').replace(/\/\/.*|\/\*[\s\S]*?\*\//g, '')))
      .map((file) => path.relative(unitRoot, file));
    expect(mocking).toEqual([]);
  });
});
