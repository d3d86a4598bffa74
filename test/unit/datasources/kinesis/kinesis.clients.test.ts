import { describe, expect, it } from 'vitest';
import { createKinesisClients } from '../../../../src/datasources/kinesis/kinesis.clients.js';

describe('createKinesisClients', () => {
  it('asks the credential source again for every client when refreshCredentials is called (K11)', async () => {
    let calls = 0;
    const clients = createKinesisClients({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      maxAttempts: 1,
      credentials: () => {
        calls += 1;
        // Valid for an hour: without a forced refresh the clients would keep answering from their caches.
        return Promise.resolve({ accessKeyId: `AKID${calls}`, secretAccessKey: 'secret', expiration: new Date(Date.now() + 3_600_000) });
      },
    });
    try {
      const first = await clients.control.config.credentials();
      expect(first.accessKeyId).toBe('AKID1');
      expect((await clients.control.config.credentials()).accessKeyId).toBe('AKID1');
      expect(calls).toBe(1);
      await clients.refreshCredentials();
      expect(calls).toBe(2);
      expect((await clients.control.config.credentials()).accessKeyId).toBe('AKID2');
      // A media client made since is refreshed too.
      const media = clients.media('http://127.0.0.1:9');
      await media.config.credentials();
      const before = calls;
      await clients.refreshCredentials();
      expect(calls - before).toBe(2);
      expect((await media.config.credentials()).accessKeyId).toBe(`AKID${calls}`);
    } finally {
      clients.destroy();
    }
  });
});
