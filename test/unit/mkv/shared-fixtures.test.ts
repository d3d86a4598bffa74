import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { kvsFixtures, REPO_ROOT, sharedFixtures } from '../../helpers/fixtures.js';

// A root of our own: whether ../shared exists beside this clone must not decide these tests.
const root = mkdtempSync(join(tmpdir(), 'shared-fixtures-'));
mkdirSync(join(root, 'present'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('sharedFixtures', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('skips with a warning naming the missing folder and how to get it when the folder is absent outside CI', () => {
    vi.stubEnv('CI', '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const fixtures = sharedFixtures('absent', { root, howToGet: 'Copy them from the team share.' });
    expect(fixtures).toMatchObject({ available: false, skip: true, dir: join(root, 'absent') });
    expect(warn).toHaveBeenCalledTimes(1);
    const message = String(warn.mock.calls[0]?.[0]);
    expect(message).toMatch(/^\[fixtures\] SKIPPING tests that need absent fixtures/);
    expect(message).toContain(join(root, 'absent'));
    expect(message).toContain('Copy them from the team share.');
  });

  it('throws naming the folder when it is absent and CI=true', () => {
    vi.stubEnv('CI', 'true');
    expect(() => sharedFixtures('absent', { root })).toThrow(/absent fixtures not found: .*absent does not exist[\s\S]*CI must provide them/);
  });

  it('runs the tests without a warning when the folder exists', () => {
    vi.stubEnv('CI', 'true');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const fixtures = sharedFixtures('present', { root });
    expect(fixtures).toMatchObject({ available: true, skip: false });
    expect(fixtures.file('a.mkv')).toBe(join(root, 'present', 'a.mkv'));
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('kvsFixtures', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('looks beside the repository and tells where the captures come from when it warns', () => {
    vi.stubEnv('CI', '');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const fixtures = kvsFixtures();
    expect(fixtures.dir).toBe(join(dirname(REPO_ROOT), 'shared', 'fixtures', 'kvs'));
    // Whether it warns depends on this machine; what it says when it does must not.
    for (const [message] of warn.mock.calls) {
      expect(String(message)).toContain(fixtures.dir);
      expect(String(message)).toContain('amazon-kinesis-video-streams-parser-library');
    }
    expect(warn).toHaveBeenCalledTimes(fixtures.available ? 0 : 1);
  });
});
