import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SpecError } from '../../shared/sweep/errors.js';
import { expandGrid, type PlannedCell } from '../../shared/sweep/grid.js';
import { loadSweepSpec, parseSweepSpec } from '../../shared/sweep/load.js';
import { MODELS, trainingCatalog } from '../../worker/engine/catalog.js';
import { engineKnownNames } from '../sweep/known-names.js';
import { sweepPlanCommand } from './sweep-plan.js';

const SWEEPS = fileURLToPath(new URL('../../../sweeps/', import.meta.url));

/** Runs `plan ARGS` and returns what it printed. */
async function plan(args: string[]): Promise<string> {
  let out = '';
  await sweepPlanCommand((text) => (out += text))
    .exitOverride()
    .parseAsync(args, { from: 'user' });
  return out;
}

describe('example specs', () => {
  test('every sweeps/*.yaml is valid against the real registries', async () => {
    const files = (await readdir(SWEEPS)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'));
    assert.ok(files.includes('quick.yaml') && files.includes('seed-comparison.yaml'), files.join(', '));
    for (const f of files) {
      const cells = expandGrid(await loadSweepSpec(join(SWEEPS, f), engineKnownNames()), trainingCatalog);
      assert.ok(cells.length > 0, f);
    }
  });

  test('quick is 6 cells, seed-comparison the original 30', async () => {
    assert.equal(expandGrid(await loadSweepSpec(join(SWEEPS, 'quick.yaml'), engineKnownNames()), trainingCatalog).length, 6);
    assert.equal(expandGrid(await loadSweepSpec(join(SWEEPS, 'seed-comparison.yaml'), engineKnownNames()), trainingCatalog).length, 30);
  });
});

describe('grn sweep plan', () => {
  test('prints the headline and a table of cells', async () => {
    const out = await plan([join(SWEEPS, 'quick.yaml')]);
    const lines = out.trimEnd().split('\n');
    assert.equal(lines[0], 'quick: 6 cells (3 optimizer variants × 1 data set × 2 seeds)');
    assert.match(lines[2]!, /^#\s+cell id\s+optimizer\s+dataset\s+seed\s+epochs\s+train limit\s+model\s+batch\s+lr$/);
    // The resolved settings: the data set's default model, the spec's batch size, sgd's own lr, adam's.
    assert.match(lines[3]!, /^1\s+sgd-mnist-s1\s+sgd\s+mnist\s+1\s+1\s+2000\s+simple-cnn\s+64\s+0\.01$/);
    assert.match(lines[5]!, /^3\s+adam-mnist-s1\s+adam\s+mnist\s+1\s+1\s+2000\s+simple-cnn\s+64\s+0\.001$/);
    assert.equal(lines.length, 3 + 6);
  });

  test('--json prints the name and every planned cell', async () => {
    const parsed = JSON.parse(await plan([join(SWEEPS, 'seed-comparison.yaml'), '--json'])) as { name: string; cells: PlannedCell[] };
    assert.equal(parsed.name, 'seed-comparison');
    assert.equal(parsed.cells.length, 30);
    const cell = parsed.cells.find((c) => c.id === 'enhanced-sgd_controllerseed-mnist-s2');
    // Every hyper-parameter resolved: the variant's, and the optimizer's defaults for the rest.
    assert.equal(cell?.trial.hyperparameters.controller, 'seed');
    assert.equal(cell?.trial.hyperparameters.lr, 0.01);
    assert.equal(cell?.trial.hyperparameters.momentum, 0.9);
    assert.equal(cell?.trial.model, 'simple-cnn');
    assert.equal(cell?.label, 'enhanced-sgd[controller=seed]');
  });

  test('a grid past the row limit is summarised from its shape (150,000 cells once overflowed the stack)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grn-plan-'));
    try {
      const file = join(dir, 'huge.yaml');
      const seeds = Array.from({ length: 50_000 }, (_, i) => i + 1).join(', ');
      await writeFile(file, `name: huge\ngrid:\n  optimizer: [sgd, adam, adamw]\n  dataset: [noop]\n  seed: [${seeds}]\n`);
      const lines = (await plan([file])).trimEnd().split('\n');
      assert.equal(lines[0], 'huge: 150,000 cells (3 optimizer variants × 1 data set × 50,000 seeds)');
      assert.match(lines[3]!, /^\s*1\s+sgd-noop-s1\s+sgd\s+noop\s+1\s/);
      assert.equal(lines.at(-1), '… and 149,980 more cells (more than 1,000: --rows N lists up to N, --json lists all)');
      assert.equal(lines.length, 3 + 20 + 1);
      // --json still lists every cell (streamed).
      const all = JSON.parse(await plan([file, '--json'])) as { cells: PlannedCell[] };
      assert.equal(all.cells.length, 150_000);
      assert.equal(all.cells.at(-1)!.id, 'adamw-noop-s50000');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a missing spec is a usage error naming it', async () => {
    await assert.rejects(plan(['sweeps/none.yaml']), (err: Error) => err instanceof SpecError && err.exitCode === 2 && /sweeps\/none\.yaml: cannot read/.test(err.message));
  });
});

/** The problems a spec has against the real registries, as `line:col path: message`. */
function problems(text: string): string[] {
  try {
    parseSweepSpec(text, 's.yaml', engineKnownNames());
  } catch (err) {
    if (err instanceof SpecError) return err.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('hyper-parameters checked by the optimizers themselves', () => {
  const spec = (params: string) => `name: x\ngrid:\n  optimizer: [sgd, enhanced-sgd]\n  dataset: [mnist, noop]\n  seed: [1]\nparams:\n${params}`;

  test('valid hyper-parameters, also for synthetic workloads', () => {
    assert.deepEqual(problems(spec('  sgd: { lr: [0.1, 0.01], nesterov: true }\n  enhanced-sgd: { controller: [intended, as-written, seed, off] }\n')), []);
  });

  test('a bad value and an unknown name are each located', () => {
    assert.deepEqual(problems(spec('  sgd: { lr: [0.1, -0.01], momentun: 0.9 }\n  enhanced-sgd: { controller: [intended, bogus] }\n')), [
      '7:20 params.sgd.lr[1]: sgd[lr=-0.01]: lr: Too small: expected number to be >0',
      "7:28 params.sgd.momentun: optimizer 'sgd': unknown hyper-parameter 'momentun' (known: lr, momentum, dampening, weight_decay, nesterov)",
      '8:42 params.enhanced-sgd.controller[1]: enhanced-sgd[controller=bogus]: controller: Invalid option: expected one of "intended"|"as-written"|"seed"|"off"',
    ]);
  });
});

describe('settings per data set, against the real catalog', () => {
  const head = 'name: x\ngrid:\n  optimizer: [sgd, adam]\n  dataset: [mnist, cifar10]\n  seed: [1]\n';

  test('cifar10 with its own batch size and lr: the plan shows what differs by data set', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grn-plan-'));
    try {
      const file = join(dir, 'per-dataset.yaml');
      await writeFile(file, `${head}train: { epochs: 1 }\ntrain_overrides:\n  cifar10: { batch_size: 32, hyperparameters: { lr: 0.05 } }\n`);
      const lines = (await plan([file])).trimEnd().split('\n');
      assert.match(lines[3]!, /^1\s+sgd-mnist-s1\s+sgd\s+mnist\s+1\s+1\s+all\s+simple-cnn\s+64\s+0\.01$/);
      assert.match(lines[4]!, /^2\s+sgd-cifar10-s1\s+sgd\s+cifar10\s+1\s+1\s+all\s+simple-cnn\s+32\s+0\.05$/);
      assert.match(lines[6]!, /^4\s+adam-cifar10-s1\s+adam\s+cifar10\s+1\s+1\s+all\s+simple-cnn\s+32\s+0\.05$/);
      const cells = (JSON.parse(await plan([file, '--json'])) as { cells: PlannedCell[] }).cells;
      const adam = cells.find((c) => c.id === 'adam-cifar10-s1')!.trial;
      // The cell's manifest is complete: adam's defaults filled in under the override.
      assert.deepEqual(adam.hyperparameters, { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0 });
      assert.equal(adam.batchSize, 32);
      assert.equal(cells.find((c) => c.id === 'adam-mnist-s1')!.trial.batchSize, 64);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('an override of a data set not in the grid names it and lists the grid', () => {
    assert.deepEqual(problems(`${head}train_overrides:\n  imdb: { batch_size: 16 }\n`), [
      "7:3 train_overrides.imdb: data set 'imdb' is not in grid.dataset (mnist, cifar10); train_overrides keys are the grid's data set names",
    ]);
  });

  test('an unknown key in an override lists the keys it takes', () => {
    assert.deepEqual(problems(`${head}train_overrides:\n  cifar10: { batchsize: 16, lr: 0.01 }\n`), [
      "7:14 train_overrides.cifar10.batchsize: unknown key 'batchsize' (did you mean 'batch_size'?); allowed: epochs, batch_size, train_limit, test_limit, validation, model, model_options, hyperparameters",
      "7:29 train_overrides.cifar10.lr: unknown key 'lr'; allowed: epochs, batch_size, train_limit, test_limit, validation, model, model_options, hyperparameters",
    ]);
  });

  test("model options are checked against the model's schema, hyper-parameters against every optimizer", () => {
    assert.deepEqual(problems(`${head}train: { model_options: { width: 2 } }\ntrain_overrides:\n  cifar10: { model: mlp, hyperparameters: { momentum: 0.5 } }\n`), [
      "6:27 train.model_options.width: data set 'mnist', model 'simple-cnn': unknown option 'width' for model 'simple-cnn' (it takes none)",
      "8:45 train_overrides.cifar10.hyperparameters.momentum: optimizer 'adam': unknown hyper-parameter 'momentum' (known: lr, beta1, beta2, eps, weight_decay)",
    ]);
    // The same problem for several data sets is one finding naming them all.
    assert.deepEqual(problems(`${head}train: { model_options: { width: 2 } }\n`), [
      "6:27 train.model_options.width: data sets 'mnist', 'cifar10', model 'simple-cnn': unknown option 'width' for model 'simple-cnn' (it takes none)",
    ]);
    assert.deepEqual(problems(`${head}train_overrides:\n  cifar10: { model: bogus, batch_size: 0 }\n`), [
      '7:40 train_overrides.cifar10.batch_size: expected a positive integer, got 0',
    ]);
    assert.deepEqual(problems(`${head}train_overrides:\n  cifar10: { model: bogus }\n`), [`7:21 train_overrides.cifar10.model: unknown model 'bogus'; known: ${MODELS.names.join(', ')}`]);
  });

  test('Grad-CAM is checked against the model at plan time: a text model has no layers; an unknown layer lists the real ones', async () => {
    const spec = `name: cam\ngrid:\n  optimizer: [sgd]\n  dataset: [mnist, { name: ag_news, holdout: 0.2, gradcam: true }, { name: cifar10, gradcam: { layer: conv9 } }, imdb]\n  seed: [1]\ntrain: { gradcam: true }\n`;
    assert.deepEqual(problems(spec), [
      "4:60 grid.dataset[1].gradcam: data set 'ag_news', model 'transformer': no layers Grad-CAM can explain (the image models have them)",
      "4:103 grid.dataset[2].gradcam.layer: data set 'cifar10', model 'simple-cnn': no Grad-CAM layer 'conv9' (its layers: conv1, conv2)",
    ]);
    // Sweep-wide with a layer: only the models that have layers are held to it (imdb's transformer is skipped).
    assert.deepEqual(problems(`name: cam\ngrid: { optimizer: [sgd], dataset: [mnist, imdb], seed: [1] }\ntrain: { gradcam: { layer: conv1 } }\n`), []);
  });
});

describe('a spec with a tuning stage, against the real catalog', () => {
  test('the plan shows both stages: the tuning cells with their learning rates, the grid with its lr chosen by tuning', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grn-plan-'));
    try {
      const file = join(dir, 'tuned.yaml');
      await writeFile(file, 'name: tuned\ngrid: { optimizer: [sgd, adam], dataset: [mnist], seed: [1, 2] }\ntrain: { epochs: 1, validation: 0.1 }\ntune: { lr: { points: 3, factor: 3 } }\n');
      const lines = (await plan([file])).trimEnd().split('\n');
      assert.equal(lines[0], 'tuned: 10 cells in two stages');
      assert.equal(lines[2], "stage 1, tuning: 6 cells (2 optimizer variants × 1 data set × 3 learning rates × 1 seed), judged on the validation split's primary metric at the final epoch");
      assert.match(lines[4]!, /^#\s+cell id\s+optimizer\s+dataset\s+seed\s+epochs\s+train limit\s+validation\s+model\s+batch\s+lr$/);
      assert.match(lines[5]!, /^1\s+tune-sgd_lr0p00333333-mnist-s1\s+sgd\[lr=0\.00333333\]\s+mnist\s+1\s+1\s+all\s+0\.1\s+simple-cnn\s+64\s+0\.00333333$/);
      assert.match(lines[10]!, /^6\s+tune-adam_lr0p003-mnist-s1\s+adam\[lr=0\.003\]\s+mnist\s+1\s+1\s+all\s+0\.1\s+simple-cnn\s+64\s+0\.003$/);
      assert.match(lines[12]!, /^stage 2, the grid: 4 cells \(2 optimizer variants × 1 data set × 2 seeds\), lr chosen by tuning — per optimizer variant and data set, the lr with the highest mean validation score/);
      assert.match(lines[15]!, /^1\s+sgd-mnist-s1\s+sgd\s+mnist\s+1\s+1\s+all\s+0\.1\s+simple-cnn\s+64\s+tuned$/);
      assert.equal(lines.length, 19);
      const cells = (JSON.parse(await plan([file, '--json'])) as { cells: Array<PlannedCell & { tuned?: string }> }).cells;
      assert.deepEqual(cells.map((c) => c.stage ?? c.tuned), [...Array(6).fill('tuning'), ...Array(4).fill('lr')]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
