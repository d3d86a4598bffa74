import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exceedsJsonDepth, JsonDepthScanner } from '../../../src/server/json-depth.js';

/** The nesting depth of a parsed JSON value, the reference the scanner must agree with. */
function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (typeof value === 'object' && value !== null) return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

/** The deepest nesting the scanner accepts for `text`: the smallest limit it does not exceed. */
function scannedDepth(text: string): number {
  let limit = 0;
  while (exceedsJsonDepth(text, limit)) limit += 1;
  return limit;
}

describe('JsonDepthScanner', () => {
  it('accepts nesting exactly at the limit and refuses one level more', () => {
    expect(exceedsJsonDepth('[[[1]]]', 3)).toBe(false);
    expect(exceedsJsonDepth('[[[[1]]]]', 3)).toBe(true);
    expect(exceedsJsonDepth('{"a":{"b":{"c":1}}}', 3)).toBe(false);
    expect(exceedsJsonDepth('{"a":{"b":{"c":[]}}}', 3)).toBe(true);
    expect(exceedsJsonDepth('"scalar"', 0)).toBe(false);
    expect(exceedsJsonDepth('[]', 0)).toBe(true);
  });

  it('counts depth, not brackets, when siblings open and close in turn', () => {
    expect(exceedsJsonDepth(`[${'[[]],'.repeat(10_000)}[]]`, 3)).toBe(false);
    expect(scannedDepth('{"a":[1,{"b":2}],"c":[[3]]}')).toBe(3);
  });

  it('ignores brackets inside strings when keys and values contain them', () => {
    expect(exceedsJsonDepth('{"[[[[":"{{{{{{","x":"]]]]"}', 1)).toBe(false);
    expect(exceedsJsonDepth(`{"query":"${'['.repeat(1_000)}"}`, 1)).toBe(false);
  });

  it('keeps an escaped quote inside the string when a backslash precedes it', () => {
    // The string is `a"[[[`: its brackets stay inside it.
    expect(exceedsJsonDepth('["a\\"[[[", 1]', 1)).toBe(false);
    // An escaped backslash ends its escape: the quote after it closes the string, so the brackets count.
    expect(exceedsJsonDepth('["a\\\\", [[[1]]]]', 3)).toBe(true);
    expect(exceedsJsonDepth('["a\\\\", [[[1]]]]', 4)).toBe(false);
    // \u escapes of brackets and quotes are text, never structure.
    expect(exceedsJsonDepth('["\\u005b\\u0022[[", 1]', 1)).toBe(false);
  });

  it('stops scanning at the first bracket past the limit when the rest is megabytes deep', () => {
    const scanner = new JsonDepthScanner(64);
    expect(scanner.push('['.repeat(1_800_000))).toBe(false);
    expect(scanner.tooDeep).toBe(true);
    // Once refused, it stays refused whatever comes next.
    expect(scanner.push('1')).toBe(false);
  });

  it('never lets a stray closing bracket buy extra depth when the text starts with closers', () => {
    expect(exceedsJsonDepth(`${']'.repeat(10)}${'['.repeat(11)}`, 10)).toBe(true);
  });

  it('gives the same answer when a text arrives in pieces split anywhere, inside strings and escapes included', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 6 }), fc.array(fc.nat(), { maxLength: 8 }), fc.nat({ max: 8 }), (text, cuts, limit) => {
        const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
        const scanner = new JsonDepthScanner(limit);
        let accepted = true;
        let from = 0;
        for (const point of [...points, text.length]) {
          accepted = scanner.push(text.slice(from, point)) && accepted;
          from = point;
        }
        expect(accepted).toBe(!exceedsJsonDepth(text, limit));
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with the depth of the parsed value when given any JSON text', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 8 }), (text) => {
        expect(scannedDepth(text)).toBe(depthOf(JSON.parse(text)));
      }),
      { numRuns: 500 },
    );
  });
});
