import { sleep } from '../clock.js';
import { HeraldClientError } from '../errors.js';
import { buildUrl, classify, isAbort, tokenExpiry, type AttemptContext, type AttemptResult } from './transport.js';

/** An empty answer sooner than this after asking was not a real long poll. */
const EARLY_EMPTY_MS = 1000;

interface PollAnswer {
  updates: { id: string; type: string; data: string; retry: number | null; matches?: number[] }[];
  /** The hub's cursor: send it back as `lastEventID`, also after an empty answer, or updates stored meanwhile are lost. */
  lastEventID: string | null;
  gap: boolean;
}

/** Long polling against `<hub>/poll`: for networks whose proxies buffer streams. Runs until a failure or `pollUntil`. */
export async function pollTransport(context: AttemptContext): Promise<AttemptResult> {
  const { clock, signal } = context;
  const pollUrl = pollEndpoint(context.hubUrl);
  let token = context.token;
  // The first poll uses the token the attempt was given, obtained just before.
  let fresh = true;
  while (!signal.aborted) {
    if (clock.now() >= context.pollUntil) {
      return { kind: 'ended' };
    }
    // A long poll sees no expiry notice; the hub answers it at exp. A token that expires before this poll could
    // end is replaced first, so the next poll is not refused.
    const exp = token === undefined || fresh ? undefined : tokenExpiry(token);
    fresh = false;
    if (exp !== undefined && exp <= clock.now() + (context.pollTimeoutSeconds + 5) * 1000) {
      try {
        token = await context.renewToken();
      } catch (error) {
        return { kind: 'failed', error: error as HeraldClientError };
      }
      if (signal.aborted) {
        break;
      }
    }

    const cursor = context.cursor();
    const askedAt = clock.now();
    const controller = new AbortController();
    const abort = (): void => controller.abort();
    signal.addEventListener('abort', abort, { once: true });
    let silent = false;
    // The hub answers within its timeout; one that does not answer 15 s later is not going to.
    const guard = clock.setTimeout(() => {
      silent = true;
      controller.abort();
    }, (context.pollTimeoutSeconds + 15) * 1000);
    try {
      const headers: Record<string, string> = { Accept: 'application/json' };
      if (token !== undefined) {
        headers.Authorization = `Bearer ${token}`;
      }
      const response = await context.fetch(
        buildUrl(pollUrl, context.topics, { lastEventID: cursor, timeout: String(context.pollTimeoutSeconds), reportMatches: context.reportMatches ? '1' : undefined }, context.topicParameter),
        { headers, cache: 'no-store', credentials: context.withCredentials ? 'include' : 'same-origin', signal: controller.signal },
      );
      if (!response.ok) {
        return await classify(response);
      }
      const answer = (await response.json()) as PollAnswer;
      const early = answer.updates.length === 0 && clock.now() - askedAt < EARLY_EMPTY_MS && context.pollTimeoutSeconds > 0;
      context.onOpen();
      context.onHealthy();
      if (answer.gap && cursor !== undefined && cursor !== 'earliest') {
        context.onGap(cursor);
      }
      for (const update of answer.updates) {
        context.onUpdate({ id: update.id, type: update.type, data: update.data, retry: update.retry ?? undefined }, Array.isArray(update.matches) ? update.matches : undefined);
      }
      if (typeof answer.lastEventID === 'string' && answer.lastEventID !== '') {
        context.onCursor(answer.lastEventID);
      }
      if (early) {
        // The hub holds an empty poll until its timeout; an instant empty answer means something in between does
        // not, and asking again at once would hammer it.
        await sleep(clock, EARLY_EMPTY_MS, signal);
      }
    } catch (error) {
      if (signal.aborted) {
        return { kind: 'closed' };
      }
      if (silent) {
        return { kind: 'failed', silent: true, error: new HeraldClientError('the long poll got no answer in time') };
      }
      return { kind: 'failed', error: new HeraldClientError(isAbort(error) ? 'aborted' : `network error: ${error instanceof Error ? error.message : String(error)}`) };
    } finally {
      clock.clearTimeout(guard);
      signal.removeEventListener('abort', abort);
    }
  }
  return { kind: 'closed' };
}

/** `https://hub/.well-known/mercure` → `https://hub/.well-known/mercure/poll`, keeping the hub URL's query. */
export function pollEndpoint(hubUrl: string): string {
  const url = new URL(hubUrl, typeof location === 'undefined' ? undefined : location.href);
  url.pathname = url.pathname.replace(/\/+$/, '') + '/poll';
  return url.toString();
}
