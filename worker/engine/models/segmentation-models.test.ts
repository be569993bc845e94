import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '../tfjs-setup.js';
import { cpuBackend } from '../backends/cpu.js';
import type { MaskSample } from '../datasets/data.js';
import { stream } from '../random.js';
import { BatchNorm2d } from './batch-norm.js';
import { FCN_CAM_LAYERS, fcnResnet50, pointwise, subsample } from './fcn-resnet50.js';
import { kaimingNormalConv } from './init.js';
import { bilinearResize, dilatedConv2d } from './resize.js';
import type { Model } from './types.js';
import { unet } from './unet.js';

before(() => cpuBackend.activate());

function maskSample(h: number, w: number, classes = 21): MaskSample {
  return { kind: 'image-mask', shape: [h, w, 3], classes, ignoreIndex: 255, normalization: { mean: [0, 0, 0], std: [1, 1, 1], arithmetic: 'float32' } };
}

function count(model: Model): number {
  return model.variables.reduce((n, v) => n + v.size, 0);
}

function inputs(n: number, h: number, w: number, seed = 1): tf.Tensor4D {
  const random = stream(seed, 'inputs');
  return tf.tensor4d(Float32Array.from({ length: n * h * w * 3 }, () => random() * 2 - 1), [n, h, w, 3]);
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);
}

describe('batch norm as torch.nn.BatchNorm2d', () => {
  it('training normalises by the batch (biased variance) and moves the running stats by momentum 0.1 (unbiased variance); eval uses them', () => {
    const before = tf.memory().numTensors;
    const bn = new BatchNorm2d(2);
    // Channel 0: values 1..8, channel 1: 2·(1..8), over a [2, 2, 2, 2] batch.
    const values = Array.from({ length: 8 }, (_, i) => [i + 1, 2 * (i + 1)]).flat();
    const x = tf.tensor4d(values, [2, 2, 2, 2]);
    const y = bn.apply(x, true);
    const mean = [4.5, 9];
    const biased = [5.25, 21];
    const out = y.dataSync();
    for (let i = 0; i < 8; i++) {
      for (let c = 0; c < 2; c++) assert.ok(Math.abs(out[i * 2 + c]! - (values[i * 2 + c]! - mean[c]!) / Math.sqrt(biased[c]! + 1e-5)) < 1e-5);
    }
    const rm = Array.from(bn.runningMean.dataSync());
    const rv = Array.from(bn.runningVar.dataSync());
    for (let c = 0; c < 2; c++) {
      assert.ok(Math.abs(rm[c]! - 0.1 * mean[c]!) < 1e-6, `running mean ${rm[c]}`);
      assert.ok(Math.abs(rv[c]! - (0.9 + 0.1 * biased[c]! * (8 / 7))) < 1e-5, `running var ${rv[c]}`);
    }
    const evalY = bn.apply(x, false);
    const evalOut = evalY.dataSync();
    assert.ok(Math.abs(evalOut[0]! - (1 - rm[0]!) / Math.sqrt(rv[0]! + 1e-5)) < 1e-5);
    assert.deepEqual(Array.from(bn.runningMean.dataSync()), rm, 'evaluation leaves the running stats alone');
    assert.equal(bn.runningMean.trainable, false);
    tf.dispose([x, y, evalY]);
    bn.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it("kaiming normal (fan_out) has torchvision's spread", () => {
    const v = kaimingNormalConv(3, 64, 128, stream(1, 'init'));
    const data = v.dataSync();
    let sum = 0, sq = 0;
    for (const x of data) (sum += x), (sq += x * x);
    const std = Math.sqrt(sq / data.length - (sum / data.length) ** 2);
    assert.ok(Math.abs(std - Math.sqrt(2 / (128 * 9))) / Math.sqrt(2 / (128 * 9)) < 0.01, `std ${std}`);
    v.dispose();
  });
});

describe('resize and dilated conv (differentiable on every backend)', () => {
  it("bilinear resize is torch's align_corners=False (half-pixel centres, clamped), up and down, non-square", () => {
    const row = tf.tensor4d([0, 100], [1, 1, 2, 1]);
    const up = bilinearResize(row, 1, 4);
    assert.deepEqual(Array.from(up.dataSync()), [0, 25, 75, 100]);
    const x = inputs(2, 5, 7);
    for (const [h, w] of [[10, 14], [3, 4], [8, 5]] as const) {
      const ours = bilinearResize(x, h, w);
      const theirs = tf.image.resizeBilinear(x, [h, w], false, true);
      assert.ok(maxAbsDiff(ours, theirs) < 1e-5, `${h}x${w}`);
      tf.dispose([ours, theirs]);
    }
    const g = tf.grad((t: tf.Tensor) => tf.sum(bilinearResize(t as tf.Tensor4D, 10, 3)))(x);
    assert.deepEqual(g.shape, x.shape);
    assert.ok(Math.abs(tf.sum(g).dataSync()[0]! - 2 * 10 * 3 * 3) < 1e-3, 'each output pixel spreads weight 1 over its inputs');
    tf.dispose([row, up, x, g]);
  });

  it('dilated conv via space-to-batch equals conv2d with dilations, for sizes not divisible by the rate; it has a gradient', () => {
    const random = stream(3, 'filter');
    const filter = tf.tensor4d(Float32Array.from({ length: 3 * 3 * 3 * 4 }, () => random() - 0.5), [3, 3, 3, 4]);
    for (const [h, w, d] of [[7, 9, 2], [3, 3, 4], [8, 8, 4], [5, 6, 1]] as const) {
      const x = inputs(2, h, w, d);
      const ours = dilatedConv2d(x, filter, d);
      const theirs = tf.conv2d(x, filter, 1, 'same', 'NHWC', d);
      assert.deepEqual(ours.shape, [2, h, w, 4]);
      assert.ok(maxAbsDiff(ours, theirs) < 1e-5, `${h}x${w} rate ${d}`);
      const g = tf.grad((t: tf.Tensor) => tf.sum(dilatedConv2d(x, t as tf.Tensor4D, d)))(filter);
      assert.deepEqual(g.shape, filter.shape);
      tf.dispose([x, ours, theirs, g]);
    }
    filter.dispose();
  });
});

describe('1x1 convs as matmuls (fcn-resnet50)', () => {
  it('pointwise(subsample(x, s)) equals conv2d 1x1 with stride s, for odd and even sizes', () => {
    const random = stream(4, 'filter');
    const filter = tf.tensor4d(Float32Array.from({ length: 3 * 5 }, () => random() - 0.5), [1, 1, 3, 5]);
    for (const [h, w, s] of [[6, 8, 2], [7, 5, 2], [4, 4, 1]] as const) {
      const x = inputs(2, h, w, h);
      const ours = pointwise(s === 1 ? x : subsample(x, s), filter);
      const theirs = tf.conv2d(x, filter, s, 'valid');
      assert.deepEqual(ours.shape, theirs.shape);
      assert.ok(maxAbsDiff(ours, theirs) < 1e-5, `${h}x${w} stride ${s}`);
      tf.dispose([x, ours, theirs]);
    }
    filter.dispose();
  });
});

describe('unet', () => {
  it('maps [n, h, w, 3] to [n, h, w, classes] for odd sizes; splitAt composes to predict; no leaks', () => {
    const before = tf.memory().numTensors;
    const model = unet.create(maskSample(13, 18, 5), stream(1, 'init'));
    const x = inputs(2, 13, 18);
    const y = model.predict(x);
    assert.deepEqual(y.shape, [2, 13, 18, 5]);
    assert.deepEqual(model.camLayers, ['dec1', 'out']);
    const full = unet.create(maskSample(8, 8, 21), stream(1, 'init'));
    assert.equal(count(full), 118_613, 'as bench/pytorch/segmentation_step.py counts its UNet');
    full.dispose();
    for (const layer of model.camLayers!) {
      const { head, tail } = model.splitAt!(layer);
      const a = head(x);
      assert.equal(a.rank, 4);
      const z = tail(a);
      assert.ok(maxAbsDiff(z, y) < 1e-5, layer);
      tf.dispose([a, z]);
    }
    assert.throws(() => model.splitAt!('nope'), /no layer 'nope'/);
    tf.dispose([x, y]);
    model.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('fcn-resnet50', () => {
  it("has torchvision's parameter count: 32,957,013 for 21 classes, 35,322,218 with the auxiliary head", () => {
    const before = tf.memory().numTensors;
    const model = fcnResnet50.create(maskSample(32, 32), stream(1, 'init'));
    assert.equal(count(model), 32_957_013);
    const buffers = (model as unknown as { buffers: tf.Variable[] }).buffers;
    // 53 batch norms in ResNet-50 (1 + 16·3 + 4 downsample) + 1 in the head, two buffers each.
    assert.equal(buffers.length, 2 * 54);
    assert.ok(buffers.every((b) => !b.trainable && !model.variables.includes(b)), 'running stats are not trainable variables');
    model.dispose();
    const withAux = fcnResnet50.create(maskSample(32, 32), stream(1, 'init'), { aux_loss: true });
    assert.equal(count(withAux), 35_322_218);
    withAux.dispose();
    assert.equal(tf.memory().numTensors, before);
  });

  it('outputs [n, h, w, classes] at the input size; training uses batch stats and updates the running ones, evaluation does neither; splitAt composes', () => {
    const before = tf.memory().numTensors;
    const model = fcnResnet50.create(maskSample(20, 24, 21), stream(2, 'init'));
    const buffers = (model as unknown as { buffers: tf.Variable[] }).buffers;
    const x = inputs(2, 20, 24);
    const snapshot = () => buffers.map((b) => Array.from(b.dataSync()));
    const initial = snapshot();
    const eval1 = model.predict(x);
    assert.deepEqual(eval1.shape, [2, 20, 24, 21]);
    assert.deepEqual(snapshot(), initial, 'evaluation changed the running stats');
    const train = model.predict(x, true);
    assert.deepEqual(train.shape, [2, 20, 24, 21]);
    const moved = snapshot();
    assert.notDeepEqual(moved, initial, 'training did not update the running stats');
    // Stem batch norm: running mean = 0.1 · the batch mean of the stem conv's output (started at 0).
    assert.ok(moved[0]!.some((v) => v !== 0));
    assert.ok(maxAbsDiff(train, eval1) > 1e-3, 'training and evaluation computed the same');
    const eval2 = model.predict(x);
    assert.ok(maxAbsDiff(eval2, eval1) > 0, 'evaluation does not use the moved running stats');
    assert.deepEqual(model.camLayers, [...FCN_CAM_LAYERS]);
    for (const layer of model.camLayers!) {
      const { head, tail } = model.splitAt!(layer);
      const a = head(x);
      const z = tail(a);
      assert.ok(maxAbsDiff(z, eval2) < 1e-4, `${layer}: tail(head(x)) ≠ predict(x)`);
      tf.dispose([a, z]);
    }
    const { head } = model.splitAt!('classifier.2');
    const a = head(x);
    assert.deepEqual(a.shape, [2, 3, 3, 512], 'output stride 8');
    tf.dispose([a, x, eval1, eval2, train]);
    model.dispose();
    assert.equal(tf.memory().numTensors, before);
  });
});
