import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../src/config.js';

// The environment variable reference lives in docs/configuration.md; test/unit/docs/docs.test.ts checks it.
describe('README', () => {
  it('documents every npm script when compared with package.json', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    const undocumented = Object.keys(pkg.scripts).filter(
      (name) => !['prepare'].includes(name) && !readme.includes(name === 'start' || name === 'test' ? `npm ${name}` : `npm run ${name}`),
    );
    expect(undocumented).toEqual([]);
  });

  it('stays at most 250 lines when counted', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme.split('\n').length).toBeLessThanOrEqual(250);
  });

  it('leaves the variable reference to docs/configuration.md when compared with the config schema', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const rows = [...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((match) => match[1] ?? '');
    expect(rows.filter((name) => CONFIG_VARIABLES.includes(name))).toEqual([]);
    expect(readme).toContain('](docs/configuration.md)');
  });
});
