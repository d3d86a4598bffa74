import { describe, expect, it } from 'vitest';
import { MAX_REQUEST_ID_LENGTH, requestIdFrom } from '../../../src/server/request-id.js';

describe('requestIdFrom', () => {
  it('keeps a caller id of safe characters within the length limit', () => {
    expect(requestIdFrom('Root=1-5759e988-bd862e3fe1be46a994272793')).toBe('Root=1-5759e988-bd862e3fe1be46a994272793');
    expect(requestIdFrom('a'.repeat(MAX_REQUEST_ID_LENGTH))).toBe('a'.repeat(MAX_REQUEST_ID_LENGTH));
  });

  it('makes a new UUID when the caller id is absent, repeated, too long or unsafe', () => {
    for (const given of [undefined, '', ['a', 'b'], 'a'.repeat(MAX_REQUEST_ID_LENGTH + 1), 'with space', 'line\nbreak', '{"json":1}']) {
      expect(requestIdFrom(given)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    }
  });
});
