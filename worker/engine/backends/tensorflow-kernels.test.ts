import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '../tfjs-setup.js';
import { backendOrSkip } from '../../../test/helpers/backends.js';
import { activateBackend } from './index.js';
import { RELU_GRAD } from './tensorflow-kernels.js';

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
