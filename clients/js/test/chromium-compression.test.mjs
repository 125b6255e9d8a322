// A gzip stream (`herald serve --compression`) in real headless Chromium: the browser's own EventSource receives each
// event before the next is published, so compression never holds events back. (Chromium does not check the gzip
// trailer; the .NET tests check it with GZipStream and curl --compressed.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchChromium } from './support/chromium.mjs';
import { Hub, freePort, tempDir, waitable } from './support/hub.mjs';
import { startPageServer } from './support/proxy.mjs';


const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>herald gzip</title></head><body><script>
const events = new EventSource('/.well-known/mercure?topic=t');
events.onopen = () => window.heraldEvent('open', '');
events.onmessage = (e) => window.heraldEvent('update', e.data);
</script></body></html>`;

test('Chromium: a gzip stream delivers each event before the next is published', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const hubPort = await freePort();
  const hub = await Hub.start(t, { port: hubPort, cwd: dir, args: ['--store', 'memory', '--anonymous', '--compression'] });
  const pagePort = await freePort();
  await startPageServer(t, { port: pagePort, hubPort, files: { '/': { type: 'text/html; charset=utf-8', body: PAGE } } });

  const browser = await launchChromium(t);

  const wait = waitable(30_000);
  const seen = [];
  let opened = false;
  let encoding;
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.on('response', (response) => {
    if (response.url().includes('/.well-known/mercure')) encoding = response.headers()['content-encoding'];
  });
  await page.exposeFunction('heraldEvent', (kind, data) => {
    if (kind === 'open') opened = true;
    if (kind === 'update') seen.push(data);
    wait.notify();
  });
  await page.goto(`http://127.0.0.1:${pagePort}/`);
  await wait.until(() => opened, 'the stream to open');

  const bundle = JSON.stringify({ bots: Array.from({ length: 2000 }, (_, i) => ({ id: i, status: i % 3 ? 'running' : 'idle' })) });
  const published = ['first', bundle, 'ünïcode', 'last'];
  for (const [i, data] of published.entries()) {
    await hub.publish('t', data);
    // Each one must arrive on its own: a buffering compressor would hold it until more bytes came.
    await wait.until(() => seen.length === i + 1, `update ${i + 1} before the next is published (got ${seen.length})`);
  }

  assert.equal(encoding, 'gzip');
  assert.deepEqual(seen, published);
});
