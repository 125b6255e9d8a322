import { Subscription } from './subscription.js';
import type { HeraldClientError } from './errors.js';
import type { HeraldStatus, SubscribeOptions, TokenSource } from './types.js';

/** `progress` update data. */
export interface JobProgress {
  jobId: string;
  /** 0–100. */
  percent: number;
  message?: string | null;
}

/** `completed` update data. */
export interface JobCompleted<TResult = unknown> {
  jobId: string;
  result: TResult;
}

/** `failed` update data. */
export interface JobFailed {
  jobId: string;
  error: string;
}

export const DEFAULT_JOB_TOPIC_PREFIX = 'jobs/';

export interface SubscribeJobOptions<TResult = unknown> extends Omit<SubscribeOptions, 'topics' | 'types' | 'onUpdate'> {
  token?: TokenSource | undefined;
  /** Topic prefix (default `jobs/`): the topic is the prefix followed by the percent-encoded job id. */
  topicPrefix?: string | undefined;
  onProgress?: ((progress: JobProgress) => void) | undefined;
  onComplete?: ((completed: JobCompleted<TResult>) => void) | undefined;
  onFail?: ((failed: JobFailed) => void) | undefined;
  onStatus?: ((status: HeraldStatus) => void) | undefined;
  onError?: ((error: HeraldClientError) => void) | undefined;
}

/**
 * The topic of a job: the prefix and the id percent-encoded as one path segment — every byte outside RFC 3986's
 * unreserved characters encoded, uppercase hex, like .NET's Uri.EscapeDataString, so both sides agree.
 */
export function jobTopic(jobId: string, prefix = DEFAULT_JOB_TOPIC_PREFIX): string {
  const segment = encodeURIComponent(jobId).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return prefix + segment;
}

/**
 * Follows one job's progress until it completes or fails, then closes. Asks for `earliest` when no resume point is
 * given, so a job that finished before the subscription opened still reports its outcome while retained.
 */
export function subscribeJob<TResult = unknown>(hubUrl: string, jobId: string, options: SubscribeJobOptions<TResult> = {}): Subscription {
  const { topicPrefix, onProgress, onComplete, onFail, ...rest } = options;
  let subscription: Subscription | undefined;
  let finished = false;
  subscription = new Subscription(hubUrl, {
    ...rest,
    lastEventId: rest.lastEventId ?? 'earliest',
    topics: [jobTopic(jobId, topicPrefix)],
    types: ['progress', 'completed', 'failed'],
    onUpdate(update) {
      if (finished) {
        return;
      }
      let data: unknown;
      try {
        data = JSON.parse(update.data);
      } catch {
        return;
      }
      if (update.type === 'progress') {
        onProgress?.(data as JobProgress);
      } else if (update.type === 'completed') {
        finished = true;
        onComplete?.(data as JobCompleted<TResult>);
        queueMicrotask(() => subscription?.close());
      } else if (update.type === 'failed') {
        finished = true;
        onFail?.(data as JobFailed);
        queueMicrotask(() => subscription?.close());
      }
    },
  });
  return subscription;
}
