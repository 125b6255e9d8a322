import { test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe } from '../dist/index.js';
import { FakeClock, settle } from './support/fake-clock.mjs';
import { scriptedFetch, sseStream } from './support/fake-fetch.mjs';

const HUB = 'http://hub.test/.well-known/mercure';

function harness(fetch, options = {}) {
  const clock = new FakeClock();
  const seen = { updates: [], errors: [], gaps: 0 };
  const sub = subscribe(HUB, {
    topics: ['t'],
    transport: 'fetch',
    random: () => 0.5,
    clock,
    fetch,
    onUpdate: (u) => seen.updates.push(u),
    onError: (e) => seen.errors.push(e),
    onGap: () => seen.gaps++,
    ...options,
  });
  return { clock, seen, sub };
}

// Header values are bytes: fetch sends "é" as one Latin-1 byte (the hub, reading UTF-8, no longer finds the id) and
// refuses "日本" outright. A non-ASCII id goes in the query instead, percent-encoded UTF-8.
for (const id of ['é-2', '日本-2', '📚-3']) {
  test(`fetch resumes from the non-ASCII id ${id} through the lastEventID query parameter`, async (t) => {
    const fetch = scriptedFetch((call) => sseStream(call).response);
    const { sub, seen } = harness(fetch, { lastEventId: id });
    t.after(() => sub.close());
    await settle();
    assert.equal(fetch.calls.length, 1);
    assert.equal(fetch.calls[0].url.searchParams.get('lastEventID'), id);
    assert.equal(fetch.calls[0].headers.get('Last-Event-ID'), null);
    assert.deepEqual(seen.errors, []);
  });
}

test('an ASCII id still resumes with the Last-Event-ID header', async (t) => {
  const fetch = scriptedFetch((call) => sseStream(call).response);
  const { sub } = harness(fetch, { lastEventId: 'urn:uuid:1' });
  t.after(() => sub.close());
  await settle();
  assert.equal(fetch.calls[0].headers.get('Last-Event-ID'), 'urn:uuid:1');
  assert.equal(fetch.calls[0].url.searchParams.get('lastEventID'), null);
});

test('a non-ASCII id received on the stream becomes the resume point of the next connection', async (t) => {
  const fetch = scriptedFetch((call) => sseStream(call).response);
  const { clock, sub, seen } = harness(fetch);
  t.after(() => sub.close());
  await settle();
  fetch.calls[0].stream.push(new TextEncoder().encode('id: é-2\ndata: one\n\n'));
  await settle();
  assert.equal(sub.lastEventId, 'é-2');
  fetch.calls[0].stream.close();
  await clock.advance(1000);
  assert.equal(fetch.calls.length, 2);
  assert.equal(fetch.calls[1].url.searchParams.get('lastEventID'), 'é-2');
  assert.deepEqual(seen.updates.map((u) => u.data), ['one']);
});

test('the hub\'s herald.token-expiring notice is not an update and does not move the resume point', async (t) => {
  const fetch = scriptedFetch((call) => sseStream(call).response);
  const { sub, seen } = harness(fetch);
  t.after(() => sub.close());
  await settle();
  fetch.calls[0].stream.push('id: a\ndata: one\n\nevent: herald.token-expiring\ndata: {"expires":"2026-01-01T00:00:00Z","secondsLeft":10}\n\n');
  await settle();
  assert.deepEqual(seen.updates.map((u) => u.data), ['one']);
  assert.equal(sub.lastEventId, 'a');
});
