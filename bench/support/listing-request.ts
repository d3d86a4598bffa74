import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kind, parse, print, type OperationDefinitionNode } from 'graphql';
import { REPO_ROOT } from './children.js';
import { listingName } from './payload.js';

/**
 * The folder listing the request benchmarks (`bench:security`, `bench:ops`) send: the `ListObjects` operation of
 * `schema/operations/objects.graphql`, as a client's generated document sends it, over a folder seeded with
 * `payload.ts`'s `listingName` objects, and the check of its answer.
 */

/** The generated operation frontends send for a folder listing. */
export const LIST_OBJECTS_OPERATION = 'ListObjects';

const OPERATIONS_PATH = join(REPO_ROOT, 'schema', 'operations', 'objects.graphql');

/**
 * The `ListObjects` operation alone, printed as a client's generated document sends it.
 * @throws Error when the operations file no longer defines it.
 */
export function listObjectsQuery(): string {
  const document = parse(readFileSync(OPERATIONS_PATH, 'utf8'));
  const operation = document.definitions.find(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION && definition.name?.value === LIST_OBJECTS_OPERATION,
  );
  if (operation === undefined) throw new Error(`${OPERATIONS_PATH} has no ${LIST_OBJECTS_OPERATION} operation`);
  return print(operation);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Checks one answer in full: the first `pageSize` names of a folder seeded with more than `pageSize` objects
 * (`listingName(0)`, `listingName(1)`, …), and a next page.
 * @throws Error naming `server` when there is no answer (`null`) or it differs.
 */
export function verifyListingPage(server: string, body: string | null, pageSize: number): void {
  if (body === null) throw new Error(`${server}: no successful answer in the round`);
  const parsed: unknown = JSON.parse(body);
  const page = isRecord(parsed) && isRecord(parsed['data']) ? parsed['data']['objects'] : undefined;
  if (!isRecord(page) || !Array.isArray(page['edges']) || !isRecord(page['pageInfo'])) throw new Error(`${server}: unexpected answer ${body.slice(0, 300)}`);
  const names = page['edges'].map((edge: unknown) => (isRecord(edge) && isRecord(edge['node']) ? edge['node']['name'] : undefined));
  const expected = Array.from({ length: pageSize }, (_, index) => listingName(index));
  if (JSON.stringify(names) !== JSON.stringify(expected)) throw new Error(`${server}: listed ${JSON.stringify(names)}, expected ${JSON.stringify(expected)}`);
  if (page['pageInfo']['hasNextPage'] !== true) throw new Error(`${server}: hasNextPage is not true`);
}
