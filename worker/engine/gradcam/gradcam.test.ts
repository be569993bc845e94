import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { PNG } from 'pngjs';
import { UsageError } from '../../../shared/errors.js';
import { cpuBackend } from '../backends/cpu.js';
import type { ImageClassificationData, SegmentationData } from '../datasets/data.js';
import { modelByName } from '../models/index.js';
import type { Model } from '../models/types.js';
import { stream } from '../random.js';
import { gradCam } from './cam.js';
import { JET } from './colormap.js';
import { gradcamImages, gradcamLayer, gradcamSamples } from './index.js';
import { encodePng, overlay } from './overlay.js';

/**
 * A model whose activation is its input and whose logits are a linear read-out of the activation's
 * spatial mean: logit_c = Σ_k V[k][c] · mean_hw A_hwk (plus a per-pixel variant for
 * segmentation). Then ∂logit_c/∂A_hwk = V[k][c] / (h·w) everywhere, so Grad-CAM's map is known in
 * closed form: ReLU(Σ_k V[k][c]/(h·w) · A_hwk), divided by its maximum.
 */
function linearModel(v: number[][], segmentation = false): Model {
  const weights = tf.tensor2d(v);
  const tail = (a: tf.Tensor4D) => {
    if (segmentation) {
      const [n, h, w, k] = a.shape;
      return tf.reshape(tf.matMul(tf.reshape(a, [n * h * w, k]), weights), [n, h, w, weights.shape[1]]);
    }
    return tf.matMul(tf.mean(a, [1, 2]) as tf.Tensor2D, weights);
  };
  return {
    name: 'linear',
    variables: [],
    predict: (x) => tail(x as tf.Tensor4D),
    camLayers: ['input'],
    splitAt: () => ({ head: (x) => x as tf.Tensor4D, tail }),
    dispose: () => weights.dispose(),
  };
}

/** The closed-form map of linearModel for one sample and class. */
function expectedCam(a: number[][][], v: number[][], c: number): number[] {
  const h = a.length;
  const w = a[0]!.length;
  const raw = a.flat().map((pixel) => Math.max(0, pixel.reduce((s, x, k) => s + (x * v[k]![c]!) / (h * w), 0)));
  const peak = Math.max(...raw);
  return raw.map((x) => (peak > 0 ? x / peak : 0));
}

const close = (actual: ArrayLike<number>, expected: readonly number[], tol = 1e-5) => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `[${i}] ${actual[i]} vs ${expected[i]}`);
};

describe('Grad-CAM', () => {
  before(async () => {
    await cpuBackend.activate();
  });

  // Two samples of 3×4 pixels, 2 channels; V: 2 channels × 3 classes.
  const v = [
    [1, -2, 0.5],
    [-1, 3, 0.25],
  ];
  const sample = (s: number) => Array.from({ length: 3 }, (_, y) => Array.from({ length: 4 }, (_, x) => [Math.sin(s + y + 2 * x), Math.cos(3 * s + x - y)]));
  const a = [sample(0), sample(1)];

  // Per-pixel logits with the same V have the classification logits as their pixel mean, so both give the same map.
  for (const [what, segmentation] of [
    ['equals the weighted sum of the activation for a linear head (the predicted class)', false],
    ['scores a segmentation model by the class mean of its logits over the pixels', true],
  ] as const) {
    it(what, async () => {
      const model = linearModel(v, segmentation);
      const inputs = tf.tensor4d(a);
      const out = model.predict(inputs);
      const scores = (await (segmentation ? tf.mean(out, [1, 2]) : out).array()) as number[][];
      const { maps, predicted } = await gradCam(model, inputs, 'input', [3, 4]);
      for (let s = 0; s < 2; s++) {
        const top = scores[s]!.indexOf(Math.max(...scores[s]!));
        assert.equal(predicted[s], top);
        close(maps.subarray(s * 12, (s + 1) * 12), expectedCam(a[s]!, v, top));
      }
      tf.dispose([inputs, out]);
      model.dispose();
    });
  }

  it('upsamples bilinearly with half-pixel centres and stays in [0, 1]', async () => {
    // One channel, class 0 wins (logits [mean, 0]): the map is the activation over its maximum, [[0, 1]] → 4 wide.
    const model = linearModel([[1, 0]]);
    const inputs = tf.tensor4d([[[[0], [2]]]]);
    const { maps } = await gradCam(model, inputs, 'input', [1, 4]);
    // cv2.resize (INTER_LINEAR) of [0, 1] to width 4: source x = (i + 0.5)/2 − 0.5, clamped.
    close(maps, [0, 0.25, 0.75, 1]);
    inputs.dispose();
    model.dispose();
  });

  it('leaves an all-negative map at 0 rather than dividing by 0', async () => {
    const model = linearModel([[1, -1]]);
    const inputs = tf.tensor4d([[[[1], [1]]]]);
    // logits [mean, −mean] = [1, −1]: class 0, map = ReLU(1·A) = 1 everywhere → normalised 1.
    const first = await gradCam(model, inputs, 'input', [1, 2]);
    close(first.maps, [1, 1]);
    // A zero activation gives a zero map: 0, not 0/0.
    const zero = tf.zeros([1, 1, 2, 1]) as tf.Tensor4D;
    const second = await gradCam(model, zero, 'input', [1, 2]);
    close(second.maps, [0, 0]);
    tf.dispose([inputs, zero]);
    model.dispose();
  });

  it('cuts SimpleCNN at conv1 and conv2 so that tail(head(x)) is the forward pass', async () => {
    const model = (await modelByName('simple-cnn')).create(
      { kind: 'image', shape: [8, 8, 3], classes: 4, normalization: { mean: [0], std: [1], arithmetic: 'float32' } },
      stream(1, 'init'),
    );
    assert.deepEqual(model.camLayers, ['conv1', 'conv2']);
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const full = await model.predict(x).data();
    for (const [layer, shape] of [['conv1', [2, 8, 8, 32]], ['conv2', [2, 4, 4, 64]]] as const) {
      const { head, tail } = model.splitAt!(layer);
      const act = head(x);
      // The conv's own output, before its ReLU: some values are negative.
      assert.deepEqual(act.shape, shape);
      assert.ok((await tf.min(act).data())[0]! < 0);
      close(await tail(act).data(), [...full]);
      act.dispose();
    }
    x.dispose();
    model.dispose();
  });

  it('names the last layer by default and refuses unknown layers and models without any', async () => {
    const cnn = (await modelByName('simple-cnn')).create({ kind: 'image', shape: [8, 8, 1], classes: 2, normalization: { mean: [0], std: [1], arithmetic: 'float32' } }, stream(1, 'init'));
    assert.equal(gradcamLayer(cnn), 'conv2');
    assert.equal(gradcamLayer(cnn, 'conv1'), 'conv1');
    assert.throws(() => gradcamLayer(cnn, 'fc1'), (e: Error) => e instanceof UsageError && /'fc1'.*simple-cnn.*conv1, conv2/.test(e.message));
    const mlp = (await modelByName('mlp')).create({ kind: 'image', shape: [8, 8, 1], classes: 2, normalization: { mean: [0], std: [1], arithmetic: 'float32' } }, stream(1, 'init'));
    assert.throws(() => gradcamLayer(mlp), (e: Error) => e instanceof UsageError && /'mlp' has no layer/.test(e.message));
    cnn.dispose();
    mlp.dispose();
  });
});

describe('Grad-CAM samples', () => {
  it('spreads n indices evenly over the split, the same whatever else differs', () => {
    assert.deepEqual(gradcamSamples(10000, 5), [0, 2000, 4000, 6000, 8000]);
    assert.deepEqual(gradcamSamples(3, 5), [0, 1, 2]);
    assert.deepEqual(gradcamSamples(7, 2), [0, 3]);
  });
});

describe('Grad-CAM overlay', () => {
  it('is 0.4 × JET(⌊255·cam⌋) + 0.6 × image, grey repeated into RGB', () => {
    const rgb = overlay(Uint8Array.from([10, 200]), 1, [0, 1], 2, 1);
    // JET(0) = (0, 0, 128) (dark blue), JET(255) = (128, 0, 0) (dark red).
    assert.deepEqual([...JET.subarray(0, 3)], [0, 0, 128]);
    assert.deepEqual([...JET.subarray(765, 768)], [128, 0, 0]);
    assert.deepEqual([...rgb.subarray(0, 3)], [6, 6, Math.round(0.4 * 128 + 6)], 'first pixel');
    assert.deepEqual([...rgb.subarray(3)], [Math.round(0.4 * 128 + 0.6 * 200), 120, 120], 'second pixel');
    const colour = overlay(Uint8Array.from([100, 50, 0]), 3, [0.5], 1, 1);
    const level = Math.floor(255 * 0.5);
    assert.deepEqual([...colour], [0, 1, 2].map((c) => Math.round(0.4 * JET[3 * level + c]! + 0.6 * [100, 50, 0][c]!)));
  });

  it('encodes RGB bytes as a PNG that decodes back to them', () => {
    const rgb = Uint8Array.from({ length: 3 * 4 * 2 }, (_, i) => (i * 37) & 255);
    const png = PNG.sync.read(Buffer.from(encodePng(rgb, 4, 2)));
    assert.equal(png.width, 4);
    assert.equal(png.height, 2);
    for (let p = 0; p < 8; p++) assert.deepEqual([...png.data.subarray(4 * p, 4 * p + 3)], [...rgb.subarray(3 * p, 3 * p + 3)]);
  });
});

describe('Grad-CAM images of a trained model', () => {
  before(async () => {
    await cpuBackend.activate();
  });

  const normalization = { mean: [0.5], std: [0.25], arithmetic: 'float32' as const };
  const pixels = (count: number, c: number) => Uint8Array.from({ length: count * 8 * 8 * c }, (_, i) => (i * 29) & 255);
  const classification: ImageClassificationData = {
    task: 'image-classification',
    name: 'tiny',
    sample: { kind: 'image', shape: [8, 8, 1], classes: 3, normalization },
    train: { count: 0, pixels: new Uint8Array(0), labels: new Uint8Array(0) },
    test: { count: 20, pixels: pixels(20, 1), labels: Uint8Array.from({ length: 20 }, (_, i) => i % 3) },
    sha256: {},
  };

  it('explains the same test samples for every seed, one PNG of the image size each', async () => {
    const factory = await modelByName('simple-cnn');
    const runs = [];
    for (const seed of [1, 2]) {
      const model = factory.create(classification.sample, stream(seed, 'init'));
      runs.push(await gradcamImages(model, classification, { samples: 5 }, { dataset: 'tiny', optimizer: 'sgd', seed }));
      model.dispose();
    }
    for (const [k, run] of runs.entries()) {
      assert.equal(run.record.layer, 'conv2');
      assert.equal(run.record.score, 'logit');
      assert.deepEqual(run.record.images.map((i) => i.index), [0, 4, 8, 12, 16]);
      assert.deepEqual(run.record.images.map((i) => i.label), [0, 1, 2, 0, 1]);
      assert.deepEqual(run.artefacts.map((a) => a.name), [0, 1, 2, 3, 4].map((i) => `tiny-sgd-seed${k + 1}-${i}.png`));
      for (const [i, a] of run.artefacts.entries()) {
        const png = PNG.sync.read(Buffer.from(a.bytes));
        assert.equal(png.width, 8);
        assert.equal(png.height, 8);
        assert.equal(run.record.images[i]!.file, a.name);
        assert.match(run.record.images[i]!.sha256, /^[0-9a-f]{64}$/);
      }
    }
    // Different weights: different heatmaps over the same images.
    assert.notDeepEqual(runs[0]!.record.images.map((i) => i.sha256), runs[1]!.record.images.map((i) => i.sha256));
  });

  it('explains segmentation samples through the class mean of the logits', async () => {
    const data: SegmentationData = {
      task: 'segmentation',
      name: 'masks',
      sample: { kind: 'image-mask', shape: [8, 8, 3], classes: 3, normalization, ignoreIndex: 255 },
      train: { count: 0, pixels: new Uint8Array(0), masks: new Uint8Array(0) },
      test: { count: 2, pixels: pixels(2, 3), masks: new Uint8Array(2 * 64) },
      sha256: {},
    };
    // A per-pixel linear model over the input channels stands in for a segmentation network.
    const model = linearModel([[1, 0, -1], [0, 1, 0], [-1, 0, 1]], true);
    const run = await gradcamImages(model, data, { samples: 5 }, { dataset: 'masks', optimizer: 'adam', seed: 0 });
    assert.equal(run.record.score, 'pixel-mean logit');
    assert.deepEqual(run.record.images.map((i) => i.index), [0, 1]);
    assert.equal(run.record.images[0]!.label, undefined);
    assert.equal(PNG.sync.read(Buffer.from(run.artefacts[1]!.bytes)).width, 8);
    model.dispose();
  });
});
