import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { currentValue } from '../dist/index.js';
import { DeltaDecoder, applyPatch } from '../dist/delta.js';
import { bundles } from './support/bundles.mjs';
import { Hub, freePort, subscriberToken, tempDir, waitable } from './support/hub.mjs';

test('a JSON Patch and a merge patch apply without changing the document handed out before', () => {
  const before = { a: { b: [1, 2, 3], c: 'x' }, d: { e: 1 } };
  const frozen = structuredClone(before);
  const after = applyPatch('json-patch', before, [
    { op: 'replace', path: '/a/b/1', value: 20 },
    { op: 'add', path: '/a/b/-', value: 4 },
    { op: 'remove', path: '/a/c' },
    { op: 'add', path: '/a/~1x~0', value: null },
  ]);
  assert.deepEqual(after, { a: { b: [1, 20, 3, 4], '/x~': null }, d: { e: 1 } });
  assert.deepEqual(before, frozen);
  assert.equal(after.d, before.d, 'what did not change is shared');
  const merged = applyPatch('merge-patch', before, { a: { c: null, n: { deep: [null] } }, d: { e: 2 } });
  assert.deepEqual(merged, { a: { b: [1, 2, 3], n: { deep: [null] } }, d: { e: 2 } });
  assert.deepEqual(before, frozen);
});

test('a patch can neither set a prototype nor apply through a path that does not exist', () => {
  const value = applyPatch('json-patch', {}, JSON.parse('[{"op":"add","path":"/__proto__","value":{"polluted":true}}]'));
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.equal({}.polluted, undefined);
  assert.deepEqual(JSON.parse(JSON.stringify(value)), JSON.parse('{"__proto__":{"polluted":true}}'));
  const merged = applyPatch('merge-patch', {}, JSON.parse('{"__proto__":{"polluted":true}}'));
  assert.equal({}.polluted, undefined);
  assert.equal(Object.getPrototypeOf(merged), Object.prototype);
  for (const bad of [
    [{ op: 'replace', path: '/missing', value: 1 }],
    [{ op: 'remove', path: '/a/5' }],
    [{ op: 'add', path: '/a/01', value: 1 }],
    [{ op: 'move', from: '/a', path: '/b' }],
    [{ op: 'add', path: 'a', value: 1 }],
    { op: 'add' },
  ]) {
    assert.throws(() => applyPatch('json-patch', { a: [1] }, bad), undefined, JSON.stringify(bad));
  }
});

test('a delta against a value the decoder does not have is refused, never applied to another', () => {
  const decoder = new DeltaDecoder(2);
  assert.deepEqual(decoder.decode({ id: 'v1', type: 'message', data: '{"n":1}' }), { id: 'v1', type: 'message', data: '{"n":1}' });
  assert.equal(decoder.decode({ id: 'v3', type: 'message', data: '{"n":3}', delta: 'merge-patch v2' }), undefined);
  assert.equal(decoder.decode({ id: 'v2', type: 'message', data: '{"n":2}', delta: 'unknown v1' }), undefined);
  assert.equal(decoder.decode({ id: 'v2', type: 'message', data: '[', delta: 'merge-patch v1' }), undefined);
  const v2 = decoder.decode({ id: 'v2', type: 't', data: '{"n":2}', delta: 'merge-patch v1' });
  assert.deepEqual(v2, { id: 'v2', type: 't', data: '{"n":2}' });
  // v1 is superseded by the value built on it.
  assert.equal(decoder.decode({ id: 'x', type: 'message', data: '{}', delta: 'merge-patch v1' }), undefined);
});

/**
 * A fetch that records what the hub sent, can cut the stream in flight, hold reconnects, and drop frames (a frame
 * lost on the way, which no real network does to one stream, but a buggy proxy or a hub bug could).
 */
function tap() {
  const state = { raw: '', urls: [], drop: new Set(), cut: () => {}, hold: undefined };
  state.fetch = async (url, init) => {
    if (state.hold !== undefined) await state.hold;
    state.urls.push(String(url));
    const response = await fetch(url, init);
    if (response.body === null || !response.ok) return response;
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const encoder = new TextEncoder();
    let pending = '';
    const body = new ReadableStream({
      start(controller) {
        state.cut = () => {
          reader.cancel().catch(() => {});
          try { controller.error(new TypeError('cut by the test')); } catch { /* already closed */ }
        };
      },
      async pull(controller) {
        // Until something is enqueued: a pull that enqueues nothing is not called again.
        for (;;) try {
          const { done, value } = await reader.read();
          if (done) { controller.close(); return; }
          pending += decoder.decode(value, { stream: true });
          let end;
          let out = '';
          while ((end = pending.indexOf('\n\n')) >= 0) {
            const frame = pending.slice(0, end + 2);
            pending = pending.slice(end + 2);
            const id = /^id: (.*)$/m.exec(frame)?.[1];
            if (id !== undefined && state.drop.delete(id)) continue;
            out += frame;
          }
          state.raw += out;
          if (out !== '') { controller.enqueue(encoder.encode(out)); return; }
        } catch (error) {
          try { controller.error(error); } catch { /* cut */ }
          return;
        }
      },
    });
    return new Response(body, { status: response.status, headers: response.headers });
  };
  return state;
}

for (const keyed of [true, false]) {
  test(`currentValue rebuilds ${keyed ? 'a bundle keyed by id' : 'an array of 1,700 objects'} exactly, across reconnects, a gap and a dropped frame`, { timeout: 120_000 }, async (t) => {
    const port = await freePort();
    const dir = tempDir(t);
    const hub = await Hub.start(t, { port, cwd: dir, args: ['--store', `sqlite:${join(dir, 'h.db')}`, '--history-max-count', '4', '--heartbeat', '2s'] });
    const next = bundles({ keyed });
    const published = new Map();
    const publish = async (id) => {
      published.set(id, next());
      await hub.publish('bots', published.get(id), { retain: true, id });
    };
    const wait = waitable(60_000);
    const seen = [];
    const wire = tap();
    const errors = [];
    await publish('v0');
    const current = currentValue(hub.url, 'bots', {
      transport: 'fetch',
      token: subscriberToken(),
      fetch: wire.fetch,
      random: () => 0,
      heartbeatMs: 2000,
      onError: (error) => errors.push(error.message),
      onChange: (value, update) => { seen.push({ id: update.id, value }); wait.notify(); },
    });
    t.after(() => current.close());
    const reach = async (id) => {
      await wait.until(() => seen.some((s) => s.id === id), id);
      assert.deepEqual(seen.find((s) => s.id === id).value, JSON.parse(published.get(id)), `the value of ${id}`);
    };

    await reach('v0');
    for (let i = 1; i <= 5; i++) {
      await publish(`v${i}`);
      await reach(`v${i}`);
    }
    assert.match(wire.urls[0], /herald-delta=json-patch%2Cmerge-patch/);
    const deltas = wire.raw.match(/^herald-delta: .*$/gm) ?? [];
    assert.equal(deltas.length, 4, 'v2 to v5 came as deltas');
    assert.ok(wire.raw.length < published.get('v0').length * 3, `${wire.raw.length} bytes on the wire for 6 versions`);

    // The stream is cut; one update published while away comes back (replayed whole), then deltas again.
    wire.cut();
    let release;
    wire.hold = new Promise((r) => { release = r; });
    await publish('v6');
    wire.hold = undefined;
    release();
    await reach('v6');
    for (let i = 7; i <= 8; i++) {
      await publish(`v${i}`);
      await reach(`v${i}`);
    }

    // Away past the history (4 kept): a gap; the client still ends on exactly the latest document.
    wire.cut();
    wire.hold = new Promise((r) => { release = r; });
    for (let i = 9; i <= 14; i++) await publish(`v${i}`);
    wire.hold = undefined;
    release();
    await reach('v14');

    // A delta lost on the way: the next one names a base the client does not have; it reconnects for the whole value.
    await publish('v15');
    await reach('v15');
    wire.drop.add('v16');
    await publish('v16');
    await publish('v17');
    await reach('v17');
    assert.ok(errors.some((m) => /does not have/.test(m)), 'the lost base was noticed');
    await publish('v18');
    await reach('v18');

    // Every value handed to the application was exactly the document published under its id, in order, once.
    for (const { id, value } of seen) {
      assert.deepEqual(value, JSON.parse(published.get(id)), id);
    }
    const order = seen.map((s) => Number(s.id.slice(1)));
    assert.deepEqual(order, [...order].sort((a, b) => a - b));
    assert.equal(new Set(order).size, order.length);
    assert.equal(current.value !== undefined && JSON.stringify(current.value) === JSON.stringify(JSON.parse(published.get('v18'))), true);
  });
}
