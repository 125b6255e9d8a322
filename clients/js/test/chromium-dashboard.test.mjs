// The dashboard and debug console (`herald serve --ui`) in real headless Chromium: nothing but the token prompt without
// a token; with one, the hub's status, a publish through the console seen in the console's stream, and the counters
// moving with the next stats report. Screenshots at desktop and phone widths go to test-results/ (not in the repo).
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './support/chromium.mjs';
import { Hub, freePort, tempDir, token, subscriberToken } from './support/hub.mjs';

const results = join(dirname(fileURLToPath(import.meta.url)), '..', 'test-results');

test('Chromium: the dashboard shows the hub live and its console publishes and subscribes', { timeout: 120_000 }, async (t) => {
  const port = await freePort();
  const hub = await Hub.start(t, { port, cwd: tempDir(t), args: ['--store', 'memory', '--ui'] });
  const browser = await launchChromium(t);
  mkdirSync(results, { recursive: true });
  const consoleToken = token({ subscribe: ['*'], publish: ['*'] });

  for (const [name, width] of [['desktop', 1000], ['phone', 390]]) {
    const page = await browser.newPage();
    await page.setViewportSize({ width, height: 900 });
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${hub.url}/ui`);

    // Without a token: the prompt, and no figure of the hub.
    assert.equal(await page.isVisible('#token'), true);
    assert.equal(await page.isVisible('#board'), false);
    await page.fill('#token', 'not-a-token');
    await page.click('#token-form button');
    await page.waitForFunction(() => document.getElementById('login-error').textContent.startsWith('401'));
    assert.equal(await page.isVisible('#board'), false);

    await page.fill('#token', consoleToken);
    await page.click('#token-form button');
    await page.waitForSelector('#board:not([hidden])');
    assert.equal(await page.textContent('#status'), 'healthy');
    const before = Number(await page.$eval('#minute dd', (dd) => dd.textContent));

    await page.click('#subscribe-form button');
    await page.waitForFunction(() => document.getElementById('console-status').textContent === 'open');
    await page.fill('#pub-data', `{"from":"${name}"}`);
    await page.click('#publish-form button');
    await page.waitForFunction((from) => [...document.querySelectorAll('#updates li')].some((li) => li.textContent.includes(`{"from":"${from}"}`)), name);
    // The update can reach the console's stream before the publish's own answer is shown.
    await page.waitForFunction(() => document.getElementById('publish-result').textContent !== '');
    assert.match(await page.textContent('#publish-result'), /^published /);

    // A subscriber connecting and leaving shows in the subscriptions list (the API, then its events) and its count.
    const watched = `https://example.com/watched/${name}`;
    const leaving = new AbortController();
    const stream = await fetch(`${hub.url}?topic=${encodeURIComponent(watched)}`, { headers: { Authorization: `Bearer ${subscriberToken([])}` }, signal: leaving.signal });
    assert.equal(stream.status, 200);
    await page.waitForFunction((w) => document.getElementById('subscriptions').textContent.includes(w), watched);
    await page.fill('#subscriptions-filter', 'watched');
    await page.waitForFunction(() => document.querySelectorAll('#subscriptions tr').length === 1);
    assert.match(await page.textContent('#subscriptions-count'), /^\(1 of \d+\)$/);
    leaving.abort();
    await page.waitForFunction(() => document.querySelectorAll('#subscriptions tr').length === 0);
    await page.fill('#subscriptions-filter', '');
    assert.doesNotMatch(await page.textContent('#subscriptions'), /watched/);

    // The next report (every 5 s, pushed on the stats topic) counts the publish.
    await page.waitForFunction((n) => Number(document.querySelector('#minute dd').textContent) > n, before, { timeout: 15_000 });
    await page.screenshot({ path: join(results, `dashboard-${name}.png`), fullPage: true });
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test('Chromium: the dashboard turns critical when the Redis store stops', { timeout: 120_000 }, async (t) => {
  const redisPort = await freePort();
  const redis = spawn('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const redisExited = new Promise((r) => redis.once('exit', r));
  t.after(() => { redis.kill('SIGKILL'); });
  const hub = await Hub.start(t, { port: await freePort(), cwd: tempDir(t), args: ['--store', `redis://127.0.0.1:${redisPort}`, '--ui'] });
  const browser = await launchChromium(t);
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${hub.url}/ui`);
  await page.fill('#token', token({ subscribe: ['*'], publish: ['*'] }));
  await page.click('#token-form button');
  await page.waitForSelector('#board:not([hidden])');
  assert.equal(await page.textContent('#status'), 'healthy');

  redis.kill('SIGKILL');
  await redisExited;

  // The stats topic is node-local: the report still arrives and says why.
  await page.waitForFunction(() => document.getElementById('status').textContent === 'critical', null, { timeout: 20_000 });
  assert.match(await page.textContent('#reasons'), /Redis/);
  await page.screenshot({ path: join(results, 'dashboard-critical.png'), fullPage: true });
  assert.deepEqual(errors, []);
});

test('Chromium: the dashboard URL that --dev prints opens the board signed in, and the token leaves the address bar', { timeout: 120_000 }, async (t) => {
  const hub = await Hub.start(t, { port: await freePort(), cwd: tempDir(t), args: ['--dev'] });
  const dashboardLine = /^(http\S+\/ui#token=\S+)$/m;
  const printed = dashboardLine.exec(hub.output) ?? await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no dashboard URL in:\n${hub.output}`)), 10_000);
    hub.child.stdout.on('data', () => {
      const match = dashboardLine.exec(hub.output);
      if (match) { clearTimeout(timer); resolve(match); }
    });
  });
  const browser = await launchChromium(t);
  const page = await browser.newPage();
  await page.goto(printed[1]);
  await page.waitForSelector('#board:not([hidden])');
  assert.equal(await page.textContent('#status'), 'healthy');
  assert.doesNotMatch(page.url(), /token/);
  await page.waitForFunction(() => document.getElementById('subscriptions-note').textContent === 'live');
});
