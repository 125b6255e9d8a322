import { Backoff } from './backoff.js';
import { sleep, systemClock, type Clock } from './clock.js';
import { HeraldClientError } from './errors.js';
import { ConnectionGate } from './gate.js';
import { watchPage, type PageWatch } from './lifecycle.js';
import { canShare, groupName, TabGroup, type GroupMessage } from './shared.js';
import { topicParameter } from './dialect.js';
import { eventSourceTransport } from './transports/eventsource.js';
import { fetchTransport } from './transports/fetch.js';
import { pollTransport } from './transports/poll.js';
import type { AttemptContext, AttemptResult, Transport } from './transports/transport.js';
import { UpdateQueue } from './queue.js';
import { DeltaDecoder, type WireUpdate } from './delta.js';
import type { HeraldStatus, HeraldUpdate, SubscribeOptions } from './types.js';

/** A connection that stayed open this long was healthy: the backoff starts over. */
export const HEALTHY_AFTER_MS = 5000;
/** In `auto`, this many streaming attempts in a row that fail or stay silent switch to polling. */
export const STREAM_FAILURES_BEFORE_POLL = 3;
export const DEFAULT_HEARTBEAT_MS = 15_000;
export const DEFAULT_STREAM_RETRY_MS = 5 * 60_000;
/** How long every page sharing a stream may stay hidden before it closes. */
export const DEFAULT_HIDDEN_GRACE_MS = 3 * 60_000;
/** Ids remembered to drop an update delivered twice (a transport switch, a replay overlapping a live frame). */
const RECENT_IDS = 1024;

type Mode = 'fetch' | 'eventsource' | 'poll';

/**
 * One subscription: a loop of connection attempts over the chosen transport, resuming from the last id seen, with
 * backoff between attempts, token refresh on refusal and on the hub's expiry notice, in `auto` a fallback to long
 * polling, and in a browser page a pause while hidden or offline. With `shared`, only the tab elected leader runs the
 * loop; the others receive its updates over a BroadcastChannel.
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
  private attempt = { opened: false, openedAt: 0, delivered: false, resync: false };
  /** With `deltas`: the values patches apply to. */
  private readonly deltas: DeltaDecoder | undefined;
  /** The attempt or backoff wait in progress: aborting it interrupts the loop without closing the subscription. */
  private current: AbortController | undefined;
  private resting = false;
  /** A credential obtained on the expiry notice, for the attempt that replaces the expiring stream. */
  private renewed: { token: string | undefined } | undefined;
  private renewing = false;
  private readonly page: PageWatch | undefined;
  private readonly gate: ConnectionGate;
  private readonly group: TabGroup | undefined;
  private leading = false;
  private leadership: Promise<void> = Promise.resolve();
  /** Leader only: the other tabs of the group, whether each is visible, and their topics. */
  private readonly peers = new Map<string, { visible: boolean; topics: string[] }>();
  /** Shared over fetch or poll: the leader subscribes to every tab's topics, and each tab filters by its own. */
  private readonly perTabTopics: boolean;
  /** The selectors the current attempt asked the hub for: what its reported matches index. */
  private streamTopics: string[];
  /** `topic` (0.x) or the Mercure 1.0 matcher parameter the topics are sent in (`protocol: 'v1'`). */
  private readonly topicParameter: string;
  /** Resolves when the loop has stopped. */
  readonly done: Promise<void>;

  constructor(
    private readonly hubUrl: string,
    private readonly options: SubscribeOptions,
  ) {
    if (options.topics.length === 0) {
      throw new TypeError('subscribe: name at least one topic');
    }
    this.topicParameter = topicParameter(options);
    if (options.shared === true && options.token !== undefined && (options.credentialKey ?? '') === '') {
      throw new TypeError('subscribe: shared with a token needs a credentialKey naming the credential (e.g. the user id)');
    }
    this._lastEventId = options.lastEventId;
    this.perTabTopics = options.shared === true && options.transport !== 'eventsource';
    this.streamTopics = options.topics;
    // One exact topic needs one base (two: a plain update between two values); selectors that match more keep more.
    const single = options.topics.length === 1 && options.matchType !== 'URLPattern' && !/[{*]/.test(options.topics[0]!);
    this.deltas = options.deltas === true ? new DeltaDecoder(single ? 2 : 64) : undefined;
    this.clock = options.clock ?? systemClock;
    this.backoff = new Backoff(options.random ?? Math.random);
    this.accepted = new Set(['message', ...(options.types ?? [])]);
    this.gate = new ConnectionGate(this.clock, options.hiddenGraceMs ?? DEFAULT_HIDDEN_GRACE_MS, () => this.anyVisible(), () => this.current?.abort());
    this.page = watchPage({
      onVisibility: (visible) => {
        if (this.follower) {
          this.postTab(visible);
          return;
        }
        this.gate.visibilityChanged();
        if (visible) {
          this.wake();
        }
      },
      onFreeze: () => {
        if (!this.follower) {
          this.gate.frozen = true;
          this.current?.abort();
        }
      },
      onResume: () => {
        if (this.follower) {
          this.postTab(this.page!.visible());
          return;
        }
        this.gate.frozen = false;
        this.restart();
      },
      onOnline: () => {
        this.gate.offline = false;
        if (!this.follower) {
          this.restart();
        }
      },
      onOffline: () => {
        this.gate.offline = true;
        if (!this.follower) {
          this.current?.abort();
        }
      },
    });
    this.gate.offline = this.page !== undefined && !this.page.online();
    if (options.shared === true && canShare()) {
      // Only tabs of one dialect and matcher type share: the same text means another thing in each.
      const transportKey = (options.transport ?? 'auto') + (this.topicParameter === 'topic' ? '' : ':' + this.topicParameter);
      const name = this.perTabTopics
        ? groupName(hubUrl, options.credentialKey ?? '', [], [], transportKey)
        : groupName(hubUrl, options.credentialKey ?? '', options.topics, options.types ?? [], transportKey);
      this.group = new TabGroup(name, (message) => this.onGroupMessage(message), () => this.lead());
      this.postTab(this.page?.visible() ?? true);
      const closed = new Promise<void>((resolve) => this.closer.signal.addEventListener('abort', () => resolve(), { once: true }));
      this.done = closed.then(() => this.leadership);
    } else {
      this.done = this.run();
    }
  }

  get status(): HeraldStatus {
    return this._status;
  }

  /** The id of the last update seen: where the next (re)connection resumes. */
  get lastEventId(): string | undefined {
    return this._lastEventId;
  }

  /** Shared and not elected: updates come from the leader tab. */
  get follower(): boolean {
    return this.group !== undefined && !this.leading;
  }

  close(): void {
    if (this.closer.signal.aborted) {
      return;
    }
    this.closer.abort();
    this.current?.abort();
    this.gate.dispose();
    this.page?.dispose();
    if (this.group !== undefined) {
      this.group.post({ t: 'leave', id: this.group.id });
      this.group.close();
    }
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
    this.gate.visibilityChanged();

    while (await this.mayConnect()) {
      const renewed = this.renewed;
      this.renewed = undefined;
      if (renewed === undefined) {
        this.setStatus(first ? 'connecting' : 'reconnecting');
      }
      first = false;
      this.attempt = { opened: false, openedAt: 0, delivered: false, resync: false };
      const current = this.begin(false);

      let result: AttemptResult | undefined;
      let token: string | undefined;
      if (renewed !== undefined) {
        token = renewed.token;
      } else {
        try {
          token = await this.credentials();
        } catch (error) {
          result = { kind: 'failed', error: this.credentialError(error) };
        }
      }
      result ??= current.signal.aborted
        ? { kind: 'closed' }
        : await this.transportFor(mode)(this.context(token, current.signal, mode === 'poll', auto ? pollUntil : Number.POSITIVE_INFINITY));
      this.current = undefined;
      if (signal.aborted) {
        break;
      }
      if (result.kind === 'closed') {
        // Interrupted on purpose (a renewed token, hidden, frozen, offline, a wake-up): straight to the next attempt.
        continue;
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
      const rest = this.begin(true);
      await sleep(this.clock, this.backoff.next(), rest.signal);
      this.current = undefined;
    }
  }

  private begin(resting: boolean): AbortController {
    const controller = new AbortController();
    if (this.closer.signal.aborted) {
      controller.abort();
    }
    this.current = controller;
    this.resting = resting;
    return controller;
  }

  /** Waits while offline, frozen or hidden past the grace; false once closed. */
  private async mayConnect(): Promise<boolean> {
    const signal = this.closer.signal;
    for (let blocked = this.gate.blocked; blocked !== undefined && !signal.aborted; blocked = this.gate.blocked) {
      this.setStatus(blocked);
      await this.gate.wait();
    }
    return !signal.aborted;
  }

  /** A page became visible: connect now if paused or waiting out a backoff; an open stream is kept. */
  private wake(): void {
    this.gate.release();
    if (this.resting) {
      this.current?.abort();
    }
  }

  /** Resumed or back online: a stream kept across may be dead, so reconnect now with the last id. */
  private restart(): void {
    this.backoff.reset();
    this.gate.release();
    this.current?.abort();
  }

  private anyVisible(): boolean {
    return (this.page?.visible() ?? true) || [...this.peers.values()].some((peer) => peer.visible);
  }

  private postTab(visible: boolean): void {
    this.group!.post({ t: 'tab', id: this.group!.id, visible, topics: this.options.topics });
  }

  /** Leading a group that filters per tab: this tab's topics, then every other tab's, each once. */
  private groupTopics(): string[] {
    const topics = new Set(this.options.topics);
    for (const peer of this.peers.values()) {
      for (const topic of peer.topics) {
        topics.add(topic);
      }
    }
    return [...topics];
  }

  /** Whether this tab's own topics would have received an update that matched `matched` (undefined: not known). */
  private wants(matched: string[] | undefined): boolean {
    return matched === undefined || this.options.topics.some((topic) => matched.includes(topic));
  }

  /** Elected: run the loop until closed; the lock passes on when it returns. */
  private lead(): Promise<void> {
    if (this.closer.signal.aborted) {
      return Promise.resolve();
    }
    this.leading = true;
    this.peers.clear();
    this.group!.post({ t: 'hello' });
    this.leadership = this.run();
    return this.leadership;
  }

  private onGroupMessage(message: GroupMessage): void {
    if (this.closer.signal.aborted) {
      return;
    }
    switch (message.t) {
      case 'update':
        if (!this.leading) {
          this.deliver(message.update, message.topics);
        }
        break;
      case 'status':
        if (!this.leading && message.status !== 'closed') {
          this.setStatus(message.status);
        }
        break;
      case 'cursor':
        if (!this.leading) {
          this._lastEventId = message.id;
        }
        break;
      case 'gap':
        if (!this.leading) {
          this.safely(() => this.options.onGap?.());
        }
        break;
      case 'fatal':
        if (!this.leading) {
          this.finish(new HeraldClientError(message.message, message.status ?? undefined, true));
        }
        break;
      case 'hello':
        this.postTab(this.page?.visible() ?? true);
        break;
      case 'tab':
        if (this.leading) {
          const topics = Array.isArray(message.topics) ? message.topics.filter((topic): topic is string => typeof topic === 'string') : [];
          this.peers.set(message.id, { visible: message.visible, topics });
          if (this.perTabTopics && !this.resting && topics.some((topic) => !this.streamTopics.includes(topic))) {
            // A tab with topics the stream lacks: reconnect at once with them, resuming from the last id.
            this.current?.abort();
          }
          // Tells a tab that just joined where the stream stands.
          this.group!.post({ t: 'status', status: this._status });
          if (this._lastEventId !== undefined) {
            this.group!.post({ t: 'cursor', id: this._lastEventId });
          }
          this.gate.visibilityChanged();
          if (message.visible) {
            this.wake();
          }
        }
        break;
      case 'leave':
        if (this.leading) {
          this.peers.delete(message.id);
          this.gate.visibilityChanged();
        }
        break;
    }
  }

  private streamingMode(): Mode {
    if (this.perTabTopics) {
      // Only fetch shows the hub's per-update matches a tab needs to filter by its own topics.
      return 'fetch';
    }
    // With a token only fetch can send it; without one the browser's EventSource (cookie) is the natural choice.
    if (this.options.token === undefined && (this.options.EventSource ?? (globalThis as { EventSource?: unknown }).EventSource) !== undefined) {
      return 'eventsource';
    }
    return 'fetch';
  }

  private transportFor(mode: Mode): Transport {
    return mode === 'fetch' ? fetchTransport : mode === 'eventsource' ? eventSourceTransport : pollTransport;
  }

  /** The token for the next request; throws rather than let a request go out without the credential in use. */
  private async credentials(): Promise<string | undefined> {
    const token = this.options.token;
    if (typeof token === 'function') {
      const value: unknown = await token();
      if (typeof value !== 'string' || value === '') {
        throw new NoToken();
      }
      return value;
    }
    if (token === undefined && this.options.renewCookie !== undefined) {
      await this.options.renewCookie();
    }
    return token;
  }

  private credentialError(error: unknown): HeraldClientError {
    const reason = error instanceof NoToken ? 'it returned no token' : error instanceof Error ? error.message : String(error);
    return new HeraldClientError(typeof this.options.token === 'function' ? `the token function failed: ${reason}` : `renewCookie failed: ${reason}`);
  }

  /**
   * The hub closes the stream at the token's exp: get a new credential while the stream still runs, then replace it
   * at once, resuming from the last id (the hub replays what it sent meanwhile; duplicates are dropped by id).
   */
  private renew(): void {
    const token = this.options.token;
    const renewable = typeof token === 'function' || (token === undefined && this.options.renewCookie !== undefined);
    if (!renewable || this.renewing || this.closer.signal.aborted) {
      return;
    }
    const attempt = this.current;
    this.renewing = true;
    this.credentials().then(
      (value) => {
        if (attempt !== undefined && this.current === attempt && !attempt.signal.aborted) {
          this.renewed = { token: value };
          attempt.abort();
        }
      },
      (error: unknown) => this.emitError(this.credentialError(error)),
    ).finally(() => {
      this.renewing = false;
    });
  }

  private context(token: string | undefined, signal: AbortSignal, polling: boolean, pollUntil: number): AttemptContext {
    const heartbeat = this.options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    const reportMatches = this.leading && this.perTabTopics;
    const topics = reportMatches ? this.groupTopics() : this.options.topics;
    this.streamTopics = topics;
    return {
      hubUrl: this.hubUrl,
      topics,
      topicParameter: this.topicParameter,
      reportMatches,
      types: this.options.types ?? [],
      token,
      cursor: () => this._lastEventId,
      signal,
      clock: this.clock,
      fetch: this.options.fetch ?? globalThis.fetch.bind(globalThis),
      EventSource: this.options.EventSource,
      withCredentials: this.options.withCredentials ?? false,
      deltas: this.deltas !== undefined,
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
      onUpdate: (update, matches) => this.deliver(update, reportMatches && matches !== undefined ? matches.map((i) => topics[i]).filter((t): t is string => t !== undefined) : undefined),
      onRetry: (ms) => this.backoff.setServerRetry(ms),
      onGap: (requested) => {
        // Once per resume point: a cursor that stays unretained would otherwise report the same gap on every attempt.
        if (this.gapReportedFor !== requested) {
          this.gapReportedFor = requested;
          if (this.leading) {
            this.group!.post({ t: 'gap' });
          }
          this.safely(() => this.options.onGap?.());
        }
      },
      onCursor: (cursor) => {
        if (!this.closer.signal.aborted && !this.attempt.resync) {
          this._lastEventId = cursor;
          if (this.leading) {
            this.group!.post({ t: 'cursor', id: cursor });
          }
        }
      },
      onHealthy: () => {
        this.attempt.delivered = true;
        this.backoff.reset();
      },
      onTokenExpiring: () => this.renew(),
      renewToken: async () => {
        try {
          return await this.credentials();
        } catch (error) {
          throw this.credentialError(error);
        }
      },
    };
  }

  /** `matched`: the selectors the update matched, to filter by this tab's topics (undefined: not filtered). */
  private deliver(wire: WireUpdate, matched?: string[]): void {
    if (this.closer.signal.aborted) {
      return;
    }
    let update: HeraldUpdate = wire;
    if (update.id !== '') {
      if (this.recent.has(update.id)) {
        return;
      }
      const whole = this.whole(wire);
      if (whole === undefined) {
        return;
      }
      update = whole;
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
    if (this.leading) {
      // Before this tab's own filters: the others apply theirs.
      this.group!.post({ t: 'update', update, topics: matched });
    }
    if (!this.accepted.has(update.type) || !this.wants(matched)) {
      return;
    }
    this.safely(() => this.options.onUpdate?.(update));
    for (const queue of this.iterators) {
      queue.push(update);
    }
  }

  /**
   * The whole update (a delta applied to its base). Undefined for a patch whose base this client does not have, or
   * that does not apply: the attempt ends, delivering nothing more and keeping the resume point, so the reconnect
   * replays from there and the hub sends the whole value first.
   */
  private whole(update: WireUpdate): HeraldUpdate | undefined {
    if (this.attempt.resync) {
      return undefined;
    }
    if (this.deltas === undefined || this.follower) {
      return update.delta === undefined ? update : this.resync();
    }
    return this.deltas.decode(update) ?? this.resync();
  }

  private resync(): undefined {
    this.attempt.resync = true;
    this.emitError(new HeraldClientError('a delta against a value this client does not have: reconnecting for the whole value'));
    this.current?.abort();
    return undefined;
  }

  private setStatus(status: HeraldStatus): void {
    if (this._status === status || (this._status === 'closed' && this.closer.signal.aborted)) {
      return;
    }
    this._status = status;
    if (this.leading && status !== 'closed') {
      this.group!.post({ t: 'status', status });
    }
    this.safely(() => this.options.onStatus?.(status));
  }

  private emitError(error: HeraldClientError): void {
    this.safely(() => this.options.onError?.(error));
  }

  private finish(error: HeraldClientError): void {
    if (this.leading && error.fatal) {
      this.group!.post({ t: 'fatal', message: error.message, status: error.status ?? null });
    }
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

class NoToken extends Error {}
