import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import './tfjs-setup.js';
import { writeCifarFolder, writeImageFolder } from '../../test/helpers/image-fixtures.js';
import { writeMnistFixture } from '../../test/helpers/mnist-fixture.js';
import { writeSegmentationFolder, writeVocFolder } from '../../test/helpers/seg-fixtures.js';
import { writeAclImdbArchive, writeAgNewsFolder, writeCsvTextFolder, writeParquetFolder } from '../../test/helpers/text-fixtures.js';
import { cpuBackend } from './backends/cpu.js';
import { tensorflowBackend } from './backends/tensorflow.js';
import { DATASETS, FORMATS, MODELS, OPTIMIZERS, TASKS } from './catalog.js';
import { loadDataset, type DatasetChoice } from './datasets/catalog.js';
import type { LoadedDataset } from './datasets/data.js';
import type { Model } from './models/types.js';
import { createOptimizer, type Optimizer } from './optimizers/index.js';
import { stream } from './random.js';
import { runnerFor } from './tasks/index.js';
import { trainStep } from './train.js';

/**
 * One suite over every registered entry, as Optuna runs one over every sampler: each data set and
 * format on a fixture the test writes in its real file format, each model on its task's data, each
 * optimizer on a real step. Registering an entry puts it under these checks; a data set or format
 * without a fixture here fails the suite, so none is left unchecked.
 */
type Fixture = (dir: string) => Promise<string | { dataDir: string; size: [number, number] }>;
const FIXTURES: Record<string, Fixture> = {
  mnist: () => writeMnistFixture({ train: 24, test: 8 }),
  idx: () => writeMnistFixture({ train: 24, test: 8 }),
  cifar10: (dir) => writeCifarFolder(join(dir, 'cifar10')),
  'cifar-binary': (dir) => writeCifarFolder(join(dir, 'cifar-binary')),
  'image-folder': (dir) => writeImageFolder(join(dir, 'folder'), { classes: ['a', 'b', 'c'], perClass: 4, height: 12, width: 12 }),
  // At the fixture's own size: voc2012's default 224x224 would make fcn-resnet50 slow on the cpu backend.
  voc2012: async (dir) => ({ dataDir: await writeVocFolder(join(dir, 'voc'), { train: 4, val: 2, height: 20, width: 24 }), size: [20, 24] }),
  'segmentation-folder': (dir) => writeSegmentationFolder(join(dir, 'segfolder'), { classes: 3, perSplit: 4 }),
  ag_news: (dir) => writeAgNewsFolder(join(dir, 'ag_news')),
  imdb: (dir) => writeAclImdbArchive(join(dir, 'imdb', 'aclImdb_v1.tar.gz')),
  'csv-text': (dir) => writeCsvTextFolder(join(dir, 'csv-text')),
  parquet: (dir) => writeParquetFolder(join(dir, 'parquet')),
};

/** Every data set that holds data: the catalog's (not the synthetic workloads) and one per format. */
const CHOICES: Array<{ label: string; fixture: string; choice: DatasetChoice }> = [
  ...DATASETS.entries.filter((d) => d.task !== 'synthetic').map((d) => ({ label: d.name, fixture: d.name, choice: { dataset: d.name } })),
  ...FORMATS.entries.map((f) => ({ label: `format ${f.name}`, fixture: f.name, choice: { dataset: `my-${f.name}`, kind: f.name } })),
];

let dir: string;
let cacheDir: string;
before(async () => {
  await cpuBackend.activate();
  dir = await mkdtemp(join(tmpdir(), 'grn-contract-'));
  cacheDir = join(dir, 'cache');
});
after(() => rm(dir, { recursive: true, force: true }));

const loaded = new Map<string, Promise<LoadedDataset>>();
function load(c: (typeof CHOICES)[number]): Promise<LoadedDataset> {
  if (!loaded.has(c.label)) {
    const fixture = FIXTURES[c.fixture];
    assert.ok(fixture, `no fixture for ${c.label}: add one to FIXTURES`);
    loaded.set(
      c.label,
      fixture(dir).then((f) => loadDataset(c.choice, typeof f === 'string' ? { dataDir: f, cacheDir, seed: 1 } : { dataDir: f.dataDir, size: f.size, cacheDir, seed: 1 })),
    );
  }
  return loaded.get(c.label)!;
}

/** The numbers of one training step from fresh weights drawn from `seed`: loss and a weight checksum. */
async function oneStep(data: LoadedDataset, modelName: string, optimizerName: string, seed: number) {
  const runner = await runnerFor(data);
  const model = (await MODELS.get(modelName).load()).create(data.sample, stream(seed, 'init'));
  const optimizer = await createOptimizer(optimizerName, {}, seed);
  const batches = runner.batches(data, 'train', 4);
  const order = Uint32Array.from({ length: data.train.count }, (_, i) => i);
  const run = async (step: number) => {
    const batch = batches.build(order, 0, 4);
    try {
      const out = await trainStep(model, optimizer, (o, t) => runner.loss(o, t, data), batch.inputs, batch.targets, 0, step);
      return (await out.scalars)[0]!; // the loss comes first (train.ts stepRecord)
    } finally {
      tf.dispose([batch.inputs, batch.targets]);
    }
  };
  const loss = await run(0);
  const tensorsAfterFirst = tf.memory().numTensors;
  await run(1);
  const leaked = tf.memory().numTensors - tensorsAfterFirst;
  const weights = model.variables.map((v) => Array.from(v.dataSync().subarray(0, 16)));
  optimizer.dispose();
  model.dispose();
  batches.dispose();
  return { loss, weights, leaked };
}

describe('contract: every data set and format', () => {
  it('has a fixture for every entry', () => {
    for (const c of CHOICES) assert.ok(FIXTURES[c.fixture], `no fixture for ${c.label}`);
  });

  for (const c of CHOICES) {
    it(`${c.label}: loads a sample description that matches its splits, and batches of the model's input shape`, async () => {
      const data = await load(c);
      const { task } = data;
      assert.ok(TASKS[task].runner, `${c.label}: task ${task} has no runner`);
      if (data.task === 'image-classification') {
        const [h, w, ch] = data.sample.shape;
        for (const split of [data.train, data.test]) {
          assert.ok(split.count > 0);
          assert.equal(split.pixels.length, split.count * h * w * ch);
          assert.equal(split.labels.length, split.count);
          assert.ok(Array.from(split.labels).every((l) => l < data.sample.classes));
        }
        assert.equal(data.sample.normalization.mean.length, ch);
        assert.ok(Object.keys(data.sha256).length > 0, 'source checksums');
        const runner = await runnerFor(data);
        const batches = runner.batches(data, 'train', 4);
        const batch = batches.build(Uint32Array.from({ length: data.train.count }, (_, i) => i), 0, 4);
        assert.deepEqual(batch.inputs.shape, [4, h, w, ch]);
        assert.equal(batch.inputs.dtype, 'float32');
        assert.deepEqual(batch.targets.shape, [4, data.sample.classes]);
        tf.dispose([batch.inputs, batch.targets]);
        batches.dispose();
      } else if (data.task === 'text-classification') {
        const { maxLength, vocabSize, padId, classes } = data.sample;
        for (const split of [data.train, data.test]) {
          assert.ok(split.count > 0);
          assert.equal(split.tokens.length, split.count * maxLength);
          assert.equal(split.labels.length, split.count);
          assert.ok(Array.from(split.labels).every((l) => l < classes));
          assert.ok(split.tokens.every((t) => t >= 0 && t < vocabSize), 'token ids below vocabSize');
        }
        assert.ok(padId >= 0 && padId < vocabSize);
        assert.ok(data.sample.classNames?.length === classes, 'class names');
        assert.ok(data.sample.tokenizer.algorithm && data.sample.tokenizer.source, 'tokenizer described');
        assert.ok(Object.keys(data.sha256).length > 0, 'source checksums');
        const runner = await runnerFor(data);
        const batches = runner.batches(data, 'train', 4);
        const order = Uint32Array.from({ length: data.train.count }, (_, i) => data.train.count - 1 - i);
        const batch = batches.build(order, 0, 4);
        assert.deepEqual(batch.inputs.shape, [4, maxLength]);
        assert.equal(batch.inputs.dtype, 'int32');
        const rows = [0, 1, 2, 3].flatMap((i) => Array.from(data.train.tokens.subarray(order[i]! * maxLength, (order[i]! + 1) * maxLength)));
        assert.deepEqual(Array.from(await batch.inputs.data()), rows, 'the batch holds the rows of its order');
        assert.deepEqual(batch.targets.shape, [4, classes]);
        tf.dispose([batch.inputs, batch.targets]);
        batches.dispose();
      }
      if (data.task === 'segmentation') {
        const [h, w, ch] = data.sample.shape;
        for (const split of [data.train, data.test]) {
          assert.ok(split.count > 0);
          assert.equal(split.pixels.length, split.count * h * w * ch);
          assert.equal(split.masks.length, split.count * h * w);
          assert.ok(Array.from(split.masks).every((v) => v < data.sample.classes || v === data.sample.ignoreIndex));
        }
        assert.ok(Object.keys(data.sha256).length > 0, 'source checksums');
        const batches = (await runnerFor(data)).batches(data, 'train', 4);
        const batch = batches.build(Uint32Array.from({ length: data.train.count }, (_, i) => i), 0, 4);
        assert.deepEqual(batch.inputs.shape, [4, h, w, ch]);
        assert.deepEqual(batch.targets.shape, [4, h, w]);
        assert.equal(batch.targets.dtype, 'int32');
        tf.dispose([batch.inputs, batch.targets]);
        batches.dispose();
      }
    });
  }
});

/**
 * Models whose contract runs on the native tensorflow backend, where pure JS is too slow for CI:
 * fcn-resnet50's 33M parameters take tens of minutes of training steps in pure JS, so it runs on
 * the first data set of its task only (its shapes, batch norm and parameter count are also checked
 * on cpu in models/segmentation-models.test.ts); the two attention models took ~2 minutes each over
 * the text data sets in pure JS and take seconds natively, on all of them.
 */
const NATIVE_CONTRACT = new Map<string, 'first' | 'all'>([
  ['fcn-resnet50', 'first'],
  ['transformer', 'all'],
  ['bert', 'all'],
]);

describe('contract: every model', () => {
  for (const m of MODELS.entries) {
    it(`${m.name}: maps a batch of each data set of its task to one logit per class; a step leaks nothing; same seed, same numbers; dispose frees all`, async (t) => {
      const all = CHOICES.filter((c) => {
        const meta = c.choice.kind ? FORMATS.get(c.choice.kind) : DATASETS.get(c.choice.dataset);
        return meta.task === m.task;
      });
      assert.ok(all.length > 0, `no data set of task ${m.task} to check ${m.name} on`);
      const native = NATIVE_CONTRACT.get(m.name);
      if (native) {
        await tensorflowBackend.activate();
        t.after(() => cpuBackend.activate());
      }
      const datasets = native === 'first' ? all.slice(0, 1) : all;
      for (const c of datasets) {
        const data = await load(c);
        const before = tf.memory().numTensors;
        const model = (await m.load()).create(data.sample, stream(1, 'init'));
        // A real batch of the data set (images, or token ids) through the task's own batch builder.
        const batches = (await runnerFor(data)).batches(data, 'train', 2);
        const batch = batches.build(Uint32Array.from({ length: data.train.count }, (_, i) => i), 0, 2);
        const out = model.predict(batch.inputs);
        const perSample = data.task === 'segmentation' ? [...data.sample.shape.slice(0, 2), data.sample.classes] : [data.sample.classes];
        assert.deepEqual(out.shape, [2, ...perSample], `${m.name} on ${c.label}`);
        tf.dispose([batch.inputs, batch.targets, out]);
        batches.dispose();
        model.dispose();
        assert.equal(tf.memory().numTensors, before, `${m.name} on ${c.label}: dispose left tensors`);
        const a = await oneStep(data, m.name, 'sgd', 3);
        const b = await oneStep(data, m.name, 'sgd', 3);
        assert.equal(a.leaked, 0, `${m.name} on ${c.label}: a training step leaked ${a.leaked} tensors`);
        assert.equal(a.loss, b.loss);
        assert.deepEqual(a.weights, b.weights);
        assert.equal(tf.memory().numTensors, before, `${m.name} on ${c.label}: tensors left after dispose`);
      }
    });
  }
});

describe('contract: every model with Grad-CAM layers', () => {
  for (const m of MODELS.entries) {
    it(`${m.name}: its Grad-CAM layers are the catalog's; cut at each, tail(head(x)) is the forward pass, and Grad-CAM gives maps in [0, 1] of the input size, leaking nothing`, async () => {
      const { gradCam } = await import('./gradcam/cam.js');
      const c = CHOICES.find((x) => (x.choice.kind ? FORMATS.get(x.choice.kind) : DATASETS.get(x.choice.dataset)).task === m.task)!;
      const data = await load(c);
      const before = tf.memory().numTensors;
      const model = (await m.load()).create(data.sample, stream(1, 'init'));
      // What a sweep plans with (the catalog) is what the model does: the same layers, or none.
      assert.deepEqual([...(model.camLayers ?? [])], [...(m.camLayers ?? [])], `${m.name}: camLayers differ from the catalog's`);
      if (!model.camLayers?.length || data.task === 'text-classification') {
        assert.equal(model.splitAt, undefined, `${m.name} has splitAt but no Grad-CAM layers`);
        model.dispose();
        assert.equal(tf.memory().numTensors, before);
        return;
      }
      assert.ok(model.splitAt, `${m.name} lists camLayers but has no splitAt`);
      const batches = (await runnerFor(data)).batches(data, 'test', 2);
      const batch = batches.build(Uint32Array.from({ length: data.test.count }, (_, i) => i), 0, 2);
      const logits = model.predict(batch.inputs);
      const full = await logits.data();
      logits.dispose();
      const [h, w] = data.sample.shape;
      for (const layer of model.camLayers) {
        const { head, tail } = model.splitAt(layer);
        const parts = tf.tidy(() => tail(head(batch.inputs)));
        const cut = await parts.data();
        parts.dispose();
        const scale = Math.max(1, ...[...full].map(Math.abs));
        full.forEach((x, i) => assert.ok(Math.abs(x - cut[i]!) <= 1e-4 * scale, `${m.name} at ${layer}: logit ${i} ${cut[i]} vs ${x}`));
        const { maps } = await gradCam(model, batch.inputs as tf.Tensor4D, layer, [h, w]);
        assert.equal(maps.length, 2 * h * w);
        assert.ok(maps.every((x) => x >= 0 && x <= 1), `${m.name} at ${layer}: map values outside [0, 1]`);
      }
      tf.dispose([batch.inputs, batch.targets]);
      batches.dispose();
      model.dispose();
      assert.equal(tf.memory().numTensors, before, `${m.name}: Grad-CAM left tensors`);
    });
  }
});

/**
 * Two steps with one optimizer, its state saved and loaded into a fresh one beside a copy of the
 * weights, then a third step on each: what the loaded one does must be what the saved one does.
 */
async function saveLoadRoundTrip(data: LoadedDataset, optimizerName: string, seed: number) {
  const runner = await runnerFor(data);
  const factory = await MODELS.get('mlp').load();
  const batches = runner.batches(data, 'train', 4);
  const order = Uint32Array.from({ length: data.train.count }, (_, i) => i);
  const step = async (model: Model, optimizer: Optimizer, n: number) => {
    const batch = batches.build(order, 4 * (n % 3), 4);
    try {
      const out = await trainStep(model, optimizer, (o, t) => runner.loss(o, t, data), batch.inputs, batch.targets, 0, n);
      await out.scalars;
      return await out.optimizer;
    } finally {
      tf.dispose([batch.inputs, batch.targets]);
    }
  };
  const modelA = factory.create(data.sample, stream(seed, 'init'));
  const optimizerA = await createOptimizer(optimizerName, {}, seed);
  await step(modelA, optimizerA, 0);
  await step(modelA, optimizerA, 1);
  const saved = optimizerA.saveState();
  const names = Object.keys(saved.tensors);
  const values = await Promise.all(names.map((k) => saved.tensors[k]!.data()));
  const tensors = Object.fromEntries(names.map((k, i) => [k, { shape: saved.tensors[k]!.shape, data: values[i] as Float32Array }]));
  tf.dispose(Object.values(saved.tensors));
  // Through JSON, as a checkpoint carries it.
  const host = JSON.parse(JSON.stringify(saved.host)) as Record<string, unknown>;
  const modelB = factory.create(data.sample, stream(seed + 1, 'init'));
  modelB.variables.forEach((v, i) => v.assign(modelA.variables[i]!));
  const optimizerB = await createOptimizer(optimizerName, {}, seed + 1);
  optimizerB.loadState({ host, tensors });
  const telemetryA = await step(modelA, optimizerA, 2);
  const telemetryB = await step(modelB, optimizerB, 2);
  const weights = (m: Model) => m.variables.map((v) => Array.from(v.dataSync()));
  const result = { telemetryA, telemetryB, weightsA: weights(modelA), weightsB: weights(modelB), slots: names.length };
  for (const x of [optimizerA, optimizerB, modelA, modelB, batches]) x.dispose();
  return result;
}

describe('contract: every optimizer', () => {
  for (const o of OPTIMIZERS.entries) {
    it(`${o.name}: saveState then loadState into a fresh instance continues exactly, leaking nothing`, async () => {
      const data = await load(CHOICES[0]!);
      const before = tf.memory().numTensors;
      const r = await saveLoadRoundTrip(data, o.name, 11);
      assert.deepEqual(r.telemetryB, r.telemetryA, `${o.name}: the loaded optimizer's step reports other values`);
      assert.ok(
        r.weightsA.every((w, i) => w.every((x, k) => Object.is(x, r.weightsB[i]![k]))),
        `${o.name}: the loaded optimizer's step moved the weights elsewhere`,
      );
      assert.equal(tf.memory().numTensors, before, `${o.name}: save/load left tensors`);
    });

    it(`${o.name}: a step on real data leaks nothing, moves the weights, and the same seed gives the same numbers`, async () => {
      const data = await load(CHOICES[0]!);
      const before = tf.memory().numTensors;
      const a = await oneStep(data, 'mlp', o.name, 7);
      const b = await oneStep(data, 'mlp', o.name, 7);
      assert.equal(a.leaked, 0, `${o.name}: a step leaked ${a.leaked} tensors`);
      assert.ok(Number.isFinite(a.loss));
      assert.equal(a.loss, b.loss);
      assert.deepEqual(a.weights, b.weights);
      const fresh = (await MODELS.get('mlp').load()).create(data.sample, stream(7, 'init'));
      assert.notDeepEqual(a.weights, fresh.variables.map((v) => Array.from(v.dataSync().subarray(0, 16))), `${o.name} did not move the weights`);
      fresh.dispose();
      assert.equal(tf.memory().numTensors, before, `${o.name}: dispose left tensors`);
    });
  }
});
