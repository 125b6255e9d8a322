import { useEffect, useRef, useState } from 'react';
import type { HeraldClientError } from './errors.js';
import { CurrentValue, type CurrentValueOptions } from './current.js';
import { Subscription } from './subscription.js';
import type { HeraldStatus, HeraldUpdate, SubscribeOptions } from './types.js';

/**
 * What both hooks forward to their subscription: the latest token function, `renewCookie` and callbacks (they may
 * change every render without reconnecting), with status and error kept in the component's state.
 */
function liveOptions(
  latest: { current: Omit<SubscribeOptions, 'topics' | 'onUpdate'> },
  setStatus: (status: HeraldStatus) => void,
  setError: (error: HeraldClientError) => void,
) {
  const current = latest.current;
  const token = current.token;
  return {
    ...current,
    token: typeof token === 'function' ? () => (latest.current.token as () => string | Promise<string>)() : token,
    renewCookie: current.renewCookie === undefined ? undefined : () => latest.current.renewCookie?.(),
    onStatus: (next: HeraldStatus) => {
      setStatus(next);
      latest.current.onStatus?.(next);
    },
    onGap: () => latest.current.onGap?.(),
    onError: (next: HeraldClientError) => {
      setError(next);
      latest.current.onError?.(next);
    },
  };
}

/** The options whose change needs a new subscription, besides the hub URL and what is subscribed to. */
function reconnectKey(options: Omit<SubscribeOptions, 'topics' | 'onUpdate'>): unknown[] {
  return [
    options.transport ?? 'auto',
    typeof options.token === 'function' ? 'function' : options.token ?? null,
    options.shared ?? false,
    options.credentialKey ?? null,
  ];
}

export interface UseHeraldResult {
  lastUpdate: HeraldUpdate | undefined;
  status: HeraldStatus;
  error: HeraldClientError | undefined;
}

/**
 * Subscribes while the component is mounted. It resubscribes when the hub URL, topics, types, transport, a string
 * token, `shared` or the credential key change; callbacks, a token function and `renewCookie` may change every
 * render without reconnecting (the latest is used).
 */
export function useHerald(hubUrl: string, options: SubscribeOptions): UseHeraldResult {
  const [lastUpdate, setLastUpdate] = useState<HeraldUpdate | undefined>(undefined);
  const [status, setStatus] = useState<HeraldStatus>('connecting');
  const [error, setError] = useState<HeraldClientError | undefined>(undefined);
  const latest = useRef(options);
  latest.current = options;

  const key = JSON.stringify([hubUrl, options.topics, options.types ?? [], options.lastEventId ?? null, ...reconnectKey(options)]);

  useEffect(() => {
    const subscription = new Subscription(hubUrl, {
      ...liveOptions(latest, setStatus, setError),
      topics: latest.current.topics,
      onUpdate: (update) => {
        setLastUpdate(update);
        latest.current.onUpdate?.(update);
      },
    });
    return () => subscription.close();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` captures every option that needs a new subscription.
  }, [key]);

  return { lastUpdate, status, error };
}

export interface UseCurrentValueResult<T> {
  /** The latest value of the topic; undefined until the first one arrived. */
  value: T | undefined;
  status: HeraldStatus;
  error: HeraldClientError | undefined;
}

/**
 * The current value of a retained topic while the component is mounted: the hub's latest value at once, then every
 * change (see `CurrentValue`). Resubscribes when the hub URL, topic, transport, a string token, `shared` or the
 * credential key change.
 */
export function useCurrentValue<T = unknown>(hubUrl: string, topic: string, options: CurrentValueOptions<T> = {}): UseCurrentValueResult<T> {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [status, setStatus] = useState<HeraldStatus>('connecting');
  const [error, setError] = useState<HeraldClientError | undefined>(undefined);
  const latest = useRef(options);
  latest.current = options;

  const key = JSON.stringify([hubUrl, topic, ...reconnectKey(options)]);

  useEffect(() => {
    const follower = new CurrentValue<T>(hubUrl, topic, {
      ...liveOptions(latest, setStatus, setError),
      parse: latest.current.parse,
      onChange: (next, update) => {
        setValue(() => next);
        latest.current.onChange?.(next, update);
      },
    });
    return () => follower.close();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` captures every option that needs a new subscription.
  }, [key]);

  return { value, status, error };
}
