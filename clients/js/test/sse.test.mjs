import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSseDecoder } from '../dist/index.js';

function decode(chunks) {
  const events = [];
  const retries = [];
  const comments = [];
  const decoder = createSseDecoder({
    onEvent: (e) => events.push({ id: e.id, event: e.event, data: e.data }),
    onRetry: (ms) => retries.push(ms),
    onComment: (c) => comments.push(c),
  });
  const encoder = new TextEncoder();
  for (const chunk of chunks) {
    decoder.push(typeof chunk === 'string' ? encoder.encode(chunk) : Uint8Array.from(chunk));
  }
  decoder.end();
  return { events, retries, comments };
}

test('CRLF split between chunks ends the line once, not twice', () => {
  const { events } = decode(['id: 1\r', '\ndata: a\r', '\n\r', '\n']);
  assert.deepEqual(events, [{ id: '1', event: undefined, data: 'a' }]);
});

test('CR alone and LF alone are line endings too', () => {
  const { events } = decode(['data: a\r\rdata: b\n\n']);
  assert.deepEqual(events.map((e) => e.data), ['a', 'b']);
});

test('a CR ending a chunk ends the line at once: the event is dispatched while the stream stays open', () => {
  const events = [];
  const decoder = createSseDecoder({ onEvent: (e) => events.push(e.data) });
  const encoder = new TextEncoder();

  decoder.push(encoder.encode('data: a\r\r'));
  assert.deepEqual(events, ['a']);

  // A LF after that CR is the same line ending, not another (empty) line; then the next event, CR-only again.
  decoder.push(encoder.encode('\ndata: b\r'));
  decoder.push(encoder.encode('\ndata: c\r'));
  decoder.push(encoder.encode('\r'));
  assert.deepEqual(events, ['a', 'b\nc']);

  // A LF alone in its chunk completes the CRLF before it; the next LF is a line of its own.
  decoder.push(encoder.encode('data: d\r'));
  decoder.push(encoder.encode('\n'));
  decoder.push(encoder.encode('\n'));
  assert.deepEqual(events, ['a', 'b\nc', 'd']);
});

test('a leading BOM is dropped, even split across chunks', () => {
  assert.deepEqual(decode([[0xef, 0xbb, 0xbf], 'data: x\n\n']).events.map((e) => e.data), ['x']);
  assert.deepEqual(decode([[0xef], [0xbb, 0xbf, 0x64], 'ata: y\n\n']).events.map((e) => e.data), ['y']);
});

test('a multi-byte character split across chunks is decoded whole', () => {
  const bytes = new TextEncoder().encode('data: é€😀\n\n');
  const { events } = decode([bytes.slice(0, 7), bytes.slice(7, 10), bytes.slice(10)]);
  assert.equal(events[0].data, 'é€😀');
});

test('comments are not events', () => {
  const { events, comments } = decode([':\n\n', ': heartbeat\n', 'data: real\n\n']);
  assert.deepEqual(events.map((e) => e.data), ['real']);
  assert.deepEqual(comments, ['', 'heartbeat']);
});

test('multi-line data joins lines with LF', () => {
  const { events } = decode(['event: progress\nid: 7\ndata: one\ndata:two\ndata: \n\n']);
  assert.deepEqual(events, [{ id: '7', event: 'progress', data: 'one\ntwo\n' }]);
});

test('retry is reported; an invalid retry is not', () => {
  const { retries, events } = decode(['retry: 3000\n\n', 'retry: soon\n\n', 'retry: 1500\nid: a\ndata: d\n\n']);
  assert.deepEqual(retries, [3000, 1500]);
  assert.deepEqual(events.map((e) => e.data), ['d']);
});

test('an event cut off by the end of the stream is dropped', () => {
  const { events } = decode(['data: complete\n\n', 'data: incomplete\n']);
  assert.deepEqual(events.map((e) => e.data), ['complete']);
});

test('a frame with an id and no data is reported as an id alone, not as an event', () => {
  const ids = [];
  const events = [];
  const decoder = createSseDecoder({ onEvent: (e) => events.push(e.data), onId: (id) => ids.push(id) });
  const encoder = new TextEncoder();
  // Split inside the id, after a long data line (kept only by its start), with a comment between.
  for (const chunk of ['id: 1\ndata: ', 'x'.repeat(10_000), '\n\n: note\n\nid: herald-cur', 'sor:g.7\n', '\nid:bare\r\n\r\nid\n\n']) {
    decoder.push(encoder.encode(chunk));
  }
  decoder.end();
  assert.deepEqual(events.map((d) => d.length), [10_000]);
  assert.deepEqual(ids, ['herald-cursor:g.7', 'bare', '']);
});

test('herald-matches is handed with its frame\'s event, split across chunks or not; a malformed one is dropped', () => {
  const seen = [];
  const decoder = createSseDecoder({ onEvent: (e, matches) => seen.push([e.data, matches]) });
  const encoder = new TextEncoder();
  const chunks = [
    'id: 1\ndata: a\nherald-matches: 0,2\n\nid: 2\ndata: b\n\n',
    'id: 3\nherald-mat', 'ches: 1\ndata: c\n', '\n',
    'id: 4\ndata: d\nherald-matches: 1,x\n\nid: 5\ndata: e\nherald-matches:\n\n',
  ];
  for (const chunk of chunks) {
    decoder.push(encoder.encode(chunk));
  }
  decoder.end();
  assert.deepEqual(seen, [['a', [0, 2]], ['b', undefined], ['c', [1]], ['d', undefined], ['e', []]]);
});

test('an id alone after events of the same chunk is reported after them, so the resume point is the last one', () => {
  const order = [];
  const decoder = createSseDecoder({ onEvent: (e) => order.push(`event ${e.id}`), onId: (id) => order.push(`id ${id}`) });
  decoder.push(new TextEncoder().encode('id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: cursor\n\n'));
  assert.deepEqual(order, ['event 1', 'event 2', 'id cursor']);
});
