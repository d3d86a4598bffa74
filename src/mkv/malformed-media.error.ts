/**
 * Thrown when an EBML/Matroska byte stream cannot be parsed: an invalid variable-length integer, an
 * element that overflows its parent, a size above a configured cap, an element in a place the schema
 * forbids, or a Kinesis tag whose value is not what GetMedia documents.
 *
 * It is the only error type the parser and the fragment reader throw for bad input (errors thrown by
 * a consumer's own callbacks propagate unchanged). After it is thrown the parser is failed: every
 * later `push`/`end` rethrows the same instance.
 */
export class MalformedMediaError extends Error {
  override readonly name = 'MalformedMediaError';

  /**
   * @param reason human-readable cause, without the offset or path (they are appended to `message`).
   * @param offset absolute byte offset in the input (0-based) of the offending element or byte.
   * @param path element names from the outermost open element to the offending one, e.g.
   *   `['Segment', 'Cluster', 'SimpleBlock']`; ids unknown to the schema appear as `0x1234`.
   */
  constructor(
    readonly reason: string,
    readonly offset: number,
    readonly path: readonly string[],
  ) {
    super(`${reason} at byte ${offset}${path.length > 0 ? ` (${path.join(' > ')})` : ''}`);
  }
}
