import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../../src/config.js';

/**
 * Keeps the user documentation honest: links in README.md and docs/*.md resolve, docs/configuration.md names every
 * environment variable the code reads (and nothing else in its tables), docs/api.md names every error code the
 * code can put in `extensions.code`, and the tests docs/reliability.md cites exist under the names it quotes.
 */

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const DOCS = join(ROOT, 'docs');
const SRC = join(ROOT, 'src');

/** README.md and every Markdown file in docs/, as absolute paths. */
function documentationFiles(): string[] {
  const docs = existsSync(DOCS) ? readdirSync(DOCS).filter((name) => name.endsWith('.md')).map((name) => join(DOCS, name)) : [];
  return [join(ROOT, 'README.md'), ...docs.sort()];
}

/** Every `.ts` file under `dir`, recursively. */
function typeScriptFiles(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...typeScriptFiles(path));
    else if (entry.name.endsWith('.ts')) found.push(path);
  }
  return found.sort();
}

function read(path: string): string {
  return readFileSync(path, 'utf8');
}

/** The Markdown with fenced code blocks and inline code spans blanked out, line structure kept. */
function withoutCode(markdown: string): string {
  const lines = markdown.split('\n');
  let fence: string | undefined;
  return lines
    .map((line) => {
      const opener = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
      if (fence === undefined && opener !== undefined) {
        fence = opener;
        return '';
      }
      if (fence !== undefined) {
        if (line.trim().startsWith(fence)) fence = undefined;
        return '';
      }
      return line.replace(/`+[^`]*`+/g, '');
    })
    .join('\n');
}

/** Link targets of inline links and images (`[x](target)`) and of reference definitions (`[x]: target`). */
function linkTargets(markdown: string): string[] {
  const text = withoutCode(markdown);
  const inline = [...text.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((match) => match[1] ?? '');
  const references = [...text.matchAll(/^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)].map((match) => match[1] ?? '');
  return [...inline, ...references].filter((target) => target !== '');
}

/** GitHub's anchor of a heading: lower case, punctuation dropped (except `-` and `_`), each space a hyphen. */
function slugOf(heading: string): string {
  const text = heading
    .replace(/`/g, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '');
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** Anchors of every heading in `markdown`, with GitHub's `-1`, `-2` suffixes for repeated headings. */
function headingAnchors(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  let fence: string | undefined;
  for (const line of markdown.split('\n')) {
    const opener = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && opener !== undefined) {
      fence = opener;
      continue;
    }
    if (fence !== undefined) {
      if (line.trim().startsWith(fence)) fence = undefined;
      continue;
    }
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = slugOf(heading);
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/**
 * The relative links of `markdown` (a file at `fromFile`) that do not resolve: the path must exist, and an anchor
 * into a Markdown file must name one of its headings. External links (any `scheme:`) are not checked.
 */
function brokenLinks(markdown: string, fromFile: string): string[] {
  const broken: string[] = [];
  for (const target of linkTargets(markdown)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
    const hash = target.indexOf('#');
    const pathPart = decodeURI(hash === -1 ? target : target.slice(0, hash));
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const file = pathPart === '' ? fromFile : resolve(dirname(fromFile), pathPart);
    if (file !== fromFile && !existsSync(file)) {
      broken.push(`${target} (no such file: ${relative(ROOT, file)})`);
      continue;
    }
    if (anchor === undefined || anchor === '' || !file.endsWith('.md') || (file !== fromFile && statSync(file).isDirectory())) continue;
    const text = file === fromFile ? markdown : read(file);
    if (!headingAnchors(text).has(anchor)) broken.push(`${target} (no heading #${anchor} in ${relative(ROOT, file)})`);
  }
  return broken;
}

/**
 * The environment variables `src/config.ts` reads, found in its source: the keys of the `envSchema` object (what
 * `loadConfig` picks out of the environment) plus any direct `env['NAME']`, `env.NAME` or `process.env` read.
 */
function configVariablesInSource(source: string): string[] {
  const names = new Set<string>();
  const start = source.search(/envSchema\s*=\s*z\s*\.\s*object\(\s*\{/);
  if (start !== -1) {
    const open = source.indexOf('{', start);
    let depth = 0;
    let end = open;
    for (let index = open; index < source.length; index += 1) {
      const char = source[index];
      if (char === '{' || char === '(' || char === '[') depth += 1;
      else if (char === '}' || char === ')' || char === ']') depth -= 1;
      if (depth === 0) {
        end = index;
        break;
      }
    }
    // Only the object's own keys: a line that starts, at the first level of indentation, with `NAME:`.
    for (const match of source.slice(open + 1, end).matchAll(/^\s*([A-Z][A-Z0-9_]{2,})\s*:/gm)) names.add(match[1] ?? '');
  }
  for (const name of directEnvReads(source)) names.add(name);
  names.delete('');
  return [...names].sort();
}

/** Names read as `process.env.NAME`, `process.env['NAME']`, `env.NAME` or `env['NAME']`. */
function directEnvReads(source: string): string[] {
  const pattern = /\b(?:process\.)?env(?:\.([A-Z][A-Z0-9_]{2,})\b|\[\s*['"`]([A-Z][A-Z0-9_]{2,})['"`]\s*\])/g;
  return [...source.matchAll(pattern)].map((match) => match[1] ?? match[2] ?? '').filter((name) => name !== '');
}

/** The names in `names` that `markdown` does not mention in backticks (`` `NAME` ``). */
function undocumented(names: readonly string[], markdown: string): string[] {
  return names.filter((name) => !markdown.includes(`\`${name}\``));
}

/** Variables named in the first cell of a table row (`` | `NAME` | ``). */
function tableVariables(markdown: string): string[] {
  return [...markdown.matchAll(/^\|\s*`([A-Z][A-Z0-9_]{2,})`\s*\|/gm)].map((match) => match[1] ?? '');
}

/** Quoted strings of the array or set literal assigned to `constant` in any file under src/. */
function stringsOfConstant(constant: string): string[] {
  const pattern = new RegExp(`\\b${constant}\\b[^=]*=\\s*(?:new Set(?:<[^>]*>)?\\(\\s*)?\\[([^\\]]*)\\]`);
  const found: string[] = [];
  for (const file of typeScriptFiles(SRC)) {
    const body = pattern.exec(read(file))?.[1];
    if (body !== undefined) found.push(...[...body.matchAll(/'([A-Z_]+)'/g)].map((match) => match[1] ?? ''));
  }
  return found;
}

/**
 * The test names docs/reliability.md quotes, each with the test file it links just before the name: in the last
 * cell of every table row, a backticked name belongs to the closest preceding link to a `.test.ts` file.
 */
function citedTests(markdown: string, fromFile: string): { file: string; name: string }[] {
  const cited: { file: string; name: string }[] = [];
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) continue;
    const cells = line.split('|').slice(1, -1);
    const last = cells[cells.length - 1] ?? '';
    let file: string | undefined;
    for (const token of last.matchAll(/\[[^\]]*\]\(([^)]+)\)|`([^`]+)`/g)) {
      if (token[1] !== undefined) file = token[1].endsWith('.test.ts') ? resolve(dirname(fromFile), token[1]) : undefined;
      else if (token[2] !== undefined && file !== undefined) cited.push({ file, name: token[2] });
    }
  }
  return cited;
}

describe('documentation links', () => {
  it('resolves every relative link and anchor when README.md and docs/*.md are checked', () => {
    const problems = documentationFiles().flatMap((file) => brokenLinks(read(file), file).map((problem) => `${relative(ROOT, file)}: ${problem}`));
    expect(problems).toEqual([]);
  });

  it('reports a missing file and a missing heading when a page links to them', () => {
    const page = join(DOCS, 'example.md');
    const markdown = '# Title\n\nSee [config](configuration.md), [gone](missing.md), [bad anchor](configuration.md#no-such-heading) and [here](#title).\n\n```md\n[ignored](in-a-code-block.md)\n```\n';
    expect(brokenLinks(markdown, page)).toEqual([
      'missing.md (no such file: docs/missing.md)',
      'configuration.md#no-such-heading (no heading #no-such-heading in docs/configuration.md)',
    ]);
  });

  it('derives GitHub anchors when headings carry punctuation, code and repeats', () => {
    expect([...headingAnchors('# Live fragments: how the hub behaves\n## `streamFragments`\n## F1 — one\n## Notes\n## Notes\n')]).toEqual([
      'live-fragments-how-the-hub-behaves',
      'streamfragments',
      'f1--one',
      'notes',
      'notes-1',
    ]);
  });

  it('links every docs page from the README when a page exists in docs/', () => {
    const readme = read(join(ROOT, 'README.md'));
    const pages = documentationFiles()
      .slice(1)
      .map((file) => `docs/${relative(DOCS, file)}`);
    expect(pages.filter((page) => !readme.includes(`](${page})`))).toEqual([]);
  });
});

describe('docs/configuration.md', () => {
  const configSource = read(join(SRC, 'config.ts'));
  const documentation = read(join(DOCS, 'configuration.md'));

  it('finds exactly the variables loadConfig reads when it parses the source of src/config.ts', () => {
    expect(configVariablesInSource(configSource)).toEqual([...CONFIG_VARIABLES].sort());
  });

  it('documents in backticks every variable src/config.ts reads when compared with its source', () => {
    expect(undocumented(configVariablesInSource(configSource), documentation)).toEqual([]);
  });

  it('documents in backticks every variable read directly from process.env when any file under src/ reads one', () => {
    const direct = [...new Set(typeScriptFiles(SRC).flatMap((file) => directEnvReads(read(file))))].sort();
    expect(undocumented(direct, documentation)).toEqual([]);
  });

  it('reports a variable as undocumented when the page does not name it in backticks', () => {
    const source = "const envSchema = z.object({\n  PORT: integer(0, 65535, 4000),\n  NEW_SETTING: word.optional(),\n});\nconst x = env['DIRECT_READ'];\n";
    expect(configVariablesInSource(source)).toEqual(['DIRECT_READ', 'NEW_SETTING', 'PORT']);
    expect(undocumented(configVariablesInSource(source), '| `PORT` | `4000` |\nNEW_SETTING without backticks\n')).toEqual(['DIRECT_READ', 'NEW_SETTING']);
  });

  it('lists in its tables only variables the configuration reads when a table row names one', () => {
    expect(tableVariables(documentation).filter((name) => !CONFIG_VARIABLES.includes(name))).toEqual([]);
  });
});

describe('docs/api.md', () => {
  const documentation = read(join(DOCS, 'api.md'));

  it('documents every client-visible domain error code when compared with ERROR_CODES', () => {
    const codes = stringsOfConstant('ERROR_CODES');
    expect(codes).toContain('NOT_FOUND');
    expect(undocumented(codes, documentation)).toEqual([]);
  });

  it('documents every request-level code formatError passes through when compared with its list', () => {
    const codes = stringsOfConstant('PASS_THROUGH_CODES');
    expect(codes).toContain('GRAPHQL_VALIDATION_FAILED');
    expect(undocumented(codes, documentation)).toEqual([]);
  });
});

describe('docs/reliability.md', () => {
  const file = join(DOCS, 'reliability.md');

  it('quotes only test names that exist in the linked test files when a row cites tests', () => {
    const cited = citedTests(read(file), file);
    expect(cited.length).toBeGreaterThan(40);
    // Test names are string literals: compare with their quote escapes (`cursor\'s`) undone.
    const sourceOf = (test: string): string => read(test).replace(/\\(['"`])/g, '$1');
    const missing = cited.filter(({ file: test, name }) => !existsSync(test) || !sourceOf(test).includes(name)).map(({ file: test, name }) => `${relative(ROOT, test)}: ${name}`);
    expect(missing).toEqual([]);
  });
});
