import * as tf from '@tensorflow/tfjs-core';
import type { Model } from './types.js';
import type { TextSample } from '../datasets/data.js';

/**
 * Building blocks the text models share (embedding-bag, transformer, bert): token embeddings, the
 * padding mask, dense layers over [batch, length, features], layer norm, multi-head attention and
 * seeded dropout. Weights are stored `[in, out]` for tf.matMul (torch's Linear holds `[out, in]`).
 */

export interface DenseWeights {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable;
}

/** x·W + b over the last axis of x, whatever its rank (a Linear applied to every position). */
export function dense(x: tf.Tensor, layer: DenseWeights): tf.Tensor {
  const [inFeatures, outFeatures] = layer.weight.shape as [number, number];
  const flat = x.rank === 2 ? x : tf.reshape(x, [-1, inFeatures]);
  const y = tf.add(tf.matMul(flat as tf.Tensor2D, layer.weight as tf.Tensor2D), layer.bias);
  return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), outFeatures]);
}

export interface LayerNormWeights {
  readonly gamma: tf.Variable;
  readonly beta: tf.Variable;
}

/** torch.nn.LayerNorm over the last axis: biased variance, `eps` inside the square root. */
export function layerNorm(x: tf.Tensor, layer: LayerNormWeights, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), layer.gamma), layer.beta);
}

/** GELU with the exact erf, as torch's nn.GELU() and Hugging Face's `gelu` compute it. */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/**
 * Rows of `table` for each id, `[...ids.shape, dim]`. The gradient is scattered back with
 * scatterND (duplicates summed) rather than gather's own unsortedSegmentSum, which the WASM
 * backend lacks; what comes back is the dense table-shaped gradient torch's nn.Embedding gives.
 */
export function embeddingLookup(table: tf.Variable, ids: tf.Tensor): tf.Tensor {
  const [rows, dim] = table.shape as [number, number];
  const lookup = tf.customGrad((t, save) => {
    const flat = tf.reshape(ids, [-1, 1]);
    (save as tf.GradSaveFunc)([flat]);
    return {
      value: tf.reshape(tf.gather(t as tf.Tensor, tf.reshape(flat, [-1])), [...ids.shape, dim]),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.scatterND(saved[0]!, tf.reshape(dy, [-1, dim]), [rows, dim]),
    };
  });
  return lookup(table);
}

/** 1 where a token is real, 0 where it pads: `[batch, length]` float32. */
export function tokenMask(ids: tf.Tensor, padId: number): tf.Tensor2D {
  return tf.cast(tf.notEqual(ids, tf.scalar(padId, 'int32')), 'float32') as tf.Tensor2D;
}

/**
 * The additive attention bias of a padding mask, `[batch, 1, 1, length]`: 0 for real keys, a
 * large negative number for padding keys, so softmax gives them (numerically) no weight. Hugging
 * Face uses float32's lowest value; −1e9 gives the same probabilities and keeps a row of padding
 * only (an empty text) finite — uniform weights — instead of NaN.
 */
export function attentionBias(mask: tf.Tensor2D): tf.Tensor4D {
  const [batch, length] = mask.shape;
  return tf.reshape(tf.mul(tf.sub(1, mask), -1e9), [batch, 1, 1, length]);
}

/** The mean over real tokens of `[batch, length, dim]` (a text of padding only gives zeros). */
export function maskedMean(x: tf.Tensor3D, mask: tf.Tensor2D): tf.Tensor2D {
  const weights = tf.expandDims(mask, 2);
  const count = tf.maximum(tf.sum(mask, 1, true), 1);
  return tf.div(tf.sum(tf.mul(x, weights), 1), count) as tf.Tensor2D;
}

/**
 * Dropout with masks drawn from a seed fixed at model creation, so the same seed trains the same
 * numbers (tf.dropout without a seed uses Math.random). Masks are drawn on the host with
 * mulberry32, the same on every backend: tfjs-core's seeded randomUniform (also host-side) costs
 * ~80 ns a value, which made dropout half of a transformer step (469 vs 212 ms at batch 16,
 * length 128 on tensorflow); this loop costs a few ns. Kept values are scaled by 1/(1 − rate), as
 * torch's nn.Dropout does.
 */
export class SeededDropout {
  private state: number;

  constructor(random: () => number) {
    this.state = Math.floor(random() * 2 ** 32) | 0;
  }

  apply(x: tf.Tensor, rate: number, training: boolean): tf.Tensor {
    if (!training || rate === 0) return x;
    const mask = new Float32Array(x.size);
    const scale = 1 / (1 - rate);
    const threshold = rate * 2 ** 32;
    let s = this.state;
    for (let i = 0; i < mask.length; i++) {
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      mask[i] = (t ^ (t >>> 14)) >>> 0 >= threshold ? scale : 0;
    }
    this.state = s;
    return tf.mul(x, tf.tensor(mask, x.shape, 'float32'));
  }

  /** The mask stream's position, for checkpoints (Model.randomState). */
  get position(): number {
    return this.state;
  }

  set position(state: number) {
    this.state = state | 0;
  }
}

/** A model's randomState for its one dropout stream. */
export function dropoutPosition(dropout: SeededDropout): NonNullable<Model['randomState']> {
  return {
    save: () => [dropout.position],
    restore: ([position]) => {
      dropout.position = position ?? 0;
    },
  };
}

/**
 * Scaled dot-product attention over `heads` heads: q, k, v `[batch, length, dim]`, `bias` the
 * padding bias of attentionBias; dropout on the attention probabilities as torch and BERT apply
 * it. Returns `[batch, length, dim]` with the heads concatenated, before the output projection.
 */
export function multiHeadAttention(
  q: tf.Tensor3D,
  k: tf.Tensor3D,
  v: tf.Tensor3D,
  bias: tf.Tensor4D,
  heads: number,
  dropout: (probs: tf.Tensor) => tf.Tensor,
): tf.Tensor3D {
  const [batch, length, dim] = q.shape;
  const headDim = dim / heads;
  const split = (x: tf.Tensor3D) => tf.transpose(tf.reshape(x, [batch, length, heads, headDim]), [0, 2, 1, 3]) as tf.Tensor4D;
  const scores = tf.add(tf.mul(tf.matMul(split(q), split(k), false, true), 1 / Math.sqrt(headDim)), bias);
  const context = tf.matMul(dropout(tf.softmax(scores)) as tf.Tensor4D, split(v));
  return tf.reshape(tf.transpose(context, [0, 2, 1, 3]), [batch, length, dim]) as tf.Tensor3D;
}

/** Fails with the model's name when a data set's token ids or length do not fit its embeddings. */
export function checkTextFits(sample: TextSample, model: string, limits: { vocabSize: number; maxLength: number }): void {
  if (sample.vocabSize > limits.vocabSize) {
    throw new Error(`model '${model}': the data set's vocabulary has ${sample.vocabSize} ids but the model embeds only ${limits.vocabSize}`);
  }
  if (sample.maxLength > limits.maxLength) {
    throw new Error(`model '${model}': the data set's texts are ${sample.maxLength} tokens long but the model has positions for at most ${limits.maxLength}`);
  }
}
