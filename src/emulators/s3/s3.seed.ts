import { seedMediaStoreDemo } from '../mediastore/mediastore.seed.js';
import type { S3Emulator } from './s3.emulator.js';

/**
 * Stores the demo objects `npm start` shows in the emulator's first bucket, under `prefix` (`''` or a key prefix
 * ending with `/`, the gateway's `S3_PREFIX`): the same paths and bytes as the MediaStore demo container, so both
 * object stores show one demo. Not recorded in the request log. Existing objects at those keys are replaced.
 */
export function seedS3Demo(emulator: S3Emulator, prefix = ''): void {
  seedMediaStoreDemo({
    putObjectDirect: (path, body, meta) => emulator.putObjectDirect(`${prefix}${path}`, body, meta),
  });
}
