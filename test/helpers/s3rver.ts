import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The credentials s3rver accepts (its documented defaults): it checks the access key id, not SigV4 signatures. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** A running s3rver (an independent S3 implementation) in a child process. */
export interface S3rverProcess {
  /** e.g. `http://127.0.0.1:43210`; use with `forcePathStyle: true`. */
  readonly endpoint: string;
  readonly bucket: string;
  /** The child's process id (to read its CPU from /proc). */
  readonly pid: number | undefined;
  /** Stops the child and removes its data directory; idempotent. */
  close(): Promise<void>;
}

// Runs in the child: s3rver's API (CommonJS) on a free loopback port, printing its address as one JSON line.
const CHILD_SCRIPT = `
const S3rver = require(process.env.S3RVER_MODULE);
const server = new S3rver({ port: 0, address: '127.0.0.1', directory: process.env.S3RVER_DIR, silent: true, configureBuckets: [{ name: process.env.S3RVER_BUCKET }] });
server.run().then((address) => process.stdout.write(JSON.stringify(address) + '\\n'), (error) => { console.error(error); process.exit(1); });
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
`;

/**
 * Starts s3rver 3.7.1 in a child process with `--openssl-legacy-provider`: its ListObjectsV2 continuation tokens
 * use a cipher that OpenSSL 3 only offers through the legacy provider. The child gets its own temporary data
 * directory and one bucket.
 * @throws (rejects) when the child exits or prints no address within 20 s.
 */
export async function startS3rver(bucket = 'media-graph'): Promise<S3rverProcess> {
  const directory = await mkdtemp(join(tmpdir(), 'mg-s3rver-'));
  const module = createRequire(import.meta.url).resolve('s3rver');
  const child: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', '-e', CHILD_SCRIPT], {
    env: { ...process.env, S3RVER_MODULE: module, S3RVER_DIR: directory, S3RVER_BUCKET: bucket },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(directory, { recursive: true, force: true });
    })());
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('s3rver did not start within 20 s')), 20_000);
      child.once('exit', (code) => reject(new Error(`s3rver exited with ${String(code)} before it listened`)));
      const lines = createInterface({ input: child.stdout! });
      lines.once('line', (line) => {
        clearTimeout(timer);
        lines.close();
        resolve((JSON.parse(line) as { port: number }).port);
      });
    });
    return { endpoint: `http://127.0.0.1:${port}`, bucket, pid: child.pid, close };
  } catch (error) {
    await close();
    throw error;
  }
}
