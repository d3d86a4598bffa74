import { describe, expect, it } from 'vitest';
import { resolveTarget } from '../../../../src/emulators/s3/s3.target.js';

describe('resolveTarget', () => {
  it('reads bucket and key from the path for an IP or localhost endpoint', () => {
    const target = resolveTarget('GET', '/media/vod/a%3Db.ts?x-id=GetObject', '127.0.0.1:9000');
    expect(target).toMatchObject({ operation: 'GetObject', addressing: 'path', bucket: 'media', key: 'vod/a=b.ts' });
    expect(resolveTarget('HEAD', '/media', 'localhost:9000')).toMatchObject({ operation: 'HeadBucket', bucket: 'media', key: undefined });
  });

  it('reads the bucket from the host for virtual-hosted requests', () => {
    expect(resolveTarget('PUT', '/k/x.bin?partNumber=2&uploadId=u', 'media.localhost:9000')).toMatchObject({
      operation: 'UploadPart',
      addressing: 'virtual-host',
      bucket: 'media',
      key: 'k/x.bin',
    });
    expect(resolveTarget('GET', '/?list-type=2', 'media.s3.us-east-1.amazonaws.com')).toMatchObject({ operation: 'ListObjectsV2', bucket: 'media' });
  });

  it.each([
    ['POST', '/b/k?uploads', 'CreateMultipartUpload'],
    ['POST', '/b/k?uploadId=u', 'CompleteMultipartUpload'],
    ['DELETE', '/b/k?uploadId=u', 'AbortMultipartUpload'],
    ['DELETE', '/b/k', 'DeleteObject'],
    ['GET', '/b?uploads', 'ListMultipartUploads'],
    ['GET', '/b', 'Unknown'],
    ['GET', '/', 'Unknown'],
    ['POST', '/b/k', 'Unknown'],
  ])('routes %s %s to %s', (method, url, operation) => {
    expect(resolveTarget(method, url, '127.0.0.1').operation).toBe(operation);
  });

  it('reports an undecodable key as InvalidURI', () => {
    expect(resolveTarget('GET', '/b/%zz', '127.0.0.1').error?.code).toBe('InvalidURI');
  });
});
