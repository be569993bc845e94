import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CELL_ID_PATTERN, baseCellId, cellHash, expandGrid, optimizerVariants, planHeadline, planSummary, type PlannedCell } from './grid.js';
import { NO_CATALOG, type TrainingCatalog } from '../settings.js';
import { parseSweepSpec } from './load.js';
import type { KnownNames } from './spec.js';

const KNOWN: KnownNames = { optimizers: ['sgd', 'adam', 'adamw', 'rmsprop', 'enhanced-sgd'], datasets: ['mnist', 'noop', 'sleep'] };

/** The example of the spec format: 5 optimizers, enhanced-sgd and adam with 2 variants each. */
const EXAMPLE = `name: mnist-optimizers
grid:
  optimizer: [sgd, adam, adamw, rmsprop, enhanced-sgd]
  dataset: [mnist]
  seed: [1, 2, 3, 4, 5]
params:
  enhanced-sgd: { controller: [intended, seed] }
  adam: { lr: [1e-3, 3e-4] }
  sgd: { momentum: 0.9 }
train: { epochs: 2, batch_size: 64, train_limit: null, test_limit: null, model: null, backend: auto, telemetry_every: 1, duration_ms: null }
target: { mnist: 0.98 }
data_root: ~/.cache/grn/datasets
max_deliver: 3
`;

const plan = (text: string) => expandGrid(parseSweepSpec(text, 'x.yaml', KNOWN), NO_CATALOG);

describe('expandGrid', () => {
  test('Σ variants × data sets × seeds cells, in optimizer, variant, data set, seed order', () => {
    const cells = plan(EXAMPLE);
    assert.equal(cells.length, (3 + 2 + 2) * 1 * 5);
    assert.deepEqual(planSummary(cells), { cells: 35, optimizerVariants: 7, datasets: 1, seeds: 5 });
    assert.equal(planHeadline('mnist-optimizers', cells), 'mnist-optimizers: 35 cells (7 optimizer variants × 1 data set × 5 seeds)');
    assert.deepEqual(
      [...new Set(cells.map((c) => c.label))],
      ['sgd', 'adam[lr=0.001]', 'adam[lr=0.0003]', 'adamw', 'rmsprop', 'enhanced-sgd[controller=intended]', 'enhanced-sgd[controller=seed]'],
    );
    assert.deepEqual(cells.slice(0, 5).map((c) => c.seed), [1, 2, 3, 4, 5]);
  });

  test('ids are readable, unique, valid and the same on every run', () => {
    const cells = plan(EXAMPLE);
    const ids = cells.map((c) => c.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, CELL_ID_PATTERN);
    assert.deepEqual(plan(EXAMPLE).map((c) => c.id), ids);
    assert.ok(ids.includes('sgd-mnist-s1'));
    assert.ok(ids.includes('adam_lr0p0003-mnist-s1'));
    assert.ok(ids.includes('enhanced-sgd_controllerseed-mnist-s2'));
  });

  test('each cell carries a full trial config', () => {
    const cells = plan(EXAMPLE);
    const adam = cells.find((c) => c.id === 'adam_lr0p0003-mnist-s4')!;
    assert.deepEqual(adam.variant, { lr: 0.0003 });
    assert.deepEqual(adam.trial, {
      dataset: 'mnist',
      dataDir: '~/.cache/grn/datasets/mnist',
      optimizer: 'adam',
      hyperparameters: { lr: 0.0003 },
      epochs: 2,
      batchSize: 64,
      seed: 4,
      backend: 'auto',
      telemetryEvery: 1,
    });
    const sgd = cells.find((c) => c.id === 'sgd-mnist-s1')!;
    assert.deepEqual([sgd.variant, sgd.trial.hyperparameters], [{}, { momentum: 0.9 }]);
  });

  test('fixed overrides and axes combine; optional trial fields appear when set', () => {
    const cells = plan(`name: t
grid: { optimizer: [enhanced-sgd], dataset: [sleep, mnist], seed: [3] }
params:
  enhanced-sgd: { lr: [0.1, 0.2], noise: false, controller: [intended, seed] }
train: { epochs: 1, train_limit: 10, test_limit: 5, model: mlp, backend: cpu, duration_ms: 20, telemetry_every: 4 }
data_root: /data/
`);
    assert.deepEqual(cells.map((c) => c.id), [
      'enhanced-sgd_lr0p1_controllerintended-sleep-s3',
      'enhanced-sgd_lr0p1_controllerintended-mnist-s3',
      'enhanced-sgd_lr0p1_controllerseed-sleep-s3',
      'enhanced-sgd_lr0p1_controllerseed-mnist-s3',
      'enhanced-sgd_lr0p2_controllerintended-sleep-s3',
      'enhanced-sgd_lr0p2_controllerintended-mnist-s3',
      'enhanced-sgd_lr0p2_controllerseed-sleep-s3',
      'enhanced-sgd_lr0p2_controllerseed-mnist-s3',
    ]);
    assert.equal(cells[0]!.label, 'enhanced-sgd[lr=0.1,controller=intended]');
    assert.deepEqual(cells[0]!.trial.hyperparameters, { lr: 0.1, noise: false, controller: 'intended' });
    // Every data set gets its folder under data_root; synthetic workloads ignore it.
    assert.equal(cells[0]!.trial.dataDir, '/data/sleep');
    assert.deepEqual(cells[1]!.trial, {
      dataset: 'mnist',
      dataDir: '/data/mnist',
      model: 'mlp',
      optimizer: 'enhanced-sgd',
      hyperparameters: { lr: 0.1, noise: false, controller: 'intended' },
      epochs: 1,
      batchSize: 64,
      seed: 3,
      trainLimit: 10,
      testLimit: 5,
      backend: 'cpu',
      telemetryEvery: 4,
      durationMs: 20,
    });
  });

  test('colliding or over-long ids get the cell hash, independent of order', () => {
    const cells = plan(`name: t
grid: { optimizer: [sgd], dataset: [mnist], seed: [1] }
params:
  sgd: { tag: [a.b, apb, plain, ${'x'.repeat(120)}] }
`);
    const ids = cells.map((c) => c.id);
    assert.equal(new Set(ids).size, 4);
    for (const id of ids) assert.match(id, CELL_ID_PATTERN);
    assert.equal(ids[0], `sgd_tagapb-mnist-s1-${cellHash('sgd', { tag: 'a.b' }, 'mnist', 1)}`);
    assert.equal(ids[1], `sgd_tagapb-mnist-s1-${cellHash('sgd', { tag: 'apb' }, 'mnist', 1)}`);
    assert.equal(ids[2], 'sgd_tagplain-mnist-s1');
    assert.equal(ids[3]!.length, 100);
    assert.match(ids[3]!, /^sgd_tagxxx+-[0-9a-f]{8}$/);
    // The hash is of canonical JSON: key order in the spec does not matter.
    assert.equal(cellHash('o', { a: 1, b: 2 }, 'd', 1), cellHash('o', { b: 2, a: 1 }, 'd', 1));
  });
});

describe('optimizerVariants and ids', () => {
  test('no params is one variant; scalars are fixed; lists multiply, first axis slowest', () => {
    assert.deepEqual(optimizerVariants(undefined), [{ axes: {}, hyperparameters: {} }]);
    assert.deepEqual(optimizerVariants({ a: [1, 2], b: 'x', c: [true, false] }).map((v) => v.axes), [
      { a: 1, c: true },
      { a: 1, c: false },
      { a: 2, c: true },
      { a: 2, c: false },
    ]);
  });

  test('slugs keep ids to [A-Za-z0-9_-]', () => {
    assert.equal(baseCellId('adam', { lr: 1e-7, betas: '0.9, 0.99' }, 'mnist', 0), 'adam_lr1e-7_betas0p9__0p99-mnist-s0');
  });
});

describe('settings per data set (shared/settings.ts order)', () => {
  /** A catalog in miniature: cifar10 with defaults of every kind, mnist with only a default model. */
  const CATALOG: TrainingCatalog = {
    defaults: (c) =>
      c.dataset === 'cifar10'
        ? { model: 'simple-cnn', batch_size: 32, epochs: 3, hyperparameters: { lr: 0.05 }, options: { size: [24, 24], channels: 3 }, model_options: { 'simple-cnn': { width: 2 } } }
        : c.dataset === 'mnist'
          ? { model: 'simple-cnn' }
          : {},
    // The optimizer's own defaults, lowest of all.
    hyperparameters: (optimizer, overrides) => ({ lr: optimizer === 'sgd' ? 0.01 : 0.001, momentum: 0.9, ...overrides }),
    modelOptions: (model, options) => ({ options: model === 'simple-cnn' ? { width: 1, depth: 1, ...options } : { ...options }, problems: [] }),
  };
  const known: KnownNames = { ...KNOWN, datasets: [...KNOWN.datasets, 'cifar10'] };
  const cells = (text: string) => expandGrid(parseSweepSpec(text, 'x.yaml', known), CATALOG);
  const grid = 'grid: { optimizer: [sgd, adam], dataset: [mnist, cifar10], seed: [1] }\n';
  const cell = (all: PlannedCell[], id: string) => {
    const found = all.find((c) => c.id === id);
    assert.ok(found, `${id} in ${all.map((c) => c.id).join(', ')}`);
    return found.trial;
  };

  test("the catalog's defaults reach every cell: batch size, epochs, lr for every optimizer, data and model options", () => {
    const all = cells(`name: t\n${grid}`);
    const cifar = cell(all, 'adam-cifar10-s1');
    assert.deepEqual(
      [cifar.batchSize, cifar.epochs, cifar.hyperparameters, cifar.dataOptions, cifar.model, cifar.modelOptions],
      [32, 3, { lr: 0.05, momentum: 0.9 }, { size: [24, 24], channels: 3 }, 'simple-cnn', { width: 2, depth: 1 }],
    );
    assert.equal(cell(all, 'sgd-cifar10-s1').hyperparameters.lr, 0.05);
    // mnist has none of them: the built-in batch size and epochs, each optimizer's own lr, no options.
    const mnist = cell(all, 'adam-mnist-s1');
    assert.deepEqual([mnist.batchSize, mnist.epochs, mnist.hyperparameters.lr, mnist.dataOptions, mnist.model, mnist.modelOptions], [64, 2, 0.001, undefined, 'simple-cnn', { width: 1, depth: 1 }]);
    assert.equal(cell(all, 'sgd-mnist-s1').hyperparameters.lr, 0.01);
  });

  test('train beats the catalog, train_overrides beat train, params beat both', () => {
    const all = cells(`name: t
grid: { optimizer: [sgd, adam], dataset: [mnist, {name: cifar10, size: [16, 16]}], seed: [1] }
params:
  adam: { lr: [0.1, 0.2] }
train: { batch_size: 128, epochs: 1, train_limit: 500, model_options: { depth: 3 } }
train_overrides:
  cifar10: { batch_size: 8, train_limit: null, hyperparameters: { lr: 0.02, momentum: 0.5 }, model_options: { width: 4 } }
`);
    const sgdCifar = cell(all, 'sgd-cifar10-s1');
    assert.equal(sgdCifar.batchSize, 8);
    assert.equal(sgdCifar.epochs, 1, "train's epochs over the catalog's 3");
    assert.equal(sgdCifar.trainLimit, undefined, 'null in an override: all samples');
    assert.deepEqual(sgdCifar.hyperparameters, { lr: 0.02, momentum: 0.5 });
    assert.deepEqual(sgdCifar.dataOptions, { size: [16, 16], channels: 3 }, "the entry's size over the catalog's, its channels kept");
    assert.deepEqual(sgdCifar.modelOptions, { width: 4, depth: 3 });
    assert.deepEqual(cell(all, 'adam_lr0p2-cifar10-s1').hyperparameters, { lr: 0.2, momentum: 0.5 }, 'the axis over the override');
    const sgdMnist = cell(all, 'sgd-mnist-s1');
    assert.deepEqual([sgdMnist.batchSize, sgdMnist.trainLimit, sgdMnist.hyperparameters.lr, sgdMnist.modelOptions], [128, 500, 0.01, { width: 1, depth: 3 }]);
  });

  test("an override's model drops the model options given for another model", () => {
    const all = cells(`name: t
${grid}train: { model_options: { depth: 3 } }
train_overrides:
  cifar10: { model: mlp }
  mnist: { model: simple-cnn, model_options: { width: 5 } }
`);
    assert.deepEqual([cell(all, 'sgd-cifar10-s1').model, cell(all, 'sgd-cifar10-s1').modelOptions], ['mlp', undefined]);
    // mnist names its default model: train's options were given for it, so they still count.
    assert.deepEqual(cell(all, 'sgd-mnist-s1').modelOptions, { width: 5, depth: 3 });
  });
});

test('gradcam: the sweep-wide setting reaches every cell, a data set entry overrides it', () => {
  const cells = plan(`name: cam
grid:
  optimizer: [sgd]
  dataset: [mnist, { name: noop, gradcam: { samples: 3, layer: conv1 } }, { name: sleep, gradcam: false }]
  seed: [1]
train: { gradcam: true }
`);
  assert.deepEqual(
    cells.map((c) => [c.dataset, c.trial.gradcam]),
    [['mnist', { samples: 5 }], ['noop', { samples: 3, layer: 'conv1' }], ['sleep', undefined]],
  );
  assert.equal(plan(EXAMPLE)[0]!.trial.gradcam, undefined, 'off unless asked for');
  assert.throws(() => plan(`name: cam\ngrid: { optimizer: [sgd], dataset: [mnist], seed: [1] }\ntrain: { gradcam: { samples: 0 } }\n`), /gradcam.*samples.*expected a positive integer/s);
});

test("gradcam: a sweep-wide setting skips cells whose model Grad-CAM cannot explain (the catalog's camLayers); an entry's own is kept", () => {
  const catalog: TrainingCatalog = { ...NO_CATALOG, defaults: (c) => ({ model: c.dataset === 'noop' ? 'text-model' : 'simple-cnn' }), camLayers: (model) => (model === 'simple-cnn' ? ['conv1', 'conv2'] : []) };
  const cells = expandGrid(parseSweepSpec(`name: cam\ngrid: { optimizer: [sgd], dataset: [mnist, noop, { name: sleep, gradcam: true }], seed: [1] }\ntrain: { gradcam: true }\n`, 'x.yaml', KNOWN), catalog);
  assert.deepEqual(cells.map((c) => [c.dataset, c.trial.gradcam]), [['mnist', { samples: 5 }], ['noop', undefined], ['sleep', { samples: 5 }]]);
});

test('validation: train’s for every data set, an override’s for its own (null: none there); the split seed rides with it', () => {
  const cells = plan(`name: v\ngrid: { optimizer: [sgd], dataset: [mnist, noop, sleep], seed: [1] }\ntrain: { validation: 0.1, validation_seed: 7 }\ntrain_overrides: { noop: { validation: 500 }, sleep: { validation: null } }\n`);
  assert.deepEqual(cells.map((c) => [c.dataset, c.trial.validation, c.trial.validationSeed]), [['mnist', 0.1, 7], ['noop', 500, 7], ['sleep', undefined, undefined]]);
  // Default split seed 0; no validation, no split seed.
  assert.equal(plan(`name: v\ngrid: { optimizer: [sgd], dataset: [mnist], seed: [1] }\ntrain: { validation: 0.2 }\n`)[0]!.trial.validationSeed, 0);
  assert.equal(plan(EXAMPLE)[0]!.trial.validationSeed, undefined);
  assert.throws(() => plan(`name: v\ngrid: { optimizer: [sgd], dataset: [mnist], seed: [1] }\ntrain: { validation: 1.5 }\n`), /train\.validation: expected a fraction in \(0, 1\) or a whole number of samples, got 1\.5/);
});
