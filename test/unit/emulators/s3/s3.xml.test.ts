import { describe, expect, it } from 'vitest';
import { parseCompleteMultipartUpload, xmlEscape, xmlUnescape } from '../../../../src/emulators/s3/s3.xml.js';

describe('S3 emulator XML', () => {
  it('escapes and unescapes the predefined entities and character references', () => {
    expect(xmlEscape(`a<b>&"c'`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;');
    expect(xmlUnescape('&quot;x&quot;&#65;&#x42;')).toBe('"x"AB');
    expect(xmlUnescape('&bogus;')).toBeUndefined();
  });

  it('reads the parts of a CompleteMultipartUpload document as the SDK writes it', () => {
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?><CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>&quot;aa&quot;</ETag><PartNumber>1</PartNumber></Part><Part><ChecksumCRC32>x</ChecksumCRC32><ETag>"bb"</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>';
    expect(parseCompleteMultipartUpload(xml)).toEqual([
      { partNumber: 1, eTag: '"aa"' },
      { partNumber: 2, eTag: '"bb"' },
    ]);
  });

  it('refuses documents that are not a CompleteMultipartUpload', () => {
    for (const xml of ['', '<Other/>', '<CompleteMultipartUpload><Part><ETag>x</ETag></Part></CompleteMultipartUpload>', '<CompleteMultipartUpload>junk</CompleteMultipartUpload>']) {
      expect(parseCompleteMultipartUpload(xml), xml).toBeUndefined();
    }
  });
});
