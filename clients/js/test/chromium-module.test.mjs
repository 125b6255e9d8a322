// The JS client with no bundler, in real headless Chromium: a page on another origin imports it from the hub
// (`/.well-known/mercure/client.js`) and receives an update.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './support/chromium.mjs';
import { Hub, freePort, tempDir, waitable } from './support/hub.mjs';
import { startPageServer } from './support/proxy.mjs';


test('Chromium: a page imports the client from the hub by URL and receives updates', { timeout: 120_000 }, async (t) => {
  const hubPort = await freePort();
  const pagePort = await freePort();
  const pageOrigin = `http://127.0.0.1:${pagePort}`;
  const hub = await Hub.start(t, { port: hubPort, cwd: tempDir(t), args: ['--store', 'memory', '--anonymous', '--cors-origins', pageOrigin] });
  const page = `<!doctype html><meta charset="utf-8"><title>no bundler</title>
<script type="module">
import { subscribe } from '${hub.origin}/.well-known/mercure/client.js';
subscribe('${hub.url}', { topics: ['t'], onStatus: (s) => window.heraldEvent('status', s), onUpdate: (u) => window.heraldEvent('update', u.data) });
</script>`;
  await startPageServer(t, { port: pagePort, hubPort, files: { '/': { type: 'text/html; charset=utf-8', body: page } } });

  const browser = await launchChromium(t);

  const wait = waitable(30_000);
  const seen = [];
  const statuses = [];
  const errors = [];
  const tab = browser.pages()[0] ?? (await browser.newPage());
  tab.on('pageerror', (e) => errors.push(String(e)));
  await tab.exposeFunction('heraldEvent', (kind, value) => {
    (kind === 'update' ? seen : statuses).push(value);
    wait.notify();
  });
  await tab.goto(`${pageOrigin}/`);
  await wait.until(() => statuses.includes('open'), `the stream to open (statuses: ${statuses.join(', ')}; errors: ${errors.join('; ')})`);

  await hub.publish('t', 'no bundler needed');
  await wait.until(() => seen.length === 1, 'the update');
  assert.deepEqual(seen, ['no bundler needed']);
  assert.deepEqual(errors, []);
});
