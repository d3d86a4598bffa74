/**
 * How deeply arrays and objects nest in a JSON text, checked while the text arrives and before anything is built
 * from it (RELIABILITY.md S16). `JSON.parse` of a body made of nothing but `[[[[…` allocates one array per byte:
 * a request body under the size limit then costs a whole second of event-loop time and hundreds of MB. A scan
 * costs one comparison per character, allocates nothing, and can stop at the first bracket past the limit.
 */

const QUOTE = 0x22; // "
const BACKSLASH = 0x5c; // \
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }

/**
 * An incremental depth check over one JSON text given in pieces (chunks of a request body). Depth counts open
 * arrays and objects: a scalar is 0, `[]` and `{}` are 1, `{"a":[1]}` is 2. Brackets inside strings do not count;
 * a backslash inside a string escapes the next character. The text is not validated: for any prefix of valid JSON
 * the scan agrees with a parser, so `JSON.parse` of a text the scan accepted never nests deeper than `maxDepth`
 * before it either succeeds or fails on a syntax error. Pieces may be split anywhere (inside strings and escapes
 * included). Lifetime: one text.
 */
export class JsonDepthScanner {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private exceeded = false;

  /** @param maxDepth the deepest nesting accepted (a whole number >= 0). */
  constructor(readonly maxDepth: number) {}

  /** Whether nesting went past `maxDepth` in what was scanned so far; once true, it stays true. */
  get tooDeep(): boolean {
    return this.exceeded;
  }

  /**
   * Scans the next piece of the text (UTF-16 text, so multi-byte characters never look like brackets or quotes).
   * @returns false as soon as nesting goes past `maxDepth` (the rest of the piece is not scanned); true otherwise.
   */
  push(piece: string): boolean {
    if (this.exceeded) return false;
    let { depth, inString, escaped } = this;
    const max = this.maxDepth;
    for (let index = 0; index < piece.length; index += 1) {
      const char = piece.charCodeAt(index);
      if (inString) {
        if (escaped) escaped = false;
        else if (char === BACKSLASH) escaped = true;
        else if (char === QUOTE) inString = false;
      } else if (char === QUOTE) {
        inString = true;
      } else if (char === OPEN_ARRAY || char === OPEN_OBJECT) {
        depth += 1;
        if (depth > max) {
          this.exceeded = true;
          return false;
        }
      } else if ((char === CLOSE_ARRAY || char === CLOSE_OBJECT) && depth > 0) {
        // Never below 0: a stray closing bracket is a syntax error the parser reports at once, and must not earn
        // the rest of the text extra depth.
        depth -= 1;
      }
    }
    this.depth = depth;
    this.inString = inString;
    this.escaped = escaped;
    return true;
  }
}

/** Whether `text`, one whole JSON text, nests arrays and objects deeper than `maxDepth` (see {@link JsonDepthScanner}). */
export function exceedsJsonDepth(text: string, maxDepth: number): boolean {
  return !new JsonDepthScanner(maxDepth).push(text);
}
