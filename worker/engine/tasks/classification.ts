import * as tf from '@tensorflow/tfjs-core';
import type { ImageClassificationData, TextClassificationData } from '../datasets/data.js';
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

/** The model inputs of a batch (images, token ids), by sample index; `dispose` frees its constants. */
export interface InputSource {
  inputs(order: ArrayLike<number>, start: number, size: number): tf.Tensor;
  dispose(): void;
}

/** The classification data sets: one label per sample, whatever the sample is. */
type ClassificationData = ImageClassificationData | TextClassificationData;

/**
 * One class per sample. Targets are one-hot float rows (built on the host into a reused buffer),
 * so the loss is the plain `−Σ onehot·log softmax` that MNIST's recorded curves were made with.
 */
export function oneHotBatches(labels: ArrayLike<number>, classes: number, maxBatch: number, source: InputSource): BatchSource {
  const labelBuffer = new Float32Array(maxBatch * classes);
  return {
    build(order, start, size) {
      labelBuffer.fill(0, 0, size * classes);
      for (let i = 0; i < size; i++) labelBuffer[i * classes + labels[order[start + i]!]!] = 1;
      return { inputs: source.inputs(order, start, size), targets: tf.tensor2d(labelBuffer.subarray(0, size * classes), [size, classes]) };
    },
    dispose: () => source.dispose(),
  };
}

/** Image batches with one-hot targets. */
export function classificationBatches(split: ImageClassificationData['train'], data: ImageClassificationData, maxBatch: number): BatchSource {
  const images = new ImageBatches(split, data.sample, maxBatch);
  return oneHotBatches(split.labels, data.sample.classes, maxBatch, { inputs: (o, s, n) => images.images(o, s, n), dispose: () => images.dispose() });
}

/** Loss sum and correct count over a split, accumulated on the device, read back once. */
export async function evaluateClassifier(model: Model, count: number, batches: BatchSource, evalBatch = EVAL_BATCH): Promise<Evaluation> {
  const order = sequentialOrder(count);
  let totals = tf.zeros([2]);
  try {
    for (let start = 0; start < count; start += evalBatch) {
      const size = Math.min(evalBatch, count - start);
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

/**
 * A classification task over one kind of sample: its batches (`batches` builds a split's), the
 * cross-entropy loss, and accuracy over the test split in batches of `evalBatch`.
 */
export function classificationRunner<D extends ClassificationData>(
  task: D['task'],
  batches: (split: D['train'], data: D, maxBatch: number) => BatchSource,
  evalBatch: number,
): TaskRunner<D> {
  return {
    meta: TASKS[task],
    batches: (data, split, maxBatch) => batches(data[split], data, maxBatch),
    loss: (logits, targets) => crossEntropy(logits as tf.Tensor2D, targets as tf.Tensor2D),
    evaluate: (model, data) => {
      const size = Math.min(evalBatch, data.test.count);
      return evaluateClassifier(model, data.test.count, batches(data.test, data, size), size);
    },
  };
}

export const imageClassification: TaskRunner<ImageClassificationData> = classificationRunner('image-classification', classificationBatches, EVAL_BATCH);
