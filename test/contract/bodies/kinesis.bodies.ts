import { expect } from 'vitest';
import { LIST_FRAGMENTS_MAX_RESULTS, type KinesisArchivedMediaDataSource } from '../../../src/datasources/kinesis/kinesis-archived-media.datasource.js';
import type { KinesisVideoDataSource } from '../../../src/datasources/kinesis/kinesis-video.datasource.js';
import type { ArchivedFragment } from '../../../src/datasources/kinesis/kinesis.types.js';
import { DomainError } from '../../../src/core/domain-error.js';
import { compareFragmentNumbers } from '../../../src/mkv/kinesis-tags.js';
import type { ContractBody } from './contract-body.js';
import { walkRelay } from './relay-walk.js';

/** What the Kinesis Video bodies run against. */
export interface KinesisContractTarget {
  readonly control: KinesisVideoDataSource;
  readonly archived: KinesisArchivedMediaDataSource;
  /** An existing stream with at least three retained fragments. */
  readonly stream: string;
  /** A stream name that does not exist. */
  readonly missingStream: string;
}

/** Every fragment of one ListFragments listing (no range), following the service's tokens, and the pages it took. */
async function listAll(target: KinesisContractTarget, pageSize: number): Promise<{ fragments: ArchivedFragment[]; pages: number }> {
  const stream = await target.control.describeStream({ name: target.stream });
  const fragments: ArchivedFragment[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const page = await target.archived.listFragments({ name: target.stream }, { pageSize, token, range: undefined, stream });
    fragments.push(...page.fragments);
    token = page.nextToken;
    pages += 1;
    // A page may be short or empty while a token follows; only the token says whether more remain.
  } while (token !== undefined && pages < 10_000);
  return { fragments, pages };
}

function numbers(fragments: readonly ArchivedFragment[]): string[] {
  return fragments.map((fragment) => fragment.fragmentNumber);
}

async function codeOf(promise: Promise<unknown>): Promise<string> {
  const error: unknown = await promise.then(
    () => new Error('expected a rejection'),
    (rejection: unknown) => rejection,
  );
  expect(error).toBeInstanceOf(DomainError);
  return (error as DomainError).code;
}

/** The Kinesis Video contract: DescribeStream, ListStreams, GetDataEndpoint and ListFragments as the gateway uses them. */
export const KINESIS_BODIES: readonly ContractBody<KinesisContractTarget>[] = [
  {
    title: 'describes the stream alike by name and by ARN',
    async run(target) {
      const byName = await target.control.describeStream({ name: target.stream });
      expect(byName.name).toBe(target.stream);
      expect(byName.arn).toMatch(/^arn:aws[a-z-]*:kinesisvideo:[a-z0-9-]+:\d{12}:stream\/[a-zA-Z0-9_.-]+\/\d+$/);
      expect(['CREATING', 'ACTIVE', 'UPDATING', 'DELETING']).toContain(byName.status);
      expect(byName.creationTime).toBeInstanceOf(Date);
      expect(await target.control.describeStream({ arn: byName.arn })).toEqual(byName);
    },
  },
  {
    title: 'lists the streams whose names begin with a prefix, each once, in pages of one',
    async run(target) {
      const prefix = target.stream.slice(0, Math.min(3, target.stream.length));
      const names: string[] = [];
      let token: string | undefined;
      do {
        const page = await target.control.listStreams({ pageSize: 1, token, namePrefix: prefix });
        names.push(...page.streams.map((stream) => stream.name));
        token = page.nextToken;
      } while (token !== undefined && names.length < 200);
      expect(names).toContain(target.stream);
      expect(names.every((name) => name.startsWith(prefix))).toBe(true);
      expect(new Set(names).size).toBe(names.length);
    },
  },
  {
    title: 'lists every retained fragment once without a range, whatever order the service pages in',
    async run(target) {
      // One page holds them all (the service's largest page) versus pages of two: the same fragments, each once.
      const single = await listAll(target, 1000);
      const paged = await listAll(target, 2);
      expect(single.fragments.length).toBeGreaterThanOrEqual(3);
      expect(new Set(numbers(paged.fragments)).size).toBe(paged.fragments.length);
      // Fragments may be added while listing: compare the ones both listings saw.
      const seen = new Set(numbers(paged.fragments));
      const common = numbers(single.fragments).filter((number) => seen.has(number));
      expect(common.length).toBeGreaterThanOrEqual(single.fragments.length - 2);
      for (const fragment of paged.fragments) {
        expect(fragment.fragmentNumber).toMatch(/^\d+$/);
        expect(fragment.serverTimestamp).toBeInstanceOf(Date);
      }
    },
  },
  {
    title: 'lists exactly the fragments whose server timestamp lies in a range',
    async run(target) {
      const { fragments } = await listAll(target, 1000);
      const times = fragments.map((fragment) => fragment.serverTimestamp?.getTime() ?? 0).sort((a, b) => a - b);
      const from = new Date(times[0] ?? 0);
      const to = new Date(times[Math.floor(times.length / 2)] ?? 0);
      const inRange = fragments.filter((fragment) => {
        const at = fragment.serverTimestamp?.getTime() ?? -1;
        return at >= from.getTime() && at <= to.getTime();
      });
      const ranged: ArchivedFragment[] = [];
      let token: string | undefined;
      do {
        const page = await target.archived.listFragments({ name: target.stream }, { pageSize: 2, token, range: { type: 'SERVER_TIMESTAMP', from, to } });
        ranged.push(...page.fragments);
        token = page.nextToken;
      } while (token !== undefined);
      expect(numbers(ranged).sort(compareFragmentNumbers)).toEqual(numbers(inRange).sort(compareFragmentNumbers));
    },
  },
  {
    title: 'gives each fragment once through a Relay connection of first 2 when following endCursor without a range',
    async run(target) {
      // Without `to`, a first page ends at the time of each request: only endCursor (a provider token) is stable.
      const stream = await target.control.describeStream({ name: target.stream });
      const seen = await walkRelay<ArchivedFragment>({
        listKey: `fragments:${stream.arn}`,
        providerMaxPageSize: LIST_FRAGMENTS_MAX_RESULTS,
        key: (fragment) => fragment.fragmentNumber,
        resumeInside: false,
        fetchPage: async (request) => {
          const page = await target.archived.listFragments({ arn: stream.arn }, { ...request, range: undefined, stream });
          return { items: page.fragments, nextToken: page.nextToken };
        },
      });
      expect(seen.length).toBeGreaterThanOrEqual(3);
    },
  },
  {
    title: 'gives each fragment of a range once through a Relay connection of first 2, resuming from any edge',
    async run(target) {
      const stream = await target.control.describeStream({ name: target.stream });
      const { fragments } = await listAll(target, 1000);
      const times = fragments.map((fragment) => fragment.serverTimestamp?.getTime() ?? 0);
      const range = { type: 'SERVER_TIMESTAMP', from: new Date(Math.min(...times)), to: new Date(Math.max(...times)) } as const;
      const seen = await walkRelay<ArchivedFragment>({
        listKey: `fragments:${stream.arn}:${range.from.toISOString()}:${range.to.toISOString()}`,
        providerMaxPageSize: LIST_FRAGMENTS_MAX_RESULTS,
        key: (fragment) => fragment.fragmentNumber,
        fetchPage: async (request) => {
          const page = await target.archived.listFragments({ arn: stream.arn }, { ...request, range });
          return { items: page.fragments, nextToken: page.nextToken };
        },
      });
      expect([...seen].sort(compareFragmentNumbers)).toEqual(numbers(fragments).sort(compareFragmentNumbers));
    },
  },
  {
    title: 'answers NOT_FOUND for a stream that does not exist',
    async run(target) {
      expect(await codeOf(target.control.describeStream({ name: target.missingStream }))).toBe('NOT_FOUND');
      const range = { type: 'SERVER_TIMESTAMP', from: new Date(Date.now() - 3_600_000), to: new Date() } as const;
      expect(await codeOf(target.archived.listFragments({ name: target.missingStream }, { pageSize: 10, token: undefined, range }))).toBe('NOT_FOUND');
    },
  },
];
