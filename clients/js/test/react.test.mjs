import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement } from 'react';
import TestRenderer, { act } from 'react-test-renderer';
import { useHerald } from '../dist/react.js';
import { scriptedFetch, sseStream, frame } from './support/fake-fetch.mjs';
import { settle } from './support/fake-clock.mjs';

globalThis.IS_REACT_ACT_ENVIRONMENT = true;

function Probe({ hubUrl, options, onRender }) {
  onRender(useHerald(hubUrl, options));
  return null;
}

test('useHerald reports status and updates, resubscribes on a topic change and closes on unmount', async () => {
  const fetch = scriptedFetch((call) => sseStream(call).response);
  const renders = [];
  const props = (topics) => ({ hubUrl: 'http://hub.test/.well-known/mercure', options: { topics, transport: 'fetch', fetch }, onRender: (r) => renders.push(r) });
  let renderer;
  await act(async () => {
    renderer = TestRenderer.create(createElement(Probe, props(['a'])));
    await settle();
  });
  assert.equal(renders.at(-1).status, 'open');

  await act(async () => {
    fetch.calls[0].stream.push(frame({ id: '1', data: 'hello' }));
    await settle();
  });
  assert.equal(renders.at(-1).lastUpdate.data, 'hello');

  // A re-render with equal options keeps the connection; new topics replace it.
  await act(async () => {
    renderer.update(createElement(Probe, props(['a'])));
    await settle();
  });
  assert.equal(fetch.calls.length, 1);
  await act(async () => {
    renderer.update(createElement(Probe, props(['b'])));
    await settle();
  });
  assert.equal(fetch.calls.length, 2);
  assert.ok(fetch.calls[0].signal.aborted, 'the old subscription was not closed');
  assert.deepEqual(fetch.calls[1].url.searchParams.getAll('topic'), ['b']);

  await act(async () => {
    renderer.unmount();
    await settle();
  });
  assert.ok(fetch.calls[1].signal.aborted, 'unmount did not close the subscription');
});

test('useCurrentValue holds the latest parsed value of a topic and follows its changes', async () => {
  const { useCurrentValue } = await import('../dist/react.js');
  function Current({ onRender, fetch }) {
    onRender(useCurrentValue('http://hub.test/.well-known/mercure', 'bundle', { transport: 'fetch', fetch }));
    return null;
  }
  const fetch = scriptedFetch((call) => sseStream(call).response);
  const renders = [];
  let renderer;
  await act(async () => {
    renderer = TestRenderer.create(createElement(Current, { fetch, onRender: (r) => renders.push(r) }));
    await settle();
  });
  assert.equal(renders.at(-1).value, undefined);
  assert.deepEqual(fetch.calls[0].url.searchParams.getAll('topic'), ['bundle']);
  await act(async () => {
    fetch.calls[0].stream.push(frame({ id: '1', data: '{"bots":3}' }) + 'id: herald-cursor:g.1\n\n');
    await settle();
  });
  assert.deepEqual(renders.at(-1).value, { bots: 3 });
  await act(async () => {
    fetch.calls[0].stream.push(frame({ id: '2', data: '{"bots":4}' }));
    await settle();
  });
  assert.deepEqual(renders.at(-1).value, { bots: 4 });
  await act(async () => {
    renderer.unmount();
    await settle();
  });
  assert.ok(fetch.calls[0].signal.aborted);
});
