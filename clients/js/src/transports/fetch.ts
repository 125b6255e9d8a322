import { DELTA_FORMATS, DELTA_PARAMETER } from '../delta.js';
import { HeraldClientError } from '../errors.js';
import { createSseDecoder } from '../sse.js';
import { answeredCursor, buildUrl, classify, resumeParameter, isAbort, TOKEN_EXPIRING_EVENT, type AttemptContext, type AttemptResult } from './transport.js';

/**
 * Streams with fetch: headers work (`Authorization`, `Last-Event-ID`), status codes and the `Last-Event-ID` response
 * header are visible, and a watchdog reconnects a stream that stays silent for 3× the hub's heartbeat.
 */
export async function fetchTransport(context: AttemptContext): Promise<AttemptResult> {
  const { clock, signal } = context;
  const controller = new AbortController();
  const abort = (): void => controller.abort();
  signal.addEventListener('abort', abort, { once: true });
  let silent = false;
  let watchdog: unknown;
  const arm = (): void => {
    clock.clearTimeout(watchdog);
    watchdog = clock.setTimeout(() => {
      silent = true;
      controller.abort();
    }, context.watchdogMs);
  };

  const resumeFrom = context.cursor();
  // Header values are bytes: fetch would send "é" as one Latin-1 byte and refuse "日本". Ids may be IRIs, so a
  // non-ASCII one goes in the query instead, percent-encoded UTF-8, which the hub reads just the same.
  const inQuery = resumeFrom !== undefined && !/^[\x20-\x7e]*$/.test(resumeFrom);
  const headers: Record<string, string> = { Accept: 'text/event-stream' };
  if (context.token !== undefined) {
    headers.Authorization = `Bearer ${context.token}`;
  }
  if (resumeFrom !== undefined && !inQuery) {
    headers['Last-Event-ID'] = resumeFrom;
  }

  try {
    // Armed before the request: a connect that hangs (a buffering proxy holding the headers) counts as silence too.
    arm();
    const response = await context.fetch(buildUrl(context.hubUrl, context.topics, {
      [resumeParameter(context)]: inQuery ? resumeFrom : undefined,
      reportMatches: context.reportMatches ? '1' : undefined,
      [DELTA_PARAMETER]: context.deltas ? DELTA_FORMATS : undefined,
    }, context.topicParameter), {
      headers,
      cache: 'no-store',
      // As EventSource's withCredentials: cookies cross-origin only when asked.
      credentials: context.withCredentials ? 'include' : 'same-origin',
      signal: controller.signal,
    });
    if (!response.ok) {
      return await classify(response);
    }
    if (response.body === null) {
      return { kind: 'failed', error: new HeraldClientError('the hub answered without a body', response.status) };
    }

    context.onOpen();
    if (resumeFrom !== undefined && resumeFrom !== 'earliest' && answeredCursor(response) === 'earliest') {
      context.onGap(resumeFrom);
    }

    const decoder = createSseDecoder({
      onEvent: (event, fields) => {
        if (event.event === TOKEN_EXPIRING_EVENT && event.id === undefined) {
          context.onTokenExpiring(event.data);
          return;
        }
        context.onUpdate({ id: event.id ?? '', type: event.event ?? 'message', data: event.data, ...(fields.delta === undefined ? {} : { delta: fields.delta }) }, fields.matches);
      },
      onRetry: (ms) => context.onRetry(ms),
      // An id alone (the end of a retained snapshot) is the resume point too.
      onId: (id) => context.onCursor(id),
    });
    const reader = response.body.getReader();
    try {
      while (true) {
        const { done, value } = await reader.read();
        if (done) {
          decoder.end();
          return { kind: 'ended' };
        }
        arm();
        decoder.push(value);
      }
    } finally {
      reader.releaseLock();
    }
  } catch (error) {
    if (signal.aborted) {
      return { kind: 'closed' };
    }
    if (silent) {
      return {
        kind: 'failed',
        silent: true,
        error: new HeraldClientError(`no data for ${context.watchdogMs} ms (3× the heartbeat): the stream is stalled or buffered`),
      };
    }
    return { kind: 'failed', error: new HeraldClientError(isAbort(error) ? 'aborted' : `network error: ${describe(error)}`) };
  } finally {
    clock.clearTimeout(watchdog);
    signal.removeEventListener('abort', abort);
    controller.abort();
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
