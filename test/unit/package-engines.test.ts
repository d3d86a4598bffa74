import { readFile } from 'node:fs/promises';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

interface LockedPackage {
  readonly version?: string;
  readonly engines?: { readonly node?: string } | readonly string[];
}

async function readJson<T>(name: string): Promise<T> {
  return JSON.parse(await readFile(new URL(`../../${name}`, import.meta.url), 'utf8')) as T;
}

// `npm ci` warns EBADENGINE for every installed package whose `engines.node` the running Node does not satisfy.
// The oldest Node our own `engines` accepts is the one most likely to be refused, so every locked package is
// checked against it and against the Node running the test.
describe('package-lock.json', () => {
  it('locks only packages whose engines accept the oldest supported Node when every entry is checked', async () => {
    const pkg = await readJson<{ engines: { node: string } }>('package.json');
    const oldest = semver.minVersion(pkg.engines.node)?.version;
    expect(oldest).toBeDefined();
    const lock = await readJson<{ packages: Record<string, LockedPackage> }>('package-lock.json');
    const refused: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      // Old lockfiles may carry the legacy array form of `engines`, which npm does not check.
      const range = Array.isArray(entry.engines) ? undefined : (entry.engines as { node?: string } | undefined)?.node;
      if (path === '' || range === undefined) continue;
      for (const node of [oldest ?? '', process.versions.node]) {
        if (!semver.satisfies(node, range)) refused.push(`${path}@${entry.version ?? '?'} needs node ${range}, not ${node}`);
      }
    }
    expect(refused).toEqual([]);
  });
});
