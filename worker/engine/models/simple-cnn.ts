import * as tf from '@tensorflow/tfjs-core';
import { MODELS } from './catalog.js';
import { convLayer, denseLayer } from './init.js';
import { imageInput, type Model, type ModelFactory, type ModelInput } from './types.js';

/**
 * Grad-CAM cut points: the outputs of the two conv layers themselves, before their ReLU and
 * pooling — what the original's forward hook on `nn.Conv2d` module `conv2` sees.
 */
/** Grad-CAM's layers, as the catalog states them. */
const CAM_LAYERS = MODELS.get('simple-cnn').camLayers ?? [];

/**
 * The original project's SimpleCNN: conv 3x3 (pad 1) -> 32, ReLU, max-pool 2; conv 3x3 (pad 1) ->
 * 64, ReLU, max-pool 2; dense 128, ReLU; dense `classes`. Works for 28x28x1 and 32x32x3 inputs.
 */
export const simpleCnn: ModelFactory = {
  name: 'simple-cnn',
  create(input: ModelInput, random: () => number): Model {
    const sample = imageInput(input, 'simple-cnn');
    const classes = sample.classes;
    const [height, width, channels] = sample.shape;
    const conv1 = convLayer(3, channels, 32, random);
    const conv2 = convLayer(3, 32, 64, random);
    const flat = Math.floor(height / 4) * Math.floor(width / 4) * 64;
    const fc1 = denseLayer(flat, 128, random);
    const fc2 = denseLayer(128, classes, random);
    const variables = [conv1.filter, conv1.bias, conv2.filter, conv2.bias, fc1.weight, fc1.bias, fc2.weight, fc2.bias];
    // The forward pass in stages, so Grad-CAM can cut it at either conv's output.
    const conv = (x: tf.Tensor4D, layer: typeof conv1) => tf.add<tf.Tensor4D>(tf.conv2d(x, layer.filter as tf.Tensor4D, 1, 'same'), layer.bias);
    // maxPool(relu(x)) computed as relu(maxPool(x)): the same values (ReLU is monotonic, so it
    // commutes with max) and the same gradients (a window whose maximum is ≤ 0 passes none either
    // way), with the ReLU and its gradient on a quarter of the elements.
    const reluPool = (x: tf.Tensor4D) => tf.relu(tf.maxPool(x, 2, 2, 'valid'));
    const head1 = (images: tf.Tensor) => conv(images as tf.Tensor4D, conv1);
    const head2 = (images: tf.Tensor) => conv(reluPool(head1(images)), conv2);
    const tail2 = (a: tf.Tensor4D): tf.Tensor2D => {
      const h = tf.relu(tf.add(tf.matMul(tf.reshape(reluPool(a), [-1, flat]), fc1.weight), fc1.bias));
      return tf.add(tf.matMul(h, fc2.weight), fc2.bias) as tf.Tensor2D;
    };
    const tail1 = (a: tf.Tensor4D) => tail2(conv(reluPool(a), conv2));
    return {
      name: 'simple-cnn',
      variables,
      predict(images: tf.Tensor): tf.Tensor2D {
        return tf.tidy(() => tail2(head2(images)));
      },
      camLayers: CAM_LAYERS,
      splitAt(layer: string) {
        if (layer === 'conv1') return { head: head1, tail: tail1 };
        if (layer === 'conv2') return { head: head2, tail: tail2 };
        throw new RangeError(`simple-cnn has no layer '${layer}'; Grad-CAM layers: ${CAM_LAYERS.join(', ')}`);
      },
      dispose() {
        for (const v of variables) v.dispose();
      },
    };
  },
};
