import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseRedisUrl } from '../../src/config.js';

describe('loadConfig fleet mode', () => {
  it('keeps the in-process hub and no Redis when nothing is set', () => {
    const config = loadConfig({});
    expect(config.live.hub).toBe('local');
    expect(config.live.leaseTtlMs).toBe(5_000);
    expect(config.redis).toBeUndefined();
  });

  it('refuses LIVE_HUB=redis without REDIS_URL with an error naming REDIS_URL', () => {
    expect(() => loadConfig({ LIVE_HUB: 'redis' })).toThrow(ConfigError);
    expect(() => loadConfig({ LIVE_HUB: 'redis' })).toThrow(/REDIS_URL: required when LIVE_HUB=redis/);
  });

  it('refuses a key prefix with a brace, which would move the per-stream hash tag, naming REDIS_KEY_PREFIX', () => {
    expect(() => loadConfig({ LIVE_HUB: 'redis', REDIS_URL: 'redis://127.0.0.1:6379', REDIS_KEY_PREFIX: 'app{1}:' })).toThrow(/REDIS_KEY_PREFIX/);
  });

  it('refuses a lease shorter than 500 ms, naming LIVE_LEASE_TTL_MS', () => {
    expect(() => loadConfig({ LIVE_LEASE_TTL_MS: '100' })).toThrow(/LIVE_LEASE_TTL_MS/);
  });

  it('reads the fleet settings when LIVE_HUB=redis and REDIS_URL are set', () => {
    const config = loadConfig({ LIVE_HUB: 'redis', REDIS_URL: 'rediss://:secret@cache.example.com:6380/2', LIVE_LEASE_TTL_MS: '3000' });
    expect(config.live.hub).toBe('redis');
    expect(config.live.leaseTtlMs).toBe(3_000);
    expect(config.redis).toEqual({ target: { mode: 'standalone', url: 'rediss://:secret@cache.example.com:6380/2' }, keyPrefix: 'media-graph:' });
  });
});

describe('parseRedisUrl', () => {
  it('returns one server as the URL ioredis reads when given redis:// or rediss://', () => {
    expect(parseRedisUrl('redis://127.0.0.1:6379')).toEqual({ mode: 'standalone', url: 'redis://127.0.0.1:6379' });
  });

  it('reads a Sentinel group with its master, database, credentials and sentinel password when given redis+sentinel://', () => {
    expect(parseRedisUrl('redis+sentinel://app:p%40ss@s1.example.com:26379,s2.example.com/mymaster/3?sentinelPassword=sent')).toEqual({
      mode: 'sentinel',
      username: 'app',
      password: 'p@ss',
      tls: false,
      sentinels: [
        { host: 's1.example.com', port: 26_379 },
        { host: 's2.example.com', port: 26_379 },
      ],
      masterName: 'mymaster',
      db: 3,
      sentinelPassword: 'sent',
    });
  });

  it('reads a Cluster seed list with the credentials of its first node when given comma-separated URLs', () => {
    expect(parseRedisUrl('rediss://:pw@n1.example.com:7000, rediss://n2.example.com:7001')).toEqual({
      mode: 'cluster',
      username: undefined,
      password: 'pw',
      tls: true,
      nodes: [
        { host: 'n1.example.com', port: 7000 },
        { host: 'n2.example.com', port: 7001 },
      ],
    });
  });

  it('refuses other schemes, Sentinel URLs without a master and mixed TLS seeds, without echoing the value', () => {
    for (const bad of ['http://cache:6379', 'redis+sentinel://s1:26379', 'redis://a:1,rediss://b:2', '127.0.0.1:6379']) {
      expect(() => parseRedisUrl(bad)).toThrow(ConfigError);
      expect(() => parseRedisUrl(bad)).toThrow(/^invalid configuration: REDIS_URL: /);
    }
    expect(() => parseRedisUrl('http://user:topsecret@cache:6379')).not.toThrow(/topsecret/);
  });
});
