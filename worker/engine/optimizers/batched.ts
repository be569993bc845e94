import * as tf from '@tensorflow/tfjs-core';
import { runListKernel } from '../backends/list-kernel.js';

/**
 * Per-tensor work of an update over all of a step's parameter tensors in one kernel call, where the
 * active backend has a kernel for it (tensorflow on a CPU: backends/tensorflow-kernels.ts), and
 * tensor by tensor through tfjs's ops elsewhere. On tensorflow each tfjs op call costs 15–35 µs
 * of bookkeeping and uploads (an axis or a slice's begin and size) beside TensorFlow's own
 * dispatch; for SimpleCNN's 8 tensors that was most of what centering and the noise windows cost.
 * Both paths run the same TensorFlow ops, so their values are the same, bit for bit.
 */

/** List kernel (backends/list-kernel.ts): outputs each tensor less its mean. */
export const CENTERED = 'GrnCentered';
/** Kernel: input `pool` (1-D), attrs `offsets` and `shapes`; outputs the windows. */
export const WINDOWS = 'GrnWindows';

/** Each tensor less the mean of its own elements (new tensors: call inside tf.tidy). */
export function centered(tensors: readonly tf.Tensor[]): tf.Tensor[] {
  return (runListKernel(CENTERED, tensors) as tf.Tensor[] | undefined) ?? tensors.map((t) => tf.sub(t, tf.mean(t)));
}

/** Where a window of a 1-D pool starts and the shape it is given. */
export interface WindowCut {
  readonly offset: number;
  readonly shape: readonly number[];
}

/**
 * Windows of `pool`: for each cut, the next size(shape) values from its offset, wrapping around the
 * end (at most once: no window is longer than the pool), in the cut's shape.
 */
export function windows(pool: tf.Tensor1D, cuts: readonly WindowCut[]): tf.Tensor[] {
  if (cuts.length && tf.getKernel(WINDOWS, tf.getBackend())) {
    const attrs = { offsets: cuts.map((c) => c.offset), shapes: cuts.map((c) => [...c.shape]) };
    return tf.engine().runKernel(WINDOWS, { pool }, attrs as unknown as tf.NamedAttrMap) as unknown as tf.Tensor[];
  }
  return cuts.map(({ offset, shape }) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const head = Math.min(n, pool.size - offset);
    const flat = head === n ? tf.slice(pool, [offset], [n]) : tf.concat([tf.slice(pool, [offset], [head]), tf.slice(pool, [0], [n - head])]);
    // A 1-D window (every bias) already has its shape: a reshape would be one more call for nothing.
    return shape.length === 1 ? flat : tf.reshape(flat, [...shape]);
  });
}
