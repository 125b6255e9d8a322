// Deltas in real headless Chromium, with the client the hub serves (`/.well-known/mercure/client.js`): currentValue
// asks for them on its fetch transport and hands the page, update after update, exactly the documents published.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './support/chromium.mjs';
import { bundles } from './support/bundles.mjs';
import { Hub, freePort, tempDir, waitable } from './support/hub.mjs';
import { startPageServer } from './support/proxy.mjs';

test('Chromium: currentValue rebuilds a 1,700-object array from deltas exactly', { timeout: 120_000 }, async (t) => {
  const hubPort = await freePort();
  const pagePort = await freePort();
  const pageOrigin = `http://127.0.0.1:${pagePort}`;
  const hub = await Hub.start(t, { port: hubPort, cwd: tempDir(t), args: ['--store', 'memory', '--anonymous', '--cors-origins', pageOrigin] });
  const page = `<!doctype html><meta charset="utf-8"><title>deltas</title>
<script type="module">
import { currentValue } from '${hub.origin}/.well-known/mercure/client.js';
currentValue('${hub.url}', 'bots', { transport: 'fetch', onChange: (value, update) => window.heraldEvent(update.id, JSON.stringify(value)) });
</script>`;
  await startPageServer(t, { port: pagePort, hubPort, files: { '/': { type: 'text/html; charset=utf-8', body: page } } });
  const next = bundles({ keyed: false });
  const published = new Map();
  const publish = async (id) => {
    published.set(id, next());
    await hub.publish('bots', published.get(id), { retain: true, id });
  };
  await publish('v0');

  const browser = await launchChromium(t);
  const wait = waitable(30_000);
  const seen = new Map();
  const errors = [];
  const streams = [];
  const tab = browser.pages()[0] ?? (await browser.newPage());
  tab.on('pageerror', (e) => errors.push(String(e)));
  tab.on('request', (request) => { if (request.method() === 'GET' && request.url().startsWith(hub.url)) streams.push(request.url()); });
  await tab.exposeFunction('heraldEvent', (id, json) => {
    seen.set(id, json);
    wait.notify();
  });
  await tab.goto(`${pageOrigin}/`);
  await wait.until(() => seen.has('v0'), `the first value (errors: ${errors.join('; ')})`);
  for (let i = 1; i <= 5; i++) {
    await publish(`v${i}`);
    await wait.until(() => seen.has(`v${i}`), `v${i}`);
  }
  for (const [id, json] of seen) {
    assert.deepEqual(JSON.parse(json), JSON.parse(published.get(id)), id);
  }
  assert.ok(streams.some((url) => url.includes('herald-delta=json-patch%2Cmerge-patch')), streams.join(', '));
  assert.deepEqual(errors, []);
});
