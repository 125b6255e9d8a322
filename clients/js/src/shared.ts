import type { HeraldStatus, HeraldUpdate } from './types.js';

/** What the tabs of one group tell each other over their BroadcastChannel. */
export type GroupMessage =
  /**
   * Leader → all: an update from the shared stream, before any tab's own filters; `topics`, the stream's selectors it
   * matched (as the hub reported them), lets each tab keep only what its own topics would have received.
   */
  | { t: 'update'; update: HeraldUpdate; topics?: string[] | undefined }
  | { t: 'status'; status: HeraldStatus }
  /** Leader → all: where the stream stands, so a tab that takes over later resumes from there. */
  | { t: 'cursor'; id: string }
  | { t: 'gap' }
  /** Leader → all: the hub refused the credential for good; every tab of the group shares it. */
  | { t: 'fatal'; message: string; status: number | null }
  /** A new leader asks every tab to say whether it is visible. */
  | { t: 'hello' }
  /** A tab → the leader: it exists, is (not) visible, and subscribes to these topics. */
  | { t: 'tab'; id: string; visible: boolean; topics: string[] }
  | { t: 'leave'; id: string };

interface LockManagerLike {
  request(name: string, options: { signal: AbortSignal }, callback: () => Promise<void>): Promise<unknown>;
}

function lockManager(): LockManagerLike | undefined {
  return (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
}

/** Web Locks elect the leader, BroadcastChannel carries the rest: both in every current browser. */
export function canShare(): boolean {
  return lockManager() !== undefined && typeof (globalThis as { BroadcastChannel?: unknown }).BroadcastChannel === 'function';
}

/**
 * The tabs of one origin sharing one stream. The tab holding the Web Lock named after the group leads: `lead` runs
 * while it holds it, and the lock passes to the next waiting tab when `lead` resolves or the tab closes or crashes
 * (the browser releases a dead tab's locks).
 */
export class TabGroup {
  readonly id: string;
  private readonly channel: BroadcastChannel;
  private readonly waiting = new AbortController();

  constructor(name: string, onMessage: (message: GroupMessage) => void, lead: () => Promise<void>) {
    this.id = typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function' ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
    this.channel = new BroadcastChannel(name);
    this.channel.onmessage = (event: MessageEvent) => {
      if (typeof event.data === 'object' && event.data !== null) {
        onMessage(event.data as GroupMessage);
      }
    };
    // Rejects with AbortError when the tab leaves before it was ever elected: nothing to do then.
    lockManager()!.request(name, { signal: this.waiting.signal }, lead).catch(() => undefined);
  }

  post(message: GroupMessage): void {
    try {
      this.channel.postMessage(message);
    } catch {
      // Closed: the tab is leaving.
    }
  }

  /** Stops waiting for the lock; a leader releases it when its `lead` resolves. */
  close(): void {
    this.waiting.abort();
    this.channel.close();
  }
}

/**
 * The lock and channel name: tabs share only with the same hub, credential key and transport. Topics and types are
 * filtered in each tab (the leader subscribes to every tab's topics), except over EventSource, which shows no
 * Herald fields: pass them here and only tabs with the same topics and types share.
 */
export function groupName(hubUrl: string, credentialKey: string, topics: string[], types: string[], transport: string): string {
  const absolute = new URL(hubUrl, typeof location === 'undefined' ? undefined : location.href).toString();
  return `herald-client ${JSON.stringify([absolute, credentialKey, [...topics].sort(), [...new Set(types)].sort(), transport])}`;
}
