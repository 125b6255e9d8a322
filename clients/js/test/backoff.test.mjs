import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../dist/index.js';

const almostOne = () => 0.999999;

test('the ceiling starts at 1 s and doubles up to the 30 s cap', () => {
  const backoff = new Backoff(almostOne);
  const delays = Array.from({ length: 8 }, () => backoff.next());
  assert.deepEqual(delays, [999, 1999, 3999, 7999, 15999, 29999, 29999, 29999]);
});

test('every delay is drawn from [0, ceiling]: full jitter', () => {
  const backoff = new Backoff(Math.random);
  const seen = new Set();
  for (let i = 0; i < 2000; i++) {
    const ceiling = backoff.ceiling;
    const delay = backoff.next();
    assert.ok(delay >= 0 && delay <= ceiling, `${delay} outside [0, ${ceiling}]`);
    seen.add(delay);
    if (i % 10 === 9) backoff.reset();
  }
  // Jittered: clients cut off together spread out instead of all coming back at the same moment.
  assert.ok(seen.size > 500, `only ${seen.size} distinct delays`);
});

test('the lower end of the range is reached: a random 0 gives an immediate retry', () => {
  const backoff = new Backoff(() => 0);
  assert.equal(backoff.next(), 0);
  assert.equal(backoff.next(), 0);
});

test('reset starts again from the base', () => {
  const backoff = new Backoff(almostOne);
  backoff.next();
  backoff.next();
  backoff.next();
  backoff.reset();
  assert.equal(backoff.next(), 999);
});

test("a server retry raises the base but never lowers it below 1 s", () => {
  const backoff = new Backoff(almostOne);
  backoff.setServerRetry(4000);
  assert.equal(backoff.next(), 3999);
  assert.equal(backoff.next(), 7999);
  backoff.setServerRetry(200);
  backoff.reset();
  assert.equal(backoff.next(), 999);
});

test('a server retry above the cap is honoured', () => {
  const backoff = new Backoff(almostOne);
  backoff.setServerRetry(60_000);
  assert.equal(backoff.next(), 59999);
  assert.equal(backoff.next(), 59999);
});
