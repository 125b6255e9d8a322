// Mercure 1.0 subscriptions (`protocol: 'v1'`) against the real hub serving both dialects (`herald serve --protocol both`),
// next to 0.x publishers: Herald's own form posts in Node, Debian's symfony/mercure publisher (PHP) under Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { EventSource } from 'eventsource';
import { subscribe } from '../dist/index.js';
import { Hub, freePort, publisherToken, subscriberToken, tempDir, waitable } from './support/hub.mjs';
import { startBrowserHub } from './support/pages.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const symfonyScript = join(here, '..', '..', '..', 'tests', 'Herald.Tests', 'Interop', 'symfony-publish.php');

/**
 * `herald serve` flags for a hub serving both dialects: a 1.0 hub needs its resource identifier and an issuer of
 * 1.0 access tokens (a config file: they have no flags); 0.x tokens signed with the test key keep working beside.
 */
function bothDialects(dir) {
  const config = join(dir, 'v1.json');
  const issuerKey = 'js-issuer-key-that-is-long-enough-for-hs256-signing!';
  writeFileSync(config, JSON.stringify({
    Herald: {
      Resource: 'https://hub.example.com/.well-known/mercure',
      Issuers: [{ Id: 'https://auth.example.com', PublisherKeys: [{ Key: issuerKey }], SubscriberKeys: [{ Key: issuerKey }] }],
    },
  }));
  return ['--protocol', 'both', '--config', config];
}

/** Subscribes, recording what the client reports and every URL it requests. */
function follow(t, hubUrl, options) {
  const wait = waitable();
  const seen = { updates: [], errors: [], urls: [] };
  const recordingFetch = (url, init) => { seen.urls.push(String(url)); return fetch(url, init); };
  class RecordingEventSource extends EventSource {
    constructor(url, init) { super(url, init); seen.urls.push(String(url)); }
  }
  const sub = subscribe(hubUrl, {
    random: () => Math.random() * 0.2,
    fetch: recordingFetch,
    EventSource: RecordingEventSource,
    ...options,
    onUpdate: (u) => { seen.updates.push(u); wait.notify(); },
    onStatus: () => wait.notify(),
    onError: (e) => { seen.errors.push(e); wait.notify(); },
  });
  t.after(() => sub.close());
  return { sub, seen, until: (predicate, what) => wait.until(predicate, what) };
}

const transports = [
  { transport: 'fetch', auth: () => ({ token: subscriberToken() }) },
  { transport: 'eventsource', auth: () => ({}) },
  { transport: 'poll', auth: () => ({ token: subscriberToken() }) },
];

for (const { transport, auth } of transports) {
  test(`${transport}: protocol v1 subscribes with 1.0 matchers and receives a 0.x publisher's updates`, async (t) => {
    const dir = tempDir(t);
    const hub = await Hub.start(t, { port: await freePort(), cwd: dir, args: ['--store', 'memory', '--anonymous', ...bothDialects(dir)] });
    const start = await hub.publish('https://example.com/books/0', 'start');
    const client = follow(t, hub.url, { topics: ['https://example.com/books/:id'], protocol: 'v1', matchType: 'URLPattern', transport, lastEventId: start, ...auth() });

    await hub.publish('https://example.com/books/1', 'one');
    await hub.publish('https://example.com/authors/1', 'not matched');
    await hub.publish('https://example.com/books/2', 'two');
    await client.until(() => client.seen.updates.length >= 2, 'two updates');

    assert.deepEqual(client.seen.updates.map((u) => u.data), ['one', 'two']);
    const url = new URL(client.seen.urls[0]);
    assert.deepEqual(url.searchParams.getAll('matchURLPattern'), ['https://example.com/books/:id']);
    assert.equal(url.searchParams.has('topic'), false);
    assert.equal(url.searchParams.get('lastEventID') ?? start, start);
  });
}

test('protocol v1 with exact matchers sends the bare match parameter, and a hub that speaks only 0.x refuses it for good', async (t) => {
  const dir = tempDir(t);
  const both = await Hub.start(t, { port: await freePort(), cwd: dir, args: ['--store', 'memory', ...bothDialects(dir)] });
  const start = await both.publish('books/{id}', 'start');
  const exact = follow(t, both.url, { topics: ['books/{id}'], protocol: 'v1', transport: 'fetch', token: subscriberToken(), lastEventId: start });
  await both.publish('books/1', 'a 0.x template would match this');
  await both.publish('books/{id}', 'the literal topic');
  await exact.until(() => exact.seen.updates.length >= 1, 'one update');
  assert.deepEqual(exact.seen.updates.map((u) => u.data), ['the literal topic']);
  assert.deepEqual(new URL(exact.seen.urls[0]).searchParams.getAll('match'), ['books/{id}']);

  const legacy = await Hub.start(t, { port: await freePort(), cwd: tempDir(t), args: ['--store', 'memory'] });
  const refused = follow(t, legacy.url, { topics: ['t'], protocol: 'v1', transport: 'fetch', token: subscriberToken() });
  await refused.until(() => refused.sub.status === 'closed', 'the subscription to close');
  const error = refused.seen.errors.at(-1);
  assert.equal(error.status, 400);
  assert.equal(error.fatal, true);
  assert.match(error.message, /Mercure 0\.x only/);
});

test('matchType without protocol v1, or an unknown protocol, is a TypeError at once', () => {
  assert.throws(() => subscribe('http://127.0.0.1:1/.well-known/mercure', { topics: ['t'], matchType: 'URLPattern' }), /protocol: 'v1'/);
  assert.throws(() => subscribe('http://127.0.0.1:1/.well-known/mercure', { topics: ['t'], protocol: 'V1' }), /'legacy' or 'v1'/);
  assert.throws(() => subscribe('http://127.0.0.1:1/.well-known/mercure', { topics: ['t'], protocol: 'v1', matchType: 'urlpattern' }), /'Exact' or 'URLPattern'/);
});

test('Chromium: a 1.0 EventSource subscriber with the cookie receives what Debian\'s symfony/mercure 0.x publisher sends', { timeout: 120_000 }, async (t) => {
  const env = await startBrowserHub(t, { args: bothDialects(tempDir(t)) });
  const page = await env.open();
  const start = await env.hub.publish('https://example.com/books/0', 'start');
  await page.evaluate((jwt) => { document.cookie = `mercureAuthorization=${jwt}; path=/; SameSite=Strict`; }, subscriberToken(['https://example.com/books/{id}']));
  await page.evaluate((lastEventId) => window.startHerald('main', {
    topics: ['https://example.com/books/:id'], protocol: 'v1', matchType: 'URLPattern', transport: 'eventsource', lastEventId,
  }), start);

  const updates = JSON.stringify([
    { topics: ['https://example.com/books/1'], data: 'public from symfony' },
    { topics: ['urn:isbn:1', 'https://example.com/books/2'], data: 'private from symfony', private: true, id: 'urn:uuid:6b1f7c3e-1d2a-4c5b-9e8f-0a1b2c3d4e5f', type: 'book.updated' },
  ]);
  const { stdout } = await promisify(execFile)('php', [symfonyScript, env.hub.url, publisherToken(), updates]);
  assert.doesNotMatch(stdout, /refused/);

  const seen = page.seen.main;
  await env.wait.until(() => seen.updates.length >= 1, 'the public update');
  assert.deepEqual(seen.updates[0], { id: stdout.split('\n')[0], type: 'message', data: 'public from symfony' });

  // A typed update reaches only subscriptions that ask for its type: resubscribe asking for it, resuming from the start.
  await page.evaluate((lastEventId) => {
    window.closeHerald();
    window.startHerald('typed', { topics: ['https://example.com/books/:id'], protocol: 'v1', matchType: 'URLPattern', transport: 'eventsource', types: ['book.updated'], lastEventId });
  }, start);
  await env.wait.until(() => (page.seen.typed?.updates.length ?? 0) >= 2, 'both updates');
  assert.deepEqual(page.seen.typed.updates.map((u) => [u.id, u.type, u.data]), [
    [stdout.split('\n')[0], 'message', 'public from symfony'],
    ['urn:uuid:6b1f7c3e-1d2a-4c5b-9e8f-0a1b2c3d4e5f', 'book.updated', 'private from symfony'],
  ]);
  assert.deepEqual(env.pageErrors, []);
});
