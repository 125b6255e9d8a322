import { HeraldClientError } from '../errors.js';
import { buildUrl, resumeParameter, TOKEN_EXPIRING_EVENT, type AttemptContext, type AttemptResult } from './transport.js';

/**
 * The native EventSource: authenticates with the `mercureAuthorization` cookie, resumes with the `lastEventID` query
 * parameter. It shows neither status codes, headers nor comments, so it has no watchdog and no gap detection, and every
 * error is treated as retryable. The browser's own reconnect is stopped: this client reconnects with its backoff.
 */
export function eventSourceTransport(context: AttemptContext): Promise<AttemptResult> {
  const EventSourceImpl = context.EventSource ?? (globalThis as { EventSource?: AttemptContext['EventSource'] }).EventSource;
  if (EventSourceImpl === undefined) {
    return Promise.resolve({ kind: 'fatal', error: new HeraldClientError('EventSource is not available here: use the fetch or poll transport', undefined, true) });
  }

  return new Promise((resolve) => {
    const url = buildUrl(context.hubUrl, context.topics, { [resumeParameter(context)]: context.cursor() }, context.topicParameter);
    const source = new EventSourceImpl(url, { withCredentials: context.withCredentials });
    let opened = false;
    const finish = (result: AttemptResult): void => {
      source.close();
      context.signal.removeEventListener('abort', onAbort);
      resolve(result);
    };
    const onAbort = (): void => finish({ kind: 'closed' });
    context.signal.addEventListener('abort', onAbort, { once: true });

    source.onopen = () => {
      opened = true;
      context.onOpen();
    };
    source.onerror = () => {
      finish(opened
        ? { kind: 'ended' }
        : { kind: 'failed', error: new HeraldClientError('the EventSource could not connect (it shows no status: refused, missing or down)') });
    };
    const onMessage = (event: MessageEvent): void => {
      context.onUpdate({ id: event.lastEventId, type: event.type, data: String(event.data) });
    };
    for (const type of new Set(['message', ...context.types])) {
      if (type !== TOKEN_EXPIRING_EVENT) {
        source.addEventListener(type, onMessage);
      }
    }
    // Its lastEventId is the stream's last id, not one of its own: it has none.
    source.addEventListener(TOKEN_EXPIRING_EVENT, (event) => context.onTokenExpiring(String(event.data)));
  });
}
