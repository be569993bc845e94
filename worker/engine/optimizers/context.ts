import * as tf from '@tensorflow/tfjs-core';
import { gradientStatistics, statisticsFromDevice } from '../telemetry/gradient-stats.js';
import type { StepContext } from './types.js';

/**
 * Builds a step's context: the gradient statistics on the device and the memoised single host
 * read of `[loss, ...stats]`. The caller disposes it with `disposeStepContext` once the step's
 * telemetry has been read.
 */
export function createStepContext(grads: readonly tf.Tensor[], loss: tf.Scalar, epoch: number, step: number): StepContext & { scalars: tf.Tensor1D } {
  const stats = gradientStatistics(grads);
  const scalars = tf.tidy(() => tf.concat([tf.reshape(loss, [1]), stats])) as tf.Tensor1D;
  const n = grads.reduce((total, g) => total + g.size, 0);
  // `[loss, ...STAT]`: the device's vector with the histogram's entropies finished on the host.
  const finish = (raw: Float32Array) => Float32Array.of(raw[0]!, ...statisticsFromDevice(raw.subarray(1), n));
  let read: Promise<Float32Array> | undefined;
  return {
    epoch,
    step,
    loss,
    stats,
    scalars,
    readScalars: () => (read ??= (scalars.data() as Promise<Float32Array>).then(finish)),
  };
}

export function disposeStepContext(context: StepContext & { scalars: tf.Tensor1D }): void {
  tf.dispose([context.stats, context.scalars]);
}
