import { describe, expect, it } from 'vitest';
import { FleetKeys, tagOf } from '../../../../src/live/fleet/fleet-keys.js';

/** The hash tag Redis Cluster hashes: the text between the first `{` and the next `}`. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  return key.slice(open + 1, key.indexOf('}', open + 1));
}

describe('FleetKeys', () => {
  it('puts every key of one stream under the same hash tag when a stream is named', () => {
    const keys = new FleetKeys('media-graph:').stream('cam-1');
    const tags = new Set(Object.values(keys).map(hashTag));
    expect([...tags]).toEqual(['cam-1']);
    expect(keys.lease).toBe('media-graph:{cam-1}:lease');
  });

  it('keeps the fleet-wide keys under the tag {fleet} when they are asked for', () => {
    const { fleet } = new FleetKeys('p:');
    expect(new Set(Object.values(fleet).map(hashTag))).toEqual(new Set(['fleet']));
  });

  it('encodes braces and percent signs so no stream name can end its tag or reach another stream', () => {
    expect(tagOf('a}b{c%d')).toBe('a%7Db%7Bc%25d');
    expect(hashTag(new FleetKeys('p:').stream('x}:lease').lease)).toBe('x%7D:lease');
    expect(tagOf('a%7D')).not.toBe(tagOf('a}'));
  });

  it('refuses a prefix with a brace when constructed', () => {
    expect(() => new FleetKeys('a{b}:')).toThrow(RangeError);
  });
});
