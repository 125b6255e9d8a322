/**
 * A scripted fetch: each call is recorded and answered by the next handler (or the last one, repeatedly).
 * Stream bodies are controlled by the test and error out when the request is aborted, as a real fetch does.
 */
export function scriptedFetch(...handlers) {
  const calls = [];
  const fetch = async (url, init = {}) => {
    const handler = handlers[Math.min(calls.length, handlers.length - 1)];
    const call = { url: new URL(url), headers: new Headers(init.headers), signal: init.signal };
    calls.push(call);
    if (init.signal?.aborted) {
      throw abortError();
    }
    return await handler(call);
  };
  fetch.calls = calls;
  return fetch;
}

export function abortError() {
  return new DOMException('This operation was aborted', 'AbortError');
}

/** An SSE response whose body the test writes to; `call.signal` aborting errors the body. */
export function sseStream(call, headers = {}) {
  let controller;
  const encoder = new TextEncoder();
  const body = new ReadableStream({
    start(c) {
      controller = c;
    },
  });
  const stream = {
    closed: false,
    response: new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream', ...headers } }),
    push(text) {
      controller.enqueue(typeof text === 'string' ? encoder.encode(text) : text);
    },
    close() {
      stream.closed = true;
      controller.close();
    },
  };
  call.signal?.addEventListener('abort', () => {
    if (!stream.closed) {
      stream.closed = true;
      controller.error(abortError());
    }
  });
  call.stream = stream;
  return stream;
}

export function textResponse(status, text) {
  return new Response(text + '\n', { status, headers: { 'Content-Type': 'text/plain' } });
}

export function jsonResponse(body) {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'Content-Type': 'application/json' } });
}

/** An SSE frame as the hub writes it. */
export function frame({ id, data, type, retry }) {
  let text = '';
  if (type) text += `event: ${type}\n`;
  if (retry !== undefined) text += `retry: ${retry}\n`;
  text += `id: ${id}\n`;
  for (const line of data.split('\n')) text += `data: ${line}\n`;
  return text + '\n';
}
