// `shared: true`: the tabs of one browser that use the same credential share one hub stream; the leader (Web Locks)
// relays to the others (BroadcastChannel). Real hub, real headless Chromium, pages in one browser context; the page
// server in front of the hub records every subscription request and how many streams are open at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { token } from './support/hub.mjs';
import { publishContinuously, startBrowserHub } from './support/pages.mjs';

const mint = () => token({ subscribe: ['t', 'u'] });

async function leaderOf(pages) {
  const leading = [];
  for (const page of pages) {
    if (await page.evaluate(() => window.heraldLeading('main'))) leading.push(page);
  }
  assert.equal(leading.length, 1, `${leading.length} leaders`);
  return leading[0];
}

test('Chromium: three tabs share one stream; the leader closed, then the next one crashed mid-stream, every tab receives every update exactly once and the hub sees one stream at a time', { timeout: 90_000 }, async (t) => {
  const env = await startBrowserHub(t, { mintToken: mint });
  const start = await env.hub.publish('t', 'start', { isPrivate: true });
  const pages = [];
  for (let i = 0; i < 3; i++) {
    const page = await env.open();
    await page.evaluate((lastEventId) => window.startHerald('main', { topics: ['t'], shared: true, credentialKey: 'user-1', transport: 'fetch', mintToken: true, lastEventId }), start);
    pages.push(page);
  }
  await env.wait.until(() => pages.every((p) => p.seen.main.statuses.at(-1) === 'open'), 'every tab to report the stream open');
  assert.equal(env.server.streams.length, 1, 'more than one stream for three tabs');

  const publisher = publishContinuously(env.hub, { everyMs: 50 });
  const closed = [];
  for (let round = 0; round < 2; round++) {
    const live = pages.filter((p) => !closed.includes(p));
    const target = publisher.published.length + 20;
    await env.wait.until(() => live.every((p) => p.seen.main.updates.length >= target), `${target} updates in every tab`);
    const leader = await leaderOf(live);
    if (round === 0) {
      await leader.close();
    } else {
      // A crashed renderer runs no unload handler: the browser releases its lock.
      const crashed = new Promise((resolve) => leader.once('crash', resolve));
      await leader.goto('chrome://crash').catch(() => undefined);
      await crashed;
    }
    closed.push(leader);
    await env.wait.until(() => env.server.streams.length === round + 2 && env.server.streams.at(-1).status === 200, 'another tab to take the stream over');
  }
  const remaining = pages.filter((p) => !closed.includes(p));
  const target = publisher.published.length + 20;
  await env.wait.until(() => remaining[0].seen.main.updates.length >= target, `${target} updates after the second handover`);
  const published = await publisher.stop();
  await env.wait.until(() => remaining[0].seen.main.updates.length >= published.length, 'every update in the last tab');

  const data = remaining[0].seen.main.updates.map((u) => u.data);
  assert.deepEqual(data, published, 'the last tab lost, repeated or reordered updates');
  for (const page of closed) {
    const received = page.seen.main.updates.map((u) => u.data);
    assert.deepEqual(received, published.slice(0, received.length), `${page.name} (closed while leading) lost or repeated updates`);
  }
  assert.equal(env.server.maxOpen, 1, 'the hub had two streams open at once');
  assert.equal(env.server.streams.length, 3, 'one stream per leader');
  assert.ok(env.server.streams.every((s) => s.token && s.status === 200));
  assert.ok(pages.every((p) => p.seen.main.errors.length === 0), 'a tab reported an error');
  assert.deepEqual(env.pageErrors, []);
});

test('Chromium: a tab with another credential key keeps its own stream and never receives the other credential\'s private updates', { timeout: 60_000 }, async (t) => {
  // page0 and page1 are user-1, allowed private updates on t; page2 is user-2, whose token grants nothing private.
  const env = await startBrowserHub(t, { mintToken: (page) => token({ subscribe: page === 'page2' ? ['other'] : ['t'] }) });
  const pages = [];
  for (let i = 0; i < 3; i++) {
    const page = await env.open();
    await page.evaluate((key) => window.startHerald('main', { topics: ['t'], shared: true, credentialKey: key, transport: 'fetch', mintToken: true }), i === 2 ? 'user-2' : 'user-1');
    pages.push(page);
  }
  await env.wait.until(() => pages.every((p) => p.seen.main.statuses.at(-1) === 'open'), 'every tab to report its stream open');

  await env.hub.publish('t', 'private', { isPrivate: true });
  await env.hub.publish('t', 'public');
  await env.wait.until(() => pages.every((p) => p.seen.main.updates.some((u) => u.data === 'public')), 'the public update in every tab');

  assert.deepEqual(pages.map((p) => p.seen.main.updates.map((u) => u.data)), [['private', 'public'], ['private', 'public'], ['public']]);
  assert.equal(env.server.streams.length, 2, 'one stream per credential');
  assert.equal(env.server.maxOpen, 2);
  assert.deepEqual(env.pageErrors, []);
});

test('Chromium: over HTTP/1.1 ten shared tabs all receive every update through one stream (unshared, only six could)', { timeout: 90_000 }, async (t) => {
  const env = await startBrowserHub(t, { mintToken: mint });
  const pages = [];
  for (let i = 0; i < 10; i++) {
    const page = await env.open();
    await page.evaluate(() => window.startHerald('main', { topics: ['t'], shared: true, credentialKey: 'user-1', transport: 'fetch', mintToken: true }));
    pages.push(page);
  }
  await env.wait.until(() => pages.every((p) => p.seen.main.statuses.at(-1) === 'open'), 'every tab to report the stream open');
  const published = [];
  for (let i = 0; i < 5; i++) {
    published.push(`u${i}`);
    await env.hub.publish('t', `u${i}`, { isPrivate: true });
  }
  await env.wait.until(() => pages.every((p) => p.seen.main.updates.length >= published.length), 'every update in every tab');
  for (const page of pages) {
    assert.deepEqual(page.seen.main.updates.map((u) => u.data), published, page.name);
  }
  assert.equal(env.server.streams.length, 1);
  assert.deepEqual(env.pageErrors, []);
});

test('Chromium: tabs with different topics share one stream of every tab\'s topics; each receives exactly what its own topics would, across a leader handover', { timeout: 90_000 }, async (t) => {
  const env = await startBrowserHub(t, { mintToken: mint });
  const topicsOf = [['t'], ['u'], ['t', 'u']];
  const pages = [];
  for (const topics of topicsOf) {
    const page = await env.open();
    await page.evaluate((topics) => window.startHerald('main', { topics, shared: true, credentialKey: 'user-1', mintToken: true }), topics);
    page.topics = topics;
    pages.push(page);
  }
  await env.wait.until(() => pages.every((p) => p.seen.main.statuses.at(-1) === 'open'), 'every tab to report the stream open');
  // Once the leader knows the other tabs' topics, its stream asks for all of them.
  await env.wait.until(() => {
    const last = env.server.streams.at(-1);
    const asked = new URL(last.url, 'http://x').searchParams.getAll('topic').sort();
    return last.open && last.status === 200 && asked.join() === 't,u';
  }, 'the leader to subscribe to t and u');

  // Private updates alternating between t and u, published until stopped.
  const published = [];
  let stopped = false;
  const publishing = (async () => {
    for (let i = 0; !stopped; i++) {
      const topic = i % 2 === 0 ? 't' : 'u';
      await env.hub.publish(topic, `${topic}${i}`, { isPrivate: true });
      published.push({ topic, data: `${topic}${i}` });
      await new Promise((r) => setTimeout(r, 40));
    }
  })();
  const expected = (page, upTo = published) => upTo.filter((u) => page.topics.includes(u.topic)).map((u) => u.data);

  await env.wait.until(() => published.length >= 20 && pages.every((p) => p.seen.main.updates.length >= expected(p).length - 2 && p.seen.main.updates.length >= 5), 'updates in every tab');
  const leader = await leaderOf(pages);
  await leader.close();
  const remaining = pages.filter((p) => p !== leader);
  const streamsBefore = env.server.streams.length;
  await env.wait.until(() => env.server.streams.length > streamsBefore && env.server.streams.at(-1).status === 200, 'another tab to take the stream over');
  const target = published.length + 20;
  await env.wait.until(() => published.length >= target, '20 more updates after the handover');
  stopped = true;
  await publishing;
  await env.wait.until(() => remaining.every((p) => p.seen.main.updates.length >= expected(p).length), 'every update in the remaining tabs');

  for (const page of remaining) {
    assert.deepEqual(page.seen.main.updates.map((u) => u.data), expected(page), `${page.name} (${page.topics}) lost, repeated, reordered or got another tab's updates`);
  }
  const received = leader.seen.main.updates.map((u) => u.data);
  assert.deepEqual(received, expected(leader).slice(0, received.length), `${leader.name} (closed while leading) got a wrong sequence`);
  assert.equal(env.server.maxOpen, 1, 'the hub had two streams open at once');
  // A stream the leader replaced before the hub answered (a tab with new topics arrived meanwhile) has no status.
  assert.ok(env.server.streams.every((s) => s.token && (s.status === 200 || (s.status === undefined && s.endedBy === 'client'))));
  assert.ok(env.server.streams.every((s) => new URL(s.url, 'http://x').searchParams.get('reportMatches') === '1'));
  assert.ok(env.server.streams.length <= 5, `${env.server.streams.length} streams for two leaders`);
  assert.ok(pages.every((p) => p.seen.main.errors.length === 0), 'a tab reported an error');
  assert.deepEqual(env.pageErrors, []);
});
