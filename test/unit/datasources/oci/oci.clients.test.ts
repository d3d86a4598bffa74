import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OciError } from 'oci-common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOciClients, isRetryableOciError, loadOciPrivateKey } from '../../../../src/datasources/oci/oci.clients.js';
import { generateOciApiKey, type OciApiKeyPair } from '../../../../src/emulators/oci/oci.api-keys.js';

let key: OciApiKeyPair;
let directory: string;

beforeAll(async () => {
  key = generateOciApiKey();
  directory = await mkdtemp(join(tmpdir(), 'oci-clients-'));
});

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

function credentials(privateKeyPem: string) {
  return { tenancyId: 'ocid1.tenancy.oc1..t', userId: 'ocid1.user.oc1..u', fingerprint: key.fingerprint, privateKeyPem };
}

describe('loadOciPrivateKey', () => {
  it('returns the PEM when it comes inline or from a file', async () => {
    const path = join(directory, 'api-key.pem');
    await writeFile(path, key.privateKeyPem, { mode: 0o600 });
    await expect(loadOciPrivateKey({ pem: key.privateKeyPem })).resolves.toBe(key.privateKeyPem);
    await expect(loadOciPrivateKey({ path })).resolves.toBe(key.privateKeyPem);
  });

  it('needs the passphrase when the key is encrypted', async () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'open sesame' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    await expect(loadOciPrivateKey({ pem: privateKey })).rejects.toThrow('is not a readable PEM private key');
    await expect(loadOciPrivateKey({ pem: privateKey }, 'open sesame')).resolves.toBe(privateKey);
  });

  it('names the source but never the key when the key cannot be used', async () => {
    const damaged = key.privateKeyPem.replace('MII', 'XXX');
    const error: unknown = await loadOciPrivateKey({ pem: damaged }).then(
      () => undefined,
      (rejection: unknown) => rejection,
    );
    expect(String(error)).toBe('Error: The OCI private key in the inline PEM is not a readable PEM private key');
    const body = damaged.split('\n')[1] ?? 'unreachable';
    expect(JSON.stringify(error)).not.toContain(body);
    await expect(loadOciPrivateKey({ path: join(directory, 'missing.pem') })).rejects.toThrow(`Cannot read the OCI private key from the file ${join(directory, 'missing.pem')}`);
  });
});

describe('createOciClients', () => {
  it('reuses one Media Streams client per endpoint', () => {
    const clients = createOciClients({ credentials: credentials(key.privateKeyPem), region: 'us-ashburn-1', maxAttempts: 1 });
    try {
      const first = clients.mediaStream('https://a.example');
      expect(clients.mediaStream('https://a.example')).toBe(first);
      expect(clients.mediaStream('https://b.example')).not.toBe(first);
      expect(first.endpoint).toBe('https://a.example/20211101');
      expect(clients.mediaServices.endpoint).toBe('https://mediaservices.us-ashburn-1.oci.oraclecloud.com/20211101');
      expect(clients.mediaStreamsEndpoint('abc.dc.example')).toBe('https://abc.dc.example');
      expect(clients.keyFingerprint).toBe(key.fingerprint);
    } finally {
      clients.close();
    }
  });

  it('keeps the client in use and forgets the least recently used one when maxMediaStreamClients are open', () => {
    const clients = createOciClients({ credentials: credentials(key.privateKeyPem), region: 'us-ashburn-1', maxAttempts: 1, maxMediaStreamClients: 2 });
    try {
      const inUse = clients.mediaStream('https://in-use.example');
      const idle = clients.mediaStream('https://idle.example');
      // The oldest client, but the most recently used.
      expect(clients.mediaStream('https://in-use.example')).toBe(inUse);
      clients.mediaStream('https://newcomer.example');
      expect(clients.mediaStream('https://in-use.example')).toBe(inUse);
      expect(clients.mediaStream('https://idle.example')).not.toBe(idle);
    } finally {
      clients.close();
    }
  });

  it('throws RangeError when maxAttempts or maxMediaStreamClients is below one', () => {
    expect(() => createOciClients({ credentials: credentials(key.privateKeyPem), region: 'us-ashburn-1', maxAttempts: 0 })).toThrow(RangeError);
    expect(() => createOciClients({ credentials: credentials(key.privateKeyPem), region: 'us-ashburn-1', maxAttempts: 1, maxMediaStreamClients: 0 })).toThrow(RangeError);
  });
});

describe('isRetryableOciError', () => {
  it.each([
    [429, 'TooManyRequests', true],
    [500, 'InternalServerError', true],
    [503, 'ServiceUnavailable', true],
    [409, 'IncorrectState', true],
    [409, 'Conflict', false],
    [401, 'NotAuthenticated', false],
    [404, 'NotAuthorizedOrNotFound', false],
    [400, 'InvalidParameter', false],
  ])('retries %i %s: %s', (status, code, retryable) => {
    expect(isRetryableOciError(new OciError(status, code, 'm', null, 'MediaServices', 'op', '', '', ''))).toBe(retryable);
  });
});
