import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** Title a new results file starts with. */
export const RESULTS_TITLE = '# Benchmark results';

/**
 * Replaces the level-2 section whose heading line is exactly `heading` in `document` with `body` (which must
 * start with that heading), or appends it when absent. Everything outside that section is kept byte for
 * byte: other benchmarks own the other sections. A section ends at the next line starting with `## ` or at
 * the end of the file.
 */
export function replaceSection(document: string, heading: string, body: string): string {
  const section = body.endsWith('\n') ? body : `${body}\n`;
  const lines = document.split('\n');
  const start = lines.findIndex((line) => line.trimEnd() === heading);
  if (start === -1) {
    const base = document.trimEnd();
    return `${base}\n\n${section}`;
  }
  let end = lines.length;
  for (let index = start + 1; index < lines.length; index += 1) {
    if (lines[index]?.startsWith('## ') === true) {
      end = index;
      break;
    }
  }
  const before = lines.slice(0, start).join('\n');
  const after = lines.slice(end).join('\n');
  const head = start === 0 ? '' : `${before}\n`;
  return after === '' ? `${head}${section}` : `${head}${section}\n${after}`;
}

/**
 * Writes `body` as the section `heading` of the results file at `path`, creating the file with
 * {@link RESULTS_TITLE} when missing. The file is read immediately before the write and replaced by rename,
 * which keeps the window in which a concurrent writer of another section could be overwritten as short as
 * possible and never leaves a half-written file.
 */
export function writeResultsSection(path: string, heading: string, body: string): void {
  const current = existsSync(path) ? readFileSync(path, 'utf8') : `${RESULTS_TITLE}\n`;
  const next = replaceSection(current, heading, body);
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, next);
  renameSync(temporary, path);
}
