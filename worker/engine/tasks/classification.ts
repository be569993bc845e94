import * as tf from '@tensorflow/tfjs-core';
import type { ImageClassificationData } from '../datasets/data.js';
import type { Model } from '../models/types.js';
import { sequentialOrder } from './order.js';
import { TASKS } from './catalog.js';
import { ImageBatches } from './image-batches.js';
import type { BatchSource, Evaluation, TaskRunner } from './types.js';

/** Test images per evaluation batch (the original's test batch size). */
const EVAL_BATCH = 1000;

/** Mean softmax cross-entropy of logits against one-hot labels (torch.nn.CrossEntropyLoss). */
export function crossEntropy(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.neg(tf.mean(tf.sum(tf.mul(oneHot, tf.logSoftmax(logits)), 1))) as tf.Scalar);
}

/**
 * One class per sample. Targets are one-hot float rows (built on the host into a reused buffer),
 * so the loss is the plain `−Σ onehot·log softmax` that MNIST's recorded curves were made with.
 */
export function classificationBatches(split: ImageClassificationData['train'], data: ImageClassificationData, maxBatch: number): BatchSource {
  const classes = data.sample.classes;
  const images = new ImageBatches(split, data.sample, maxBatch);
  const labelBuffer = new Float32Array(maxBatch * classes);
  return {
    build(order, start, size) {
      labelBuffer.fill(0, 0, size * classes);
      for (let i = 0; i < size; i++) labelBuffer[i * classes + split.labels[order[start + i]!]!] = 1;
      return { inputs: images.images(order, start, size), targets: tf.tensor2d(labelBuffer.subarray(0, size * classes), [size, classes]) };
    },
    dispose: () => images.dispose(),
  };
}

/** Loss sum and correct count over a split, accumulated on the device, read back once. */
export async function evaluateClassifier(model: Model, count: number, batches: BatchSource): Promise<Evaluation> {
  const order = sequentialOrder(count);
  let totals = tf.zeros([2]);
  try {
    for (let start = 0; start < count; start += EVAL_BATCH) {
      const size = Math.min(EVAL_BATCH, count - start);
      const { inputs, targets } = batches.build(order, start, size);
      const next = tf.tidy(() => {
        const logits = model.predict(inputs) as tf.Tensor2D;
        const lossSum = tf.mul(crossEntropy(logits, targets as tf.Tensor2D), size);
        const correct = tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(targets, 1)), 'float32'));
        return tf.add(totals, tf.stack([lossSum, correct]));
      });
      tf.dispose([inputs, targets, totals]);
      totals = next;
    }
    const [lossSum, correct] = await totals.data();
    return { loss: lossSum! / count, metrics: { accuracy: correct! / count } };
  } finally {
    totals.dispose();
    batches.dispose();
  }
}

export const imageClassification: TaskRunner<ImageClassificationData> = {
  meta: TASKS['image-classification'],
  batches: (data, split, maxBatch) => classificationBatches(data[split], data, maxBatch),
  loss: (logits, targets) => crossEntropy(logits as tf.Tensor2D, targets as tf.Tensor2D),
  evaluate: (model, data) => evaluateClassifier(model, data.test.count, classificationBatches(data.test, data, Math.min(EVAL_BATCH, data.test.count))),
};
