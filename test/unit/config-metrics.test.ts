import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_METRICS_PORT, loadConfig } from '../../src/config.js';

const SECRET = 'x'.repeat(32);

describe('loadConfig metrics', () => {
  it('listens on the default port in development on a loopback host, and nowhere elsewhere unless asked', () => {
    expect(loadConfig({}).metrics).toMatchObject({ port: DEFAULT_METRICS_PORT, token: undefined, byDefault: true });
    expect(loadConfig({ NODE_ENV: 'production', SIGNING_SECRET: SECRET }).metrics).toMatchObject({ port: undefined, token: undefined });
    expect(loadConfig({ NODE_ENV: 'test' }).metrics.port).toBeUndefined();
    expect(loadConfig({ METRICS_PORT: 'off' }).metrics.port).toBeUndefined();
    expect(loadConfig({ NODE_ENV: 'production', SIGNING_SECRET: SECRET, METRICS_PORT: '9100' }).metrics).toMatchObject({ port: 9100, byDefault: false });
  });

  it('refuses default metrics on a host other machines reach, naming the ways out', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(ConfigError);
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/METRICS_TOKEN.*METRICS_PORT.*METRICS_PORT=off/);
    expect(loadConfig({ HOST: '0.0.0.0', METRICS_TOKEN: 'a-long-enough-token' }).metrics).toMatchObject({ port: undefined, token: 'a-long-enough-token' });
    expect(loadConfig({ HOST: '0.0.0.0', METRICS_PORT: '9464' }).metrics.port).toBe(9464);
  });

  it('refuses a short token, a port out of range and the main port', () => {
    expect(() => loadConfig({ METRICS_TOKEN: 'short' })).toThrow(/METRICS_TOKEN/);
    expect(() => loadConfig({ METRICS_PORT: '70000' })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ METRICS_PORT: '4000' })).toThrow(/METRICS_PORT: must differ from PORT/);
  });

  it('reads the labelled streams as a comma-separated list', () => {
    expect(loadConfig({ METRICS_STREAM_LABELS: ' lobby , dock-2,' }).metrics.streamLabels).toEqual(['lobby', 'dock-2']);
  });
});
