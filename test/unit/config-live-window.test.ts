import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig LIVE_WINDOW_FRAGMENTS', () => {
  it('refuses 0 with an error naming the variable, since catch-up readers hand over at the window', () => {
    expect(() => loadConfig({ LIVE_WINDOW_FRAGMENTS: '0' })).toThrow(ConfigError);
    expect(() => loadConfig({ LIVE_WINDOW_FRAGMENTS: '0' })).toThrow(/LIVE_WINDOW_FRAGMENTS/);
  });

  it('accepts 1, the smallest window, and keeps the default of 150 when unset', () => {
    expect(loadConfig({ LIVE_WINDOW_FRAGMENTS: '1' }).live.windowFragments).toBe(1);
    expect(loadConfig({}).live.windowFragments).toBe(150);
  });
});
