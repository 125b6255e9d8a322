import type { Clock } from './clock.js';
import type { HeraldClientError } from './errors.js';

/** One update as the hub sent it. `type` is `message` unless the publisher named one. */
export interface HeraldUpdate {
  id: string;
  type: string;
  data: string;
  retry?: number | undefined;
}

/**
 * `paused`: every tab sharing the stream has been hidden longer than `hiddenGraceMs`, or the page is frozen; it
 * reconnects at once when one becomes visible or resumes. `offline`: the browser is offline; no attempt until `online`.
 */
export type HeraldStatus = 'connecting' | 'open' | 'reconnecting' | 'polling' | 'paused' | 'offline' | 'closed';

export type TransportName = 'auto' | 'fetch' | 'eventsource' | 'poll';

/** A token, or a function called on every (re)connect that returns a fresh one. */
export type TokenSource = string | (() => string | Promise<string>);

/** The constructor of an EventSource implementation (the browser's, or one for Node). */
export type EventSourceConstructor = new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike;

export interface EventSourceLike {
  onopen: ((event: Event) => unknown) | null;
  onerror: ((event: Event) => unknown) | null;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}

export interface SubscribeOptions {
  /**
   * Topic selectors: exact topics, URI templates or `*` (Mercure 0.x); with `protocol: 'v1'`, Mercure 1.0 topic
   * matchers of type `matchType`.
   */
  topics: string[];
  /**
   * The Mercure dialect of the subscribe request: `'legacy'` (default) sends `topic=`; `'v1'` sends the 1.0 draft's
   * `match=` (or `matchURLPattern=`), for a hub that speaks 1.0 (Herald with `--protocol both` or `v1`). Tokens, the
   * `Last-Event-ID` header and `lastEventID` parameter, and the answered `Last-Event-ID` are the same in both.
   */
  protocol?: import('./dialect.js').MercureProtocol | undefined;
  /** With `protocol: 'v1'`: the matcher type of every entry of `topics` (default `'Exact'`; `*` matches everything either way). */
  matchType?: import('./dialect.js').MatchType | undefined;
  token?: TokenSource | undefined;
  /**
   * EventSource with a cookie: sets a fresh `mercureAuthorization` cookie (e.g. `() => fetch('/hub-cookie')`). Called
   * before every (re)connect and on the hub's `herald.token-expiring` notice, after which the stream resumes with the
   * new cookie at once. When it fails, no request is made.
   */
  renewCookie?: (() => unknown) | undefined;
  /**
   * Share one hub stream among this browser's tabs (same origin) with the same `credentialKey` and transport: one tab
   * (elected with Web Locks) holds a stream of every tab's topics and relays updates to the others (BroadcastChannel),
   * each keeping what its own topics and types match (the hub reports the matches: `reportMatches`). Over
   * `eventsource` only tabs with the same topics and types share. Without Web Locks or BroadcastChannel each tab
   * keeps its own stream.
   */
  shared?: boolean | undefined;
  /**
   * Names the credential the stream uses (e.g. the user id): only tabs with the same key share, so no tab receives an
   * update its own token would not. Required with `shared` when a token is used.
   */
  credentialKey?: string | undefined;
  /** Close the stream once every page sharing it has been hidden this long (default 3 minutes; Infinity: never). */
  hiddenGraceMs?: number | undefined;
  /** Resume after this id (or `earliest` for everything retained). */
  lastEventId?: string | undefined;
  transport?: TransportName | undefined;
  /**
   * Ask for deltas on retained JSON topics (docs/deltas.md): the hub may send a patch against the value this client
   * has, which it applies; `onUpdate` still receives the whole document (as JSON text). Fetch transport only. Default:
   * false here, true for `currentValue`.
   */
  deltas?: boolean | undefined;
  /** Event types to receive besides the default `message`. */
  types?: string[] | undefined;
  onUpdate?: ((update: HeraldUpdate) => void) | undefined;
  onStatus?: ((status: HeraldStatus) => void) | undefined;
  /** The hub could not resume from our last id: updates may have been missed, refetch state. */
  onGap?: (() => void) | undefined;
  onError?: ((error: HeraldClientError) => void) | undefined;

  /** The hub's heartbeat interval (default 15 s); the fetch transport reconnects after 3× this without a byte. */
  heartbeatMs?: number | undefined;
  /** Long-poll wait in seconds (default 25, at most 60). */
  pollTimeoutSeconds?: number | undefined;
  /** In `auto`, how long to poll before trying to stream again (default 5 minutes). */
  streamRetryMs?: number | undefined;
  /** Send cookies cross-origin (EventSource `withCredentials`; fetch and poll `credentials: "include"`). */
  withCredentials?: boolean | undefined;

  /** Test seams. */
  random?: (() => number) | undefined;
  clock?: Clock | undefined;
  fetch?: typeof globalThis.fetch | undefined;
  EventSource?: EventSourceConstructor | undefined;
}
