import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { cpuBackend } from '../../backends/cpu.js';
import '../../tfjs-setup.js';
import { STAT, STAT_COUNT } from '../../telemetry/gradient-stats.js';
import { clamp, clippingIsNoOp, clipThreshold, deviceVarianceStep, emaVariance, LossHistory, phaseDecay, pyRound } from './stats.js';

const RULE = { smoothing: 0.1, threshold: 0.9, factor: 0.9 };
const CLIP = { multiplier: 2, min: 0.5, max: 10 };

describe('EnhancedSGD statistics rules', () => {
  before(async () => {
    await cpuBackend.activate();
  });

  it('EMA of the variance: 0.1·v + 0.9·grad_var', () => {
    assert.equal(emaVariance(RULE, 0.5, 0, 0), 0.1 * 0.5);
    assert.equal(emaVariance(RULE, 2e-4, 1e-4, 0), 0.1 * 2e-4 + 0.9 * 1e-4);
  });

  it('stabilises when |grad_var − prev_grad_var| > 0.9: 0.9·prev + 0.1·grad_var (one constant, both roles)', () => {
    // v = 20 from 0: EMA 2.0, |2 − 0| > 0.9 → 0.9·0 + 0.1·2 = 0.2.
    assert.ok(Math.abs(emaVariance(RULE, 20, 0, 0) - 0.2) < 1e-15);
    // prev 1.5, EMA 0.1·20 + 0.9·1 = 2.9: |2.9 − 1.5| = 1.4 > 0.9 → 0.9·1.5 + 0.1·2.9 = 1.64.
    assert.ok(Math.abs(emaVariance(RULE, 20, 1, 1.5) - 1.64) < 1e-12);
    // Exactly at the threshold: not stabilised (strict >). EMA = 0.1·9 = 0.9.
    assert.ok(Math.abs(emaVariance(RULE, 9, 0, 0) - 0.9) < 1e-15);
    // A separate threshold changes only the test, not the mix.
    assert.ok(Math.abs(emaVariance({ ...RULE, threshold: 0.5 }, 9, 0, 0) - 0.09) < 1e-15);
  });

  it('clipping threshold c = min(max(2·sqrt(grad_var), 0.5), 10), none while grad_var ≤ 0', () => {
    assert.equal(clipThreshold(CLIP, 0), null);
    assert.equal(clipThreshold(CLIP, -1), null);
    assert.equal(clipThreshold(CLIP, 1e-4), 0.5);
    assert.equal(clipThreshold(CLIP, 1), 2);
    assert.equal(clipThreshold(CLIP, 100), 10);
    assert.ok(Math.abs(clipThreshold(CLIP, 0.3)! - 2 * Math.sqrt(0.3)) < 1e-15);
  });

  it('skips the clamp only when the statistics prove it a no-op', () => {
    // Centred: |g − mean_i| ≤ max − min.
    assert.equal(clippingIsNoOp(0.5, -0.1, 0.2, true), true);
    assert.equal(clippingIsNoOp(0.5, -0.3, 0.3, true), false);
    // Uncentred: |g| ≤ max(|min|, |max|).
    assert.equal(clippingIsNoOp(0.5, -0.3, 0.3, false), true);
    assert.equal(clippingIsNoOp(0.5, -0.6, 0.3, false), false);
    assert.equal(clippingIsNoOp(0.5, Number.NaN, 0.3, true), false);
  });

  it('phase decay d = max(0.5, 1 − e/20)', () => {
    assert.equal(phaseDecay(0, 20, 0.5), 1);
    assert.equal(phaseDecay(5, 20, 0.5), 0.75);
    assert.equal(phaseDecay(10, 20, 0.5), 0.5);
    assert.equal(phaseDecay(15, 20, 0.5), 0.5);
  });

  it('clamps as min(max(x, lo), hi): the upper bound wins when lo > hi', () => {
    assert.equal(clamp(2, 0.5, 1.5), 1.5);
    assert.equal(clamp(0.1, 0.5, 1.5), 0.5);
    assert.equal(clamp(0.9, 0.85, 0.495), 0.495);
  });

  it('loss spike: L > 1.5 × mean of the last 100 losses, the current one included', () => {
    const h = new LossHistory(100, 1.5);
    assert.equal(h.push(1), false, 'the first loss is its own mean');
    assert.equal(h.push(1), false);
    // mean(1, 1, 3.9) = 1.9667, 1.5 × = 2.95 < 3.9: spike.
    assert.equal(h.push(3.9), true);
    // mean(1, 1, 3.9, 2.5) = 2.1, 1.5 × = 3.15 > 2.5: none.
    assert.equal(h.push(2.5), false);
    // The window slides: after 100 losses of 10 the early small ones are gone.
    const w = new LossHistory(100, 1.5);
    for (let i = 0; i < 50; i++) w.push(1);
    for (let i = 0; i < 100; i++) w.push(10);
    assert.equal(w.length, 100);
    assert.equal(w.push(14), false, 'mean ≈ 10: 14 < 15');
    const small = new LossHistory(3, 1.5);
    small.push(10);
    small.push(1);
    small.push(1);
    // Window (1, 1, 2.2): mean 1.4, ×1.5 = 2.1 < 2.2 — with the 10 still in, it would not be.
    assert.equal(small.push(2.2), true);
  });

  it('rounds like Python round(x, 2): from the exact binary value, exact ties to even', () => {
    const cases: Array<[number, number, number]> = [
      [2.675, 2, 2.67], // 2.67499999999999982236431605997495353221893310546875
      [0.125, 2, 0.12],
      [0.375, 2, 0.38],
      [-0.125, 2, -0.12],
      [0.135, 2, 0.14], // 0.13500000000000000888…
      [1.005, 2, 1], // 1.00499999999999989…
      [2.5, 0, 2],
      [3.5, 0, 4],
      [12345.678, 2, 12345.68],
      [1e-5, 2, 0],
      [-1234.5678, 2, -1234.57],
    ];
    for (const [x, digits, want] of cases) assert.equal(pyRound(x, digits), want, `round(${x}, ${digits})`);
    assert.ok(Number.isNaN(pyRound(Number.NaN)));
    assert.equal(pyRound(Number.POSITIVE_INFINITY), Number.POSITIVE_INFINITY);
  });

  it('the device EMA and clipping threshold equal the host rule', async () => {
    const gradVar = tf.variable(tf.scalar(0), false);
    const stats = (variance: number) => {
      const values = new Float32Array(STAT_COUNT);
      values[STAT.variance] = variance;
      return tf.tensor1d(values);
    };
    let host = 0;
    for (const v of [0.04, 0.09, 30, 0.5]) {
      const s = stats(v);
      const c = deviceVarianceStep(RULE, CLIP, s, gradVar, 0);
      host = emaVariance(RULE, v, host, 0);
      const got = (await gradVar.data())[0]!;
      assert.ok(Math.abs(got - host) <= 1e-6 * Math.max(1, host), `grad_var ${got} vs ${host}`);
      assert.ok(Math.abs((await c.data())[0]! - clipThreshold(CLIP, host)!) < 1e-6);
      tf.dispose([s, c]);
    }
    // grad_var 0: no clipping (an infinite bound).
    gradVar.assign(tf.scalar(0));
    const zero = stats(0);
    const c = deviceVarianceStep(RULE, CLIP, zero, gradVar, 0);
    assert.equal((await c.data())[0], Number.POSITIVE_INFINITY);
    tf.dispose([zero, c, gradVar]);
  });
});
