// Tokens that expire while the page streams: the hub announces the close (herald.token-expiring, half the token's
// remaining lifetime before exp here) and the client renews its credential and resumes before exp. Real hub, real
// headless Chromium; the page server in front of the hub records every subscription request it forwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { token } from './support/hub.mjs';
import { publishContinuously, startBrowserHub } from './support/pages.mjs';

const RENEWALS = 5;

/** A subscriber token living 3 s (exp is whole seconds: 2 to 3 s from now); its exp (ms) is added to `expiries`. */
function shortLivedToken(expiries) {
  const exp = Math.floor(Date.now() / 1000) + 3;
  expiries.push(exp * 1000);
  return token({ subscribe: ['t'] }, { exp });
}

async function renewAcrossExpiries(t, options, credential) {
  const expiries = [];
  const env = await startBrowserHub(t, { args: ['--heartbeat', '2s'], mintToken: () => shortLivedToken(expiries) });
  const page = await env.open();
  const seen = page.seen.main;
  const start = await env.hub.publish('t', 'start', { isPrivate: true });
  await page.evaluate(([opts, lastEventId]) => window.startHerald('main', { ...opts, topics: ['t'], lastEventId, heartbeatMs: 2000 }), [options, start]);
  await env.wait.until(() => seen.statuses.includes('open'), 'the first stream to open');

  // 20 updates a second until five renewals have been made and the fifth token has expired.
  const publisher = publishContinuously(env.hub, { everyMs: 50 });
  await env.wait.until(() => env.server.streams.length > RENEWALS && Date.now() > expiries[RENEWALS - 1], `${RENEWALS} renewals and expiries (streams so far: ${env.server.streams.length})`);
  const published = await publisher.stop();
  await env.wait.until(() => seen.updates.length >= published.length, `every update (${seen.updates.length} of ${published.length})`);

  const data = seen.updates.map((u) => u.data);
  assert.equal(new Set(data).size, data.length, 'an update was delivered twice');
  assert.deepEqual(data, published, 'updates were lost or reordered');
  assert.ok(published.length >= 50, `only ${published.length} updates published`);
  // Closed before the requests are judged: a renewal may have just begun a request the hub has not answered yet.
  await page.evaluate(() => window.closeHerald());
  await env.wait.until(() => env.server.streams.every((s) => !s.open), 'every stream to end');
  const streams = env.server.streams;
  assert.deepEqual(streams.filter((s) => !s[credential]), [], `the hub saw a subscription request without the ${credential}`);
  assert.deepEqual(streams.slice(0, -1).map((s) => s.status), streams.slice(0, -1).map(() => 200), 'a subscription request was refused');
  const last = streams.at(-1);
  assert.ok(last.status === 200 || (last.status === undefined && last.endedBy === 'client'), `the last request was answered ${last.status}`);
  // Each stream was replaced by the client before the hub closed it at exp: renewed on the notice, not after the cut.
  assert.deepEqual(streams.slice(0, -1).map((s) => s.endedBy), streams.slice(0, -1).map(() => 'client'));
  assert.equal(seen.statuses.filter((s) => s === 'reconnecting').length, 0, 'a renewal went through a reconnect');
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(env.pageErrors, []);
}

test('Chromium: fetch with a token function renews 3 s tokens on the hub\'s notice, five times while 20 updates/s are published: 0 lost, 0 duplicated, every request with a token', { timeout: 90_000 }, async (t) => {
  await renewAcrossExpiries(t, { transport: 'fetch', mintToken: true }, 'token');
});

test('Chromium: EventSource with a cookie the page refreshes (renewCookie) resumes on the hub\'s notice, five times while 20 updates/s are published: 0 lost, 0 duplicated, every request with the cookie', { timeout: 90_000 }, async (t) => {
  await renewAcrossExpiries(t, { transport: 'eventsource', mintCookie: true }, 'cookie');
});
