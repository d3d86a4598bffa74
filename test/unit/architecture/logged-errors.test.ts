import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * One shape for logged errors: an error goes in a log line under `err` (pino's standard serializer key), never
 * under `cause`, `error` or `exception`, so a log query for failures needs one field. The scan reads every logger
 * call in src/ whose first argument is an object literal.
 */

const root = path.resolve(import.meta.dirname, '../../..');

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptFiles(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

/** The object literal opening at `start` (a `{`), braces balanced. */
function objectAt(source: string, start: number): string {
  let depth = 0;
  for (let index = start; index < source.length; index += 1) {
    if (source[index] === '{') depth += 1;
    else if (source[index] === '}' && --depth === 0) return source.slice(start, index + 1);
  }
  return source.slice(start);
}

/** `file:line: fields` of every logger call that logs an error under another key than `err`. */
function misshapenLogCalls(source: string, file: string): string[] {
  const found: string[] = [];
  for (const call of source.matchAll(/\.(?:trace|debug|info|warn|error|fatal)\(\s*\{/g)) {
    const fields = objectAt(source, (call.index ?? 0) + call[0].length - 1);
    // Top-level keys only: nested objects (e.g. `err: { name, message }`) may use any names.
    const topLevel = fields.slice(1, -1).replace(/\{[^{}]*\}/g, '{}');
    if (/(?:^|[,{]\s*)(?:cause|error|exception)\s*[:,}]/.test(topLevel.trim()) || /(?:^|,)\s*(?:cause|error|exception)\s*$/.test(topLevel.trim())) {
      found.push(`${path.relative(root, file)}:${source.slice(0, call.index).split('\n').length}: ${fields.replace(/\s+/g, ' ')}`);
    }
  }
  return found;
}

describe('logged errors', () => {
  it('puts every logged error under err when src/ logs one', () => {
    const offenders = typeScriptFiles(path.join(root, 'src')).flatMap((file) => misshapenLogCalls(readFileSync(file, 'utf8'), file));
    expect(offenders).toEqual([]);
  });

  it('flags an error logged under cause or error when a call does so', () => {
    expect(misshapenLogCalls("logger.warn({ cause: { name: e.name } }, 'x');", 'a.ts')).toHaveLength(1);
    expect(misshapenLogCalls("log.error({ path, error }, 'x');", 'a.ts')).toHaveLength(1);
    expect(misshapenLogCalls("logger.error({ err: { name: e.name, cause: 1 }, path }, 'x');", 'a.ts')).toEqual([]);
  });
});
