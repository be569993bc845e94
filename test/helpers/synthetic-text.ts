import * as tf from '@tensorflow/tfjs-core';
import type { TextClassificationData, TextSample, TextSplit } from '../../worker/engine/datasets/data.js';
import { crossEntropy } from '../../worker/engine/tasks/classification.js';
import { createOptimizer } from '../../worker/engine/optimizers/index.js';
import { trainStep } from '../../worker/engine/train.js';
import type { Model } from '../../worker/engine/models/types.js';

/** A text sample description for tests: word-level ids, pad 0. */
export function textSample(fields: Partial<Omit<TextSample, 'kind'>> = {}): TextSample {
  return { kind: 'tokens', maxLength: 16, vocabSize: 50, padId: 0, classes: 3, tokenizer: { algorithm: 'test ids', source: 'in memory' }, ...fields };
}

/**
 * A tiny text-classification data set built in memory, learnable from its words: each text of
 * class c is 3..maxLength ids drawn from c's own band of the vocabulary, padded with padId.
 */
export function syntheticText(sample: TextSample, count: number, random: () => number): TextClassificationData {
  const band = Math.floor((sample.vocabSize - 1) / sample.classes);
  const split = (n: number): TextSplit => {
    const tokens = new Int32Array(n * sample.maxLength).fill(sample.padId);
    const labels = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const c = i % sample.classes;
      labels[i] = c;
      const length = 3 + Math.floor(random() * (sample.maxLength - 2));
      for (let t = 0; t < length; t++) tokens[i * sample.maxLength + t] = 1 + c * band + Math.floor(random() * band);
    }
    return { count: n, tokens, labels };
  };
  return { task: 'text-classification', name: 'synthetic-text', sample, train: split(count), test: split(count), sha256: {} };
}

/** A split's ids and one-hot labels as tensors. */
export function textBatch(data: TextClassificationData): { inputs: tf.Tensor2D; targets: tf.Tensor2D } {
  const { train, sample } = data;
  return {
    inputs: tf.tensor2d(train.tokens, [train.count, sample.maxLength], 'int32'),
    targets: tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(Array.from(train.labels), 'int32'), sample.classes), 'float32')) as tf.Tensor2D,
  };
}

/** Evaluation-mode loss of the model on the batch (no dropout: comparable before and after a step). */
export function evalLoss(model: Model, inputs: tf.Tensor, targets: tf.Tensor2D): number {
  return tf.tidy(() => crossEntropy(model.predict(inputs) as tf.Tensor2D, targets).dataSync()[0]!);
}

/** The evaluation loss before and after `steps` training steps (dropout on) of `optimizer`. */
export async function lossAcrossSteps(model: Model, data: TextClassificationData, optimizer: string, hyperparameters: Record<string, number>, steps = 1) {
  const { inputs, targets } = textBatch(data);
  const opt = await createOptimizer(optimizer, hyperparameters, 1);
  try {
    const before = evalLoss(model, inputs, targets);
    for (let s = 0; s < steps; s++) {
      const out = await trainStep(model, opt, (o, t) => crossEntropy(o as tf.Tensor2D, t as tf.Tensor2D), inputs, targets, 0, s);
      await out.scalars;
    }
    return { before, after: evalLoss(model, inputs, targets) };
  } finally {
    opt.dispose();
    tf.dispose([inputs, targets]);
  }
}

/** Parameters of a model: the sum of its variables' sizes. */
export const parameterCount = (model: Model) => model.variables.reduce((n, v) => n + v.size, 0);
