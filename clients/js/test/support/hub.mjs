import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const KEY = 'js-client-test-key-that-is-long-enough-for-hs256!';
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The built CLI: HERALD_CLI_DLL, else where `dotnet build` puts it. */
export function cliDll() {
  const dll = process.env.HERALD_CLI_DLL ?? join(repo, 'src/Herald.Cli/bin/Debug/net10.0/Herald.Cli.dll');
  if (!existsSync(dll)) {
    throw new Error(`${dll} not found: run "dotnet build" at the repository root first (or set HERALD_CLI_DLL)`);
  }
  return dll;
}

/** A port free right now on 127.0.0.1, kept by the test so a restarted hub comes back at the same address. */
export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

export function tempDir(t) {
  const dir = mkdtempSync(join(tmpdir(), 'herald-js-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const base64url = (value) => Buffer.from(value).toString('base64url');

/** An HS256 JWT with a `mercure` claim, signed with node:crypto. */
export function token(mercure, { key = KEY, exp } = {}) {
  const payload = { mercure };
  if (exp !== undefined) payload.exp = exp;
  const input = `${base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${base64url(JSON.stringify(payload))}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

export const subscriberToken = (topics = ['*']) => token({ subscribe: topics });
export const publisherToken = (topics = ['*']) => token({ publish: topics });

const running = new Set();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A real `herald serve` process on 127.0.0.1:port. */
export class Hub {
  constructor(child, port) {
    this.child = child;
    this.port = port;
    this.origin = `http://127.0.0.1:${port}`;
    this.url = `${this.origin}/.well-known/mercure`;
    this.exited = new Promise((r) => child.once('exit', r));
  }

  /**
   * Starts the hub and resolves once it prints "Herald listening on". `cwd` holds the default SQLite file;
   * `args` are extra flags (--store, --history-max-count, --anonymous…).
   */
  static async start(t, { port, cwd, args = [] }) {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('HERALD_') && !k.startsWith('ASPNETCORE_') && k !== 'PORT'));
    const child = spawn('dotnet', [cliDll(), 'serve', '--listen', `127.0.0.1:${port}`, '--jwt-key', KEY, ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    const hub = new Hub(child, port);
    t.after(() => hub.stop());
    let output = '';
    await new Promise((resolveStart, reject) => {
      const timer = setTimeout(() => reject(new Error(`the hub did not start within 30 s:\n${output}`)), 30_000);
      const onData = (chunk) => {
        output += chunk;
        hub.output = output;
        if (output.includes('Herald listening on')) {
          clearTimeout(timer);
          resolveStart();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', (chunk) => { output += chunk; hub.output = output; });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the hub exited with ${code} before listening:\n${output}`));
      });
    });
    return hub;
  }

  /** Graceful stop (SIGTERM: streams get a randomized retry), SIGKILL after 10 s. */
  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      running.delete(this.child);
      return;
    }
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await this.exited;
    clearTimeout(timer);
    running.delete(this.child);
  }

  /** Publishes a form-encoded update; resolves with the id the hub answered. */
  async publish(topic, data, { id, type, isPrivate, retry, retain } = {}) {
    const form = new URLSearchParams({ topic, data });
    if (retry !== undefined) form.set('retry', String(retry));
    if (retain) form.set('retain', 'on');
    if (id !== undefined) form.set('id', id);
    if (type !== undefined) form.set('type', type);
    if (isPrivate) form.set('private', 'on');
    const response = await fetch(this.url, { method: 'POST', headers: { Authorization: `Bearer ${publisherToken()}` }, body: form });
    const body = await response.text();
    if (!response.ok) {
      throw new Error(`publish failed: ${response.status} ${body}`);
    }
    return body.trim();
  }
}

/** Resolves when `predicate()` holds, checked whenever `notify` is called; rejects after `ms`. */
export function waitable(ms = 20_000) {
  let waiters = [];
  return {
    notify() {
      waiters = waiters.filter((w) => {
        if (w.predicate()) {
          clearTimeout(w.timer);
          w.resolve();
          return false;
        }
        return true;
      });
    },
    until(predicate, what) {
      if (predicate()) return Promise.resolve();
      return new Promise((resolveWait, reject) => {
        const waiter = { predicate, resolve: resolveWait };
        waiter.timer = setTimeout(() => {
          waiters = waiters.filter((w) => w !== waiter);
          reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
        }, ms);
        waiters.push(waiter);
      });
    },
  };
}
