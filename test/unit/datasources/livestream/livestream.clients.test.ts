import { describe, expect, it } from 'vitest';
import { liveStreamRestOperation } from '../../../../src/datasources/livestream/livestream.clients.js';

const CHANNEL = 'http://127.0.0.1:8080/v1/projects/p/locations/l/channels/c';

describe('liveStreamRestOperation', () => {
  it('names each DVR session request as the API reference does when the method and path are ones the datasource sends', () => {
    expect(liveStreamRestOperation('GET', `${CHANNEL}/dvrSessions`)).toBe('listDvrSessions');
    expect(liveStreamRestOperation('POST', `${CHANNEL}/dvrSessions`)).toBe('createDvrSession');
    expect(liveStreamRestOperation('GET', `${CHANNEL}/dvrSessions/s1`)).toBe('getDvrSession');
    expect(liveStreamRestOperation('PATCH', `${CHANNEL}/dvrSessions/s1`)).toBe('updateDvrSession');
    expect(liveStreamRestOperation('DELETE', `${CHANNEL}/dvrSessions/s1`)).toBe('deleteDvrSession');
    expect(liveStreamRestOperation(undefined, 'http://127.0.0.1:8080/v1/projects/p/locations/l/operations/op-1')).toBe('getOperation');
  });

  it('answers other when the path or method is one it does not know, so the label set stays bounded', () => {
    expect(liveStreamRestOperation('PUT', `${CHANNEL}/dvrSessions/s1`)).toBe('other');
    expect(liveStreamRestOperation('GET', `${CHANNEL}/somethingNew/${'x'.repeat(40)}`)).toBe('other');
    expect(liveStreamRestOperation('DELETE', `${CHANNEL}/dvrSessions`)).toBe('other');
  });
});
