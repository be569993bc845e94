import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UsageError } from '../../../../shared/errors.js';
import type { ImageSplit } from '../data.js';
import { holdoutSplit, limitSplit } from './holdout.js';

/** 1×1×1 images whose pixel is the sample's index, so where each sample went is visible. */
function split(perClass: number[]): ImageSplit {
  const labels: number[] = [];
  perClass.forEach((n, c) => labels.push(...Array(n).fill(c)));
  return { count: labels.length, pixels: Uint8Array.from(labels, (_, i) => i), labels: Uint8Array.from(labels) };
}

test('holdout: stratified by class, round(fraction·n) (min 1) per class in test, the rest in train', () => {
  const s = split([10, 5, 2, 1]);
  const { train, test } = holdoutSplit(s, [1, 1, 1], 4, 0.2, 7);
  const count = (x: ImageSplit, c: number) => x.labels.filter((l) => l === c).length;
  assert.deepEqual([0, 1, 2, 3].map((c) => count(test, c)), [2, 1, 1, 0]);
  assert.deepEqual([0, 1, 2, 3].map((c) => count(train, c)), [8, 4, 1, 1]);
  // Every sample is in exactly one split, with its own label.
  const seen = [...train.pixels, ...test.pixels].sort((a, b) => a - b);
  assert.deepEqual(seen, [...s.pixels]);
  for (const x of [train, test]) x.pixels.forEach((p, i) => assert.equal(x.labels[i], s.labels[p]));
});

test('holdout: the same seed gives the same split, another seed another split', () => {
  const s = split([20, 20, 20]);
  const a = holdoutSplit(s, [1, 1, 1], 3, 0.25, 1);
  const b = holdoutSplit(s, [1, 1, 1], 3, 0.25, 1);
  const c = holdoutSplit(s, [1, 1, 1], 3, 0.25, 2);
  assert.deepEqual(a.test.pixels, b.test.pixels);
  assert.notDeepEqual(a.test.pixels, c.test.pixels);
  assert.equal(a.test.count, 15);
});

test('holdout: the fraction must be strictly between 0 and 1', () => {
  for (const f of [0, 1, -0.1, 1.5, Number.NaN]) assert.throws(() => holdoutSplit(split([3]), [1, 1, 1], 1, f, 1), UsageError);
});

test('holdout: a limit takes a seeded subset across classes, in source order', () => {
  const s = split([50, 50]);
  const l = limitSplit(s, [1, 1, 1], 10, 3, 'train-limit');
  assert.equal(l.count, 10);
  assert.ok(l.labels.includes(0) && l.labels.includes(1));
  assert.deepEqual([...l.pixels], [...l.pixels].sort((a, b) => a - b));
  assert.deepEqual(limitSplit(s, [1, 1, 1], 10, 3, 'train-limit').pixels, l.pixels);
  assert.equal(limitSplit(s, [1, 1, 1], 500, 3, 'train-limit'), s);
});
