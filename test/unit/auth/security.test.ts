import { describe, expect, it } from 'vitest';
import { countRefusal } from '../../../src/auth/security.js';
import { DomainError } from '../../../src/core/domain-error.js';
import { authRefusals } from '../../../src/core/metrics.js';

async function refusals(reason: string): Promise<number> {
  const { values } = await authRefusals.get();
  return values.filter((entry) => entry.labels.reason === reason).reduce((sum, entry) => sum + entry.value, 0);
}

describe('countRefusal', () => {
  it('counts a refusal of the caller by its code when authentication fails with UNAUTHENTICATED or FORBIDDEN', async () => {
    const before = { unauthenticated: await refusals('unauthenticated'), forbidden: await refusals('forbidden') };
    await expect(countRefusal(() => Promise.reject(new DomainError('UNAUTHENTICATED', 'no credential')))).rejects.toThrow('no credential');
    await expect(countRefusal(() => Promise.reject(new DomainError('FORBIDDEN', 'no scope')))).rejects.toThrow('no scope');
    expect(await refusals('unauthenticated')).toBe(before.unauthenticated + 1);
    expect(await refusals('forbidden')).toBe(before.forbidden + 1);
  });

  it('counts nothing when the key source is unreachable, since no caller was refused', async () => {
    const before = (await authRefusals.get()).values.reduce((sum, entry) => sum + entry.value, 0);
    await expect(countRefusal(() => Promise.reject(new DomainError('UPSTREAM_UNAVAILABLE', 'JWKS down')))).rejects.toThrow('JWKS down');
    expect((await authRefusals.get()).values.reduce((sum, entry) => sum + entry.value, 0)).toBe(before);
    expect(await refusals('upstream_unavailable')).toBe(0);
  });
});
