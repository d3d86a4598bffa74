import type { RequestContext } from '../../auth/services.js';
import { Ctx, Query, Resolver } from '../../core/type-graphql.js';
import { LiveHubStatusType, toLiveHubStatus } from './live-hub.type.js';

/** Operator views of the gateway itself; each needs `ops:read`. */
@Resolver()
export class OpsResolver {
  @Query(() => LiveHubStatusType, {
    description:
      'The live fragment hub on the instance that answers: its mode, its id, the streams it watches with their subscribers, upstream sessions and reader state, and in fleet mode each stream\'s lease holder, the fleet\'s instances and its recent reader failovers. `UPSTREAM_UNAVAILABLE` when the fleet\'s Redis does not answer. A caller bound to a tenant sees only that tenant\'s streams.',
  })
  async liveHub(@Ctx() { services }: RequestContext): Promise<LiveHubStatusType> {
    return toLiveHubStatus(await services.hub.overview());
  }
}
