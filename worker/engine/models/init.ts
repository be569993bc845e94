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

/** A standard normal draw from the seeded uniform stream (Box–Muller; u1 kept away from 0). */
export function standardNormal(random: () => number): number {
  const u1 = Math.max(random(), Number.MIN_VALUE);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * random());
}

/**
 * torchvision's ResNet convolution init, nn.init.kaiming_normal_(mode='fan_out',
 * nonlinearity='relu'): N(0, 2 / fan_out) with fan_out = out · k · k; a filter `[k, k, in, out]`
 * and no bias (ResNet's convs have none, batch norm follows).
 */
export function kaimingNormalConv(kernel: number, inChannels: number, outChannels: number, random: () => number): tf.Variable {
  const std = Math.sqrt(2 / (outChannels * kernel * kernel));
  const size = kernel * kernel * inChannels * outChannels;
  const values = new Float32Array(size);
  for (let i = 0; i < size; i++) values[i] = standardNormal(random) * std;
  return tf.tidy(() => tf.variable(tf.tensor(values, [kernel, kernel, inChannels, outChannels], 'float32'), true));
}

/** A conv filter `[k, k, in, out]` without bias, PyTorch's default init (for convs that batch norm follows). */
export function convFilter(kernel: number, inChannels: number, outChannels: number, random: () => number): tf.Variable {
  return torchDefaultUniform([kernel, kernel, inChannels, outChannels], inChannels * kernel * kernel, random);
}
