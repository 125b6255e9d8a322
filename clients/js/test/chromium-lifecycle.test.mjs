// Page lifecycle and network events against the real hub in real headless Chromium. Headless Chromium keeps every
// page visible, never freezes a page on request and stays online, so these tests dispatch visibilitychange (with
// document.visibilityState overridden), freeze, resume, online and offline (with navigator.onLine overridden)
// themselves, as the browser would. The page server in front of the hub records every subscription request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as delay } from 'node:timers/promises';
import { token } from './support/hub.mjs';
import { startBrowserHub } from './support/pages.mjs';

const mint = () => token({ subscribe: ['t'] });
const openStreams = (env) => env.server.streams.filter((s) => s.open).length;

async function startPage(t, options, { pages = 1, args = [] } = {}) {
  const env = await startBrowserHub(t, { mintToken: mint, args });
  const start = await env.hub.publish('t', 'start', { isPrivate: true });
  const opened = [];
  for (let i = 0; i < pages; i++) {
    const page = await env.open();
    await page.evaluate(([opts, lastEventId]) => window.startHerald('main', { topics: ['t'], transport: 'fetch', mintToken: true, lastEventId, ...opts }), [options, start]);
    opened.push(page);
  }
  await env.wait.until(() => opened.every((p) => p.seen.main.statuses.at(-1) === 'open'), 'the stream to open');
  return { env, pages: opened };
}

/** Publishes, then waits until every page has it; returns its id. */
async function publishSeen(env, pages, data) {
  const id = await env.hub.publish('t', data, { isPrivate: true });
  await env.wait.until(() => pages.every((p) => p.seen.main.updates.some((u) => u.data === data)), `${data} in every page`);
  return id;
}

test('Chromium: hidden past the grace the stream closes; visible again, or resumed after a freeze, it reconnects at once from the last id', { timeout: 60_000 }, async (t) => {
  const { env, pages: [page] } = await startPage(t, { hiddenGraceMs: 300 });
  const seen = page.seen.main;
  const u1 = await publishSeen(env, [page], 'u1');

  await page.evaluate(() => window.setVisibility('hidden'));
  await env.wait.until(() => seen.statuses.at(-1) === 'paused' && openStreams(env) === 0, 'the stream to close after the grace');
  assert.equal(env.server.streams.at(-1).endedBy, 'client');
  await env.hub.publish('t', 'u2', { isPrivate: true });
  await page.evaluate(() => window.setVisibility('visible'));
  await env.wait.until(() => seen.updates.some((u) => u.data === 'u2'), 'u2 after becoming visible');
  assert.equal(env.server.streams.length, 2);
  assert.equal(env.server.streams[1].lastEventId, u1, 'the reconnect did not resume from the last id');
  const u3 = await publishSeen(env, [page], 'u3');

  await page.evaluate(() => window.lifecycle('freeze'));
  await env.wait.until(() => seen.statuses.at(-1) === 'paused' && openStreams(env) === 0, 'the stream to close on freeze');
  await env.hub.publish('t', 'u4', { isPrivate: true });
  await page.evaluate(() => window.lifecycle('resume'));
  await env.wait.until(() => seen.updates.some((u) => u.data === 'u4'), 'u4 after resume');
  assert.equal(env.server.streams[2].lastEventId, u3);

  assert.deepEqual(seen.updates.map((u) => u.data), ['u1', 'u2', 'u3', 'u4']);
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(env.pageErrors, []);
});

test('Chromium: offline closes the stream and stops the retry loop; online reconnects at once from the last id', { timeout: 60_000 }, async (t) => {
  const { env, pages: [page] } = await startPage(t, {});
  const seen = page.seen.main;
  const u1 = await publishSeen(env, [page], 'u1');

  await page.evaluate(() => window.setOnline(false));
  await env.wait.until(() => seen.statuses.at(-1) === 'offline' && openStreams(env) === 0, 'the stream to close when offline');
  await env.hub.publish('t', 'u2', { isPrivate: true });
  // Asserting that nothing happens needs a wait: a retry loop (backoff up to 200 ms here) would have tried 5+ times.
  await delay(1500);
  assert.equal(env.server.streams.length, 1, 'the client kept retrying while offline');

  await page.evaluate(() => window.setOnline(true));
  await env.wait.until(() => seen.updates.some((u) => u.data === 'u2'), 'u2 once online');
  assert.equal(env.server.streams.length, 2);
  assert.equal(env.server.streams[1].lastEventId, u1);
  assert.deepEqual(seen.updates.map((u) => u.data), ['u1', 'u2']);
  assert.deepEqual(env.pageErrors, []);
});

test('Chromium: becoming visible or coming online cuts a backoff wait short (the hub asked for 60 s between attempts)', { timeout: 90_000 }, async (t) => {
  // backoffRandom 1: each wait is the full ceiling, here the hub's retry of 60 s, longer than any wait below.
  const { env, pages: [page] } = await startPage(t, { backoffRandom: 1 });
  const seen = page.seen.main;
  await env.hub.publish('t', 'slow down', { isPrivate: true, retry: 60_000 });
  await env.wait.until(() => seen.updates.some((u) => u.data === 'slow down'), 'the retry hint');

  for (const [event, wake] of [['visibilitychange', () => window.setVisibility('visible')], ['online', () => window.setOnline(true)]]) {
    const before = env.server.streams.length;
    const statuses = seen.statuses.length;
    await env.hub.stop();
    await env.wait.until(() => seen.statuses.slice(statuses).includes('reconnecting'), 'the client to notice the hub left');
    await env.restartHub();
    await page.evaluate(wake);
    await env.wait.until(() => seen.statuses.at(-1) === 'open' && env.server.streams.length === before + 1, `a reconnect at once on ${event}`);
    await publishSeen(env, [page], `after ${event}`);
  }
  assert.deepEqual(seen.updates.map((u) => u.data), ['slow down', 'after visibilitychange', 'after online']);
  assert.deepEqual(env.pageErrors, []);
});

test('Chromium: a shared stream stays open while any of its tabs is visible and closes once all have been hidden past the grace', { timeout: 60_000 }, async (t) => {
  const { env, pages } = await startPage(t, { shared: true, credentialKey: 'user-1', hiddenGraceMs: 300 }, { pages: 2 });
  await publishSeen(env, pages, 'u1');
  const leader = (await pages[0].evaluate(() => window.heraldLeading('main'))) ? pages[0] : pages[1];
  const follower = pages.find((p) => p !== leader);

  await leader.evaluate(() => window.setVisibility('hidden'));
  // Nothing may happen: waiting well past the grace shows the visible follower keeps the stream.
  await delay(1000);
  assert.equal(openStreams(env), 1, 'the stream closed although a tab sharing it is visible');
  await publishSeen(env, pages, 'u2');

  await follower.evaluate(() => window.setVisibility('hidden'));
  await env.wait.until(() => openStreams(env) === 0 && pages.every((p) => p.seen.main.statuses.at(-1) === 'paused'), 'the stream to close with every tab hidden');
  await env.hub.publish('t', 'u3', { isPrivate: true });
  await follower.evaluate(() => window.setVisibility('visible'));
  await env.wait.until(() => pages.every((p) => p.seen.main.updates.some((u) => u.data === 'u3')), 'u3 in both tabs');

  for (const page of pages) {
    assert.deepEqual(page.seen.main.updates.map((u) => u.data), ['u1', 'u2', 'u3'], page.name);
  }
  assert.equal(env.server.maxOpen, 1);
  assert.equal(env.server.streams.length, 2);
  assert.deepEqual(env.pageErrors, []);
});
