// Real headless Chromium (Debian's /usr/bin/chromium) driven by playwright-core, against the real hub process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchChromium } from './support/chromium.mjs';
import { Hub, freePort, subscriberToken, tempDir, waitable } from './support/hub.mjs';
import { startPageServer } from './support/proxy.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>herald-client</title></head>
<body><script type="module" src="/bundle.js"></script></body></html>`;

async function bundle() {
  const result = await build({ entryPoints: [join(here, 'browser/page.mjs')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' });
  return result.outputFiles[0].text;
}

test('Chromium: fetch (token header) and EventSource (cookie) receive updates and survive a hub restart', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const hubPort = await freePort();
  const args = ['--store', `sqlite:${join(dir, 'history.db')}`, '--heartbeat', '2s'];
  let hub = await Hub.start(t, { port: hubPort, cwd: dir, args });
  const pagePort = await freePort();
  await startPageServer(t, {
    port: pagePort,
    hubPort,
    files: {
      '/': { type: 'text/html; charset=utf-8', body: PAGE },
      '/bundle.js': { type: 'text/javascript; charset=utf-8', body: await bundle() },
    },
  });

  const browser = await launchChromium(t);

  const wait = waitable(30_000);
  const seen = { fetch: [], eventsource: [] };
  const statuses = { fetch: [], eventsource: [] };
  const errors = [];
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.exposeFunction('heraldEvent', (name, kind, payload) => {
    if (kind === 'update') seen[name].push(payload);
    if (kind === 'status') statuses[name].push(payload);
    wait.notify();
  });
  await page.goto(`http://127.0.0.1:${pagePort}/`);
  await page.waitForFunction(() => typeof window.startHerald === 'function');

  const start = await hub.publish('t', 'start');
  const token = subscriberToken(['t']);
  // The cookie the hub reads for EventSource, which cannot send headers; same origin as the page.
  await page.evaluate((jwt) => { document.cookie = `mercureAuthorization=${jwt}; path=/; SameSite=Strict`; }, token);
  await page.evaluate(([jwt, lastEventId]) => {
    window.startHerald('fetch', { topics: ['t'], transport: 'fetch', token: jwt, lastEventId, heartbeatMs: 2000 });
    window.startHerald('eventsource', { topics: ['t'], transport: 'eventsource', lastEventId });
  }, [token, start]);

  const published = [];
  const publish = async (data) => { await hub.publish('t', data, { isPrivate: true }); published.push(data); };
  const bothHave = (n) => wait.until(() => seen.fetch.length >= n && seen.eventsource.length >= n, `${n} updates on both (fetch ${seen.fetch.length}, eventsource ${seen.eventsource.length})`);

  for (let i = 1; i <= 3; i++) await publish(`u${i}`);
  await bothHave(3);

  await hub.stop();
  await wait.until(() => statuses.fetch.includes('reconnecting') && statuses.eventsource.includes('reconnecting'), 'both to notice the restart');
  hub = await Hub.start(t, { port: hubPort, cwd: dir, args });
  for (let i = 4; i <= 6; i++) await publish(`u${i}`);
  await bothHave(6);
  await wait.until(() => statuses.fetch.at(-1) === 'open' && statuses.eventsource.at(-1) === 'open', 'both streams open again');
  await publish('u7');
  await bothHave(7);

  for (const name of ['fetch', 'eventsource']) {
    assert.deepEqual(seen[name].map((u) => u.data), published, `${name} lost, repeated or reordered updates`);
  }
  assert.deepEqual(errors, []);
  await page.evaluate(() => window.closeHerald());
});
