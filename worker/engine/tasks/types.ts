import type * as tf from '@tensorflow/tfjs-core';
import type { MetricName } from '../../../shared/metrics.js';
import type { LoadedDataset } from '../datasets/data.js';
import type { Model } from '../models/types.js';
import type { TaskMeta } from './catalog.js';

/** One batch on the device: what the model takes, and what its output is judged against. */
export interface Batch {
  readonly inputs: tf.Tensor;
  readonly targets: tf.Tensor;
}

/** Builds batches of one split from the host arrays (reusing its buffers); `dispose` frees its constants. */
export interface BatchSource {
  build(order: ArrayLike<number>, start: number, size: number): Batch;
  dispose(): void;
}

export interface Evaluation {
  /** Mean loss over the split. */
  readonly loss: number;
  /** Every metric of the task (catalog.ts), as fractions. */
  readonly metrics: Partial<Record<MetricName, number>>;
}

/**
 * A task as the training loop uses it: how to batch its data, its loss, and its evaluation. The
 * loop knows nothing else about what it trains.
 */
export interface TaskRunner<D extends LoadedDataset = LoadedDataset> {
  readonly meta: TaskMeta;
  batches(data: D, split: 'train' | 'test', maxBatch: number): BatchSource;
  /** The mean loss of a batch of `data` (a scalar the loop differentiates). */
  loss(outputs: tf.Tensor, targets: tf.Tensor, data: D): tf.Scalar;
  /** Loss and metrics over the test split, accumulated on the device and read back once. */
  evaluate(model: Model, data: D): Promise<Evaluation>;
}
