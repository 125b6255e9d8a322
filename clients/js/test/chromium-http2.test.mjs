// Ten tabs of one origin on one hub, in real headless Chromium: over HTTP/1.1 the browser opens at most six
// connections per origin, so only six tabs receive updates; over TLS with HTTP/2 every stream shares one connection
// and all ten do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './support/chromium.mjs';
import { request } from 'node:https';
import { Hub, freePort, publisherToken, tempDir, waitable } from './support/hub.mjs';
import { startPageServer } from './support/proxy.mjs';

const TABS = 10;

async function tabsReceiving(t, { tls }) {
  const dir = tempDir(t);
  const hubPort = await freePort();
  const pagePort = await freePort();
  const pageOrigin = `http://127.0.0.1:${pagePort}`;
  const hubOrigin = `${tls ? 'https' : 'http'}://127.0.0.1:${hubPort}`;
  const args = ['--store', 'memory', '--anonymous', '--cors-origins', pageOrigin, ...(tls ? ['--tls-self-signed'] : [])];
  const hub = await Hub.start(t, { port: hubPort, cwd: dir, args });
  const page = `<!doctype html><meta charset="utf-8"><title>tab</title><script>
const events = new EventSource('${hubOrigin}/.well-known/mercure?topic=t');
events.onopen = () => window.heraldEvent(location.hash, 'open', '');
events.onmessage = (e) => window.heraldEvent(location.hash, 'update', e.data);
</script>`;
  await startPageServer(t, { port: pagePort, hubPort, files: { '/': { type: 'text/html; charset=utf-8', body: page } } });

  const browser = await launchChromium(t, { ignoreHTTPSErrors: true });

  const wait = waitable(30_000);
  const opened = new Set();
  const received = new Map();
  await browser.exposeFunction('heraldEvent', (tab, kind, data) => {
    if (kind === 'open') opened.add(tab);
    if (kind === 'update') received.set(tab, [...(received.get(tab) ?? []), data]);
    wait.notify();
  });
  for (let i = 0; i < TABS; i++) {
    const tab = (await browser.newPage());
    await tab.goto(`${pageOrigin}/#tab${i}`);
  }

  // Over HTTP/1.1 the seventh tab's stream waits for a free connection that never comes: wait for six, or for all.
  const expected = tls ? TABS : 6;
  await wait.until(() => opened.size >= expected, `${expected} streams open (got ${opened.size})`);
  const publish = tls ? (data) => publishOverTls(hubPort, data) : (data) => hub.publish('t', data);
  await publish('first');
  await publish('second');
  await wait.until(() => [...received.values()].filter((u) => u.length === 2).length >= expected, `${expected} tabs with both updates`);
  return { opened: opened.size, complete: [...received.values()].filter((u) => u.join() === 'first,second').length };
}

/** Publishes to the TLS hub, whose certificate is self-signed (the browser side ignores it too). */
function publishOverTls(port, data) {
  const body = new URLSearchParams({ topic: 't', data }).toString();
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, method: 'POST', path: '/.well-known/mercure', rejectUnauthorized: false,
      headers: { Authorization: `Bearer ${publisherToken()}`, 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body) },
    }, (res) => {
      let text = '';
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => (res.statusCode === 200 ? resolve(text) : reject(new Error(`publish failed: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('Chromium: over TLS with HTTP/2, ten tabs of one origin all receive every update', { timeout: 120_000 }, async (t) => {
  const { opened, complete } = await tabsReceiving(t, { tls: true });
  assert.equal(opened, TABS);
  assert.equal(complete, TABS);
});

test('Chromium: over HTTP/1.1, only six of ten tabs of one origin can hold a stream', { timeout: 120_000 }, async (t) => {
  const { opened, complete } = await tabsReceiving(t, { tls: false });
  assert.equal(opened, 6);
  assert.equal(complete, 6);
});
