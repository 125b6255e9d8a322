/** What a subscription does when the page's lifecycle or network changes. */
export interface PageHandlers {
  /** `visibilitychange` (and `pageshow`/`pagehide`): the page became visible or hidden. */
  onVisibility(visible: boolean): void;
  /** `freeze`: the page is about to stop running; its stream would go stale. */
  onFreeze(): void;
  /** `resume`, or `pageshow` from the back/forward cache: a stream kept across it may be dead. */
  onResume(): void;
  onOnline(): void;
  onOffline(): void;
}

export interface PageWatch {
  visible(): boolean;
  online(): boolean;
  dispose(): void;
}

interface EventTargetLike {
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
}

/** Listens to the page's lifecycle events; undefined outside a browser page (Node, workers). */
export function watchPage(handlers: PageHandlers): PageWatch | undefined {
  const doc = (globalThis as { document?: EventTargetLike & { visibilityState?: string } }).document;
  const win = globalThis as unknown as Partial<EventTargetLike>;
  if (doc === undefined || typeof win.addEventListener !== 'function' || typeof win.removeEventListener !== 'function') {
    return undefined;
  }
  const nav = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
  const visible = (): boolean => doc.visibilityState !== 'hidden';
  const listeners: [EventTargetLike, string, (event: Event) => void][] = [
    [doc, 'visibilitychange', () => handlers.onVisibility(visible())],
    [doc, 'freeze', () => handlers.onFreeze()],
    [doc, 'resume', () => handlers.onResume()],
    [win as EventTargetLike, 'pageshow', (event) => {
      if ((event as { persisted?: boolean }).persisted === true) {
        handlers.onResume();
      }
    }],
    [win as EventTargetLike, 'online', () => handlers.onOnline()],
    [win as EventTargetLike, 'offline', () => handlers.onOffline()],
  ];
  for (const [target, type, listener] of listeners) {
    target.addEventListener(type, listener);
  }
  return {
    visible,
    online: () => nav?.onLine !== false,
    dispose() {
      for (const [target, type, listener] of listeners) {
        target.removeEventListener(type, listener);
      }
    },
  };
}
