import * as tf from '@tensorflow/tfjs-core';
import { convLayer, denseLayer } from './init.js';
import { imageInput, type Model, type ModelFactory, type ModelInput } from './types.js';

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
    return {
      name: 'simple-cnn',
      variables,
      predict(images: tf.Tensor): tf.Tensor2D {
        return tf.tidy(() => {
          let x = tf.relu(tf.add<tf.Tensor4D>(tf.conv2d(images as tf.Tensor4D, conv1.filter as tf.Tensor4D, 1, 'same'), conv1.bias));
          x = tf.maxPool(x, 2, 2, 'valid');
          x = tf.relu(tf.add<tf.Tensor4D>(tf.conv2d(x, conv2.filter as tf.Tensor4D, 1, 'same'), conv2.bias));
          x = tf.maxPool(x, 2, 2, 'valid');
          const h = tf.relu(tf.add(tf.matMul(tf.reshape(x, [-1, flat]), fc1.weight), fc1.bias));
          return tf.add(tf.matMul(h, fc2.weight), fc2.bias) as tf.Tensor2D;
        });
      },
      dispose() {
        for (const v of variables) v.dispose();
      },
    };
  },
};
