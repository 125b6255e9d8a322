#!/usr/bin/env node
// Start time of `herald serve`: spawn -> the first subscriber's SSE response headers, over N starts.
// Usage: node bench/start-time/start-time.mjs [--runs 15] [--trace] [--] BINARY [extra serve args...]
// Only 127.0.0.1; each start is bounded (10 s), the run count is capped (100); every child is stopped (SIGTERM) and awaited.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { performance } from 'node:perf_hooks';

const args = process.argv.slice(2);
let runs = 15;
let trace = false;
while (args.length && args[0].startsWith('--')) {
  const flag = args.shift();
  if (flag === '--runs') {
    const value = args.shift();
    runs = Number(value);
    if (!Number.isInteger(runs) || runs < 1 || runs > 100) {
      console.error(`--runs takes a whole number from 1 to 100, not "${value ?? ''}"`);
      process.exit(2);
    }
  }
  else if (flag === '--trace') trace = true;
  else if (flag === '--') break;
  else { console.error(`unknown flag ${flag}`); process.exit(2); }
}
if (args.length === 0) {
  console.error('usage: start-time.mjs [--runs N] [--trace] [--] BINARY [extra serve args...]');
  process.exit(2);
}
const [binary, ...extra] = args;
try {
  fs.accessSync(binary, fs.constants.X_OK);
} catch {
  console.error(`${binary}: no such executable (build it first: dotnet publish src/Herald.Cli -c Release -r linux-x64 -p:PublishAot=true -o out)`);
  process.exit(2);
}
const startTimeoutMs = 10_000;
const request = 'GET /.well-known/mercure?topic=x HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n';

// A port free now (the OS picks it), so the client knows where to knock before the child prints anything.
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
  });
}

// One attempt: connect, send the subscribe request, resolve with the status line once the headers end;
// reject on refusal or a close before the headers.
function attempt(port) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let buffer = '';
    socket.setNoDelay(true);
    socket.once('connect', () => socket.write(request));
    socket.on('data', chunk => {
      buffer += chunk.toString('latin1');
      const end = buffer.indexOf('\r\n\r\n');
      if (end >= 0) { socket.destroy(); resolve(buffer.slice(0, end)); }
    });
    socket.once('error', reject);
    socket.once('close', () => reject(new Error('closed before the headers')));
  });
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

// CPU the child has run so far, all its threads, in ms (Linux schedstat: ns on CPU). Wall time on a shared machine is
// mostly waiting for a core; this is the work itself, and moves far less with the load.
function cpuMs(pid) {
  let ns = 0;
  try {
    for (const task of fs.readdirSync(`/proc/${pid}/task`)) {
      ns += Number(fs.readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
    }
  } catch { return NaN; }
  return ns / 1e6;
}

async function once() {
  const port = await freePort();
  const env = { ...process.env };
  if (trace) env.HERALD_STARTUP_TRACE = '1';
  const spawnedAt = performance.timeOrigin + performance.now();
  const started = process.hrtime.bigint();
  const child = spawn(binary, ['serve', '--listen', `127.0.0.1:${port}`, '--store', 'memory', '--anonymous',
    '--jwt-key', 'change-me-to-a-secret-of-at-least-32-bytes', ...extra], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', d => { stderr += d; });
  const exited = new Promise(r => child.once('exit', (code, signal) => r({ code, signal })));
  let exitedEarly = false;
  exited.then(() => { exitedEarly = true; });
  let headers = null;
  while (!headers && !exitedEarly && Number(process.hrtime.bigint() - started) / 1e6 < startTimeoutMs) {
    try { headers = await attempt(port); } catch { await sleep(1); }
  }
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = cpuMs(child.pid);
  child.kill('SIGTERM');
  const exit = await Promise.race([exited, sleep(10_000).then(() => { child.kill('SIGKILL'); return exited; })]);
  if (!headers) throw new Error(`no answer within ${startTimeoutMs} ms (exit ${JSON.stringify(exit)}): ${stderr}`);
  if (!/^HTTP\/1\.1 200/.test(headers) || !/content-type: text\/event-stream/i.test(headers)) throw new Error(`not an SSE answer: ${headers}`);
  if (exit.code !== 0) throw new Error(`exit ${JSON.stringify(exit)} after SIGTERM: ${stderr}`);
  // Each stage at the wall clock the process read, less the spawn's: ms after spawn, on the same scale as the total.
  const stages = [...stderr.matchAll(/^startup: +[\d.]+ ms (.+) \(unix ([\d.]+)\)$/gm)].map(m => [m[1], Number(m[2]) - spawnedAt]);
  return { ms, cpu, stages };
}

const stats = values => {
  const s = [...values].sort((a, b) => a - b);
  const median = s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  return { min: s[0], median, max: s[s.length - 1] };
};
const f = x => x.toFixed(1);

const loadBefore = os.loadavg();
const results = [];
for (let i = 0; i < runs; i++) results.push(await once());
const loadAfter = os.loadavg();

const total = stats(results.map(r => r.ms));
console.log(`${binary}: ${runs} starts, spawn -> first subscriber's SSE headers (ms): min ${f(total.min)}  median ${f(total.median)}  max ${f(total.max)}`);
console.log(`  all: ${results.map(r => f(r.ms)).join(' ')}`);
const cpu = stats(results.map(r => r.cpu));
console.log(`  CPU of the hub until then, all threads (ms): min ${f(cpu.min)}  median ${f(cpu.median)}  max ${f(cpu.max)}`);
console.log(`  load average (1/5/15 min) before: ${loadBefore.map(x => x.toFixed(2)).join(' ')}  after: ${loadAfter.map(x => x.toFixed(2)).join(' ')}  (${os.cpus().length} cores)`);
if (trace && results[0].stages.length) {
  // Medians of each stage's time after spawn, in the order the first run printed them.
  console.log('  stage (median ms after spawn, min-max):');
  for (const [name] of results[0].stages) {
    const values = results.map(r => r.stages.find(s => s[0] === name)?.[1]).filter(v => v !== undefined);
    const st = stats(values);
    console.log(`    ${f(st.median).padStart(7)}  (${f(st.min)}-${f(st.max)})  ${name}`);
  }
}
