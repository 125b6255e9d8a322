/**
 * Exponential backoff with full jitter: the ceiling starts at the base (1 s) and doubles per failed attempt up to
 * the cap (30 s); each delay is drawn uniformly from [0, ceiling], so clients cut off together do not come back
 * together. A server `retry:` raises the base.
 */
export class Backoff {
  static readonly DEFAULT_BASE_MS = 1000;
  static readonly DEFAULT_CAP_MS = 30_000;

  private attempts = 0;
  private base: number;

  constructor(
    private readonly random: () => number = Math.random,
    private readonly initialBase = Backoff.DEFAULT_BASE_MS,
    private readonly cap = Backoff.DEFAULT_CAP_MS,
  ) {
    this.base = initialBase;
  }

  /** The ceiling the next delay is drawn under. */
  get ceiling(): number {
    // A server retry larger than the cap wins: the hub knows best when it will be back.
    return Math.min(Math.max(this.cap, this.base), this.base * 2 ** this.attempts);
  }

  /** The delay before the next attempt; each call doubles the ceiling for the one after. */
  next(): number {
    const delay = Math.floor(this.random() * this.ceiling);
    if (this.ceiling < Math.max(this.cap, this.base)) {
      this.attempts++;
    }
    return delay;
  }

  /** A connection was healthy: the next failure starts from the base again. */
  reset(): void {
    this.attempts = 0;
  }

  /** The server's `retry:` (milliseconds) becomes the base, never below the default. */
  setServerRetry(ms: number): void {
    if (Number.isFinite(ms) && ms >= 0) {
      this.base = Math.max(this.initialBase, ms);
    }
  }
}
