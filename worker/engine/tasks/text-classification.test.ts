import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '../tfjs-setup.js';
import { cpuBackend } from '../backends/cpu.js';
import type { TextClassificationData } from '../datasets/data.js';
import type { Model } from '../models/types.js';
import { runnerFor } from './index.js';

before(() => cpuBackend.activate());

/** Four texts of 3 tokens, two classes: the class is whether the first token is odd. */
const data: TextClassificationData = {
  task: 'text-classification',
  name: 'tiny',
  sample: { kind: 'tokens', maxLength: 3, vocabSize: 10, padId: 0, classes: 2, classNames: ['even', 'odd'], tokenizer: { algorithm: 'test', source: 'test' } },
  train: { count: 4, tokens: Int32Array.from([2, 5, 0, 3, 0, 0, 4, 4, 4, 7, 1, 0]), labels: Uint8Array.from([0, 1, 0, 1]) },
  test: { count: 3, tokens: Int32Array.from([1, 0, 0, 6, 2, 0, 9, 9, 9]), labels: Uint8Array.from([1, 1, 1]) },
  sha256: {},
};

/** A test-only model (not registered): logits [1 − odd, odd]·3 from the first token, no variables. */
const parity: Model = {
  name: 'parity',
  variables: [],
  predict: (inputs) =>
    tf.tidy(() => {
      const first = tf.reshape(tf.slice(inputs, [0, 0], [-1, 1]), [-1]);
      const odd = tf.cast(tf.mod(first, 2), 'float32');
      return tf.mul(tf.stack([tf.sub(1, odd), odd], 1), 3);
    }),
  dispose: () => {},
};

test('text-classification: batches are the rows of the order as int32 [size, maxLength], one-hot targets', async () => {
  const runner = await runnerFor(data);
  assert.equal(runner.meta.name, 'text-classification');
  const batches = runner.batches(data, 'train', 3);
  const batch = batches.build(Uint32Array.from([3, 1, 0, 2]), 0, 3);
  assert.equal(batch.inputs.dtype, 'int32');
  assert.deepEqual(batch.inputs.shape, [3, 3]);
  assert.deepEqual(Array.from(await batch.inputs.data()), [7, 1, 0, 3, 0, 0, 2, 5, 0]);
  assert.deepEqual(Array.from(await batch.targets.data()), [0, 1, 0, 1, 1, 0]);
  assert.throws(() => batches.build(Uint32Array.from([0, 1, 2, 3]), 0, 4), RangeError);
  tf.dispose([batch.inputs, batch.targets]);
  batches.dispose();
});

test("text-classification: evaluation is classification's: accuracy and mean cross-entropy over the test split", async () => {
  const runner = await runnerFor(data);
  const before = tf.memory().numTensors;
  const { loss, metrics } = await runner.evaluate(parity, data);
  // Test first tokens 1, 6, 9 (all labelled odd): right, wrong, right.
  assert.equal(metrics.accuracy, 2 / 3);
  const right = Math.log(1 + Math.exp(-3));
  const wrong = Math.log(1 + Math.exp(3));
  assert.ok(Math.abs(loss - (2 * right + wrong) / 3) < 1e-5, `loss ${loss}`);
  assert.equal(tf.memory().numTensors, before, 'evaluation leaves no tensors');
});
