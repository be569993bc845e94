import '../tfjs-setup.js';
import * as tf from '@tensorflow/tfjs-core';
import type { Model } from '../models/types.js';

export interface CamMaps {
  /** One map per sample, `height × width` values in [0, 1], sample after sample. */
  readonly maps: Float32Array;
  /** The class each map explains: the model's prediction (classification) or the top class-mean (segmentation). */
  readonly predicted: Int32Array;
}

/**
 * Grad-CAM (Selvaraju et al. 2017) as the original computes it: with A the layer's activation,
 * the score y of the explained class — its logit, or for a segmentation model the mean of its
 * logits over the pixels (the original's `output.mean(dim=(2, 3))`) — the channel weights are the
 * spatial means of ∂y/∂A, the map is ReLU(Σ_k w_k A_k) divided by its maximum (left at 0 where
 * the map is all 0), then resized bilinearly (half-pixel centres, as cv2.resize) to `size`.
 * The explained class is the model's top-scoring one. Evaluation mode throughout.
 */
export async function gradCam(model: Model, inputs: tf.Tensor4D, layer: string, size: readonly [number, number]): Promise<CamMaps> {
  if (!model.splitAt) throw new Error(`model '${model.name}' cannot be cut at a layer for Grad-CAM`);
  const { head, tail } = model.splitAt(layer);
  const [mapsT, predictedT] = tf.tidy(() => {
    const activation = head(inputs);
    // Per-class scores [batch, classes]: logits, or logits averaged over the pixels.
    const scores = (a: tf.Tensor4D): tf.Tensor2D => {
      const out = tail(a);
      return (out.rank === 4 ? tf.mean(out, [1, 2]) : out) as tf.Tensor2D;
    };
    const first = scores(activation);
    const predicted = tf.argMax(first, 1);
    const classes = first.shape[1];
    const pick = tf.cast(tf.equal(tf.reshape(tf.range(0, classes, 1, 'int32'), [1, classes]), tf.reshape(predicted, [-1, 1])), 'float32');
    // Samples are independent in evaluation mode, so the batch's summed score has each sample's gradient.
    const gradients = tf.grad((a) => tf.sum(tf.mul(scores(a as tf.Tensor4D), pick)))(activation);
    const weights = tf.mean(gradients, [1, 2], true);
    const cam = tf.relu(tf.sum(tf.mul(activation, weights), 3, true));
    const peak = tf.max(cam, [1, 2, 3], true);
    const normalised = tf.div(cam, tf.where(tf.greater(peak, 0), peak, tf.onesLike(peak)));
    const resized = tf.image.resizeBilinear(normalised as tf.Tensor4D, [size[0], size[1]], false, true);
    // Bilinear weights are convex, so values stay in [0, 1] up to rounding.
    return [tf.clipByValue(resized, 0, 1), predicted];
  });
  try {
    const [maps, predicted] = await Promise.all([mapsT.data(), predictedT.data()]);
    return { maps: maps as Float32Array, predicted: Int32Array.from(predicted) };
  } finally {
    tf.dispose([mapsT, predictedT]);
  }
}
