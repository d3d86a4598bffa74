import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kind, parse, print, separateOperations, stripIgnoredCharacters, type DocumentNode, type ExecutableDefinitionNode } from 'graphql';

/**
 * The safelist of `PERSISTED_OPERATIONS_ONLY=true`: the operations in `schema/operations/*.graphql`, each with the
 * fragments it uses. A request matches when its selected operation, with its fragments, prints identically
 * (ignoring whitespace, commas, comments and the order of fragment definitions), so clients may send the
 * generated documents or the files' text. Immutable; built once at startup.
 */
export class PersistedOperations {
  private readonly canonical = new Set<string>();
  private readonly hashes = new Set<string>();

  /** @throws GraphQLError when a file does not parse. */
  constructor(sources: readonly { readonly name: string; readonly text: string }[]) {
    for (const source of sources) {
      for (const [name, document] of Object.entries(separateOperations(parse(source.text)))) {
        if (name !== '') this.names.add(name);
        const text = canonicalText(document);
        this.canonical.add(text);
        // Clients using automatic persisted queries send the SHA-256 of the text they would send; accept the
        // hash of the canonical text (what `print` of a generated document strips down to) and of its print.
        this.hashes.add(sha256(text));
        this.hashes.add(sha256(print(document)));
      }
    }
  }

  /** Names of the safelisted operations (the operation names metrics keep as labels). */
  readonly names = new Set<string>();

  /** Number of safelisted operations. */
  get size(): number {
    return this.canonical.size;
  }

  /**
   * Whether the operation `operationName` of `document` (or its only operation) is safelisted. Operations that
   * select only introspection fields are allowed too, so partners and tools can still read the schema.
   */
  allows(document: DocumentNode, operationName: string | null | undefined): boolean {
    const operations = document.definitions.filter((definition) => definition.kind === Kind.OPERATION_DEFINITION);
    const operation = operationName == null ? (operations.length === 1 ? operations[0] : undefined) : operations.find((op) => op.name?.value === operationName);
    if (operation === undefined) return false;
    if (operation.selectionSet.selections.every((selection) => selection.kind === Kind.FIELD && selection.name.value.startsWith('__'))) return true;
    const separated = separateOperations(document)[operation.name?.value ?? ''];
    return separated !== undefined && this.canonical.has(canonicalText(separated));
  }

  /** Whether an automatic-persisted-query hash names a safelisted operation. */
  allowsHash(sha256Hash: string): boolean {
    return this.hashes.has(sha256Hash.toLowerCase());
  }
}

/**
 * Loads the safelist from the `schema/operations` directory of this package.
 * @throws Error when the directory cannot be found or a file does not parse.
 */
export function loadPersistedOperations(directory = operationsDirectory()): PersistedOperations {
  const files = readdirSync(directory)
    .filter((name) => name.endsWith('.graphql'))
    .sort();
  return new PersistedOperations(files.map((name) => ({ name, text: readFileSync(join(directory, name), 'utf8') })));
}

/** `schema/operations` of the package this module belongs to, found from `src/` and from `dist/src/` alike. */
function operationsDirectory(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(directory, 'schema', 'operations');
    if (existsSync(join(directory, 'package.json')) && existsSync(candidate)) return candidate;
    const parent = dirname(directory);
    if (parent === directory) throw new Error('schema/operations not found above the media-graph sources');
    directory = parent;
  }
}

function canonicalText(document: DocumentNode): string {
  const definitions = [...(document.definitions as readonly ExecutableDefinitionNode[])].sort((a, b) => rank(a).localeCompare(rank(b)));
  return stripIgnoredCharacters(print({ kind: Kind.DOCUMENT, definitions }));
}

/** Operation first, then fragments by name. */
function rank(definition: ExecutableDefinitionNode): string {
  return definition.kind === Kind.OPERATION_DEFINITION ? '0' : `1${definition.name.value}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
