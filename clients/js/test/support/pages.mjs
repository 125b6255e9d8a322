import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { launchChromium } from './chromium.mjs';
import { Hub, freePort, tempDir, waitable } from './hub.mjs';
import { startPageServer } from './proxy.mjs';

const here = dirname(fileURLToPath(import.meta.url));

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>herald-client</title></head>
<body><script type="module" src="/bundle.js"></script></body></html>`;

let bundled;
async function bundle() {
  bundled ??= build({ entryPoints: [join(here, '../browser/page.mjs')], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' })
    .then((result) => result.outputFiles[0].text);
  return bundled;
}

/**
 * The real hub behind the page server (one origin, every subscription request recorded in `server.streams`) and
 * headless Chromium with one browser context. `open()` adds a page running test/browser/page.mjs; what its
 * subscriptions report lands in `page.seen[name]` (`updates`, `statuses`, `errors`), and `wait` is notified on each.
 * `mintToken(pageName, subscriptionName)` answers the page's `window.mintToken`; `restartHub()` brings a stopped hub back.
 */
export async function startBrowserHub(t, { args = [], mintToken } = {}) {
  const dir = tempDir(t);
  const hubPort = await freePort();
  const hubArgs = ['--store', `sqlite:${join(dir, 'history.db')}`, ...args];
  const hub = await Hub.start(t, { port: hubPort, cwd: dir, args: hubArgs });
  const pagePort = await freePort();
  const server = await startPageServer(t, {
    port: pagePort,
    hubPort,
    files: {
      '/': { type: 'text/html; charset=utf-8', body: PAGE },
      '/bundle.js': { type: 'text/javascript; charset=utf-8', body: await bundle() },
    },
  });
  const browser = await launchChromium(t);
  const wait = waitable(30_000);
  server.onStream = () => wait.notify();
  const pageErrors = [];
  let count = 0;

  async function open() {
    const name = `page${count++}`;
    const page = count === 1 && browser.pages()[0] !== undefined ? browser.pages()[0] : await browser.newPage();
    page.name = name;
    page.seen = {};
    const of = (sub) => (page.seen[sub] ??= { updates: [], statuses: [], errors: [] });
    page.on('pageerror', (e) => pageErrors.push(`${name}: ${e}`));
    await page.exposeFunction('heraldEvent', (sub, kind, payload) => {
      const seen = of(sub);
      if (kind === 'update') seen.updates.push(payload);
      if (kind === 'status') seen.statuses.push(payload);
      if (kind === 'error') seen.errors.push(payload);
      wait.notify();
    });
    await page.exposeFunction('mintToken', (sub) => mintToken?.(name, sub));
    await page.goto(`http://127.0.0.1:${pagePort}/`);
    await page.waitForFunction(() => typeof window.startHerald === 'function');
    of('main');
    return page;
  }

  const env = { hub, server, browser, wait, open, pageErrors, origin: `http://127.0.0.1:${pagePort}` };
  /** Starts the hub again on the same port and store, after `env.hub.stop()`. */
  env.restartHub = async () => {
    env.hub = await Hub.start(t, { port: hubPort, cwd: dir, args: hubArgs });
    return env.hub;
  };
  return env;
}

/** Publishes `t`-topic private updates `n0`, `n1`… every `everyMs` until `stop()`, which resolves with what was published. */
export function publishContinuously(hub, { topic = 't', everyMs = 50 } = {}) {
  const published = [];
  let stopped = false;
  let failure;
  const loop = (async () => {
    while (!stopped) {
      const started = Date.now();
      const data = `n${published.length}`;
      try {
        await hub.publish(topic, data, { isPrivate: true });
        published.push(data);
      } catch (error) {
        failure = error;
        return;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, everyMs - (Date.now() - started))));
    }
  })();
  return {
    published,
    async stop() {
      stopped = true;
      await loop;
      if (failure !== undefined) throw failure;
      return published;
    },
  };
}
