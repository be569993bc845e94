import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDifference, formatRatio, halfWidthPercent, pairedDifference, pairedRatio, ratioOfRounds } from './paired-ratio.js';

// Reference values from SciPy 1.17 (stats.t.ppf(0.975, n − 1) on the log-ratios, exponentiated):
//   l = np.log(a / b); m = l.mean(); se = l.std(ddof=1) / sqrt(n); exp(m), exp(m ∓ t·se)
const close = (actual: number, expected: number, what: string) => assert.ok(Math.abs(actual - expected) < 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);

test('paired ratio: geometric mean and t-interval of the log-ratios (SciPy reference)', () => {
  // Ratios 2, 2, 4: logs ln 2, ln 2, 2 ln 2.
  const r = pairedRatio([2, 4, 8], [1, 2, 2]);
  close(r.ratio, 2.519842099789746, 'ratio');
  close(r.ci95![0], 0.9324613008339154, 'low');
  close(r.ci95![1], 6.809509630259446, 'high');
  assert.equal(r.rounds, 3);
  assert.deepEqual(r.per_round, [2, 2, 4]);
});

test('six rounds of near-1 ratios (SciPy reference)', () => {
  const r = ratioOfRounds([1.02, 0.98, 1.05, 1.01, 0.99, 1.04]);
  close(r.ratio, 1.0146920140859839, 'ratio');
  close(r.ci95![0], 0.9863532840876064, 'low');
  close(r.ci95![1], 1.0438449387860738, 'high');
  assert.equal(formatRatio(r), '1.015× [0.986, 1.044]');
  close(halfWidthPercent(r)!, (Math.sqrt(1.0438449387860738 / 0.9863532840876064) - 1) * 100, 'half width');
});

test('the reciprocal ratio gets the mirror-image interval', () => {
  const a = [1.2, 0.9, 1.4, 1.1];
  const b = [1.0, 1.0, 1.1, 0.9];
  const ab = pairedRatio(a, b);
  const ba = pairedRatio(b, a);
  close(ab.ratio * ba.ratio, 1, 'product');
  close(ab.ci95![0] * ba.ci95![1], 1, 'low × high');
  close(ab.ci95![1] * ba.ci95![0], 1, 'high × low');
});

test('identical rounds: a zero-width interval; one round: none', () => {
  const same = ratioOfRounds([1.25, 1.25, 1.25]);
  assert.deepEqual(same.ci95, [1.25, 1.25]);
  const one = pairedRatio([3], [2]);
  assert.equal(one.ratio, 1.5);
  assert.equal(one.ci95, null);
  assert.equal(halfWidthPercent(one), null);
  assert.equal(formatRatio(one), '1.500× (1 round: no interval)');
});

test('paired difference: mean and t-interval of the differences (SciPy reference)', () => {
  // stats.t.interval(0.95, 4, loc=1.3, scale=stats.sem([1.2, 1.4, 1.1, 1.3, 1.5])) = (1.10368, 1.49632)
  const d = pairedDifference([3.2, 3.4, 3.1, 3.3, 3.5], [2, 2, 2, 2, 2]);
  close(d.difference, 1.3, 'difference');
  close(d.ci95![0], 1.1036756838522443, 'low');
  close(d.ci95![1], 1.4963243161477557, 'high');
  assert.equal(formatDifference(d), '+1.30 [1.10, 1.50]');
});

test('bad input is refused, not averaged', () => {
  assert.throws(() => pairedRatio([1, 2], [1]), /2 rounds against 1/);
  assert.throws(() => ratioOfRounds([]), /no rounds/);
  assert.throws(() => ratioOfRounds([1, 0]), /positive/);
  assert.throws(() => ratioOfRounds([1, Number.NaN]), /positive/);
});
