import { Backoff } from './backoff.js';
import { sleep, systemClock, type Clock } from './clock.js';
import { HeraldClientError } from './errors.js';
import { eventSourceTransport } from './transports/eventsource.js';
import { fetchTransport } from './transports/fetch.js';
import { pollTransport } from './transports/poll.js';
import type { AttemptContext, AttemptResult, Transport } from './transports/transport.js';
import type { HeraldStatus, HeraldUpdate, SubscribeOptions } from './types.js';

/** A connection that stayed open this long was healthy: the backoff starts over. */
export const HEALTHY_AFTER_MS = 5000;
/** In `auto`, this many streaming attempts in a row that fail or stay silent switch to polling. */
export const STREAM_FAILURES_BEFORE_POLL = 3;
export const DEFAULT_HEARTBEAT_MS = 15_000;
export const DEFAULT_STREAM_RETRY_MS = 5 * 60_000;
/** Ids remembered to drop an update delivered twice (a transport switch, a replay overlapping a live frame). */
const RECENT_IDS = 1024;

type Mode = 'fetch' | 'eventsource' | 'poll';

/**
 * One subscription: a loop of connection attempts over the chosen transport, resuming from the last id seen, with
 * backoff between attempts, token refresh on refusal and, in `auto`, a fallback to long polling.
 */
export class Subscription implements AsyncIterable<HeraldUpdate> {
  private _status: HeraldStatus = 'connecting';
  private _lastEventId: string | undefined;
  private readonly closer = new AbortController();
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly recent = new Set<string>();
  private readonly accepted: Set<string>;
  private readonly iterators = new Set<UpdateQueue>();
  private gapReportedFor: string | undefined;
  private attempt = { opened: false, openedAt: 0, delivered: false };
  /** Resolves when the loop has stopped. */
  readonly done: Promise<void>;

  constructor(
    private readonly hubUrl: string,
    private readonly options: SubscribeOptions,
  ) {
    if (options.topics.length === 0) {
      throw new TypeError('subscribe: name at least one topic');
    }
    this._lastEventId = options.lastEventId;
    this.clock = options.clock ?? systemClock;
    this.backoff = new Backoff(options.random ?? Math.random);
    this.accepted = new Set(['message', ...(options.types ?? [])]);
    this.done = this.run();
  }

  get status(): HeraldStatus {
    return this._status;
  }

  /** The id of the last update seen: where the next (re)connection resumes. */
  get lastEventId(): string | undefined {
    return this._lastEventId;
  }

  close(): void {
    if (this.closer.signal.aborted) {
      return;
    }
    this.closer.abort();
    this.setStatus('closed');
    for (const queue of this.iterators) {
      queue.end();
    }
  }

  /** Iterates updates from now until the subscription closes; leaving the loop closes the subscription. */
  [Symbol.asyncIterator](): AsyncIterator<HeraldUpdate> {
    const queue = new UpdateQueue(() => {
      this.iterators.delete(queue);
      this.close();
    });
    if (this.closer.signal.aborted) {
      queue.end();
    } else {
      this.iterators.add(queue);
    }
    return queue;
  }

  private async run(): Promise<void> {
    const signal = this.closer.signal;
    const requested = this.options.transport ?? 'auto';
    const auto = requested === 'auto';
    let mode: Mode = auto ? this.streamingMode() : requested;
    let refusals = 0;
    let streamFailures = 0;
    let pollUntil = Number.POSITIVE_INFINITY;
    let first = true;

    while (!signal.aborted) {
      this.setStatus(first ? 'connecting' : 'reconnecting');
      first = false;
      this.attempt = { opened: false, openedAt: 0, delivered: false };

      let result: AttemptResult | undefined;
      let token: string | undefined;
      try {
        token = await this.resolveToken();
      } catch (error) {
        result = { kind: 'failed', error: new HeraldClientError(`the token function failed: ${error instanceof Error ? error.message : String(error)}`) };
        token = undefined;
      }
      result ??= signal.aborted ? { kind: 'closed' } : await this.transportFor(mode)(this.context(token, mode === 'poll', auto ? pollUntil : Number.POSITIVE_INFINITY));
      if (result.kind === 'closed' || signal.aborted) {
        break;
      }

      if (result.kind === 'refused') {
        refusals++;
        if (refusals >= 2) {
          this.finish(new HeraldClientError(result.error.message, result.error.status, true));
          break;
        }
        this.emitError(result.error);
        // Refused once: ask the token function again and retry at once.
        continue;
      }
      if (result.kind === 'fatal') {
        this.finish(result.error);
        break;
      }
      if (this.attempt.opened) {
        refusals = 0;
      }

      const healthy = this.attempt.delivered || (this.attempt.opened && this.clock.now() - this.attempt.openedAt >= HEALTHY_AFTER_MS);
      if (healthy) {
        this.backoff.reset();
      }
      if (result.kind === 'failed') {
        this.emitError(result.error);
      }

      if (auto && mode !== 'poll') {
        streamFailures = result.kind === 'failed' && !healthy ? streamFailures + 1 : 0;
        if (streamFailures >= STREAM_FAILURES_BEFORE_POLL) {
          mode = 'poll';
          pollUntil = this.clock.now() + (this.options.streamRetryMs ?? DEFAULT_STREAM_RETRY_MS);
          this.backoff.reset();
          continue;
        }
      } else if (auto && result.kind === 'ended') {
        // The polling period is over: one streaming attempt; should it fail too, back to polling.
        mode = this.streamingMode();
        streamFailures = STREAM_FAILURES_BEFORE_POLL - 1;
        continue;
      }

      this.setStatus('reconnecting');
      await sleep(this.clock, this.backoff.next(), signal);
    }
  }

  private streamingMode(): Mode {
    // With a token only fetch can send it; without one the browser's EventSource (cookie) is the natural choice.
    if (this.options.token === undefined && (this.options.EventSource ?? (globalThis as { EventSource?: unknown }).EventSource) !== undefined) {
      return 'eventsource';
    }
    return 'fetch';
  }

  private transportFor(mode: Mode): Transport {
    return mode === 'fetch' ? fetchTransport : mode === 'eventsource' ? eventSourceTransport : pollTransport;
  }

  private async resolveToken(): Promise<string | undefined> {
    const token = this.options.token;
    return typeof token === 'function' ? await token() : token;
  }

  private context(token: string | undefined, polling: boolean, pollUntil: number): AttemptContext {
    const heartbeat = this.options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    return {
      hubUrl: this.hubUrl,
      topics: this.options.topics,
      types: this.options.types ?? [],
      token,
      cursor: () => this._lastEventId,
      signal: this.closer.signal,
      clock: this.clock,
      fetch: this.options.fetch ?? globalThis.fetch.bind(globalThis),
      EventSource: this.options.EventSource,
      withCredentials: this.options.withCredentials ?? false,
      watchdogMs: 3 * heartbeat,
      pollTimeoutSeconds: Math.min(60, Math.max(0, this.options.pollTimeoutSeconds ?? 25)),
      pollUntil,
      onOpen: () => {
        if (!this.attempt.opened) {
          this.attempt.opened = true;
          this.attempt.openedAt = this.clock.now();
        }
        this.setStatus(polling ? 'polling' : 'open');
      },
      onUpdate: (update) => this.deliver(update),
      onRetry: (ms) => this.backoff.setServerRetry(ms),
      onGap: (requested) => {
        // Once per resume point: a cursor that stays unretained would otherwise report the same gap on every attempt.
        if (this.gapReportedFor !== requested) {
          this.gapReportedFor = requested;
          this.safely(() => this.options.onGap?.());
        }
      },
      onCursor: (cursor) => {
        if (!this.closer.signal.aborted) {
          this._lastEventId = cursor;
        }
      },
      onHealthy: () => {
        this.attempt.delivered = true;
        this.backoff.reset();
      },
    };
  }

  private deliver(update: HeraldUpdate): void {
    if (this.closer.signal.aborted) {
      return;
    }
    if (update.id !== '') {
      if (this.recent.has(update.id)) {
        return;
      }
      this.recent.add(update.id);
      if (this.recent.size > RECENT_IDS) {
        this.recent.delete(this.recent.values().next().value as string);
      }
      this._lastEventId = update.id;
    }
    this.attempt.delivered = true;
    if (update.retry !== undefined) {
      this.backoff.setServerRetry(update.retry);
    }
    if (!this.accepted.has(update.type)) {
      return;
    }
    this.safely(() => this.options.onUpdate?.(update));
    for (const queue of this.iterators) {
      queue.push(update);
    }
  }

  private setStatus(status: HeraldStatus): void {
    if (this._status === status || (this._status === 'closed' && this.closer.signal.aborted)) {
      return;
    }
    this._status = status;
    this.safely(() => this.options.onStatus?.(status));
  }

  private emitError(error: HeraldClientError): void {
    this.safely(() => this.options.onError?.(error));
  }

  private finish(error: HeraldClientError): void {
    this.emitError(error);
    this.close();
  }

  /** A throwing callback must not kill the connection loop. */
  private safely(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      queueMicrotask(() => {
        throw error;
      });
    }
  }
}

/** One iterator's updates, buffered until it asks for them. */
class UpdateQueue implements AsyncIterator<HeraldUpdate> {
  private readonly buffer: HeraldUpdate[] = [];
  private waiting: ((result: IteratorResult<HeraldUpdate>) => void) | undefined;
  private ended = false;

  constructor(private readonly onReturn: () => void) {}

  push(update: HeraldUpdate): void {
    if (this.waiting !== undefined) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: update, done: false });
    } else {
      this.buffer.push(update);
    }
  }

  end(): void {
    this.ended = true;
    if (this.waiting !== undefined) {
      const resolve = this.waiting;
      this.waiting = undefined;
      resolve({ value: undefined, done: true });
    }
  }

  next(): Promise<IteratorResult<HeraldUpdate>> {
    const update = this.buffer.shift();
    if (update !== undefined) {
      return Promise.resolve({ value: update, done: false });
    }
    if (this.ended) {
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  return(): Promise<IteratorResult<HeraldUpdate>> {
    this.end();
    this.onReturn();
    return Promise.resolve({ value: undefined, done: true });
  }
}
