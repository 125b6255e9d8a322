// Token renewal on the hub's herald.token-expiring notice, on a fake clock and fetch (the Chromium and .NET tests
// run it against the real hub).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe } from '../dist/index.js';
import { FakeClock, settle } from './support/fake-clock.mjs';
import { scriptedFetch, sseStream } from './support/fake-fetch.mjs';

const HUB = 'http://hub.test/.well-known/mercure';
const NOTICE = 'event: herald.token-expiring\ndata: {"expires":"2026-01-01T00:00:00Z","secondsLeft":1.5}\n\n';

function harness(fetch, options) {
  const clock = new FakeClock();
  const seen = { updates: [], statuses: [], errors: [] };
  const sub = subscribe(HUB, {
    topics: ['t'],
    transport: 'fetch',
    random: () => 0.5,
    clock,
    fetch,
    onUpdate: (u) => seen.updates.push(u.data),
    onStatus: (s) => seen.statuses.push(s),
    onError: (e) => seen.errors.push(e.message),
    ...options,
  });
  return { clock, seen, sub };
}

test('on the expiry notice the token function is asked for a new token and the stream is replaced at once from the last id', async (t) => {
  const fetch = scriptedFetch((call) => sseStream(call).response);
  let n = 0;
  const { seen, sub } = harness(fetch, { token: () => `token-${++n}` });
  t.after(() => sub.close());
  await settle();
  fetch.calls[0].stream.push('id: a\ndata: one\n\n' + NOTICE);
  await settle();

  // No clock advance: no backoff between the two streams.
  assert.equal(fetch.calls.length, 2);
  assert.ok(fetch.calls[0].signal.aborted, 'the expiring stream was kept');
  assert.equal(fetch.calls[1].headers.get('Authorization'), 'Bearer token-2');
  assert.equal(fetch.calls[1].headers.get('Last-Event-ID'), 'a');
  fetch.calls[1].stream.push('id: a\ndata: one\n\nid: b\ndata: two\n\n');
  await settle();
  assert.deepEqual(seen.updates, ['one', 'two']);
  assert.deepEqual(seen.statuses, ['open'], 'a renewal is not a reconnect');
  assert.deepEqual(seen.errors, []);
});

test('a token function that fails on the notice keeps the stream until the hub closes it; no request goes out without a token', async (t) => {
  const fetch = scriptedFetch((call) => sseStream(call).response);
  let n = 0;
  const answers = ['token-1', '', 'token-3'];
  const { clock, seen, sub } = harness(fetch, { token: () => answers[n++] });
  t.after(() => sub.close());
  await settle();
  fetch.calls[0].stream.push(NOTICE);
  await settle();
  assert.equal(fetch.calls.length, 1);
  assert.equal(fetch.calls[0].signal.aborted, false);
  assert.match(seen.errors[0], /the token function failed: it returned no token/);

  fetch.calls[0].stream.close(); // the hub closes at exp
  await clock.advance(500);
  assert.equal(fetch.calls.length, 2);
  assert.equal(fetch.calls[1].headers.get('Authorization'), 'Bearer token-3');
});

test('a token function answering nothing before a reconnect is a failed attempt, not an anonymous request', async (t) => {
  const fetch = scriptedFetch((call) => sseStream(call).response);
  let n = 0;
  const { clock, seen, sub } = harness(fetch, { token: () => (++n === 1 ? undefined : 'good') });
  t.after(() => sub.close());
  await settle();
  assert.equal(fetch.calls.length, 0);
  assert.match(seen.errors[0], /it returned no token/);
  await clock.advance(500);
  assert.equal(fetch.calls.length, 1);
  assert.equal(fetch.calls[0].headers.get('Authorization'), 'Bearer good');
});

test('with a fixed token the notice changes nothing: the stream runs until the hub closes it', async (t) => {
  const fetch = scriptedFetch((call) => sseStream(call).response);
  const { sub } = harness(fetch, { token: 'fixed' });
  t.after(() => sub.close());
  await settle();
  fetch.calls[0].stream.push(NOTICE);
  await settle();
  assert.equal(fetch.calls.length, 1);
  assert.equal(fetch.calls[0].signal.aborted, false);
});

test('shared with a token and no credentialKey is refused: tabs with different tokens must not share', () => {
  assert.throws(() => subscribe(HUB, { topics: ['t'], shared: true, token: 'x' }), /credentialKey/);
});

/** An unsigned JWT-shaped token with an exp, enough for the client, which reads exp without verifying. */
function jwt(name, expSeconds) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'HS256' })}.${part({ exp: expSeconds, sub: name })}.sig`;
}

test('long polling replaces a token that would expire before the next poll ends (a poll sees no notice)', async (t) => {
  const clock = new FakeClock();
  const sent = [];
  // A hub that holds each poll for its 25 s and answers empty.
  const fetch = scriptedFetch((call) => {
    sent.push(call.headers.get('Authorization'));
    return new Promise((resolve) => clock.setTimeout(() => resolve(new Response(JSON.stringify({ updates: [], lastEventID: null, gap: false }), { status: 200 })), 25_000));
  });
  const tokens = [jwt('first', clock.now() / 1000 + 60), jwt('second', clock.now() / 1000 + 3600)];
  let n = 0;
  const sub = subscribe(HUB, { topics: ['t'], transport: 'poll', clock, fetch, random: () => 0.5, pollTimeoutSeconds: 25, token: () => tokens[n++] });
  t.after(() => sub.close());
  await settle();
  await clock.advance(25_000);
  // The second poll starts 35 s before exp: more than its 25 s and the 5 s margin, so the token is kept.
  assert.deepEqual(sent, [`Bearer ${tokens[0]}`, `Bearer ${tokens[0]}`]);
  await clock.advance(25_000);
  // The third would start 10 s before exp: a new token first.
  assert.deepEqual(sent, [`Bearer ${tokens[0]}`, `Bearer ${tokens[0]}`, `Bearer ${tokens[1]}`]);
  assert.equal(n, 2);
});
