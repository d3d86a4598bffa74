/**
 * Marks a subscription source whose events depend only on WHEN a subscriber starts, never on a position it asked
 * for: a live feed that starts at the next event (`streamFragments` with `start: NOW`). A member that joins such an
 * execution while it runs receives everything it would have received from an execution of its own, so sharing it
 * loses nothing. See {@link SharedSubscriptions} for how unmarked sources are shared.
 */
export const LIVE_EDGE_SOURCE: unique symbol = Symbol('media-graph.liveEdgeSource');

/**
 * Declares `source` a live-edge source ({@link LIVE_EDGE_SOURCE}) and returns it. Only for sources whose first event
 * is whatever happens next: marking a source that replays history from a requested position would let late
 * members skip that history silently.
 */
export function markLiveEdge<T extends object>(source: T): T {
  Object.defineProperty(source, LIVE_EDGE_SOURCE, { value: true, enumerable: false });
  return source;
}

/** Whether `source` was declared a live-edge source with {@link markLiveEdge}. */
export function isLiveEdge(source: object): boolean {
  return (source as { readonly [LIVE_EDGE_SOURCE]?: unknown })[LIVE_EDGE_SOURCE] === true;
}
