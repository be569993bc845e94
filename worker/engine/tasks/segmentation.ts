import * as tf from '@tensorflow/tfjs-core';
import type { MaskSplit, SegmentationData } from '../datasets/data.js';
import type { Model } from '../models/types.js';
import { TASKS } from './catalog.js';
import { ImageBatches } from './image-batches.js';
import { sequentialOrder } from './order.js';
import type { BatchSource, Evaluation, TaskRunner } from './types.js';

/** Test images per evaluation batch: a 224×224 batch of 21-class logits is 4 MB an image. */
const EVAL_BATCH = 8;

/**
 * Pixel cross-entropy with an ignore index, as torch.nn.CrossEntropyLoss(ignore_index=…) with the
 * mean reduction: the mean of −log p(target) over the pixels that have a class; ignored pixels
 * count for nothing, and a batch with none labelled has loss 0.
 */
export function pixelCrossEntropy(logits: tf.Tensor4D, targets: tf.Tensor3D, ignoreIndex: number): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[3];
    const valid = tf.notEqual(targets, ignoreIndex);
    const safe = tf.where(valid, targets, tf.zerosLike(targets)) as tf.Tensor3D;
    const logp = tf.logSoftmax(logits);
    const picked = tf.sum(tf.mul(tf.oneHot(safe, classes), logp), 3);
    const mask = tf.cast(valid, 'float32');
    // −log p summed with the mask applied after the negation, so a batch with no labelled pixel is +0, not −0.
    return tf.div(tf.sum(tf.mul(tf.neg(picked), mask)), tf.maximum(tf.sum(mask), 1)) as tf.Scalar;
  });
}

/**
 * The confusion matrix `[classes, classes]` (row: truth, column: prediction) of a batch's valid
 * pixels, as float sums of one-hot products: one matmul, no integer scatter, on every backend.
 */
export function confusion(logits: tf.Tensor4D, targets: tf.Tensor3D, ignoreIndex: number): tf.Tensor2D {
  return tf.tidy(() => {
    const classes = logits.shape[3];
    const valid = tf.reshape(tf.cast(tf.notEqual(targets, ignoreIndex), 'float32'), [-1, 1]);
    const truth = tf.mul(tf.oneHot(tf.reshape(tf.where(tf.notEqual(targets, ignoreIndex), targets, tf.zerosLike(targets)), [-1]), classes), valid);
    const predicted = tf.oneHot(tf.reshape(tf.argMax(logits, 3), [-1]), classes);
    return tf.matMul(truth, predicted, true, false) as tf.Tensor2D;
  });
}

/**
 * Pixel accuracy and mean IoU from a confusion matrix: IoU_k = C_kk / (Σ_j C_kj + Σ_i C_ik − C_kk)
 * over the classes present in the truth or the prediction (a class absent from both says nothing
 * about the model and is left out, as the usual mIoU does).
 */
export function segmentationMetrics(matrix: Float32Array | Float64Array, classes: number): { pixel_accuracy: number; miou: number } {
  let correct = 0;
  let total = 0;
  let iouSum = 0;
  let present = 0;
  for (let k = 0; k < classes; k++) {
    let row = 0;
    let col = 0;
    for (let j = 0; j < classes; j++) {
      row += matrix[k * classes + j]!;
      col += matrix[j * classes + k]!;
    }
    const hit = matrix[k * classes + k]!;
    correct += hit;
    total += row;
    const union = row + col - hit;
    if (union > 0) {
      iouSum += hit / union;
      present++;
    }
  }
  return { pixel_accuracy: total ? correct / total : 0, miou: present ? iouSum / present : 0 };
}

/** Images normalised as classification's; targets the masks as int32 `[size, h, w]`. */
function maskBatches(split: MaskSplit, data: SegmentationData, maxBatch: number): BatchSource {
  const [h, w] = data.sample.shape;
  const images = new ImageBatches(split, data.sample, maxBatch);
  const maskBuffer = new Int32Array(maxBatch * h * w);
  return {
    build(order, start, size) {
      for (let i = 0; i < size; i++) {
        const index = order[start + i]!;
        maskBuffer.set(split.masks.subarray(index * h * w, (index + 1) * h * w), i * h * w);
      }
      return { inputs: images.images(order, start, size), targets: tf.tensor3d(maskBuffer.subarray(0, size * h * w), [size, h, w], 'int32') };
    },
    dispose: () => images.dispose(),
  };
}

async function evaluateSegmenter(model: Model, data: SegmentationData): Promise<Evaluation> {
  const { count } = data.test;
  const { classes, ignoreIndex } = data.sample;
  const batches = maskBatches(data.test, data, Math.min(EVAL_BATCH, count));
  const order = sequentialOrder(count);
  let matrix = tf.zeros([classes, classes]) as tf.Tensor2D;
  let lossSum = tf.scalar(0);
  try {
    for (let start = 0; start < count; start += EVAL_BATCH) {
      const size = Math.min(EVAL_BATCH, count - start);
      const { inputs, targets } = batches.build(order, start, size);
      const [m, l] = tf.tidy(() => {
        const logits = model.predict(inputs) as tf.Tensor4D;
        return [tf.add(matrix, confusion(logits, targets as tf.Tensor3D, ignoreIndex)), tf.add(lossSum, tf.mul(pixelCrossEntropy(logits, targets as tf.Tensor3D, ignoreIndex), size))] as const;
      });
      tf.dispose([inputs, targets, matrix, lossSum]);
      matrix = m as tf.Tensor2D;
      lossSum = l as tf.Scalar;
    }
    const [values, loss] = await Promise.all([matrix.data(), lossSum.data()]);
    return { loss: loss[0]! / count, metrics: segmentationMetrics(values as Float32Array, classes) };
  } finally {
    tf.dispose([matrix, lossSum]);
    batches.dispose();
  }
}

export const segmentation: TaskRunner<SegmentationData> = {
  meta: TASKS.segmentation,
  batches: (data, split, maxBatch) => maskBatches(data[split], data, maxBatch),
  loss: (logits, targets, data) => pixelCrossEntropy(logits as tf.Tensor4D, targets as tf.Tensor3D, data.sample.ignoreIndex),
  evaluate: evaluateSegmenter,
};
