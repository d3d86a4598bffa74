import type { AddressInfo } from 'node:net';
import { runInNewContext } from 'node:vm';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdeRouter } from '../../../src/server/ide.js';

interface FetchParams {
  readonly query: string;
  readonly operationName?: string;
}

interface FetchOptions {
  readonly documentAST?: { readonly definitions: readonly { readonly operation: string; readonly name: { readonly value: string } }[] };
}

type Fetcher = (params: FetchParams, options?: FetchOptions) => unknown;

/**
 * Runs the page's bootstrap script in a bare context with stand-ins for the globals it uses, and returns the
 * fetcher it hands GraphiQL together with what that fetcher passed on to GraphiQL's own.
 */
function bootstrapFetcher(script: string): { fetcher: Fetcher; sent: FetchParams[]; options: (FetchOptions | undefined)[] } {
  const sent: FetchParams[] = [];
  const options: (FetchOptions | undefined)[] = [];
  let props: { fetcher: Fetcher } | undefined;
  runInNewContext(script, {
    URL,
    window: { location: { href: 'http://127.0.0.1:4000/graphiql' } },
    document: { currentScript: null, getElementById: () => ({}) },
    GraphiQL: { createFetcher: () => (params: FetchParams, given?: FetchOptions) => [sent.push(params), options.push(given)] },
    React: { createElement: (_component: unknown, given: { fetcher: Fetcher }) => (props = given) },
    ReactDOM: { createRoot: () => ({ render: () => undefined }) },
  });
  if (props === undefined) throw new Error('the bootstrap script rendered nothing');
  return { fetcher: props.fetcher, sent, options };
}

describe('IDE bootstrap script', () => {
  let server: ReturnType<ReturnType<typeof express>['listen']>;
  let script = '';

  beforeAll(async () => {
    const app = express();
    app.use(createIdeRouter({ graphqlPath: '/graphql', subscriptionsPath: '/graphql' }));
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    script = await (await fetch(`http://127.0.0.1:${port}/graphiql/assets/bootstrap.js`)).text();
  });

  afterAll(async () => {
    await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  });

  it('keeps the operation name when the document defines it', () => {
    const { fetcher, sent, options } = bootstrapFetcher(script);
    const documentAST = { definitions: [] };
    fetcher({ query: 'query A { a }\nquery B { b }', operationName: 'B' }, { documentAST });
    expect(sent[0]?.operationName).toBe('B');
    expect(options[0]?.documentAST).toBe(documentAST);
  });

  it("replaces a stale operation name with the document's only one when a tab was switched before the editor settled", () => {
    const { fetcher, sent, options } = bootstrapFetcher(script);
    const stale = { definitions: [{ operation: 'query', name: { value: 'Objects' } }] };
    fetcher({ query: '# a subscription in the last tab\nsubscription Live { live }', operationName: 'Objects' }, { documentAST: stale });
    expect(sent[0]?.operationName).toBe('Live');
    // GraphiQL picks the WebSocket from the named operation's type in this AST.
    expect(options[0]?.documentAST?.definitions.map((definition) => [definition.operation, definition.name.value])).toEqual([['subscription', 'Live']]);
  });

  it('drops a stale operation name when the document defines several', () => {
    const { fetcher, sent } = bootstrapFetcher(script);
    fetcher({ query: 'query A { a }\nmutation B { b }', operationName: 'Objects' });
    expect(sent[0]?.operationName).toBeUndefined();
  });
});
