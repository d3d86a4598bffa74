import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../src/config.js';

describe('README', () => {
  it('documents every environment variable the config reads when compared with the config schema', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const documented = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]+)` \|/gm)].map((match) => match[1]));
    expect(CONFIG_VARIABLES.filter((name) => !documented.has(name))).toEqual([]);
    expect([...documented].filter((name) => name !== undefined && !CONFIG_VARIABLES.includes(name))).toEqual([]);
  });

  it('documents every npm script when compared with package.json', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: Record<string, string> };
    const undocumented = Object.keys(pkg.scripts).filter(
      (name) => !['prepare'].includes(name) && !readme.includes(name === 'start' || name === 'test' ? `npm ${name}` : `npm run ${name}`),
    );
    expect(undocumented).toEqual([]);
  });
});
