import { describe, expect, it } from 'vitest';
import { MediaStoreObjectStore } from '../../../../src/emulators/mediastore/mediastore.store.js';

const meta = { contentType: 'video/mp2t', cacheControl: undefined };

function names(store: MediaStoreObjectStore, folder: string[]): string[] {
  return store.listFolder(folder, undefined, 1000).items.map((item) => `${item.type}:${item.name}`);
}

describe('MediaStoreObjectStore', () => {
  it('creates the missing folders when an object is put', () => {
    const store = new MediaStoreObjectStore(() => 0);
    store.putObject(['a', 'b', 'c.ts'], Buffer.from('x'), meta);
    expect(names(store, [])).toEqual(['FOLDER:a']);
    expect(names(store, ['a'])).toEqual(['FOLDER:b']);
    expect(names(store, ['a', 'b'])).toEqual(['OBJECT:c.ts']);
  });

  it('prunes every folder left empty when the last object below it is deleted', () => {
    const store = new MediaStoreObjectStore(() => 0);
    store.putObject(['a', 'b', 'c.ts'], Buffer.from('x'), meta);
    store.putObject(['a', 'keep.ts'], Buffer.from('y'), meta);
    expect(store.deleteObject(['a', 'b', 'c.ts'])).toBe(true);
    expect(names(store, ['a'])).toEqual(['OBJECT:keep.ts']);
    expect(store.deleteObject(['a', 'keep.ts'])).toBe(true);
    expect(names(store, [])).toEqual([]);
    expect(store.objectCount).toBe(0);
  });

  it('returns false and changes nothing when the object to delete is missing', () => {
    const store = new MediaStoreObjectStore(() => 0);
    store.putObject(['a', 'c.ts'], Buffer.from('x'), meta);
    expect(store.deleteObject(['a', 'missing.ts'])).toBe(false);
    expect(store.deleteObject(['a'])).toBe(false);
    expect(store.deleteObject(['nope', 'c.ts'])).toBe(false);
    expect(store.objectCount).toBe(1);
  });

  it('orders a folder before an object when both share a name', () => {
    const store = new MediaStoreObjectStore(() => 0);
    store.putObject(['x'], Buffer.from('object'), meta);
    store.putObject(['x', 'inner.ts'], Buffer.from('in folder'), meta);
    store.putObject(['B'], Buffer.from('upper case sorts first'), meta);
    expect(names(store, [])).toEqual(['OBJECT:B', 'FOLDER:x', 'OBJECT:x']);
    expect(store.getObject(['x'])?.body.toString()).toBe('object');
  });

  it('resumes strictly after the key when a page is requested with a cursor', () => {
    const store = new MediaStoreObjectStore(() => 0);
    for (const name of ['a', 'b', 'c', 'd']) store.putObject([name], Buffer.from(name), meta);
    const first = store.listFolder([], undefined, 2);
    expect(first.items.map((item) => item.name)).toEqual(['a', 'b']);
    expect(first.more).toBe(true);
    const second = store.listFolder([], { name: 'b', type: 'OBJECT' }, 2);
    expect(second.items.map((item) => item.name)).toEqual(['c', 'd']);
    expect(second.more).toBe(false);
    expect(store.listFolder([], { name: 'z', type: 'OBJECT' }, 2)).toEqual({ items: [], more: false });
  });

  it('stamps LastModified from the injected clock and hashes the body when an object is put', () => {
    const store = new MediaStoreObjectStore(() => 1234);
    const stored = store.putObject(['a.txt'], Buffer.from('abc'), meta);
    expect(stored.lastModifiedMs).toBe(1234);
    expect(stored.etag).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(stored.sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('fails the previous upload when a second STREAMING upload starts at the same path', () => {
    const store = new MediaStoreObjectStore(() => 0);
    const first = store.beginStreamingUpload('live/a.ts', meta);
    const second = store.beginStreamingUpload('live/a.ts', meta);
    expect(first.state).toBe('failed');
    expect(store.streamingUpload('live/a.ts')).toBe(second);
    store.endStreamingUpload('live/a.ts', first);
    expect(store.streamingUpload('live/a.ts')).toBe(second);
    store.endStreamingUpload('live/a.ts', second);
    expect(store.streamingUpload('live/a.ts')).toBeUndefined();
  });
});
