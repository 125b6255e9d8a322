// Against the real hub process (`herald serve`), built by `dotnet build` at the repository root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { EventSource } from 'eventsource';
import { subscribe } from '../dist/index.js';
import { Hub, freePort, subscriberToken, tempDir, token, waitable } from './support/hub.mjs';

/** Subscribes and records what the client reports; `until` awaits a condition on the record. */
function follow(t, hubUrl, options) {
  const wait = waitable();
  const seen = { updates: [], statuses: [], errors: [], gaps: 0 };
  const sub = subscribe(hubUrl, {
    // Short but jittered delays keep restarts quick; the backoff itself is unit-tested.
    random: () => Math.random() * 0.2,
    EventSource,
    ...options,
    onUpdate: (u) => { seen.updates.push(u); wait.notify(); },
    onStatus: (s) => { seen.statuses.push(s); wait.notify(); },
    onError: (e) => { seen.errors.push(e); wait.notify(); },
    onGap: () => { seen.gaps++; wait.notify(); },
  });
  t.after(() => sub.close());
  const data = () => seen.updates.map((u) => u.data);
  return {
    sub,
    seen,
    data,
    untilData: (count) => wait.until(() => seen.updates.length >= count, `${count} updates (got ${JSON.stringify(data())})`),
    until: (predicate, what) => wait.until(predicate, what),
  };
}

const transports = [
  { transport: 'fetch', auth: () => ({ token: subscriberToken() }) },
  // Node has no cookie jar: the EventSource test uses an anonymous hub; Chromium covers the cookie.
  { transport: 'eventsource', auth: () => ({}) },
  { transport: 'poll', auth: () => ({ token: subscriberToken() }) },
];

for (const { transport, auth } of transports) {
  test(`${transport}: receives updates in order, typed ones when asked`, async (t) => {
    const port = await freePort();
    const hub = await Hub.start(t, { port, cwd: tempDir(t), args: ['--store', 'memory', '--anonymous'] });
    // Resuming from a known id makes the test independent of when the connection opens.
    const start = await hub.publish('books/1', 'start');
    const client = follow(t, hub.url, { topics: ['books/{id}'], transport, lastEventId: start, types: ['progress'], ...auth() });

    await hub.publish('books/1', 'one');
    await hub.publish('authors/1', 'not mine');
    await hub.publish('books/2', 'two\nlines', { type: 'progress' });
    await hub.publish('books/3', 'three');
    await client.untilData(3);

    assert.deepEqual(client.data(), ['one', 'two\nlines', 'three']);
    assert.deepEqual(client.seen.updates.map((u) => u.type), ['message', 'progress', 'message']);
    assert.equal(client.sub.status, transport === 'poll' ? 'polling' : 'open');
    // Streams resume from the last update's id; polls from the hub's cursor, which also moves past updates not shown.
    if (transport === 'poll') {
      assert.match(client.sub.lastEventId, /^herald-cursor:/);
    } else {
      assert.equal(client.sub.lastEventId, client.seen.updates[2].id);
    }
  });

  test(`${transport}: a hub restart mid-stream loses and repeats nothing`, async (t) => {
    const port = await freePort();
    const dir = tempDir(t);
    const args = ['--store', `sqlite:${join(dir, 'history.db')}`, '--anonymous', '--heartbeat', '2s'];
    let hub = await Hub.start(t, { port, cwd: dir, args });
    const start = await hub.publish('t', 'start');
    const client = follow(t, hub.url, { topics: ['t'], transport, lastEventId: start, heartbeatMs: 2000, ...auth() });

    for (let i = 1; i <= 5; i++) await hub.publish('t', `u${i}`);
    await client.untilData(5);
    await hub.stop();
    await client.until(() => client.sub.status === 'reconnecting', 'the client to notice the restart');

    hub = await Hub.start(t, { port, cwd: dir, args });
    // Published before the client is back: it must get them by replay, then the live ones.
    for (let i = 6; i <= 10; i++) await hub.publish('t', `u${i}`);
    await client.untilData(10);
    for (let i = 11; i <= 15; i++) await hub.publish('t', `u${i}`);
    await client.untilData(15);

    assert.deepEqual(client.data(), Array.from({ length: 15 }, (_, i) => `u${i + 1}`));
    assert.equal(new Set(client.seen.updates.map((u) => u.id)).size, 15);
  });
}

test('poll: updates published only between polls are each received once, in order', { timeout: 120_000 }, async (t) => {
  const port = await freePort();
  const hub = await Hub.start(t, { port, cwd: tempDir(t), args: ['--store', 'memory'] });
  const total = 1000;
  const expected = [];
  // Publishes once each poll has answered and before the client asks again: no poll is outstanding meanwhile.
  const publishingFetch = async (url, init) => {
    const response = await fetch(url, init);
    if (!String(url).includes('/poll') || expected.length >= total) {
      return response;
    }
    const body = await response.text();
    const n = expected.length;
    expected.push(await hub.publish('t', `u${n}`, n % 7 === 3 ? { isPrivate: true } : {}));
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
  // Granted 'other' only: every 7th update is private and never shown, yet the cursor must move past it.
  const client = follow(t, hub.url, { topics: ['t'], transport: 'poll', token: subscriberToken(['other']), pollTimeoutSeconds: 0, fetch: publishingFetch });
  const visible = () => expected.filter((_, n) => n % 7 !== 3);
  await client.until(() => expected.length >= total && client.seen.updates.length >= visible().length, `${total} publishes and every visible one received (got ${client.seen.updates.length})`);

  assert.deepEqual(client.seen.updates.map((u) => u.id), visible());
  assert.equal(client.seen.gaps, 0);
});

for (const transport of ['fetch', 'poll']) {
  test(`${transport}: onGap when retention dropped the resume point, then what is retained arrives`, async (t) => {
    const port = await freePort();
    const hub = await Hub.start(t, { port, cwd: tempDir(t), args: ['--store', 'memory', '--history-max-count', '2'] });
    const gone = await hub.publish('t', 'one');
    await hub.publish('t', 'two');
    await hub.publish('t', 'three');

    const client = follow(t, hub.url, { topics: ['t'], transport, token: subscriberToken(), lastEventId: gone });
    await client.untilData(2);
    await hub.publish('t', 'four');
    await client.untilData(3);

    assert.equal(client.seen.gaps, 1);
    assert.deepEqual(client.data(), ['two', 'three', 'four']);
  });

  test(`${transport}: a refused token is refreshed once; refused again, the subscription closes with the hub's reason`, async (t) => {
    const port = await freePort();
    const hub = await Hub.start(t, { port, cwd: tempDir(t), args: ['--store', 'memory'] });
    const expired = token({ subscribe: ['*'] }, { exp: Math.floor(Date.now() / 1000) - 3600 });
    const start = await hub.publish('t', 'start');

    // First the expired token, then a fresh one: the subscription goes on.
    const tokens = [expired, subscriberToken()];
    const refreshed = follow(t, hub.url, { topics: ['t'], transport, lastEventId: start, token: () => tokens.shift() ?? subscriberToken() });
    await hub.publish('t', 'after refresh');
    await refreshed.untilData(1);
    assert.equal(refreshed.seen.errors[0].status, 401);
    assert.notEqual(refreshed.sub.status, 'closed');

    // Refused twice: closed, with the hub's one-line reason.
    let calls = 0;
    const refused = follow(t, hub.url, { topics: ['t'], transport, token: () => { calls++; return expired; } });
    await refused.until(() => refused.sub.status === 'closed', 'the subscription to close');
    assert.equal(calls, 2);
    const last = refused.seen.errors.at(-1);
    assert.equal(last.status, 401);
    assert.equal(last.fatal, true);
    assert.match(last.message, /expired/);
  });
}

for (const { transport, auth } of transports) {
  test(`${transport}: currentValue gets a retained topic's latest value at once, every change after, and resumes after the snapshot`, async (t) => {
    const { currentValue } = await import('../dist/index.js');
    const port = await freePort();
    const dir = tempDir(t);
    const args = ['--store', `sqlite:${join(dir, 'history.db')}`, '--anonymous', '--heartbeat', '2s'];
    let hub = await Hub.start(t, { port, cwd: dir, args });
    await hub.publish('bundle', '{"v":1}', { retain: true });
    await hub.publish('bundle', '{"v":2}', { retain: true });
    const wait = waitable();
    const values = [];
    const current = currentValue(hub.url, 'bundle', { transport, random: () => Math.random() * 0.2, EventSource, heartbeatMs: 2000, onChange: (v) => { values.push(v); wait.notify(); }, onStatus: () => wait.notify(), ...auth() });
    t.after(() => current.close());
    await wait.until(() => values.length >= 1, 'the current value');
    assert.deepEqual(values, [{ v: 2 }]);
    assert.deepEqual(current.value, { v: 2 });
    if (transport !== 'eventsource') {
      // The snapshot's id-only frame (a poll answer's cursor) is the resume point; EventSource cannot see it.
      await wait.until(() => /^herald-cursor:/.test(current.lastEventId ?? ''), 'the snapshot cursor');
    }

    await hub.publish('bundle', '{"v":3}', { retain: true });
    await wait.until(() => values.length >= 2, 'the change');
    assert.deepEqual(current.value, { v: 3 });

    if (transport !== 'eventsource') {
      // Restarted with a change published while the client was away: it arrives once, nothing repeats.
      await hub.stop();
      await wait.until(() => current.status === 'reconnecting', 'the client to notice the restart');
      hub = await Hub.start(t, { port, cwd: dir, args });
      await hub.publish('bundle', '{"v":4}', { retain: true });
      await wait.until(() => values.length >= 3, 'the change made while away');
      await hub.publish('bundle', '{"v":5}', { retain: true });
      await wait.until(() => values.length >= 4, 'the next change');
      assert.deepEqual(values, [{ v: 2 }, { v: 3 }, { v: 4 }, { v: 5 }]);
    }
  });
}
