import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { backendOrSkip } from '../../../test/helpers/backends.js';
import { cpuBackend } from '../backends/cpu.js';
import { activateBackend } from '../backends/index.js';
import { CENTERED, WINDOWS, centered, windows, type WindowCut } from './batched.js';

/** Tensors of the ranks an update meets (scalar to 4-D), with a fixed pattern of values. */
function tensors(): tf.Tensor[] {
  const shapes = [[], [5], [3, 4], [2, 3, 2, 4]];
  return shapes.map((shape, k) => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 1.7 + k) * 10 ** -k), shape));
}

const pool = () => tf.tensor1d(Float32Array.from({ length: 40 }, (_, i) => i * 0.25 - 3));
/** Windows inside the pool, one wrapping around its end, one the whole pool. */
const CUTS: WindowCut[] = [
  { offset: 3, shape: [5] },
  { offset: 30, shape: [3, 4] },
  { offset: 0, shape: [40] },
  { offset: 39, shape: [2, 2, 1, 2] },
];

async function valuesOf(ts: tf.Tensor[]): Promise<{ shape: number[]; values: number[] }[]> {
  return Promise.all(ts.map(async (t) => ({ shape: t.shape, values: Array.from(await t.data()) })));
}

/** `fn` with the backend's kernel `name` taken away for the call (the tfjs composition). */
async function withoutKernel<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const config = tf.getKernel(name, tf.getBackend());
  if (config) tf.unregisterKernel(name, tf.getBackend());
  try {
    return await fn();
  } finally {
    if (config) tf.registerKernel(config);
  }
}

describe('batched per-tensor ops', () => {
  it('centered: each tensor less its own mean; windows: slices of the pool, wrapping, in their shapes (tfjs ops)', async () => {
    await cpuBackend.activate();
    const ts = tensors();
    const got = centered(ts);
    for (const [i, t] of got.entries()) {
      assert.deepEqual(t.shape, ts[i]!.shape);
      assert.ok(Math.abs(t.mean().dataSync()[0]!) < 1e-6 * 10 ** -i + 1e-12, `tensor ${i} is centred`);
    }
    const p = pool();
    const w = await valuesOf(windows(p as tf.Tensor1D, CUTS));
    const at = (i: number) => i * 0.25 - 3;
    assert.deepEqual(w[0], { shape: [5], values: [3, 4, 5, 6, 7].map(at) });
    assert.deepEqual(w[1]!.values, [30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 0, 1].map(at));
    assert.deepEqual(w[3], { shape: [2, 2, 1, 2], values: [39, 0, 1, 2, 3, 4, 5, 6].map(at) });
    tf.dispose([...ts, ...got, p]);
  });

  for (const [kernel, run] of [
    [CENTERED, (ts: tf.Tensor[]) => centered(ts)],
    [WINDOWS, (_: tf.Tensor[], p: tf.Tensor1D) => windows(p, CUTS)],
  ] as const) {
    it(`tensorflow: the ${kernel} kernel gives what the tfjs ops give, bit for bit, and leaves no tensor`, async (t) => {
      if (!(await backendOrSkip(t, 'tensorflow'))) return;
      await activateBackend('tensorflow');
      try {
        assert.ok(tf.getKernel(kernel, 'tensorflow'), `${kernel} is registered on a CPU`);
        const ts = tensors();
        const p = pool() as tf.Tensor1D;
        const before = tf.memory().numTensors;
        const fused = run(ts, p);
        const got = await valuesOf(fused);
        tf.dispose(fused);
        assert.equal(tf.memory().numTensors, before, 'no tensor left behind');
        const want = await withoutKernel(kernel, async () => {
          const composed = run(ts, p);
          const v = await valuesOf(composed);
          tf.dispose(composed);
          return v;
        });
        assert.deepEqual(got, want);
        tf.dispose([...ts, p]);
      } finally {
        await cpuBackend.activate();
      }
    });
  }
});
