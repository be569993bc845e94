import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TrainingCatalog } from '../../settings.js';
import { SpecError } from '../errors.js';
import { expandGrid } from '../grid.js';
import { parseSweepSpec } from '../load.js';
import type { KnownNames } from '../spec.js';
import { countTuningCells, lrPoints, planTuning } from './plan.js';

const KNOWN: KnownNames = { optimizers: ['sgd', 'adam', 'enhanced-sgd'], datasets: ['mnist', 'cifar10'] };

/** Each optimizer's own lr (sgd 0.01, others 0.001) and cifar10's 0.05 for every optimizer, as the real catalog layers them. */
const CATALOG: TrainingCatalog = {
  defaults: (c) => (c.dataset === 'cifar10' ? { hyperparameters: { lr: 0.05 } } : {}),
  hyperparameters: (optimizer, overrides) => ({ lr: optimizer === 'sgd' ? 0.01 : 0.001, ...overrides }),
  modelOptions: (_model, options) => ({ options: { ...options }, problems: [] }),
};

const spec = (text: string) => parseSweepSpec(text, 'x.yaml', KNOWN);
const tuned = (tune: string, more = '') =>
  spec(`name: t\ngrid: { optimizer: [sgd, adam], dataset: [mnist, cifar10], seed: [3, 4] }\ntrain: { validation: 0.1, gradcam: true }\n${more}tune: ${tune}\n`);

/** The problems of a spec that should not load, as `line:col path: message`. */
function problems(text: string): string[] {
  try {
    spec(text);
  } catch (err) {
    assert.ok(err instanceof SpecError, String(err));
    return err.problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`);
  }
  assert.fail('the spec loaded');
}

describe('the tuning stage of a spec', () => {
  test('every variant × data set × lr point × tuning seed, around each variant’s resolved lr', () => {
    const s = tuned('{ lr: { points: 3, factor: 10 } }');
    const plan = planTuning(s, CATALOG)!;
    // Default tuning seed: the grid's first.
    assert.deepEqual(plan.seeds, [3]);
    assert.equal(plan.cells.length, 2 * 2 * 3 * 1);
    assert.equal(countTuningCells(s, expandGrid(s, CATALOG).length), plan.cells.length);
    assert.deepEqual(
      plan.rows.map((r) => [r.label, r.dataset, r.centre, r.points.map((p) => p.lr), r.finalCells]),
      [
        ['sgd', 'mnist', 0.01, [0.001, 0.01, 0.1], ['sgd-mnist-s3', 'sgd-mnist-s4']],
        // The data set's own lr (the catalog's, for every optimizer) is the centre there.
        ['sgd', 'cifar10', 0.05, [0.005, 0.05, 0.5], ['sgd-cifar10-s3', 'sgd-cifar10-s4']],
        ['adam', 'mnist', 0.001, [0.0001, 0.001, 0.01], ['adam-mnist-s3', 'adam-mnist-s4']],
        ['adam', 'cifar10', 0.05, [0.005, 0.05, 0.5], ['adam-cifar10-s3', 'adam-cifar10-s4']],
      ],
    );
    const first = plan.cells[0]!;
    assert.equal(first.id, 'tune-sgd_lr0p001-mnist-s3');
    assert.equal(first.stage, 'tuning');
    assert.equal(first.label, 'sgd[lr=0.001]');
    assert.equal(first.trial.hyperparameters.lr, 0.001);
    assert.equal(first.trial.seed, 3);
    assert.equal(first.trial.validation, 0.1);
    assert.equal(first.trial.validationSeed, 0);
    assert.equal(first.trial.gradcam, undefined, 'tuning runs make no Grad-CAM images');
    assert.deepEqual(plan.rows[0]!.points.map((p) => p.cells.map((c) => c.id)), [['tune-sgd_lr0p001-mnist-s3'], ['tune-sgd_lr0p01-mnist-s3'], ['tune-sgd_lr0p1-mnist-s3']]);
  });

  test('lr points: odd counts include the centre, even ones straddle it, 6 significant digits; values as given, sorted', () => {
    assert.deepEqual(lrPoints(0.01, { points: 5, factor: 3 }), [0.00111111, 0.00333333, 0.01, 0.03, 0.09]);
    assert.deepEqual(lrPoints(1, { points: 2, factor: 4 }), [0.5, 2]);
    assert.deepEqual(lrPoints(null, { values: [0.1, 0.001, 0.01] }), [0.001, 0.01, 0.1]);
    assert.deepEqual(lrPoints(0.01, {}), [0.00111111, 0.00333333, 0.01, 0.03, 0.09], 'default: 5 points, factor 3');
    assert.throws(() => lrPoints(null, { points: 3 }), /no positive lr to centre the grid on/);
    assert.throws(() => lrPoints(1, { points: 3, factor: 1.0000001 }), /points repeat at 6 significant digits/);
  });

  test('tune.seeds and values; variants keep their axes in the ids; no tune, no stage', () => {
    const s = spec(
      'name: t\ngrid: { optimizer: [enhanced-sgd], dataset: [mnist], seed: [1, 2, 3] }\nparams: { enhanced-sgd: { controller: [intended, seed] } }\ntrain: { validation: 500 }\ntune: { lr: { values: [0.02, 0.01] }, seeds: [7, 8] }\n',
    );
    const plan = planTuning(s, CATALOG)!;
    assert.equal(plan.cells.length, 2 * 2 * 2);
    assert.deepEqual(plan.cells.map((c) => c.id).slice(0, 4), [
      'tune-enhanced-sgd_controllerintended_lr0p01-mnist-s7',
      'tune-enhanced-sgd_controllerintended_lr0p01-mnist-s8',
      'tune-enhanced-sgd_controllerintended_lr0p02-mnist-s7',
      'tune-enhanced-sgd_controllerintended_lr0p02-mnist-s8',
    ]);
    assert.equal(plan.rows[1]!.label, 'enhanced-sgd[controller=seed]');
    assert.equal(plan.cells[0]!.trial.validation, 500);
    assert.equal(planTuning(spec('name: t\ngrid: { optimizer: [sgd], dataset: [mnist], seed: [1] }\n'), CATALOG), null);
  });

  test('tune needs a validation split on every data set; bad lr grids, repeats and an lr axis are errors at their place', () => {
    const grid = 'grid: { optimizer: [sgd, adam], dataset: [mnist, cifar10], seed: [1] }\n';
    assert.deepEqual(problems(`name: t\n${grid}tune: { lr: { points: 3 } }\n`), [
      '3:1 tune: tuning is judged on the validation split: set train.validation (a fraction of the training split such as 0.1, or a count)',
    ]);
    assert.deepEqual(problems(`name: t\n${grid}train_overrides: { cifar10: { validation: 0.2 } }\ntune: {}\n`), [
      "4:1 tune: tuning is judged on the validation split: set train.validation (a fraction of the training split such as 0.1, or a count) ('mnist' has none)",
    ]);
    assert.deepEqual(problems(`name: t\n${grid}train: { validation: 0.1 }\ntrain_overrides: { cifar10: { validation: null } }\ntune: {}\n`), [
      "4:43 train_overrides.cifar10.validation: data set 'cifar10' has no validation split, and tune judges every data set on one",
    ]);
    assert.deepEqual(
      problems(`name: t\n${grid}train: { validation: 0.1 }\nparams: { adam: { lr: [0.1, 0.01] } }\ntune:\n  lr: { values: [0.1, 0.1], points: 1, factor: 1 }\n  seeds: [1, 1]\n  metric: test\n  epochs: best\n`),
      [
        '4:23 params.adam.lr: with tune, the learning rate is what is tuned: give one value (the centre of the tuning grid) or none, not a list',
        '6:9 tune.lr.values: give either values (the learning rates to try) or points and factor (a grid around each variant’s lr), not both',
        '6:23 tune.lr.values[1]: duplicate learning rate 0.1 (also at [0])',
        '6:37 tune.lr.points: expected a whole number of points, at least 2, got 1',
        '6:48 tune.lr.factor: expected a number above 1, got 1',
        '7:14 tune.seeds[1]: duplicate seed 1 (also at [0])',
        "8:11 tune.metric: expected validation, got 'test'",
        "9:3 tune.epochs: unknown key 'epochs' (did you mean 'epoch'?)",
      ],
    );
  });
});
