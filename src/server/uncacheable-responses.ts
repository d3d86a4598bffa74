import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';

/** The `Cache-Control` value of GraphQL responses over HTTP: answers are per caller and never stored. */
export const GRAPHQL_CACHE_CONTROL = 'no-store';

/** A header Apollo's cache-control plugin would have replaced: absent, or a cacheable policy it can parse. */
const REPLACEABLE = /^max-age=\d+, (?:public|private)$/;

/**
 * Apollo Server plugins that send `Cache-Control: no-store` on every GraphQL response over HTTP, in place of Apollo's
 * cache-control plugin, which is turned off. No type or field of the schema carries a `@cacheControl` hint, so that
 * plugin always concluded `no-store`; it got there through a hook on every resolved field, about a tenth of the
 * gateway's CPU for a 100-edge `objects` page (bench/RESULTS.md). Like it, a header another plugin set is kept unless
 * it is a plain cacheable `max-age` policy. Consequence: resolvers get no `info.cacheControl` (none uses it).
 */
export function uncacheableResponses(): ApolloServerPlugin[] {
  return [
    ApolloServerPluginCacheControlDisabled(),
    {
      async requestDidStart() {
        return {
          async willSendResponse({ response }) {
            const existing = response.http.headers.get('cache-control');
            if (existing === undefined || REPLACEABLE.test(existing)) response.http.headers.set('cache-control', GRAPHQL_CACHE_CONTROL);
          },
        };
      },
    },
  ];
}
