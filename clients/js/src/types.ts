import type { Clock } from './clock.js';
import type { HeraldClientError } from './errors.js';

/** One update as the hub sent it. `type` is `message` unless the publisher named one. */
export interface HeraldUpdate {
  id: string;
  type: string;
  data: string;
  retry?: number | undefined;
}

export type HeraldStatus = 'connecting' | 'open' | 'reconnecting' | 'polling' | 'closed';

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
  /** Topic selectors: exact topics, URI templates or `*`. */
  topics: string[];
  token?: TokenSource | undefined;
  /** Resume after this id (or `earliest` for everything retained). */
  lastEventId?: string | undefined;
  transport?: TransportName | undefined;
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
  /** EventSource transport: send cookies cross-origin. */
  withCredentials?: boolean | undefined;

  /** Test seams. */
  random?: (() => number) | undefined;
  clock?: Clock | undefined;
  fetch?: typeof globalThis.fetch | undefined;
  EventSource?: EventSourceConstructor | undefined;
}
