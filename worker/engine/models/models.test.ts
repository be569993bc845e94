import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { cpuBackend } from '../backends/cpu.js';
import { stream } from '../random.js';
import type { ImageSample } from '../datasets/data.js';
import { modelByName } from './index.js';

const image = (shape: readonly [number, number, number]): ImageSample => ({ kind: 'image', shape, classes: 10, normalization: { mean: [0], std: [1], arithmetic: 'float32' } });

describe('mlp', () => {
  before(async () => {
    await cpuBackend.activate();
  });

  it('takes the width of its hidden layer as an option (64 by default)', async () => {
    const factory = await modelByName('mlp');
    for (const [options, hidden] of [[undefined, 64], [{ hidden: 8 }, 8]] as const) {
      const model = factory.create(image([28, 28, 1]), stream(1, 'init'), options);
      assert.deepEqual(model.variables.map((v) => v.shape), [[784, hidden], [hidden], [hidden, 10], [10]]);
      model.dispose();
    }
  });
});

describe('SimpleCNN', async () => {
  before(async () => {
    await cpuBackend.activate();
  });

  for (const shape of [[28, 28, 1], [32, 32, 3]] as const) {
    it(`maps ${shape.join('x')} images to 10 logits with the original's parameter shapes`, async () => {
      const model = (await modelByName('simple-cnn')).create(image(shape), stream(1, 'init'));
      const flat = (shape[0] / 4) * (shape[1] / 4) * 64;
      assert.deepEqual(
        model.variables.map((v) => v.shape),
        [[3, 3, shape[2], 32], [32], [3, 3, 32, 64], [64], [flat, 128], [128], [128, 10], [10]],
      );
      const logits = model.predict(tf.zeros([2, ...shape]) as tf.Tensor4D);
      assert.deepEqual(logits.shape, [2, 10]);
      logits.dispose();
      model.dispose();
    });
  }

  it("has the original's 545,098 parameters on 32x32x3 (CIFAR-10) and 421,642 on 28x28x1 (MNIST)", async () => {
    const factory = await modelByName('simple-cnn');
    for (const [shape, want] of [[[32, 32, 3], 545_098], [[28, 28, 1], 421_642]] as const) {
      const model = factory.create(image(shape), stream(1, 'init'));
      assert.equal(model.variables.reduce((n, v) => n + v.size, 0), want, shape.join('x'));
      model.dispose();
    }
  });

  it('initialises like PyTorch: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases', async () => {
    const model = (await modelByName('simple-cnn')).create(image([28, 28, 1]), stream(1, 'init'));
    const fanIns = [9, 9, 288, 288, 3136, 3136, 128, 128];
    model.variables.forEach((v, i) => {
      const values = v.dataSync();
      const bound = 1 / Math.sqrt(fanIns[i]!);
      let max = 0;
      for (const x of values) max = Math.max(max, Math.abs(x));
      assert.ok(max <= bound, `variable ${i} exceeds ±${bound}`);
      if (values.length > 100) assert.ok(max > 0.95 * bound, `variable ${i} does not fill its range`);
    });
    model.dispose();
  });

  it('draws the same weights from the same seed', async () => {
    const a = (await modelByName('simple-cnn')).create(image([28, 28, 1]), stream(3, 'init'));
    const b = (await modelByName('simple-cnn')).create(image([28, 28, 1]), stream(3, 'init'));
    const c = (await modelByName('simple-cnn')).create(image([28, 28, 1]), stream(4, 'init'));
    assert.deepEqual(Array.from(a.variables[0]!.dataSync()), Array.from(b.variables[0]!.dataSync()));
    assert.notDeepEqual(Array.from(a.variables[0]!.dataSync()), Array.from(c.variables[0]!.dataSync()));
    [a, b, c].forEach((m) => m.dispose());
  });
});
