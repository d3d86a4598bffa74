import { hkdfSync, randomBytes } from 'node:crypto';

/** Independent HMAC keys derived from one configured secret, so a leak of one purpose's MACs says nothing about another. */
export interface SigningKeys {
  /** Key for list cursors. */
  readonly cursor: Buffer;
  /** Key for signed byte-endpoint URLs. */
  readonly url: Buffer;
  /** True when the secret was generated at startup: cursors and URLs die with the process. */
  readonly ephemeral: boolean;
}

/**
 * Derives the per-purpose keys (HKDF-SHA256) from `secret`, or from 32 random bytes when it is undefined.
 * Deterministic for a given secret so every instance of a deployment accepts the others' cursors and URLs.
 */
export function deriveSigningKeys(secret: string | undefined): SigningKeys {
  const ikm = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
  const derive = (purpose: string): Buffer =>
    Buffer.from(hkdfSync('sha256', ikm, Buffer.from('media-graph'), Buffer.from(purpose), 32));
  return { cursor: derive('cursor/v1'), url: derive('signed-url/v1'), ephemeral: secret === undefined };
}
