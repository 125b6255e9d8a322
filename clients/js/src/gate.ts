import type { Clock } from './clock.js';

/**
 * Whether a subscription may connect: not while the browser is offline, the page is frozen, or every page using the
 * stream has been hidden longer than the grace. `wait` holds the connection loop until it may; `interrupt` is how
 * the gate closes the stream in progress when it shuts.
 */
export class ConnectionGate {
  offline = false;
  frozen = false;
  private hiddenTooLong = false;
  private graceTimer: unknown;
  private wakeUp: (() => void) | undefined;
  private disposed = false;

  constructor(
    private readonly clock: Clock,
    private readonly graceMs: number,
    private readonly anyVisible: () => boolean,
    private readonly interrupt: () => void,
  ) {}

  /** Why the loop may not connect now, as a status; undefined when it may. */
  get blocked(): 'offline' | 'paused' | undefined {
    return this.offline ? 'offline' : this.frozen || this.hiddenTooLong ? 'paused' : undefined;
  }

  /** Resolves once the gate opens (or `release` is called by a close): check `blocked` again. */
  wait(): Promise<void> {
    return new Promise((resolve) => {
      this.wakeUp = resolve;
    });
  }

  /** Ends a wait: the state changed. */
  release(): void {
    const wakeUp = this.wakeUp;
    this.wakeUp = undefined;
    wakeUp?.();
  }

  /** Starts the grace when no page using the stream is visible; ends a pause when one is. */
  visibilityChanged(): void {
    if (this.anyVisible()) {
      this.clock.clearTimeout(this.graceTimer);
      this.graceTimer = undefined;
      if (this.hiddenTooLong) {
        this.hiddenTooLong = false;
        this.release();
      }
      return;
    }
    if (this.graceTimer !== undefined || this.hiddenTooLong || !Number.isFinite(this.graceMs) || this.disposed) {
      return;
    }
    this.graceTimer = this.clock.setTimeout(() => {
      this.graceTimer = undefined;
      if (!this.anyVisible() && !this.disposed) {
        this.hiddenTooLong = true;
        this.interrupt();
      }
    }, Math.max(0, this.graceMs));
  }

  dispose(): void {
    this.disposed = true;
    this.clock.clearTimeout(this.graceTimer);
    this.release();
  }
}
