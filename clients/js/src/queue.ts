import type { HeraldUpdate } from './types.js';

/** One iterator's updates, buffered until it asks for them. */
export class UpdateQueue implements AsyncIterator<HeraldUpdate> {
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
