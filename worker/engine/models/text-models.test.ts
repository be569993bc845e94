import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { lossAcrossSteps, parameterCount, syntheticText, textBatch, textSample } from '../../../test/helpers/synthetic-text.js';
import { cpuBackend } from '../backends/cpu.js';
import { stream } from '../random.js';
import { modelOptionProblems } from './catalog.js';
import { createOptimizer } from '../optimizers/index.js';
import { crossEntropy } from '../tasks/classification.js';
import { trainStep } from '../train.js';
import { modelByName } from './index.js';
import { embeddingLookup, SeededDropout } from './text-layers.js';

/**
 * embedding-bag and transformer. Parameter counts are PyTorch's for the same models written the
 * same way (bench/pytorch/text_models.py):
 *   python bench/pytorch/text_models.py count 1000 32 4
 *   → {"embedding-bag": 64260, "transformer": 529412}   (torch 2.13.0)
 */
const TORCH_PARAMETERS = { 'embedding-bag': 64_260, transformer: 529_412 } as const;

/** Small options for the training checks (the cpu backend is pure JavaScript). */
const SMALL = { 'embedding-bag': { dim: 16 }, transformer: { layers: 1, dim: 16, heads: 2, feedforward: 32 } } as const;

before(async () => {
  await cpuBackend.activate();
});

for (const name of ['embedding-bag', 'transformer'] as const) {
  describe(name, () => {
    it("has PyTorch's parameter count with the default options, and maps [batch, length] ids to [batch, classes]", async () => {
      const sample = textSample({ vocabSize: 1000, maxLength: 32, classes: 4 });
      const model = (await modelByName(name)).create(sample, stream(1, 'init'));
      assert.equal(parameterCount(model), TORCH_PARAMETERS[name]);
      const ids = tf.tensor2d([[5, 6, 7, 0], [9, 0, 0, 0]], [2, 4], 'int32');
      const logits = model.predict(ids);
      assert.deepEqual(logits.shape, [2, 4]);
      assert.ok(Array.from(logits.dataSync()).every(Number.isFinite));
      tf.dispose([ids, logits]);
      model.dispose();
    });

    it('ignores padding: the same text padded to another length gives the same logits', async () => {
      const model = (await modelByName(name)).create(textSample(), stream(2, 'init'), SMALL[name]);
      const short = tf.tensor2d([[4, 9, 13, 0, 0]], [1, 5], 'int32');
      const long = tf.tensor2d([[4, 9, 13, 0, 0, 0, 0, 0, 0, 0]], [1, 10], 'int32');
      const other = tf.tensor2d([[4, 9, 14, 0, 0]], [1, 5], 'int32');
      const [a, b, c] = [short, long, other].map((x) => Array.from(model.predict(x).dataSync()));
      a!.forEach((v, i) => assert.ok(Math.abs(v - b![i]!) < 1e-5, `logit ${i}: ${v} vs ${b![i]}`));
      assert.notDeepEqual(a, c, 'a different token changes the logits');
      tf.dispose([short, long, other]);
      model.dispose();
    });

    it('one training step lowers the loss on a small synthetic text data set; the same seed trains the same numbers', async () => {
      const data = syntheticText(textSample(), 12, stream(3, 'data'));
      const run = async () => {
        const model = (await modelByName(name)).create(data.sample, stream(4, 'init'), SMALL[name]);
        const losses = await lossAcrossSteps(model, data, 'sgd', { lr: 0.05, momentum: 0 });
        const weights = Array.from(model.variables.at(-2)!.dataSync());
        model.dispose();
        return { ...losses, weights };
      };
      const first = await run();
      assert.ok(first.after < first.before, `loss ${first.before} → ${first.after}`);
      assert.deepEqual(await run(), first);
    });
  });
}

describe('transformer dropout', () => {
  it('is on in training only, and drawn from the model seed', async () => {
    const factory = await modelByName('transformer');
    const ids = tf.tensor2d([[4, 9, 13, 21, 0]], [1, 5], 'int32');
    const outputs = (seed: number) => {
      const model = factory.create(textSample(), stream(seed, 'init'), { ...SMALL.transformer, dropout: 0.5 });
      const evaluation = [0, 1].map(() => Array.from(model.predict(ids).dataSync()));
      const training = [0, 1].map(() => Array.from(model.predict(ids, true).dataSync()));
      model.dispose();
      return { evaluation, training };
    };
    const a = outputs(5);
    assert.deepEqual(a.evaluation[0], a.evaluation[1]);
    assert.notDeepEqual(a.training[0], a.training[1], 'a fresh mask per call');
    assert.notDeepEqual(a.training[0], a.evaluation[0]);
    assert.deepEqual(outputs(5).training, a.training);
    ids.dispose();
  });
});

describe('text model options', () => {
  it('are checked against the catalog schemas, naming the model', () => {
    assert.deepEqual(modelOptionProblems('transformer', { layers: 2, dim: 64, heads: 4 }), []);
    assert.match(modelOptionProblems('transformer', { dim: 130, heads: 4 }).join(), /heads must divide dim/);
    assert.match(modelOptionProblems('embedding-bag', { depth: 3 }).join(), /unknown option 'depth' for model 'embedding-bag' \(known: dim\)/);
    assert.match(modelOptionProblems('transformer', { dropout: 1 }).join(), /^dropout: expected a dropout rate/);
    assert.match(modelOptionProblems('simple-cnn', { dim: 3 }).join(), /it takes none/);
  });

  it('text models refuse images', async () => {
    const image = { kind: 'image', shape: [8, 8, 1], classes: 2, normalization: { mean: [0], std: [1], arithmetic: 'float32' } } as const;
    await assert.rejects(modelByName('transformer').then((f) => f.create(image, stream(1, 'init'))), /takes token ids, not images/);
    await assert.rejects(modelByName('embedding-bag').then((f) => f.create(image, stream(1, 'init'))), /takes token ids, not images/);
  });
});

describe('embeddingLookup', () => {
  it("gathers rows and sums the gradient of repeated ids, as gather's gradient does", () => {
    const table = tf.variable(tf.tensor2d([[1, 2], [3, 4], [5, 6]]));
    const ids = tf.tensor2d([[2, 0, 2]], [1, 3], 'int32');
    const rows = embeddingLookup(table, ids);
    assert.deepEqual(rows.arraySync(), [[[5, 6], [1, 2], [5, 6]]]);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(embeddingLookup(table, ids), tf.tensor3d([[[1, 10], [100, 1000], [2, 20]]]))) as tf.Scalar, [table]);
    assert.deepEqual(grads[table.name]!.arraySync(), [[100, 1000], [0, 0], [3, 30]]);
    tf.dispose([table, ids, rows, grads[table.name]!]);
  });
});

describe('SeededDropout', () => {
  it('zeroes about `rate` of the values and scales the rest by 1/(1 - rate), only in training', () => {
    const dropout = new SeededDropout(stream(1, 'init'));
    const x = tf.ones([100, 100]);
    const y = Array.from(dropout.apply(x, 0.25, true).dataSync());
    const zeros = y.filter((v) => v === 0).length / y.length;
    assert.ok(Math.abs(zeros - 0.25) < 0.02, `dropped ${zeros}`);
    assert.ok(y.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-6));
    assert.equal(dropout.apply(x, 0.25, false), x);
    x.dispose();
  });
});

describe('text models and tensors', () => {
  for (const name of ['embedding-bag', 'transformer', 'bert'] as const) {
    it(`${name}: a training step (dropout on) leaks no tensors and dispose frees all`, async () => {
      const data = syntheticText(textSample(), 6, stream(1, 'data'));
      const before = tf.memory().numTensors;
      const model = (await modelByName(name)).create(data.sample, stream(1, 'init'), name === 'bert' ? { hidden: 16, heads: 2, intermediate: 24, layers: 1 } : SMALL[name]);
      const optimizer = await createOptimizer('sgd', {}, 1);
      const { inputs, targets } = textBatch(data);
      const step = async (i: number) => (await trainStep(model, optimizer, (o, t) => crossEntropy(o as tf.Tensor2D, t as tf.Tensor2D), inputs, targets, 0, i)).scalars;
      await step(0);
      const afterFirst = tf.memory().numTensors;
      await step(1);
      assert.equal(tf.memory().numTensors, afterFirst);
      tf.dispose([inputs, targets]);
      optimizer.dispose();
      model.dispose();
      assert.equal(tf.memory().numTensors, before);
    });
  }
});
