import type { GraphQLFormattedError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PARENT } from '../../src/emulators/livestream/livestream.seed.js';
import { seedOciDemo, type OciDemoSeed } from '../../src/emulators/oci/oci.seed.js';
import { GenerateSessionTokenDocument, GetPlaylistDocument, ListAssetsDocument } from '../generated/graphql.js';
import { bearer, JWT_AUTH_ENV } from '../helpers/auth.js';
import { execute, startTestGateway, type TestGateway } from '../helpers/gateway.js';

/*
 * Provider argument errors over HTTP (issue 12, defect 9): the answer names the refused argument in
 * `extensions.argument`, and only in development carries the provider's own message in `extensions.debugMessage`.
 * Live Stream refuses a filter its grammar does not allow; OCI refuses a session token issued for another asset.
 */

/** The only error of a response. */
function onlyError(response: { readonly errors?: readonly GraphQLFormattedError[] }): GraphQLFormattedError {
  expect(response.errors).toHaveLength(1);
  const [error] = response.errors ?? [];
  if (error === undefined) throw new Error('no error in the response');
  return error;
}

describe('provider argument errors in development', () => {
  let t: TestGateway;
  let demo: OciDemoSeed;

  beforeAll(async () => {
    t = await startTestGateway({ NODE_ENV: 'development' });
    const oci = t.gateway.emulators.oci;
    if (oci === undefined) throw new Error('the test gateway has no embedded OCI emulator');
    demo = seedOciDemo(oci.emulator);
  });

  afterAll(async () => {
    await t.close();
  });

  it('names the filter and shows Live Stream’s message when Live Stream refuses the filter', async () => {
    const error = onlyError(await execute(t.graphqlUrl, ListAssetsDocument, { parent: DEMO_PARENT, first: 5, filter: 'state=SLEEPING' }));
    expect(error.message).toBe('Live Stream rejected the request arguments: filter.');
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', retryable: false, argument: 'filter' });
    expect(error.extensions?.['debugMessage']).toEqual(expect.stringContaining('SLEEPING'));
  });

  it('says it is the session token, without echoing it, when OCI refuses the token', async () => {
    const issued = await execute(t.graphqlUrl, GenerateSessionTokenDocument, {
      input: { packagingConfigId: demo.hlsPackagingConfigId, assetIds: [demo.mediaAssetIds[4] ?? ''], scopes: ['PLAYLIST'] },
    });
    expect(issued.errors).toBeUndefined();
    const token = issued.data?.generateSessionToken.token ?? '';
    expect(token).not.toBe('');
    const response = await execute(t.graphqlUrl, GetPlaylistDocument, {
      streamPackagingConfigId: demo.hlsPackagingConfigId,
      mediaAssetId: demo.mediaAssetIds[3] ?? '',
      sessionToken: token,
    });
    const error = onlyError(response);
    expect(error.message).toMatch(/session token/);
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', retryable: false, argument: 'sessionToken' });
    expect(typeof error.extensions?.['debugMessage']).toBe('string');
    expect(JSON.stringify(response)).not.toContain(token);
  });
});

describe('provider argument errors in production', () => {
  let t: TestGateway;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await startTestGateway({ NODE_ENV: 'production', ...JWT_AUTH_ENV });
    auth = await bearer({ scope: 'livestream:read' });
  });

  afterAll(async () => {
    await t.close();
  });

  it('names the filter but keeps Live Stream’s message to the logs when Live Stream refuses the filter', async () => {
    const error = onlyError(await execute(t.graphqlUrl, ListAssetsDocument, { parent: DEMO_PARENT, first: 5, filter: 'state=SLEEPING' }, auth));
    expect(error.message).toBe('Live Stream rejected the request arguments: filter.');
    expect(error.extensions).toMatchObject({ code: 'BAD_USER_INPUT', retryable: false, argument: 'filter' });
    expect(error.extensions).not.toHaveProperty('debugMessage');
    expect(JSON.stringify(error)).not.toContain('SLEEPING');
  });
});
