import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, subscribeJob, jobTopic } from '../dist/index.js';
import { FakeClock, settle } from './support/fake-clock.mjs';
import { scriptedFetch, sseStream, textResponse, jsonResponse, frame } from './support/fake-fetch.mjs';

const HUB = 'http://hub.test/.well-known/mercure';

/** A subscription on a fake clock and fetch, recording what it reports. */
function harness(fetch, options = {}) {
  const clock = new FakeClock();
  const seen = { updates: [], statuses: [], errors: [], gaps: 0 };
  const sub = subscribe(HUB, {
    topics: ['t'],
    transport: 'fetch',
    random: () => 0.5,
    clock,
    fetch,
    onUpdate: (u) => seen.updates.push(u),
    onStatus: (s) => seen.statuses.push(s),
    onError: (e) => seen.errors.push(e),
    onGap: () => seen.gaps++,
    ...options,
  });
  return { clock, seen, sub };
}

test('the watchdog reconnects after 3x the heartbeat without a byte, and bytes rearm it', async (t) => {
  const fetch = scriptedFetch((call) => sseStream(call).response);
  const { clock, sub, seen } = harness(fetch, { heartbeatMs: 15_000 });
  t.after(() => sub.close());
  await settle();
  assert.equal(fetch.calls.length, 1);
  assert.equal(sub.status, 'open');

  fetch.calls[0].stream.push(':\n\n');
  await clock.advance(30_000);
  fetch.calls[0].stream.push(':\n\n'); // a heartbeat at 30 s: the watchdog now runs to 75 s
  await clock.advance(44_999);
  assert.equal(fetch.calls.length, 1, 'reconnected while heartbeats were arriving');

  await clock.advance(1);
  assert.ok(fetch.calls[0].signal.aborted, 'the silent stream was not aborted');
  assert.match(seen.errors.at(-1).message, /no data for 45000 ms/);
  assert.equal(sub.status, 'reconnecting');
  await clock.advance(500); // backoff: 0.5 x 1 s
  assert.equal(fetch.calls.length, 2);
});

test('a connection that hangs before its headers is caught by the watchdog too', async (t) => {
  const fetch = scriptedFetch(
    (call) => new Promise((_, reject) => call.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))),
    (call) => sseStream(call).response,
  );
  const { clock, sub } = harness(fetch, { heartbeatMs: 1000 });
  t.after(() => sub.close());
  await clock.advance(3000);
  await clock.advance(500);
  assert.equal(fetch.calls.length, 2);
  assert.equal(sub.status, 'open');
});

test('the token function is called on every (re)connect and the last id is sent back', async (t) => {
  let n = 0;
  const fetch = scriptedFetch((call) => sseStream(call).response);
  const { clock, sub, seen } = harness(fetch, { token: async () => `token-${++n}` });
  t.after(() => sub.close());
  await settle();
  fetch.calls[0].stream.push(frame({ id: 'a', data: 'one' }));
  fetch.calls[0].stream.close();
  await settle();
  await clock.advance(500);

  assert.equal(fetch.calls.length, 2);
  assert.equal(fetch.calls[0].headers.get('authorization'), 'Bearer token-1');
  assert.equal(fetch.calls[1].headers.get('authorization'), 'Bearer token-2');
  assert.equal(fetch.calls[0].headers.get('last-event-id'), null);
  assert.equal(fetch.calls[1].headers.get('last-event-id'), 'a');
  assert.deepEqual(seen.updates.map((u) => u.data), ['one']);
});

test('refused once: the token function is asked again and the subscription goes on', async (t) => {
  let n = 0;
  const fetch = scriptedFetch(() => textResponse(401, 'the token expired'), (call) => sseStream(call).response);
  const { sub, seen } = harness(fetch, { token: () => `token-${++n}` });
  t.after(() => sub.close());
  await settle();
  assert.equal(fetch.calls.length, 2, 'the refresh is immediate, without backoff');
  assert.equal(fetch.calls[1].headers.get('authorization'), 'Bearer token-2');
  assert.equal(sub.status, 'open');
  assert.equal(seen.errors[0].status, 401);
});

test('refused twice in a row: the subscription closes with the hub reason', async () => {
  const fetch = scriptedFetch(() => textResponse(401, 'the token expired at 2020-01-01T00:00:00Z'), () => textResponse(403, 'topic "t" is not granted'));
  const { sub, seen } = harness(fetch, { token: () => 'stale' });
  await sub.done;
  assert.equal(sub.status, 'closed');
  assert.equal(fetch.calls.length, 2);
  assert.equal(seen.statuses.at(-1), 'closed');
  const last = seen.errors.at(-1);
  assert.equal(last.status, 403);
  assert.equal(last.fatal, true);
  assert.equal(last.message, 'topic "t" is not granted');
  assert.equal(seen.errors.length, 2, 'each refusal is reported once');
});

test('404 ends the subscription at once', async () => {
  const fetch = scriptedFetch(() => textResponse(404, 'Not Found'));
  const { sub, seen } = harness(fetch);
  await sub.done;
  assert.equal(sub.status, 'closed');
  assert.equal(fetch.calls.length, 1);
  assert.equal(seen.errors[0].status, 404);
});

test('failures back off with growing, jittered delays; a server retry raises the base', async (t) => {
  const fetch = scriptedFetch(() => textResponse(503, 'busy'));
  const { clock, sub } = harness(fetch);
  t.after(() => sub.close());
  await settle();
  // random 0.5: delays 500, 1000, 2000 ms
  assert.equal(clock.nextIn(), 500);
  await clock.advance(500);
  assert.equal(fetch.calls.length, 2);
  assert.equal(clock.nextIn(), 1000);
  await clock.advance(1000);
  assert.equal(clock.nextIn(), 2000);
  sub.close();

  const retrying = scriptedFetch(
    (call) => {
      const s = sseStream(call);
      queueMicrotask(() => { s.push('retry: 8000\n\n'); s.close(); });
      return s.response;
    },
    () => textResponse(503, 'busy'),
  );
  const second = harness(retrying);
  t.after(() => second.sub.close());
  await settle();
  assert.equal(second.clock.nextIn(), 4000, 'retry: 8000 makes the base 8 s: 0.5 x 8 s');
});

test('a connection that delivered an update resets the backoff', async (t) => {
  const fetch = scriptedFetch(
    () => textResponse(503, 'busy'),
    () => textResponse(503, 'busy'),
    (call) => {
      const s = sseStream(call);
      queueMicrotask(() => { s.push(frame({ id: 'x', data: 'hi' })); s.close(); });
      return s.response;
    },
  );
  const { clock, sub } = harness(fetch);
  t.after(() => sub.close());
  await settle();
  await clock.advance(500);
  await clock.advance(1000);
  assert.equal(fetch.calls.length, 3);
  assert.equal(clock.nextIn(), 500);
});

test('updates are delivered once, in order, across a reconnect that replays one again', async (t) => {
  const fetch = scriptedFetch((call) => sseStream(call).response);
  const { clock, sub, seen } = harness(fetch);
  t.after(() => sub.close());
  await settle();
  fetch.calls[0].stream.push(frame({ id: 'a', data: '1' }) + frame({ id: 'b', data: '2' }));
  fetch.calls[0].stream.close();
  await clock.advance(500);
  fetch.calls[1].stream.push(frame({ id: 'b', data: '2' }) + frame({ id: 'c', data: '3' }));
  await settle();
  assert.deepEqual(seen.updates.map((u) => u.id), ['a', 'b', 'c']);
  assert.equal(sub.lastEventId, 'c');
});

test('Last-Event-ID: earliest after a resume request reports a gap, once per resume point', async (t) => {
  const fetch = scriptedFetch((call) => sseStream(call, { 'Last-Event-ID': 'earliest' }).response);
  const { clock, sub, seen } = harness(fetch, { lastEventId: 'gone' });
  t.after(() => sub.close());
  await settle();
  assert.equal(seen.gaps, 1);
  fetch.calls[0].stream.close();
  await clock.advance(500);
  assert.equal(fetch.calls.length, 2);
  assert.equal(seen.gaps, 1, 'the same unretained id reported twice');
});

test('asking for earliest is not a gap', async (t) => {
  const fetch = scriptedFetch((call) => sseStream(call, { 'Last-Event-ID': 'earliest' }).response);
  const { sub, seen } = harness(fetch, { lastEventId: 'earliest' });
  t.after(() => sub.close());
  await settle();
  assert.equal(seen.gaps, 0);
});

test('only message and the named types are delivered, but every id moves the resume point', async (t) => {
  const fetch = scriptedFetch((call) => sseStream(call).response);
  const { sub, seen } = harness(fetch, { types: ['progress'] });
  t.after(() => sub.close());
  await settle();
  fetch.calls[0].stream.push(frame({ id: '1', data: 'm' }) + frame({ id: '2', data: 'p', type: 'progress' }) + frame({ id: '3', data: 'x', type: 'other' }));
  await settle();
  assert.deepEqual(seen.updates.map((u) => [u.type, u.data]), [['message', 'm'], ['progress', 'p']]);
  assert.equal(sub.lastEventId, '3');
});

test('auto falls back to polling after 3 failed streaming attempts', async (t) => {
  let clock;
  const fetch = scriptedFetch((call) => {
    if (call.url.pathname.endsWith('/poll')) {
      if (call.url.searchParams.get('lastEventID') === 'p1') {
        // Nothing new: the hub holds the poll until its timeout.
        return new Promise((resolve) => clock.setTimeout(() => resolve(jsonResponse({ updates: [], lastEventID: 'p1', gap: false })), 5000));
      }
      return jsonResponse({ updates: [{ id: 'p1', type: 'message', data: 'polled', retry: null }], lastEventID: 'p1', gap: false });
    }
    return textResponse(502, 'bad gateway');
  });
  const h = harness(fetch, { transport: 'auto', token: 't', streamRetryMs: 60_000, pollTimeoutSeconds: 5 });
  const { sub, seen } = h;
  clock = h.clock;
  t.after(() => sub.close());
  await settle();
  await clock.advance(500);
  await clock.advance(1000);
  const polls = () => fetch.calls.filter((c) => c.url.pathname.endsWith('/poll'));
  assert.equal(fetch.calls.length - polls().length, 3, 'three streaming attempts');
  assert.ok(polls().length >= 1, 'no poll after three failures');
  assert.equal(sub.status, 'polling');
  assert.equal(seen.updates[0].data, 'polled');
  assert.equal(polls()[0].url.searchParams.get('timeout'), '5');
  assert.equal(polls()[0].headers.get('authorization'), 'Bearer t');
  sub.close();
});

test('auto goes back to a streaming attempt once the polling period is over', async (t) => {
  let polled = 0;
  const fetch = scriptedFetch((call) => {
    if (call.url.pathname.endsWith('/poll')) {
      polled++;
      // A long poll that waits for the clock, as the hub does.
      return new Promise((resolve) => setTimeoutOn(clock, () => resolve(jsonResponse({ updates: [], lastEventID: null, gap: false })), 5000));
    }
    return textResponse(502, 'bad gateway');
  });
  let clock;
  const setTimeoutOn = (c, fn, ms) => c.setTimeout(fn, ms);
  const h = harness(fetch, { transport: 'auto', token: 't', streamRetryMs: 20_000, pollTimeoutSeconds: 5 });
  clock = h.clock;
  t.after(() => h.sub.close());
  await settle();
  await clock.advance(1500);
  const streamingBefore = fetch.calls.filter((c) => !c.url.pathname.endsWith('/poll')).length;
  assert.equal(streamingBefore, 3);
  await clock.advance(20_000);
  const streamingAfter = fetch.calls.filter((c) => !c.url.pathname.endsWith('/poll')).length;
  assert.equal(streamingAfter, 4, 'no streaming attempt after the polling period');
  assert.ok(polled >= 4);
  await clock.advance(10_000);
  assert.equal(h.sub.status, 'polling', 'the failed streaming retry did not fall back to polling at once');
});

test('the poll transport sends the cursor and reports a gap', async (t) => {
  const fetch = scriptedFetch(
    () => jsonResponse({ updates: [{ id: 'b', type: 'message', data: 'B', retry: null }], lastEventID: 'b', gap: true }),
    () => new Promise(() => {}),
  );
  const { sub, seen } = harness(fetch, { transport: 'poll', lastEventId: 'a' });
  t.after(() => sub.close());
  await settle();
  assert.equal(fetch.calls[0].url.pathname, '/.well-known/mercure/poll');
  assert.equal(fetch.calls[0].url.searchParams.get('lastEventID'), 'a');
  assert.deepEqual(fetch.calls[0].url.searchParams.getAll('topic'), ['t']);
  assert.equal(fetch.calls[1].url.searchParams.get('lastEventID'), 'b');
  assert.equal(seen.gaps, 1);
  assert.equal(sub.status, 'polling');
});

test('async iteration yields updates and leaving the loop closes the subscription', async () => {
  const fetch = scriptedFetch((call) => {
    const s = sseStream(call);
    queueMicrotask(() => s.push(frame({ id: '1', data: 'a' }) + frame({ id: '2', data: 'b' })));
    return s.response;
  });
  const { sub } = harness(fetch);
  const got = [];
  for await (const update of sub) {
    got.push(update.data);
    if (got.length === 2) break;
  }
  assert.deepEqual(got, ['a', 'b']);
  assert.equal(sub.status, 'closed');
  await sub.done;
});

test('subscribeJob follows progress to completion on the job topic, then closes', async () => {
  const fetch = scriptedFetch((call) => {
    const s = sseStream(call);
    queueMicrotask(() => s.push(
      frame({ id: '1', type: 'progress', data: JSON.stringify({ jobId: 'a/b c', percent: 50, message: 'half' }) })
      + frame({ id: '2', type: 'completed', data: JSON.stringify({ jobId: 'a/b c', result: { url: '/r' } }) })));
    return s.response;
  });
  const progress = [];
  let completed;
  const sub = subscribeJob(HUB, 'a/b c', { fetch, transport: 'fetch', token: 'tk', onProgress: (p) => progress.push(p.percent), onComplete: (c) => { completed = c; } });
  await sub.done;
  assert.deepEqual(fetch.calls[0].url.searchParams.getAll('topic'), ['jobs/a%2Fb%20c']);
  assert.equal(fetch.calls[0].headers.get('last-event-id'), 'earliest');
  assert.deepEqual(progress, [50]);
  assert.deepEqual(completed, { jobId: 'a/b c', result: { url: '/r' } });
  assert.equal(sub.status, 'closed');
});

test('job topics encode the id as one path segment like Uri.EscapeDataString', () => {
  assert.equal(jobTopic('42'), 'jobs/42');
  assert.equal(jobTopic("a/b?c#d!'()*~._-é"), "jobs/a%2Fb%3Fc%23d%21%27%28%29%2A~._-%C3%A9");
  assert.equal(jobTopic('x', 'https://example.com/jobs/'), 'https://example.com/jobs/x');
});

test('an id-only frame (the end of a retained snapshot) is the resume point of the next connection', async (t) => {
  const fetch = scriptedFetch((call) => sseStream(call).response);
  const { clock, sub, seen } = harness(fetch);
  t.after(() => sub.close());
  await settle();
  fetch.calls[0].stream.push(frame({ id: 'v1', data: 'value' }) + 'id: herald-cursor:g.5\n\n');
  await settle();
  assert.deepEqual(seen.updates.map((u) => u.data), ['value']);
  assert.equal(sub.lastEventId, 'herald-cursor:g.5');
  fetch.calls[0].stream.close();
  await clock.advance(500);
  assert.equal(fetch.calls[1].headers.get('Last-Event-ID'), 'herald-cursor:g.5');
});
