import { Subscription } from './subscription.js';
import type { SubscribeOptions } from './types.js';

export { Subscription } from './subscription.js';
export { Backoff } from './backoff.js';
export { CurrentValue, currentValue, type CurrentValueOptions } from './current.js';
export { HeraldClientError } from './errors.js';
export { systemClock, type Clock } from './clock.js';
export { createSseDecoder, type SseCallbacks, type SseDecoder } from './sse.js';
export { subscribeJob, jobTopic, DEFAULT_JOB_TOPIC_PREFIX, type JobProgress, type JobCompleted, type JobFailed, type SubscribeJobOptions } from './jobs.js';
export type { HeraldUpdate, HeraldStatus, SubscribeOptions, TokenSource, TransportName, EventSourceConstructor, EventSourceLike } from './types.js';
export type { MercureProtocol, MatchType } from './dialect.js';

/** Subscribes to topics on a Herald (Mercure) hub; see {@link SubscribeOptions}. */
export function subscribe(hubUrl: string, options: SubscribeOptions): Subscription {
  return new Subscription(hubUrl, options);
}
