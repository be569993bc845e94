import * as tf from '@tensorflow/tfjs-core';

/**
 * PyTorch's default initialisation of Conv2d and Linear layers: the weight is Kaiming-uniform with
 * a = sqrt(5) and the bias uniform on the same bound, which both reduce to U(-1/sqrt(fan_in),
 * 1/sqrt(fan_in)). Matching it keeps comparisons with the original's numbers fair.
 * Values are drawn on the host from the trial's seeded stream so every backend starts identically.
 */
export function torchDefaultUniform(shape: number[], fanIn: number, random: () => number): tf.Variable {
  return uniformVariable(shape, 1 / Math.sqrt(fanIn), random);
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

/**
 * A variable of `shape` drawn uniformly from [-bound, bound) on the host. Inside tidy: the initial
 * tensor is released, its data lives on in the variable.
 */
export function uniformVariable(shape: number[], bound: number, random: () => number): tf.Variable {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i++) values[i] = (random() * 2 - 1) * bound;
  return tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), true));
}

/**
 * A variable of `shape` drawn from N(0, std²) on the host (Box–Muller over `random`): torch's
 * nn.init.normal_, which nn.Embedding uses with std 1 and BERT's _init_weights with std 0.02.
 * Rows listed in `zeroRows` (of a 2-D shape) start at zero, as an embedding's padding_idx does.
 */
export function normalVariable(shape: number[], std: number, random: () => number, zeroRows: readonly number[] = []): tf.Variable {
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1));
  for (let i = 0; i < values.length; i += 2) {
    // 1 - u keeps the logarithm finite (u is in [0, 1)).
    const r = Math.sqrt(-2 * Math.log(1 - random())) * std;
    const angle = 2 * Math.PI * random();
    values[i] = r * Math.cos(angle);
    if (i + 1 < values.length) values[i + 1] = r * Math.sin(angle);
  }
  const width = shape.length === 2 ? shape[1]! : 0;
  for (const row of zeroRows) values.fill(0, row * width, (row + 1) * width);
  return tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), true));
}

/** A variable filled with `value` (LayerNorm's weight 1 and bias 0; the zero biases torch sets). */
export function constantVariable(shape: number[], value: number): tf.Variable {
  return tf.tidy(() => tf.variable(tf.fill(shape, value, 'float32'), true));
}

/** A LayerNorm's weight (ones) and bias (zeros), as torch.nn.LayerNorm starts them. */
export function layerNormLayer(features: number) {
  return { gamma: constantVariable([features], 1), beta: constantVariable([features], 0) };
}

/** An embedding table `[rows, dim]`, N(0, 1) as torch.nn.Embedding (and nn.EmbeddingBag) draws it. */
export function embeddingLayer(rows: number, dim: number, random: () => number, paddingRow?: number): tf.Variable {
  return normalVariable([rows, dim], 1, random, paddingRow === undefined ? [] : [paddingRow]);
}

/**
 * The fused query/key/value projection of torch.nn.MultiheadAttention, as `[dim, 3·dim]` for a
 * matMul: in_proj_weight is Xavier-uniform over its own [3·dim, dim] shape (bound
 * sqrt(6 / (dim + 3·dim))) and in_proj_bias zeros; out_proj is a Linear whose bias torch then
 * zeroes.
 */
export function attentionLayer(dim: number, random: () => number) {
  return {
    qkv: { weight: uniformVariable([dim, 3 * dim], Math.sqrt(6 / (4 * dim)), random), bias: constantVariable([3 * dim], 0) },
    out: { weight: torchDefaultUniform([dim, dim], dim, random), bias: constantVariable([dim], 0) },
  };
}
