import * as tf from '@tensorflow/tfjs-core';
import { MODELS } from './catalog.js';
import { convLayer } from './init.js';
import { bilinearResize } from './resize.js';
import { imageInput, type Model, type ModelFactory, type ModelInput } from './types.js';

/**
 * A small U-Net that trains on CPU: three levels of two 3x3 conv + ReLU (16, 32, 64 channels),
 * 2x2 max-pool down, bilinear upsampling (half-pixel centres, as torch's
 * interpolate(align_corners=False)) back to the skip's size, concatenation with the skip, two
 * 3x3 conv + ReLU (32, 16), and a 1x1 conv to the classes: `[batch, h, w, classes]` logits at the
 * input's resolution, for any h and w. No batch norm, so training and evaluation compute the same.
 * PyTorch-default init (init.ts); bench/pytorch/segmentation_step.py builds the same network.
 *
 * Grad-CAM layers: `dec1` (the last 3x3 conv block, 16 channels) and `out` (the final 1x1 conv,
 * the logits; the default).
 */
const BASE = 16;

export const unet: ModelFactory = {
  name: 'unet',
  create(input: ModelInput, random: () => number): Model {
    const sample = imageInput(input, 'unet');
    if (sample.kind !== 'image-mask') throw new Error("model 'unet' segments images: it needs a segmentation data set");
    const channels = sample.shape[2];
    const c1 = BASE, c2 = 2 * BASE, c3 = 4 * BASE;
    const layers = {
      enc1a: convLayer(3, channels, c1, random),
      enc1b: convLayer(3, c1, c1, random),
      enc2a: convLayer(3, c1, c2, random),
      enc2b: convLayer(3, c2, c2, random),
      midA: convLayer(3, c2, c3, random),
      midB: convLayer(3, c3, c3, random),
      dec2a: convLayer(3, c3 + c2, c2, random),
      dec2b: convLayer(3, c2, c2, random),
      dec1a: convLayer(3, c2 + c1, c1, random),
      dec1b: convLayer(3, c1, c1, random),
      out: convLayer(1, c1, sample.classes, random),
    };
    const variables = Object.values(layers).flatMap((l) => [l.filter, l.bias]);
    const conv = (x: tf.Tensor4D, l: { filter: tf.Variable; bias: tf.Variable }) => tf.add<tf.Tensor4D>(tf.conv2d(x, l.filter as tf.Tensor4D, 1, 'same'), l.bias);
    const block = (x: tf.Tensor4D, a: (typeof layers)['enc1a'], b: (typeof layers)['enc1a']) => tf.relu(conv(tf.relu(conv(x, a)), b));
    const up = (x: tf.Tensor4D, skip: tf.Tensor4D) => tf.concat([bilinearResize(x, skip.shape[1], skip.shape[2]), skip], 3);
    /** Up to the last 3x3 block's output. */
    const features = (images: tf.Tensor4D): tf.Tensor4D => {
      const s1 = block(images, layers.enc1a, layers.enc1b);
      const s2 = block(tf.maxPool(s1, 2, 2, 'valid'), layers.enc2a, layers.enc2b);
      const mid = block(tf.maxPool(s2, 2, 2, 'valid'), layers.midA, layers.midB);
      const d2 = block(up(mid, s2), layers.dec2a, layers.dec2b);
      return block(up(d2, s1), layers.dec1a, layers.dec1b);
    };
    return {
      name: 'unet',
      variables,
      camLayers: MODELS.get('unet').camLayers ?? [],
      predict(images: tf.Tensor): tf.Tensor4D {
        return tf.tidy(() => conv(features(images as tf.Tensor4D), layers.out));
      },
      splitAt(layer: string) {
        if (layer === 'dec1') return { head: (x: tf.Tensor) => tf.tidy(() => features(x as tf.Tensor4D)), tail: (a: tf.Tensor4D) => tf.tidy(() => conv(a, layers.out)) };
        if (layer === 'out') return { head: (x: tf.Tensor) => this.predict(x) as tf.Tensor4D, tail: (a: tf.Tensor4D) => tf.clone(a) };
        throw new Error(`unet has no layer '${layer}' for Grad-CAM (layers: dec1, out)`);
      },
      dispose() {
        for (const v of variables) v.dispose();
      },
    };
  },
};
