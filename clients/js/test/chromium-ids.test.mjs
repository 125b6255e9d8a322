// Non-ASCII ids (IRIs) in real headless Chromium: EventSource's own reconnect sends the last id's UTF-8 bytes in
// Last-Event-ID, and the hub must answer 200 and resume after it (it answered 500 while it could not write the id back).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchChromium } from './support/chromium.mjs';
import { Hub, freePort, subscriberToken, tempDir, waitable } from './support/hub.mjs';
import { startPageServer } from './support/proxy.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>herald ids</title></head>
<body><script type="module" src="/bundle.js"></script></body></html>`;

async function bundle() {
  const result = await build({ entryPoints: [join(here, 'browser/page.mjs')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' });
  return result.outputFiles[0].text;
}

test('Chromium: EventSource and the fetch transport resume from non-ASCII ids across a hub restart', { timeout: 120_000 }, async (t) => {
  const dir = tempDir(t);
  const hubPort = await freePort();
  const pagePort = await freePort();
  const pageOrigin = `http://127.0.0.1:${pagePort}`;
  // The native EventSource goes to the hub directly (CORS), so while the hub is down its reconnects meet a refused
  // connection, which EventSource retries, rather than the page server's 502, which would end it for good.
  const args = ['--store', `sqlite:${join(dir, 'history.db')}`, '--heartbeat', '2s', '--cors-origins', pageOrigin];
  let hub = await Hub.start(t, { port: hubPort, cwd: dir, args });
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
  const seen = { native: [], fetch: [] };
  const statuses = { native: [], fetch: [] };
  const errors = [];
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.exposeFunction('heraldEvent', (name, kind, payload) => {
    if (kind === 'update') seen[name].push(payload);
    if (kind === 'status') statuses[name].push(payload);
    // Errors while the hub restarts (502 from the page server, 503 while it stops) are expected; a gap is not: it would
    // mean the hub no longer recognised the non-ASCII id the client resumed from.
    if (kind === 'gap') errors.push(`${name} reported a gap`);
    wait.notify();
  });
  await page.goto(`${pageOrigin}/`);
  await page.waitForFunction(() => typeof window.startHerald === 'function');

  const token = subscriberToken(['t']);
  await page.evaluate(([hubUrl, jwt]) => {
    // The browser's own EventSource, with its own reconnect: nothing of herald-client involved.
    const url = new URL(hubUrl);
    url.searchParams.append('topic', 't');
    url.searchParams.append('authorization', jwt);
    const source = new EventSource(url);
    window.nativeSource = source;
    source.onopen = () => window.heraldEvent('native', 'status', 'open');
    source.onerror = () => window.heraldEvent('native', 'status', source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
    source.onmessage = (e) => window.heraldEvent('native', 'update', { id: e.lastEventId, data: e.data });
    window.startHerald('fetch', { topics: ['t'], transport: 'fetch', token: jwt, heartbeatMs: 2000 });
  }, [hub.url, token]);
  await wait.until(() => statuses.native.includes('open') && statuses.fetch.includes('open'), 'both streams to open');

  const published = [];
  const publish = async (data, id) => { await hub.publish('t', data, { id, isPrivate: true }); published.push({ id, data }); };
  const bothHave = (n) => wait.until(() => seen.native.length >= n && seen.fetch.length >= n, `${n} updates on both (native ${seen.native.length}, fetch ${seen.fetch.length})`);

  await publish('u1', 'é-1');
  await publish('u2', 'é-2');
  await bothHave(2);

  await hub.stop();
  await wait.until(() => statuses.native.includes('reconnecting') && statuses.fetch.includes('reconnecting'), 'both to notice the restart');
  hub = await Hub.start(t, { port: hubPort, cwd: dir, args });
  // Published before either has reconnected (the shutdown's retry is at least 1 s): they get it by resuming after é-2.
  await publish('u3', '日本-3');
  await publish('u4', '📚-4');
  await bothHave(4);
  await publish('u5', 'ü-5');
  await bothHave(5);

  for (const name of ['native', 'fetch']) {
    assert.deepEqual(seen[name].map(({ id, data }) => ({ id, data })), published, `${name} lost, repeated, reordered or garbled updates`);
  }
  assert.ok(!statuses.native.includes('closed'), `the native EventSource gave up (the hub refused its reconnect): ${statuses.native.join(', ')}`);
  assert.deepEqual(errors, []);
  await page.evaluate(() => {
    window.nativeSource.close();
    window.closeHerald();
  });
});
