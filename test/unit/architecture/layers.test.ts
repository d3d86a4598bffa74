import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';
import { importCycles, importGraph } from './import-graph.js';

const root = path.resolve(import.meta.dirname, '../../..');

describe('import graph of src/', () => {
  it('has no cycles when type-only and dynamic imports count too', () => {
    const cycles = importCycles(importGraph(path.join(root, 'src'))).map((cycle) => cycle.map((file) => path.relative(root, file)));
    expect(cycles).toEqual([]);
  });

  it('reports a cycle when two modules import each other through a third', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(importCycles(graph)).toEqual([['a', 'b', 'c']]);
  });
});

// The project's own lint configuration, with only the import rules run and the typed rules' TypeScript program
// not built: these tests are about layer zones and cycles, and the program alone took most of a minute. The
// first lint still resolves the import graph, so the tests keep a budget of their own on a busy machine.
const LINT_TIMEOUT_MS = 180_000;

describe('npm run lint (layer rules)', { timeout: LINT_TIMEOUT_MS }, () => {
  let eslint: ESLint;
  beforeAll(() => {
    eslint = new ESLint({
      cwd: root,
      overrideConfig: [{ files: ['**/*.ts'], ...tseslint.configs.disableTypeChecked }],
      ruleFilter: ({ ruleId }) => ruleId.startsWith('import-x/'),
    });
  });

  /** Lints an existing source file with `line` prepended, as if it had been added, and returns the rule ids hit. */
  async function ruleIdsWith(file: string, line: string): Promise<string[]> {
    const filePath = path.join(root, file);
    const [result] = await eslint.lintText(`${line}\n${readFileSync(filePath, 'utf8')}`, { filePath });
    return (result?.messages ?? []).map((message) => message.ruleId ?? message.message);
  }

  it('passes a file when it imports only its own layer and below', async () => {
    expect(await ruleIdsWith('src/datasources/kinesis/kinesis.mapper.ts', "export { DomainError as LayerProbe } from '../../core/domain-error.js';")).toEqual([]);
  });

  it('fails when a datasource imports server/', async () => {
    expect(await ruleIdsWith('src/datasources/kinesis/kinesis.mapper.ts', "export { startGateway as LayerProbe } from '../../server/gateway.js';")).toContain(
      'import-x/no-restricted-paths',
    );
  });

  it('fails when a datasource imports a resolver', async () => {
    expect(await ruleIdsWith('src/datasources/kinesis/kinesis.mapper.ts', "export type { StreamResolver as LayerProbe } from '../../resolvers/streams/streams.resolver.js';")).toContain(
      'import-x/no-restricted-paths',
    );
  });

  it('fails when mkv/ imports anything of ours outside mkv/', async () => {
    expect(await ruleIdsWith('src/mkv/ebml-ids.ts', "export { DomainError as LayerProbe } from '../core/domain-error.js';")).toContain('import-x/no-restricted-paths');
  });

  it('fails when an emulator imports a datasource or auth', async () => {
    const file = 'src/emulators/kinesis/kinesis.errors.ts';
    expect(await ruleIdsWith(file, "export type { StreamRef as LayerProbe } from '../../datasources/kinesis/kinesis.types.js';")).toContain('import-x/no-restricted-paths');
    expect(await ruleIdsWith(file, "export type { Access as LayerProbe } from '../../auth/access.js';")).toContain('import-x/no-restricted-paths');
  });

  it('fails when core/ imports a layer above it', async () => {
    expect(await ruleIdsWith('src/core/deadline.ts', "export type { FragmentHub as LayerProbe } from '../live/live.types.js';")).toContain('import-x/no-restricted-paths');
  });

  it('fails when a value import closes a cycle', async () => {
    // deadline.ts imports domain-error.ts; importing deadline back from domain-error closes a cycle.
    expect(await ruleIdsWith('src/core/domain-error.ts', "import { withDeadline } from './deadline.js'; export const LayerProbe = withDeadline;")).toContain('import-x/no-cycle');
  });
});
