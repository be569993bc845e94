import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '../tfjs-setup.js';
import { backendOrSkip } from '../../../test/helpers/backends.js';
import { activateBackend } from './index.js';
import { DEVICE_STAT, GRADIENT_STATISTICS, composedGradientStatistics, gradientStatistics } from '../telemetry/gradient-stats.js';
import { OVERRIDES, RELU_GRAD, poolWorkspaces, wantedOverrides } from './tensorflow-kernels.js';

/**
 * The tensorflow backend's own kernels for ReLU's and max-pool's gradients (tensorflow-kernels.ts)
 * must give what tfjs's reference cpu backend gives: bit for bit, but for the sign of zero (ReLU's
 * reference multiplies dy by 0, which is −0 for a negative dy) and, where pooling windows overlap,
 * the order in which one input's contributions are summed.
 */

/** Values with ties (repeated maxima in a window, zeros) and both signs, from a fixed pattern. */
function pattern(shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 13) - 6 + (i % 5 === 0 ? 0 : 0.25 * (i % 3))), shape);
}

/** Pooling geometries: window, stride, padding; whether windows overlap. */
const POOLS = [
  [2, 2, 'valid', false],
  [2, 1, 'valid', true],
  [3, 2, 'same', true],
  [3, 1, 'same', true],
] as const;

/** Gradients of relu, then of max-pool under each of POOLS, as plain numbers (−0 made 0). */
async function gradients(): Promise<number[][]> {
  const x = pattern([2, 9, 9, 3]);
  const dy = (shape: number[]) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i) * 3), shape);
  const out: tf.Tensor[] = [];
  out.push(tf.grad((v: tf.Tensor) => tf.mul(tf.relu(v), dy(x.shape)))(x));
  for (const [size, stride, pad] of POOLS) {
    const y = tf.maxPool(x as tf.Tensor4D, size, stride, pad);
    out.push(tf.grad((v: tf.Tensor) => tf.mul(tf.maxPool(v as tf.Tensor4D, size, stride, pad), dy(y.shape)))(x));
    y.dispose();
  }
  const values = await Promise.all(out.map(async (t) => Array.from(await t.data(), (v) => v + 0)));
  tf.dispose([x, ...out]);
  return values;
}

describe('tensorflow backend kernels', () => {
  it('ReLU and max-pool gradients equal the cpu backend’s', async (t) => {
    if (!(await backendOrSkip(t, 'tensorflow'))) return;
    await activateBackend('cpu');
    const reference = await gradients();
    await activateBackend('tensorflow');
    assert.ok(tf.getKernel(RELU_GRAD, 'tensorflow'), 'the one-op ReLU gradient is registered on a CPU');
    const got = await gradients();
    assert.equal(got.length, reference.length);
    assert.deepEqual(got[0], reference[0], 'relu');
    POOLS.forEach(([size, stride, pad, overlapping], i) => {
      const [g, r] = [got[i + 1]!, reference[i + 1]!];
      const what = `max-pool ${size}x${size} stride ${stride} ${pad}`;
      if (!overlapping) return assert.deepEqual(g, r, what);
      // The same routing (each window's first maximum); sums of overlapping windows may round apart.
      assert.deepEqual(g.map((v) => v !== 0), r.map((v) => v !== 0), `${what}: routing`);
      g.forEach((v, j) => assert.ok(Math.abs(v - r[j]!) <= 1e-6 * Math.max(1, Math.abs(r[j]!)), `${what}[${j}]: ${v} vs ${r[j]}`));
    });
  });

  it('the cpu backend keeps tfjs’s ReLU gradient (it has no one-op kernel)', async (t) => {
    if (!(await backendOrSkip(t, 'tensorflow'))) return;
    await activateBackend('tensorflow');
    await activateBackend('cpu');
    assert.equal(tf.getKernel(RELU_GRAD, 'cpu'), undefined);
    const x = tf.tensor1d([-2, 0, 3]);
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.relu(v), tf.tensor1d([-1, -1, 2]))))(x);
    // tfjs's formula, dy · step(x): −1 · 0 is −0 for the negative input.
    assert.ok(Object.is((await g.data())[0], -0));
    assert.deepEqual(Array.from(await g.data()).slice(1), [-0, 2]);
    tf.dispose([x, g]);
  });
});

describe('tensorflow gradient statistics kernel', () => {
  /** Gradients with values on bin edges, ties, both signs, a single-element tensor. */
  const cases: Record<string, () => tf.Tensor[]> = {
    'SimpleCNN-like shapes': () => [tf.mul(tf.randomNormal([3, 3, 1, 8], 0, 1, 'float32', 3), 0.01), tf.randomUniform([8], -0.5, 0.5, 'float32', 4), tf.mul(tf.randomNormal([300, 40], 0, 1, 'float32', 5), 0.003)],
    'values on bin edges': () => [tf.tensor1d(Array.from({ length: 201 }, (_, i) => i / 200)), tf.tensor2d([[0.37, 0.37], [1, 0]])],
    'a constant gradient': () => [tf.fill([10], 0.5)],
    'one element': () => [tf.tensor1d([-2])],
  };

  for (const [name, make] of Object.entries(cases)) {
    it(`${name}: the kernel's bins equal the tfjs composition's, its moments to float32 rounding`, async (t) => {
      if (!(await backendOrSkip(t, 'tensorflow'))) return;
      await activateBackend('tensorflow');
      assert.ok(tf.getKernel(GRADIENT_STATISTICS, 'tensorflow'), 'the kernel is registered on a CPU');
      const grads = make();
      const before = tf.memory().numTensors;
      const kernel = gradientStatistics(grads);
      const composed = composedGradientStatistics(grads);
      const [got, want] = [await kernel.data(), await composed.data()];
      tf.dispose([kernel, composed]);
      assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
      tf.dispose(grads);
      assert.deepEqual(Array.from(got.subarray(DEVICE_STAT.counts)), Array.from(want.subarray(DEVICE_STAT.counts)), 'histogram counts');
      assert.equal(got[DEVICE_STAT.min], want[DEVICE_STAT.min]);
      assert.equal(got[DEVICE_STAT.max], want[DEVICE_STAT.max]);
      for (const k of ['variance', 'norm', 'mean'] as const) {
        const [g, w] = [got[DEVICE_STAT[k]]!, want[DEVICE_STAT[k]]!];
        assert.ok(Math.abs(g - w) <= 1e-5 * Math.abs(w) + 1e-12, `${k}: ${g} vs ${w}`);
      }
    });
  }

  it('a non-finite gradient gives non-finite moments and NaN counts, without an error', async (t) => {
    if (!(await backendOrSkip(t, 'tensorflow'))) return;
    await activateBackend('tensorflow');
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
      const grads = [tf.tensor1d([0.1, bad, -0.2]), tf.tensor2d([[0.3, 0.4]])];
      const stats = gradientStatistics(grads);
      const got = await stats.data();
      tf.dispose([stats, ...grads]);
      assert.ok(!Number.isFinite(got[DEVICE_STAT.norm]!) && !Number.isFinite(got[DEVICE_STAT.variance]!), `${bad}: ${Array.from(got.subarray(0, 5))}`);
      assert.ok(Number.isNaN(got[DEVICE_STAT.counts]!), `${bad}: no histogram`);
    }
  });
});

describe('GRN_TF_KERNELS', () => {
  it('takes names separated by commas or plus signs, all, none; an unknown name is an error', () => {
    assert.deepEqual(wantedOverrides('relu-grad+bias-grad'), ['relu-grad', 'bias-grad']);
    assert.deepEqual(wantedOverrides('bias-grad, relu-grad'), ['relu-grad', 'bias-grad']);
    assert.deepEqual(wantedOverrides('none'), []);
    assert.deepEqual(wantedOverrides('all'), Object.keys(OVERRIDES));
    assert.throws(() => wantedOverrides('relu-grad+fast'), /unknown kernel override 'fast'/);
  });
});

describe('tensorflow max-pool workspaces', () => {
  it('a backward pass takes the workspace its forward pass kept; evaluation keeps none; a stray one is released by the next tape', async (t) => {
    if (!(await backendOrSkip(t, 'tensorflow'))) return;
    await activateBackend('tensorflow');
    const x = pattern([2, 8, 8, 3]);
    const w = tf.variable(tf.fill([1, 1, 3, 3], 0.5));
    const before = tf.memory().numTensors;
    const pooled = () => tf.maxPool(tf.conv2d(x as tf.Tensor4D, w as unknown as tf.Tensor4D, 1, 'same'), 2, 2, 'valid');
    // Training: forward under a tape, backward through the pool.
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.maxPool(pooled(), 2, 2, 'valid')) as tf.Scalar, [w]);
    assert.equal(poolWorkspaces.size, 0, 'both pools’ workspaces were taken by their backward passes');
    // (The first test compares gradients taken this way, workspaces kept, with the cpu backend's.)
    tf.tidy(() => {
      pooled();
    });
    assert.equal(poolWorkspaces.size, 0, 'evaluation passes keep nothing');
    tf.dispose([value, ...Object.values(grads)]);
    // A tape whose backward pass does not reach the pool (the gradient is taken before it).
    const stray = tf.grad((v: tf.Tensor) => {
      tf.maxPool(tf.mul(v, 2) as tf.Tensor4D, 2, 2, 'valid').dispose();
      return tf.sum(v);
    })(x);
    assert.equal(poolWorkspaces.size, 1, 'the unreached pool’s workspace is still held');
    const g2 = tf.grad((v: tf.Tensor) => tf.sum(tf.maxPool(v as tf.Tensor4D, 2, 2, 'valid')))(x);
    assert.equal(poolWorkspaces.size, 0, 'the next tape released it and its own was taken');
    tf.dispose([stray, g2]);
    assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
    tf.dispose([x, w]);
  });
});
