import type * as tf from '@tensorflow/tfjs-core';

/** Input image shape, NHWC without the batch: [height, width, channels]. */
export type ImageShape = readonly [number, number, number];

/** A trainable classifier: its variables and a forward pass to logits. */
export interface Model {
  readonly name: string;
  /** Trainable parameters, in a fixed order (optimizers keep per-tensor state by index). */
  readonly variables: readonly tf.Variable[];
  /** Logits `[batch, classes]` for a batch of images `[batch, h, w, c]`. */
  predict(images: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

export interface ModelFactory {
  readonly name: string;
  readonly description: string;
  /** Builds the model with PyTorch-default initialisation drawn from `random` (seeded). */
  create(input: ImageShape, classes: number, random: () => number): Model;
}
