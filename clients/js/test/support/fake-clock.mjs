/** Lets every pending promise chain run: a few macrotask turns, no real waiting. */
export async function settle() {
  for (let i = 0; i < 20; i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A clock whose timers fire only when the test advances it. */
export class FakeClock {
  t = 0;
  timers = [];

  now() {
    return this.t;
  }

  setTimeout(fn, ms) {
    const timer = { at: this.t + Math.max(0, ms), fn };
    this.timers.push(timer);
    return timer;
  }

  clearTimeout(timer) {
    this.timers = this.timers.filter((t) => t !== timer);
  }

  /** Moves time forward by `ms`, firing due timers in order and letting the code they wake run between them. */
  async advance(ms) {
    const target = this.t + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) {
        break;
      }
      this.clearTimeout(due);
      this.t = due.at;
      due.fn();
    }
    this.t = target;
    await settle();
  }

  /** Time until the next timer, or undefined. */
  nextIn() {
    const next = this.timers.map((t) => t.at).sort((a, b) => a - b)[0];
    return next === undefined ? undefined : next - this.t;
  }
}
