import { describe, expect, it } from 'vitest';
import {
  MAX_FOLDER_DEPTH,
  MAX_PATH_LENGTH,
  MAX_SEGMENT_LENGTH,
  baseName,
  joinPath,
  parseFolderPath,
  parseObjectPath,
} from '../../../../src/datasources/object-store/object-path.js';

function expectBadInput(parse: (input: string) => string, input: string): void {
  expect(() => parse(input), JSON.stringify(input)).toThrowError(expect.objectContaining({ code: 'BAD_USER_INPUT' }));
}

/** `count` folders above a file name: `f0/f1/.../name`. */
function nested(count: number, name = 'name.ts'): string {
  return [...Array.from({ length: count }, (_, index) => `f${index}`), name].join('/');
}

/** Inputs every path parser must refuse (S13), for objects and folders alike. */
const HOSTILE = [
  '../etc/passwd',
  'vod/../secret.ts',
  'vod/..',
  '..',
  './a.ts',
  'vod/./a.ts',
  '%2e%2e/secret.ts',
  'vod/%2e%2e/secret.ts',
  '%2E%2E/secret.ts',
  'vod%2f..%2fsecret.ts',
  '//etc/passwd',
  '///a.ts',
  'vod//a.ts',
  'vod\\..\\secret.ts',
  'vod\\a.ts',
  'vod/a\u0000.ts',
  'vod/a\n.ts',
  'vod/a\r.ts',
  'vod/a\t.ts',
  'vod/a\u007f.ts',
  'vod/a\u0085.ts',
  'vod/caf\u00e9.ts',
  'vod/\u202etxt.exe',
  'vod/\uff0e\uff0e/a.ts',
  'vod/\u2025/a.ts',
  'vod/a b.ts',
  'vod/a?x=1',
  'vod/a#frag',
  'vod/a%00.ts',
  'vod/a*.ts',
];

describe('parseObjectPath', () => {
  it('returns the path unchanged when it follows every rule', () => {
    for (const path of ['a', 'master.m3u8', 'vod/show/seg-001.ts', 'a=b:c~d_e-f.g', 'UPPER/lower/0123']) {
      expect(parseObjectPath(path)).toBe(path);
    }
  });

  it('removes one leading slash when the path starts with one', () => {
    expect(parseObjectPath('/vod/a.ts')).toBe('vod/a.ts');
  });

  it('throws BAD_USER_INPUT when the input is hostile (traversal, encoded dots, absolute, control, backslash, unicode)', () => {
    for (const input of HOSTILE) expectBadInput(parseObjectPath, input);
  });

  it('throws BAD_USER_INPUT when the path names a folder or nothing', () => {
    for (const input of ['', '/', 'vod/', '/vod/show/']) expectBadInput(parseObjectPath, input);
  });

  it('accepts ten folders above the name and refuses eleven', () => {
    expect(MAX_FOLDER_DEPTH).toBe(10);
    expect(parseObjectPath(nested(10))).toBe(nested(10));
    expectBadInput(parseObjectPath, nested(11));
  });

  it('accepts 900 characters and refuses 901', () => {
    expect(MAX_PATH_LENGTH).toBe(900);
    // Four 223-character folders, four slashes and a 4-character name: 900 characters.
    const folders = Array.from({ length: 4 }, (_, index) => String(index).repeat(223));
    const atLimit = [...folders, 'abcd'].join('/');
    expect(atLimit).toHaveLength(900);
    expect(parseObjectPath(atLimit)).toBe(atLimit);
    expectBadInput(parseObjectPath, [...folders, 'abcde'].join('/'));
  });

  it('refuses a segment longer than 255 characters', () => {
    expect(MAX_SEGMENT_LENGTH).toBe(255);
    expect(parseObjectPath(`vod/${'a'.repeat(255)}`)).toBe(`vod/${'a'.repeat(255)}`);
    expectBadInput(parseObjectPath, `vod/${'a'.repeat(256)}`);
  });

  it('names the broken rule in the message when it refuses a path', () => {
    expect(() => parseObjectPath('vod/../a.ts')).toThrowError(/`\.` or `\.\.`/);
    expect(() => parseObjectPath(nested(11))).toThrowError(/10 folders deep/);
    expect(() => parseObjectPath('a'.repeat(901))).toThrowError(/900 characters/);
    expect(() => parseObjectPath('vod/%2e%2e')).toThrowError(/may contain only/);
  });
});

describe('parseFolderPath', () => {
  it('returns the root when the input is empty or a single slash', () => {
    expect(parseFolderPath('')).toBe('');
    expect(parseFolderPath('/')).toBe('');
  });

  it('strips one leading and one trailing slash when they are present', () => {
    expect(parseFolderPath('/vod/show/')).toBe('vod/show');
    expect(parseFolderPath('vod/show')).toBe('vod/show');
    expect(parseFolderPath('vod/')).toBe('vod');
  });

  it('throws BAD_USER_INPUT when the input is hostile', () => {
    for (const input of [...HOSTILE, '//', '//vod', 'vod//', '/./', '/../']) expectBadInput(parseFolderPath, input);
  });

  it('accepts ten folder levels and refuses eleven', () => {
    const ten = Array.from({ length: 10 }, (_, index) => `f${index}`).join('/');
    expect(parseFolderPath(`${ten}/`)).toBe(ten);
    expectBadInput(parseFolderPath, `${ten}/f10`);
  });

  it('refuses a folder path longer than 900 characters', () => {
    const long = Array.from({ length: 4 }, () => 'a'.repeat(250)).join('/');
    expectBadInput(parseFolderPath, long);
  });
});

describe('baseName and joinPath', () => {
  it('returns the last segment when given a path', () => {
    expect(baseName('vod/show/a.ts')).toBe('a.ts');
    expect(baseName('a.ts')).toBe('a.ts');
  });

  it('joins a folder and a name when the folder is the root or nested', () => {
    expect(joinPath('', 'a.ts')).toBe('a.ts');
    expect(joinPath('vod/show', 'a.ts')).toBe('vod/show/a.ts');
  });
});
