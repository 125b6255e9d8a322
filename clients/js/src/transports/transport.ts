import type { Clock } from '../clock.js';
import { HeraldClientError } from '../errors.js';
import type { WireUpdate } from '../delta.js';
import type { EventSourceConstructor } from '../types.js';

/** What one connection attempt needs; callbacks go to the subscription, which owns ids, dedupe and status. */
export interface AttemptContext {
  hubUrl: string;
  topics: string[];
  /** The query parameter each topic goes in: `topic` (0.x), `match` or `matchURLPattern` (1.0). */
  topicParameter: string;
  /** Ask the hub which of `topics` each update matched (`reportMatches`): a leader tab filters for the others. */
  reportMatches: boolean;
  types: string[];
  token: string | undefined;
  /** The resume point at the moment of the call; poll reads `cursor()` before each request. */
  cursor(): string | undefined;
  signal: AbortSignal;
  clock: Clock;
  fetch: typeof globalThis.fetch;
  EventSource: EventSourceConstructor | undefined;
  withCredentials: boolean;
  watchdogMs: number;
  pollTimeoutSeconds: number;
  /** Poll only: return `ended` once the clock passes this (auto mode tries streaming again). */
  pollUntil: number;
  onOpen(): void;
  /** Ask for deltas (fetch only: EventSource shows no `herald-delta` field; polls get whole values). */
  deltas: boolean;
  /** `matches`: indices into `topics` the update matched, when asked for and the hub reported them. */
  onUpdate(update: WireUpdate, matches?: number[]): void;
  onRetry(ms: number): void;
  onGap(requested: string): void;
  /**
   * The hub's cursor to resume from: a poll answer's (after its updates; it also moves past updates not shown), or
   * a stream's `id:`-only frame (the end of a retained snapshot).
   */
  onCursor(cursor: string): void;
  /** A poll answered: the connection is healthy. */
  onHealthy(): void;
  /** The hub's notice that it closes the stream at the token's expiry (a named event without id). */
  onTokenExpiring(data: string): void;
  /** A fresh credential, as before a reconnect; rejects with the reason when there is none. */
  renewToken(): Promise<string | undefined>;
}

export type AttemptResult =
  /** The hub ended the stream (or a poll period ran out): reconnect with backoff. */
  | { kind: 'ended' }
  /** Network error, 5xx, or silent past the watchdog: reconnect with backoff. */
  | { kind: 'failed'; error: HeraldClientError; silent?: boolean }
  /** 401/403: refresh the token once. */
  | { kind: 'refused'; error: HeraldClientError }
  /** 404/400: retrying cannot help. */
  | { kind: 'fatal'; error: HeraldClientError }
  /** The subscription was closed. */
  | { kind: 'closed' };

export type Transport = (context: AttemptContext) => Promise<AttemptResult>;

/** The resume query parameter: 1.0's `last_event_id` for a 1.0 subscription (`match…`), 0.x's `lastEventID` otherwise. */
export function resumeParameter(context: Pick<AttemptContext, 'topicParameter'>): string {
  return context.topicParameter === 'topic' ? 'lastEventID' : 'last_event_id';
}

/** The hub's answer to a resume: 1.0 names it `Mercure-Last-Event-ID`, 0.x `Last-Event-ID`. */
export function answeredCursor(response: Response): string | null {
  return response.headers.get('Mercure-Last-Event-ID') ?? response.headers.get('Last-Event-ID');
}

/** `hubUrl?topic=…&topic=…` (or `match=…`) plus extra parameters, keeping any query the hub URL already has. */
export function buildUrl(base: string, topics: string[], extra: Record<string, string | undefined> = {}, topicParameter = 'topic'): string {
  const url = new URL(base, typeof location === 'undefined' ? undefined : location.href);
  for (const topic of topics) {
    url.searchParams.append(topicParameter, topic);
  }
  for (const [name, value] of Object.entries(extra)) {
    if (value !== undefined) {
      url.searchParams.set(name, value);
    }
  }
  return url.toString();
}

/** The hub's one-line reason from a refusal body, or the status text. */
export async function reasonOf(response: Response): Promise<string> {
  try {
    const text = (await response.text()).trim();
    return text.length > 0 ? text.split(/\r?\n/, 1)[0]! : `HTTP ${response.status}`;
  } catch {
    return `HTTP ${response.status}`;
  }
}

/** Sorts a non-OK answer: refusal, fatal, or worth retrying. */
export async function classify(response: Response): Promise<AttemptResult> {
  const reason = await reasonOf(response);
  if (response.status === 401 || response.status === 403) {
    return { kind: 'refused', error: new HeraldClientError(reason, response.status) };
  }
  if (response.status === 404 || response.status === 400) {
    return { kind: 'fatal', error: new HeraldClientError(reason, response.status, true) };
  }
  return { kind: 'failed', error: new HeraldClientError(reason, response.status) };
}

export function isAbort(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { name?: string }).name === 'AbortError';
}

/** Herald's event announcing that the stream closes at the token's `exp`; not an update. */
export const TOKEN_EXPIRING_EVENT = 'herald.token-expiring';

/** The `exp` of a JWT in milliseconds, read without verifying it (the hub does); undefined when there is none. */
export function tokenExpiry(token: string): number | undefined {
  try {
    const payload = token.split('.')[1];
    if (payload === undefined) {
      return undefined;
    }
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { exp?: unknown };
    return typeof json.exp === 'number' && Number.isFinite(json.exp) ? json.exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
