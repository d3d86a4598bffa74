import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, configWarnings, loadConfig } from '../../src/config.js';

function messageFor(env: Record<string, string>): string | undefined {
  try {
    loadConfig(env);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
}

/** The problem reported for `name` alone, e.g. `must be a whole number in the range 0-65535`. */
function problemOf(name: string, value: string): string | undefined {
  const message = messageFor({ [name]: value });
  return message === undefined ? undefined : new RegExp(`${name}: ([^;]*)`).exec(message)?.[1];
}

describe('loadConfig numeric variables', () => {
  it('states the allowed range when PORT is negative, too large, fractional or not a number', () => {
    for (const value of ['-1', '65536', '80.5', 'http', '1e3']) {
      expect(messageFor({ PORT: value })).toBe('invalid configuration: PORT: must be a whole number in the range 0-65535');
    }
  });

  it('states its inclusive range for every numeric variable when the value is out of range or not a number', () => {
    // A numeric variable is one that refuses "-1" as not being a whole number; new ones are covered automatically.
    const numeric = CONFIG_VARIABLES.filter((name) => problemOf(name, '-1')?.startsWith('must be a whole number') === true);
    expect(numeric.length).toBeGreaterThan(30);
    expect(numeric).toContain('PORT');
    for (const name of numeric) {
      const range = /^must be a whole number in the range (\d+)-(\d+)$/.exec(problemOf(name, '-1') ?? '');
      expect(range, `${name} names its range`).not.toBeNull();
      const [min, max] = [Number(range?.[1]), Number(range?.[2])];
      // Both ends are accepted, the numbers just outside them refused with the same words.
      expect(problemOf(name, String(min)), `${name}=${String(min)}`).toBeUndefined();
      expect(problemOf(name, String(max)), `${name}=${String(max)}`).toBeUndefined();
      expect(problemOf(name, String(max + 1))).toBe(range?.[0]);
      if (min > 0) expect(problemOf(name, String(min - 1))).toBe(range?.[0]);
      expect(problemOf(name, 'ten')).toBe(range?.[0]);
    }
  });
});

describe('configWarnings', () => {
  it('warns once, naming PUBLIC_BASE_URL and the URL it would sign, when HOST binds every interface without it', () => {
    const cases: [string, string][] = [
      ['0.0.0.0', 'http://0.0.0.0:8080'],
      ['::', 'http://[::]:8080'],
      ['[::]', 'http://[::]:8080'],
      ['0:0:0:0:0:0:0:0', 'http://[0:0:0:0:0:0:0:0]:8080'],
    ];
    for (const [host, url] of cases) {
      // Development refuses a non-loopback HOST with its default metrics listener; that is not what this tests.
      const warnings = configWarnings(loadConfig({ HOST: host, PORT: '8080', METRICS_PORT: 'off' }));
      expect(warnings, host).toHaveLength(1);
      expect(warnings[0]).toContain('PUBLIC_BASE_URL');
      expect(warnings[0]).toContain(`HOST=${host}`);
      expect(warnings[0]).toContain(url);
    }
  });

  it('warns about nothing when PUBLIC_BASE_URL is set or HOST names one address', () => {
    expect(configWarnings(loadConfig({ HOST: '0.0.0.0', PUBLIC_BASE_URL: 'https://media.example.com', METRICS_PORT: 'off' }))).toEqual([]);
    for (const host of ['127.0.0.1', '::1', 'localhost', '10.0.0.5', 'fe80::1', 'media.internal']) {
      expect(configWarnings(loadConfig({ HOST: host, METRICS_PORT: 'off' })), host).toEqual([]);
    }
  });
});
