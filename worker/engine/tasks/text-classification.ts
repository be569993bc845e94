import * as tf from '@tensorflow/tfjs-core';
import type { TextClassificationData, TextSplit } from '../datasets/data.js';
import { classificationRunner, oneHotBatches } from './classification.js';
import type { BatchSource, TaskRunner } from './types.js';

/**
 * Test texts per evaluation batch: smaller than images' 1000, since attention holds
 * batch × heads × length² scores per layer (BERT-base at 128 tokens: 12 × 128² floats per text).
 */
const EVAL_BATCH = 128;

/**
 * Token-id batches: rows of a split copied by index into a reused int32 buffer and uploaded as
 * `[size, maxLength]` int32 (the models embed them); targets one-hot, as for images.
 */
export function textBatches(split: TextSplit, data: TextClassificationData, maxBatch: number): BatchSource {
  const length = data.sample.maxLength;
  const buffer = new Int32Array(maxBatch * length);
  return oneHotBatches(split.labels, data.sample.classes, maxBatch, {
    inputs(order, start, size) {
      if (size > maxBatch) throw new RangeError(`batch of ${size} exceeds ${maxBatch}`);
      for (let i = 0; i < size; i++) {
        const row = order[start + i]!;
        buffer.set(split.tokens.subarray(row * length, (row + 1) * length), i * length);
      }
      // tf.tensor copies the buffer, so it can be refilled for the next batch at once.
      return tf.tensor2d(buffer.subarray(0, size * length), [size, length], 'int32');
    },
    dispose() {},
  });
}

export const textClassification: TaskRunner<TextClassificationData> = classificationRunner('text-classification', textBatches, EVAL_BATCH);
