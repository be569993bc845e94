import type * as tf from '@tensorflow/tfjs-core';
import type { ImageSample, MaskSample, TextSample } from '../datasets/data.js';

/** Input image shape, NHWC without the batch: [height, width, channels]. */
export type ImageShape = readonly [number, number, number];

/** What a model is built for: the data set's sample (its shape, classes). */
export type ModelInput = ImageSample | MaskSample | TextSample;

/**
 * A trainable model: its variables and a forward pass from a batch of inputs to logits —
 * `[batch, classes]` for classification, `[batch, h, w, classes]` for segmentation.
 */
export interface Model {
  readonly name: string;
  /** Trainable parameters, in a fixed order (optimizers keep per-tensor state by index). */
  readonly variables: readonly tf.Variable[];
  /**
   * The forward pass. `training` (default false) switches what differs between training and
   * evaluation: dropout on, batch norm from the batch's statistics (and its running statistics
   * updated) rather than from the running ones.
   */
  predict(inputs: tf.Tensor, training?: boolean): tf.Tensor;
  /**
   * Non-trainable tensors the training forward pass updates (batch norm's running statistics), in
   * a fixed order; a checkpoint must hold them or a resumed run evaluates with other statistics.
   */
  readonly buffers?: readonly tf.Variable[];
  /**
   * Where the model's own random draws stand (dropout streams), so a resumed run drops the same
   * units as the uninterrupted one. Absent: the model draws nothing while training.
   */
  readonly randomState?: { save(): number[]; restore(state: readonly number[]): void };
  /**
   * Layers Grad-CAM can explain (worker/engine/gradcam/), in forward order; the last is the
   * default. Absent: the model has none (an MLP, a text model).
   */
  readonly camLayers?: readonly string[];
  /**
   * The evaluation-mode forward pass cut at the output of `layer` (one of camLayers): `head` maps
   * the inputs to that layer's activation `[batch, h, w, channels]`, `tail` maps the activation to
   * the logits, so that tail(head(x)) equals predict(x).
   */
  splitAt?(layer: string): { head(inputs: tf.Tensor): tf.Tensor4D; tail(activation: tf.Tensor4D): tf.Tensor };
  dispose(): void;
}

export interface ModelFactory {
  readonly name: string;
  /**
   * Builds the model with PyTorch-default initialisation drawn from `random` (seeded). `options`
   * are the model's own (validated against its catalog schema; e.g. `pretrained: DIR` for bert,
   * whose files are read synchronously here).
   */
  create(input: ModelInput, random: () => number, options?: Readonly<Record<string, unknown>>): Model;
}

/** The image sample an image model is built for; a usage error for text (a catalog pairing slip). */
export function imageInput(input: ModelInput, model: string): ImageSample | MaskSample {
  if (input.kind === 'tokens') throw new Error(`model '${model}' takes images, not token ids`);
  return input;
}

/** The text sample a text model is built for; a usage error for images (a catalog pairing slip). */
export function textInput(input: ModelInput, model: string): TextSample {
  if (input.kind !== 'tokens') throw new Error(`model '${model}' takes token ids, not images`);
  return input;
}
