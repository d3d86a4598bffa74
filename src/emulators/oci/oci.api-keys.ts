import { createHash, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

/**
 * OCI API signing keys: RSA key pairs whose public half is registered for a user, identified in signed
 * requests by `keyId = "<tenancy OCID>/<user OCID>/<key fingerprint>"`.
 */

/** An RSA key pair in PEM plus its OCI fingerprint. The private key lives in memory only. */
export interface OciApiKeyPair {
  /** PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), unencrypted. Never log or persist it. */
  readonly privateKeyPem: string;
  /** SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`), what a user uploads to OCI. */
  readonly publicKeyPem: string;
  /** OCI fingerprint of the public key, e.g. `20:3b:97:13:55:1c:...` (16 colon-separated hex pairs). */
  readonly fingerprint: string;
}

/**
 * Generates a fresh RSA key pair for tests and the embedded emulator (OCI requires RSA, at least 2048 bits).
 * Takes tens of milliseconds; generate once per test file, not per test.
 *
 * @param modulusLength key size in bits; default 2048.
 */
export function generateOciApiKey(modulusLength = 2048): OciApiKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength,
    publicExponent: 0x10001,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey, fingerprint: ociKeyFingerprint(publicKey) };
}

/**
 * The fingerprint OCI shows for an uploaded public key: the MD5 digest of the DER-encoded
 * SubjectPublicKeyInfo, as lower-case hex pairs joined by `:` (what `openssl md5 -c` prints for
 * `openssl rsa -pubout -outform DER`).
 *
 * @throws TypeError (from node:crypto) when `publicKey` is not a readable public key.
 */
export function ociKeyFingerprint(publicKey: string | KeyObject): string {
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  const digest = createHash('md5').update(key.export({ type: 'spki', format: 'der' })).digest('hex');
  const pairs: string[] = [];
  for (let index = 0; index < digest.length; index += 2) pairs.push(digest.slice(index, index + 2));
  return pairs.join(':');
}

/** The `keyId` a request signed with this key carries: `<tenancy>/<user>/<fingerprint>`. */
export function ociKeyId(tenancyId: string, userId: string, fingerprint: string): string {
  return `${tenancyId}/${userId}/${fingerprint}`;
}
