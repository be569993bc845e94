import * as tf from '@tensorflow/tfjs-core';

/**
 * PyTorch's default initialisation of Conv2d and Linear layers: the weight is Kaiming-uniform with
 * a = sqrt(5) and the bias uniform on the same bound, which both reduce to U(-1/sqrt(fan_in),
 * 1/sqrt(fan_in)). Matching it keeps comparisons with the original's numbers fair.
 * Values are drawn on the host from the trial's seeded stream so every backend starts identically.
 */
export function torchDefaultUniform(shape: number[], fanIn: number, random: () => number): tf.Variable {
  const bound = 1 / Math.sqrt(fanIn);
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = (random() * 2 - 1) * bound;
  // Inside tidy: the initial tensor is released, its data lives on in the variable.
  return tf.tidy(() => tf.variable(tf.tensor(values, shape, "float32"), true));
}

/** A conv layer's filter `[k, k, in, out]` and bias, initialised as torch.nn.Conv2d. */
export function convLayer(kernel: number, inChannels: number, outChannels: number, random: () => number) {
  const fanIn = inChannels * kernel * kernel;
  return {
    filter: torchDefaultUniform([kernel, kernel, inChannels, outChannels], fanIn, random),
    bias: torchDefaultUniform([outChannels], fanIn, random),
  };
}

/** A dense layer's weight `[in, out]` and bias, initialised as torch.nn.Linear. */
export function denseLayer(inFeatures: number, outFeatures: number, random: () => number) {
  return {
    weight: torchDefaultUniform([inFeatures, outFeatures], inFeatures, random),
    bias: torchDefaultUniform([outFeatures], inFeatures, random),
  };
}
