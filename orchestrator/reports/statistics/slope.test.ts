import assert from 'node:assert/strict';
import { test } from 'node:test';
import { leastSquaresSlope } from './slope.js';

test('least-squares slope: exact on a line, R lm() on noisy data, null without two points', () => {
  assert.equal(leastSquaresSlope([900, 910, 920, 930]), 10);
  // R: coef(lm(c(1, 3, 2, 5, 4) ~ c(0, 1, 2, 3, 4)))[2] = 0.8
  assert.ok(Math.abs(leastSquaresSlope([1, 3, 2, 5, 4])! - 0.8) < 1e-12);
  // Non-finite readings are left out, with their x.
  assert.equal(leastSquaresSlope([100, Number.NaN, 120], [0, 1, 2]), 10);
  assert.equal(leastSquaresSlope([5]), null);
  assert.equal(leastSquaresSlope([]), null);
  assert.equal(leastSquaresSlope([1, 2], [3, 3]), null);
});
