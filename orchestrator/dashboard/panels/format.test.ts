import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bar, num, pct, seedStrip, sparkline } from './format.js';
import { windowAround } from './window.js';

test('sparkline: scaled between its own min and max, last `width` values, flat when constant', () => {
  assert.equal(sparkline([0, 1, 2, 3, 4, 5, 6, 7], 8), '▁▂▃▄▅▆▇█');
  assert.equal(sparkline([9, 0, 7], 2), '▁█');
  assert.equal(sparkline([2, 2, 2], 5), '▄▄▄');
  assert.equal(sparkline([], 5), '');
  assert.equal(sparkline([NaN, 1, Infinity, 3], 5), '▁█');
});

test('bar fills in eighths; unknown is dotted', () => {
  assert.equal(bar(0.5, 4), '██··');
  assert.equal(bar(1, 3), '███');
  assert.equal(bar(1 / 16, 4), '▎···');
  assert.equal(bar(null, 3), '···');
});

test('numbers and percentages stay short', () => {
  assert.deepEqual([pct(0.97213), pct(null), num(0.001), num(0.0001), num(123456), num(12.345), num(0.23456)], ['97.2%', '—', '0.0010', '1.0e-4', '1.2e+5', '12.35', '0.2346']);
});

test('seed strip: a glyph per seed while they fit, else proportional parts that keep every status visible', () => {
  assert.deepEqual(seedStrip(['done', 'done', 'running', undefined, 'failed'], 8), [
    { text: '✓✓', status: 'done' },
    { text: '▶', status: 'running' },
    { text: '·', status: 'queued' },
    { text: '✗', status: 'failed' },
  ]);
  const many = seedStrip([...Array(97).fill('done'), 'failed', 'running', undefined], 10);
  assert.equal(many.map((s) => s.text).join('').length, 10);
  assert.deepEqual(many.map((s) => s.status), ['done', 'running', 'failed', 'queued']);
});

test('windowAround keeps the selection in view', () => {
  assert.deepEqual(windowAround(100, 0, 10), { start: 0, end: 10 });
  assert.deepEqual(windowAround(100, 50, 10), { start: 45, end: 55 });
  assert.deepEqual(windowAround(100, 99, 10), { start: 90, end: 100 });
  assert.deepEqual(windowAround(5, 3, 10), { start: 0, end: 5 });
});
