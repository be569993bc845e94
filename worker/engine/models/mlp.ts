import * as tf from '@tensorflow/tfjs-core';
import { mlpOptions } from './catalog.js';
import { denseLayer } from './init.js';
import { imageInput, type Model, type ModelFactory, type ModelInput } from './types.js';

/**
 * A one-hidden-layer perceptron (flatten, dense `hidden` (default 64), ReLU, dense classes). Cheap
 * on every backend, including the pure-JS one, which makes it the model of choice for tests and
 * dispatch benchmarks.
 */
export const mlp: ModelFactory = {
  name: 'mlp',
  create(input: ModelInput, random: () => number, options?: Readonly<Record<string, unknown>>): Model {
    const sample = imageInput(input, 'mlp');
    const { hidden } = mlpOptions.parse(options ?? {});
    const classes = sample.classes;
    const features = sample.shape[0] * sample.shape[1] * sample.shape[2];
    const fc1 = denseLayer(features, hidden, random);
    const fc2 = denseLayer(hidden, classes, random);
    const variables = [fc1.weight, fc1.bias, fc2.weight, fc2.bias];
    return {
      name: 'mlp',
      variables,
      predict(images: tf.Tensor): tf.Tensor2D {
        return tf.tidy(() => {
          const h = tf.relu(tf.add(tf.matMul(tf.reshape(images, [-1, features]), fc1.weight), fc1.bias));
          return tf.add(tf.matMul(h, fc2.weight), fc2.bias) as tf.Tensor2D;
        });
      },
      dispose() {
        for (const v of variables) v.dispose();
      },
    };
  },
};
