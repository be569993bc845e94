import type * as tf from '@tensorflow/tfjs-core';
import type { ImageSample, MaskSample } from '../datasets/data.js';

/** Input image shape, NHWC without the batch: [height, width, channels]. */
export type ImageShape = readonly [number, number, number];

/** What a model is built for: the data set's sample (its shape, classes). */
export type ModelInput = ImageSample | MaskSample;

/**
 * A trainable model: its variables and a forward pass from a batch of inputs to logits —
 * `[batch, classes]` for classification, `[batch, h, w, classes]` for segmentation.
 */
export interface Model {
  readonly name: string;
  /** Trainable parameters, in a fixed order (optimizers keep per-tensor state by index). */
  readonly variables: readonly tf.Variable[];
  predict(inputs: tf.Tensor): tf.Tensor;
  dispose(): void;
}

export interface ModelFactory {
  readonly name: string;
  /** Builds the model with PyTorch-default initialisation drawn from `random` (seeded). */
  create(input: ModelInput, random: () => number): Model;
}
