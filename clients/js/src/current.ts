import { Subscription } from './subscription.js';
import type { HeraldStatus, HeraldUpdate, SubscribeOptions } from './types.js';

export interface CurrentValueOptions<T> extends Omit<SubscribeOptions, 'topics' | 'onUpdate'> {
  /** Reads an update's data into the value (default: JSON, else the text itself). */
  parse?: ((data: string) => T) | undefined;
  /** Called with every new value (the first one too). */
  onChange?: ((value: T, update: HeraldUpdate) => void) | undefined;
}

/**
 * A retained topic as "the current value": the hub sends its latest value first (a new subscriber without a cursor
 * gets it at once), then every change; reconnects resume after the snapshot, and `auto` falls back to long polling
 * when streams are blocked. `value` is undefined until the first value arrived.
 */
export class CurrentValue<T = unknown> {
  private readonly subscription: Subscription;
  private readonly listeners = new Set<(value: T) => void>();
  private readonly parse: (data: string) => T;
  private _value: T | undefined;
  private _update: HeraldUpdate | undefined;

  constructor(hubUrl: string, readonly topic: string, options: CurrentValueOptions<T> = {}) {
    this.parse = options.parse ?? defaultParse as (data: string) => T;
    this.subscription = new Subscription(hubUrl, {
      deltas: true,
      ...options,
      topics: [topic],
      onUpdate: (update) => {
        this._value = this.parse(update.data);
        this._update = update;
        options.onChange?.(this._value, update);
        for (const listener of this.listeners) {
          listener(this._value);
        }
      },
    });
  }

  /** The latest value; undefined until the first one arrived. */
  get value(): T | undefined {
    return this._value;
  }

  /** The update that carried the latest value (its id and type). */
  get update(): HeraldUpdate | undefined {
    return this._update;
  }

  get status(): HeraldStatus {
    return this.subscription.status;
  }

  /** Where a reconnect resumes: after the snapshot, the hub's cursor. */
  get lastEventId(): string | undefined {
    return this.subscription.lastEventId;
  }

  /** Calls `listener` with every new value; returns the function that stops it. */
  subscribe(listener: (value: T) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.listeners.clear();
    this.subscription.close();
  }
}

function defaultParse(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

/** Follows a retained topic's current value; see {@link CurrentValue}. */
export function currentValue<T = unknown>(hubUrl: string, topic: string, options: CurrentValueOptions<T> = {}): CurrentValue<T> {
  return new CurrentValue<T>(hubUrl, topic, options);
}
