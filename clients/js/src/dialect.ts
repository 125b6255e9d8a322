import type { SubscribeOptions } from './types.js';

/** The Mercure dialect a subscription speaks: 0.x `topic=` selectors, or 1.0 (draft-08) topic matchers. */
export type MercureProtocol = 'legacy' | 'v1';

/** A Mercure 1.0 matcher type, in its canonical case. */
export type MatchType = 'Exact' | 'URLPattern';

/**
 * The query parameter naming each of a subscription's topics: `topic` (0.x), `match` (1.0 Exact, the draft's bare
 * name) or `matchURLPattern`. Throws for a `matchType` without `protocol: 'v1'`, which 0.x has no way to send.
 */
export function topicParameter(options: Pick<SubscribeOptions, 'protocol' | 'matchType'>): string {
  const protocol = options.protocol ?? 'legacy';
  if (protocol !== 'legacy' && protocol !== 'v1') {
    throw new TypeError(`subscribe: protocol is 'legacy' or 'v1', not ${JSON.stringify(protocol)}`);
  }
  if (options.matchType !== undefined && options.matchType !== 'Exact' && options.matchType !== 'URLPattern') {
    throw new TypeError(`subscribe: matchType is 'Exact' or 'URLPattern', not ${JSON.stringify(options.matchType)}`);
  }
  if (protocol === 'legacy') {
    if (options.matchType !== undefined) {
      throw new TypeError("subscribe: matchType needs protocol: 'v1' (Mercure 0.x selectors have no matcher types)");
    }
    return 'topic';
  }
  return options.matchType === 'URLPattern' ? 'matchURLPattern' : 'match';
}
