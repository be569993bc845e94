import * as tf from '@tensorflow/tfjs-core';

/**
 * Kernels that take a list of tensors (a step's gradients, its parameter tensors) and that a
 * backend may register for itself (tensorflow-kernels.ts): tfjs names kernel inputs, so the list
 * travels as inputs named '0', '1', …, in order.
 */

/**
 * Runs kernel `name` on `tensors` where the active backend has it; undefined where it has not (the
 * caller then composes tfjs ops).
 */
export function runListKernel(name: string, tensors: readonly tf.Tensor[]): tf.Tensor | tf.Tensor[] | undefined {
  if (!tensors.length || !tf.getKernel(name, tf.getBackend())) return undefined;
  return tf.engine().runKernel(name, Object.fromEntries(tensors.map((t, i) => [String(i), t]))) as tf.Tensor | tf.Tensor[];
}

/** A list kernel's inputs, in their order (integer-like keys enumerate in ascending order). */
export function listInputs(inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  return Object.values(inputs) as tf.TensorInfo[];
}
