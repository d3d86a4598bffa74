import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { ListingPass } from './objects-load.js';

/** Lists `folder` completely with the bare S3 client (`ListObjectsV2`, `Delimiter: '/'`, `MaxKeys: pageSize`), as the gateway does. */
export async function listThroughS3Sdk(client: S3Client, bucket: string, folder: string, pageSize: number): Promise<ListingPass> {
  const pageLatenciesMs: number[] = [];
  const names: string[] = [];
  let malformed = 0;
  let token: string | undefined;
  const prefix = `${folder}/`;
  for (;;) {
    const started = performance.now();
    const output = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, Delimiter: '/', MaxKeys: pageSize, ContinuationToken: token }));
    pageLatenciesMs.push(performance.now() - started);
    for (const item of output.Contents ?? []) {
      names.push((item.Key ?? '').slice(prefix.length));
      if (typeof item.ETag !== 'string') malformed += 1;
    }
    malformed += output.CommonPrefixes?.length ?? 0;
    if (output.IsTruncated !== true || output.NextContinuationToken === undefined) break;
    token = output.NextContinuationToken;
  }
  return { pageLatenciesMs, names, malformed };
}

/** Bytes a process moved through read and write system calls (sockets included): `/proc/<pid>/io` rchar + wchar. */
export function processIoBytes(pid: number): number {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const field = (name: string): number => Number(new RegExp(`^${name}: (\\d+)$`, 'm').exec(io)?.[1] ?? Number.NaN);
  return field('rchar') + field('wchar');
}

/** What one streamed upload did. */
export interface UploadPass {
  readonly status: number;
  readonly sentBytes: number;
  /** Hex SHA-256 of what was sent. */
  readonly sha256: string;
  readonly wallMs: number;
}

/**
 * PUTs `size` deterministic bytes to `url` with `headers`, generated 1 MiB at a time as the socket drains (nothing
 * but the chunk in flight is held), hashing what is sent.
 */
export async function streamUpload(url: string, headers: Record<string, string>, size: number, seed: number): Promise<UploadPass> {
  const target = new URL(url);
  const hash = createHash('sha256');
  const chunk = Buffer.alloc(1024 * 1024);
  const started = performance.now();
  let state = seed >>> 0 || 1;
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, method: 'PUT', path: `${target.pathname}${target.search}`, headers: { ...headers, 'content-length': String(size) } },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    req.once('error', reject);
    let sent = 0;
    const pump = (): void => {
      while (sent < size) {
        const length = Math.min(chunk.length, size - sent);
        // xorshift32 per word: incompressible, deterministic, cheap.
        for (let offset = 0; offset + 4 <= length; offset += 4) {
          state ^= state << 13;
          state >>>= 0;
          state ^= state >>> 17;
          state ^= state << 5;
          state >>>= 0;
          chunk.writeUInt32LE(state, offset);
        }
        const piece = Buffer.from(chunk.subarray(0, length));
        hash.update(piece);
        sent += length;
        if (!req.write(piece)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
  return { status, sentBytes: size, sha256: hash.digest('hex'), wallMs: performance.now() - started };
}
