import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { expect } from 'vitest';
import { DomainError } from '../../../src/core/domain-error.js';
import type { ObjectEntry, ObjectStore, PutObjectInput } from '../../../src/datasources/object-store/object-store.js';
import type { Cleanup } from '../../contract/contract-env.js';
import type { ContractBody } from './contract-body.js';

/** What the object-store bodies run against: S3 or MediaStore, through the gateway's `ObjectStore`. */
export interface ObjectStoreContractTarget {
  readonly store: ObjectStore;
  /** A folder only this run uses (it carries the run id); bodies create objects below it and nowhere else. */
  readonly scratch: string;
  /** A folder to list read-only; `''` is the root (or the configured prefix). */
  readonly listed: string;
  /** Undoes what the bodies create, whatever the outcome. */
  readonly cleanup: Cleanup;
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(DomainError);
  return (error as DomainError).code;
}

function patterned(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i += 1) bytes[i] = (i * 31 + seed) & 0xff;
  return bytes;
}

function input(path: string, body: PutObjectInput['body'], overrides: Partial<PutObjectInput> = {}): PutObjectInput {
  return { path, body, contentLength: undefined, contentType: 'video/mp2t', cacheControl: undefined, uploadAvailability: 'STANDARD', ...overrides };
}

/** Stores an object below the run's scratch folder, removing it again at cleanup (also when the test fails). */
async function putScratch(target: ObjectStoreContractTarget, name: string, body: PutObjectInput['body'], overrides: Partial<PutObjectInput> = {}): Promise<string> {
  const path = `${target.scratch}/${name}`;
  target.cleanup.add(`object ${path}`, async () => {
    try {
      await target.store.delete(path);
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'NOT_FOUND')) throw error;
    }
  });
  await target.store.put(input(path, body, overrides));
  return path;
}

/** Every entry of a folder listing, following the store's tokens (at most `maxPages` pages). */
async function listFolder(store: ObjectStore, folder: string, pageSize: number, maxPages = 20): Promise<ObjectEntry[]> {
  const entries: ObjectEntry[] = [];
  let token: string | undefined;
  for (let pages = 0; pages < maxPages; pages += 1) {
    const page = await store.list(folder, { pageSize, token });
    entries.push(...page.entries);
    token = page.nextToken;
    if (token === undefined) break;
  }
  return entries;
}

/** The object-store contract: what the objects API relies on, for S3 and MediaStore alike. */
export const OBJECT_STORE_BODIES: readonly ContractBody<ObjectStoreContractTarget>[] = [
  {
    title: 'lists a folder page by page, each entry once, following the store\'s tokens',
    async run(target) {
      const entries = await listFolder(target.store, target.listed, 2);
      const paths = entries.map((entry) => `${entry.kind}:${entry.path}`);
      expect(new Set(paths).size).toBe(paths.length);
      for (const entry of entries) {
        expect(entry.name).not.toBe('');
        expect(entry.name).not.toContain('/');
        expect(entry.path.endsWith(entry.name)).toBe(true);
      }
    },
  },
  {
    title: 'returns an empty listing for a folder that does not exist',
    async run(target) {
      await expect(target.store.list(`${target.scratch}/absent`, { pageSize: 5, token: undefined })).resolves.toEqual({ entries: [], nextToken: undefined });
    },
  },
  {
    title: 'answers NOT_FOUND for an object that does not exist',
    async run(target) {
      expect(await codeOf(target.store.describe(`${target.scratch}/absent.ts`))).toBe('NOT_FOUND');
      expect(await codeOf(target.store.get(`${target.scratch}/absent.ts`, undefined))).toBe('NOT_FOUND');
    },
  },
  {
    title: 'stores an object, then describes, reads whole and in part, lists and deletes it',
    writes: true,
    async run(target) {
      const bytes = patterned(10_000, 7);
      const path = await putScratch(target, 'standard.ts', new Uint8Array(bytes), { cacheControl: 'max-age=60' });
      const metadata = await target.store.describe(path);
      expect(metadata).toMatchObject({ path, contentLength: bytes.length, contentType: 'video/mp2t', cacheControl: 'max-age=60' });
      const whole = await target.store.get(path, undefined);
      expect((await buffer(whole.body)).equals(bytes)).toBe(true);
      const part = await target.store.get(path, 'bytes=100-199');
      expect(part.contentRange).toBe(`bytes 100-199/${bytes.length}`);
      expect((await buffer(part.body)).equals(bytes.subarray(100, 200))).toBe(true);
      const listed = await listFolder(target.store, target.scratch, 100);
      expect(listed.filter((entry) => entry.kind === 'object').map((entry) => entry.name)).toContain('standard.ts');
      await target.store.delete(path);
      expect(await codeOf(target.store.describe(path))).toBe('NOT_FOUND');
    },
  },
  {
    title: 'stores a STREAMING upload of unknown length and reads back every byte',
    writes: true,
    async run(target) {
      const parts = [patterned(64 * 1024, 1), patterned(100_000, 2), patterned(17, 3)];
      const expected = Buffer.concat(parts);
      const path = await putScratch(target, 'streaming.ts', Readable.from(parts), { uploadAvailability: 'STREAMING' });
      const read = await target.store.get(path, undefined);
      const got = await buffer(read.body);
      expect(createHash('sha256').update(got).digest('hex')).toBe(createHash('sha256').update(expected).digest('hex'));
    },
  },
  {
    title: 'refuses a range that starts past the end with RANGE_NOT_SATISFIABLE',
    writes: true,
    async run(target) {
      const path = await putScratch(target, 'short.bin', new Uint8Array(patterned(100, 5)), { contentType: 'application/octet-stream' });
      expect(await codeOf(target.store.get(path, 'bytes=500-'))).toBe('RANGE_NOT_SATISFIABLE');
    },
  },
];
