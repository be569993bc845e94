import * as tf from '@tensorflow/tfjs-core';
import { gradientStatistics } from '../telemetry/gradient-stats.js';
import type { StepContext } from './types.js';

/**
 * Builds a step's context: the gradient statistics on the device and the memoised single host
 * read of `[loss, ...stats]`. The caller disposes it with `disposeStepContext` once the step's
 * telemetry has been read.
 */
export function createStepContext(grads: readonly tf.Tensor[], loss: tf.Scalar, epoch: number, step: number): StepContext & { scalars: tf.Tensor1D } {
  const stats = gradientStatistics(grads);
  const scalars = tf.tidy(() => tf.concat([tf.reshape(loss, [1]), stats])) as tf.Tensor1D;
  let read: Promise<Float32Array> | undefined;
  return {
    epoch,
    step,
    loss,
    stats,
    scalars,
    readScalars: () => (read ??= scalars.data() as Promise<Float32Array>),
  };
}

export function disposeStepContext(context: StepContext & { scalars: tf.Tensor1D }): void {
  tf.dispose([context.stats, context.scalars]);
}
