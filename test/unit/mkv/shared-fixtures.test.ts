import { afterEach, describe, expect, it, vi } from 'vitest';
import { sharedFixtures } from '../../helpers/fixtures.js';

describe('sharedFixtures', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('skips with a visible warning when the folder is absent outside CI', () => {
    vi.stubEnv('CI', '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const fixtures = sharedFixtures('no-such-fixtures');
    expect(fixtures).toMatchObject({ available: false, skip: true });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/SKIPPING tests that need no-such-fixtures fixtures/));
  });

  it('throws when the folder is absent in CI', () => {
    vi.stubEnv('CI', 'true');
    expect(() => sharedFixtures('no-such-fixtures')).toThrow(/CI must provide them/);
  });

  it('resolves the folder next to the repository when it exists', () => {
    const fixtures = sharedFixtures('.');
    expect(fixtures.available).toBe(true);
    expect(fixtures.skip).toBe(false);
    expect(fixtures.file('kvs')).toMatch(/shared[\\/]fixtures[\\/]kvs$/);
  });
});
