/**
 * The little XML the emulator needs: escaping for the documents it writes, and a reader for the one document it
 * receives (CompleteMultipartUpload). Not a general XML parser: elements without attributes, text content and
 * the five predefined entities plus numeric character references.
 */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for an XML element or attribute value. */
export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);
}

const ENTITIES: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Resolves the predefined entities and numeric character references of XML text. @returns `undefined` for an unknown entity. */
export function xmlUnescape(text: string): string | undefined {
  let bad = false;
  const value = text.replace(/&(#x[0-9a-fA-F]+|#\d+|[a-z]+);/g, (_match, entity: string) => {
    if (entity.startsWith('#x')) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith('#')) return String.fromCodePoint(Number(entity.slice(1)));
    const known = ENTITIES[entity];
    if (known === undefined) bad = true;
    return known ?? '';
  });
  return bad || value.includes('&') ? undefined : value;
}

/** One `<Part>` of a CompleteMultipartUpload request. */
export interface CompletedPart {
  readonly partNumber: number;
  readonly eTag: string;
}

/**
 * Reads the parts of a `<CompleteMultipartUpload>` document, in document order.
 * @returns `undefined` when the document is not one (S3 answers `MalformedXML`).
 */
export function parseCompleteMultipartUpload(xml: string): CompletedPart[] | undefined {
  const body = xml.replace(/^\s*<\?xml[^>]*\?>/, '').trim();
  const root = /^<CompleteMultipartUpload(?:\s+xmlns="[^"]*")?\s*>([\s\S]*)<\/CompleteMultipartUpload>$/.exec(body);
  if (root?.[1] === undefined) return undefined;
  const parts: CompletedPart[] = [];
  let rest = root[1].trim();
  while (rest !== '') {
    const part = /^<Part>([\s\S]*?)<\/Part>\s*/.exec(rest);
    if (part?.[1] === undefined) return undefined;
    rest = rest.slice(part[0].length);
    const number = /<PartNumber>\s*(\d{1,6})\s*<\/PartNumber>/.exec(part[1])?.[1];
    const rawTag = /<ETag>([\s\S]*?)<\/ETag>/.exec(part[1])?.[1];
    const eTag = rawTag === undefined ? undefined : xmlUnescape(rawTag.trim());
    if (number === undefined || eTag === undefined) return undefined;
    parts.push({ partNumber: Number(number), eTag });
  }
  return parts;
}
