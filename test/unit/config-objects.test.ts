import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig objects and S3 settings', () => {
  it('selects S3 with gateway URLs and no bucket (the embedded emulator) when nothing is set', () => {
    const config = loadConfig({});
    expect(config.objects).toEqual({ store: 's3', urls: 'gateway' });
    expect(config.s3).toEqual({ bucket: undefined, prefix: '', region: 'us-east-1', endpoint: undefined, forcePathStyle: false });
  });

  it('keeps MediaStore when only MEDIASTORE_ENDPOINT is set, and S3 when OBJECT_STORE says so', () => {
    const endpoint = 'https://abc.data.mediastore.us-west-2.amazonaws.com';
    expect(loadConfig({ MEDIASTORE_ENDPOINT: endpoint }).objects.store).toBe('mediastore');
    expect(loadConfig({ MEDIASTORE_ENDPOINT: endpoint, OBJECT_STORE: 's3' }).objects.store).toBe('s3');
    expect(loadConfig({ OBJECT_STORE: 'mediastore' }).objects.store).toBe('mediastore');
  });

  it('reads every S3 variable and defaults path-style addressing to on with a custom endpoint', () => {
    const config = loadConfig({ S3_BUCKET: 'media.example-1', S3_PREFIX: 'prod/media/', S3_REGION: 'eu-west-1', S3_ENDPOINT: 'http://127.0.0.1:4568' });
    expect(config.s3).toEqual({ bucket: 'media.example-1', prefix: 'prod/media/', region: 'eu-west-1', endpoint: 'http://127.0.0.1:4568', forcePathStyle: true });
    expect(loadConfig({ S3_BUCKET: 'media', S3_ENDPOINT: 'http://127.0.0.1:4568', S3_FORCE_PATH_STYLE: 'false' }).s3.forcePathStyle).toBe(false);
    expect(loadConfig({ S3_BUCKET: 'media', S3_FORCE_PATH_STYLE: 'true' }).s3.forcePathStyle).toBe(true);
  });

  it.each([
    ['S3_BUCKET', 'Media'],
    ['S3_BUCKET', 'ab'],
    ['S3_BUCKET', 'a_b_c'],
    ['S3_PREFIX', 'media'],
    ['S3_PREFIX', '/media/'],
    ['S3_PREFIX', 'a/../'],
    ['S3_PREFIX', 'a//'],
    ['S3_ENDPOINT', 'localhost:4568'],
    ['S3_FORCE_PATH_STYLE', 'yes'],
    ['OBJECT_STORE', 'gcs'],
    ['OBJECT_URLS', 'presigned'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    expect(() => loadConfig({ S3_BUCKET: 'media', [name]: value })).toThrow(new RegExp(name));
  });

  it('refuses direct URLs with MediaStore, and S3_ENDPOINT without S3_BUCKET', () => {
    expect(() => loadConfig({ OBJECT_STORE: 'mediastore', OBJECT_URLS: 'direct' })).toThrow(ConfigError);
    expect(() => loadConfig({ OBJECT_STORE: 'mediastore', OBJECT_URLS: 'direct' })).toThrow(/OBJECT_URLS/);
    expect(() => loadConfig({ S3_ENDPOINT: 'http://127.0.0.1:4568' })).toThrow(/S3_BUCKET: required when S3_ENDPOINT is set/);
    expect(loadConfig({ OBJECT_URLS: 'direct' }).objects.urls).toBe('direct');
  });
});
