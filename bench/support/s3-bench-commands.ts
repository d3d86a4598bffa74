import type { S3Operation } from '../../src/emulators/s3/s3.faults.js';
import type { UsageSample } from './ipc.js';

/** Ready info of the S3 emulator process. */
export interface S3EmulatorReady {
  readonly endpoint: string;
  readonly bucket: string;
}

type NoArgs = Record<string, never>;

/** Commands of `s3-emulator.child.ts`. */
export type S3EmulatorCommands = {
  /** This process's CPU and RSS. */
  usage: { args: NoArgs; result: UsageSample };
  /** Stores `count` small objects under `folder/` (see `payload.ts`); returns the bucket's object count. */
  seedListing: { args: { readonly folder: string; readonly count: number }; result: { readonly objectCount: number } };
  /** Requests of one operation received so far. */
  countRequests: { args: { readonly operation: S3Operation }; result: { readonly count: number } };
  /** Size and SHA-256 of the object at `key` (null when there is none), computed in the emulator. */
  objectDigest: { args: { readonly key: string }; result: { readonly size: number | null; readonly sha256: string | null } };
  /** Multipart uploads in progress. */
  uploadsInProgress: { args: NoArgs; result: { readonly count: number } };
};
