import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { TrialResult } from '../../result.js';
import { TrialConfigSchema } from '../../trial.js';
import { chooseLearningRates, tunedCells, type TuningOutcome } from './choose.js';
import type { TuningPlan } from './plan.js';
import { TuningRecordSchema } from './record.js';

/** A plan of one row (sgd on mnist) with the given learning rates, each tried on seeds 1 and 2. */
function plan(lrs: number[], epoch: 'final' | 'best' = 'final'): TuningPlan {
  return {
    tune: { lr: { values: lrs }, metric: 'validation', epoch },
    seeds: [1, 2],
    rows: [{ optimizer: 'sgd', label: 'sgd', dataset: 'mnist', centre: null, points: lrs.map((lr) => ({ lr, cells: [1, 2].map((seed) => ({ id: `p${lr}-s${seed}`, seed })) })), finalCells: ['sgd-mnist-s1', 'sgd-mnist-s2'] }],
    cells: [],
  };
}

/** A done tuning run whose validation accuracy went through `scores`, one per epoch. */
function done(scores: number[], status: 'completed' | 'diverged' = 'completed'): TuningOutcome {
  return { status: 'done', result: { status, primary_metric: 'accuracy', validation: { samples: 50, seed: 0, loss: scores.map(() => 1), accuracy: scores } } as unknown as TrialResult };
}

/** Outcomes by lr: [seed 1's, seed 2's]. */
function choose(p: TuningPlan, byLr: Record<number, [TuningOutcome, TuningOutcome]>) {
  const record = chooseLearningRates(p, (cell) => {
    const [, lr, seed] = /^p(.+)-s(\d)$/.exec(cell)!;
    return byLr[Number(lr)]?.[Number(seed) - 1];
  });
  TuningRecordSchema.parse(record);
  return record.rows[0]!;
}

describe('the winner rule', () => {
  test('the highest mean validation score over the tuning seeds wins', () => {
    const row = choose(plan([0.001, 0.01, 0.1]), { 0.001: [done([0.5]), done([0.75])], 0.01: [done([0.75]), done([1])], 0.1: [done([1]), done([0.5])] });
    assert.deepEqual(row.points.map((p) => p.score), [0.625, 0.875, 0.75]);
    assert.deepEqual(row.winner, { lr: 0.01, score: 0.875 });
    assert.equal(row.metric, 'accuracy');
    assert.equal(row.validation_samples, 50);
    assert.equal(row.error, undefined);
  });

  test('a tie goes to the smaller learning rate (means compared to 12 significant digits)', () => {
    const close = choose(plan([0.01, 0.1]), { 0.01: [done([0.9]), done([0.7])], 0.1: [done([0.8]), done([0.8])] });
    assert.deepEqual(close.points.map((p) => p.score), [0.8, 0.8], '(0.9 + 0.7) / 2 is 0.8 to 12 digits');
    assert.equal(close.winner?.lr, 0.01);
    const row = choose(plan([0.001, 0.01, 0.1]), { 0.001: [done([0.5]), done([0.5])], 0.01: [done([0.875]), done([0.625])], 0.1: [done([0.75]), done([0.75])] });
    assert.equal(row.points[1]!.score, row.points[2]!.score);
    assert.deepEqual(row.winner, { lr: 0.01, score: 0.75 });
  });

  test('a point with a diverged run loses, however well its other seed did; a non-finite score counts as diverged', () => {
    const row = choose(plan([0.01, 0.1, 1]), { 0.01: [done([0.6]), done([0.6])], 0.1: [done([0.99]), done([0.3], 'diverged')], 1: [done([0.99]), done([Number.NaN])] });
    assert.deepEqual(row.points.map((p) => [p.diverged, p.score]), [[false, 0.6], [true, null], [true, null]]);
    assert.deepEqual(row.points[2]!.runs.map((r) => r.status), ['completed', 'diverged']);
    assert.deepEqual(row.winner, { lr: 0.01, score: 0.6 });
  });

  test('when every point diverged, the smallest learning rate is chosen and the record says why', () => {
    const bad = (): [TuningOutcome, TuningOutcome] => [done([0.1], 'diverged'), done([0.1], 'diverged')];
    const row = choose(plan([0.1, 1]), { 0.1: bad(), 1: bad() });
    assert.deepEqual(row.winner, { lr: 0.1, score: null });
    assert.match(row.note!, /every learning rate diverged: the smallest was chosen/);
  });

  test('epoch: best judges each run by its best epoch, final by its last', () => {
    const outcomes: Record<number, [TuningOutcome, TuningOutcome]> = { 0.01: [done([0.9, 0.5]), done([0.9, 0.5])], 0.1: [done([0.6, 0.7]), done([0.6, 0.7])] };
    assert.equal(choose(plan([0.01, 0.1], 'final'), outcomes).winner?.lr, 0.1);
    assert.equal(choose(plan([0.01, 0.1], 'best'), outcomes).winner?.lr, 0.01);
  });

  test('a failed or missing tuning run leaves the row undecided, naming it; its grid cells cannot run', () => {
    const row = choose(plan([0.01, 0.1]), { 0.01: [done([0.9]), { status: 'failed', error: 'out of memory' }], 0.1: [done([0.8]), done([0.8])] });
    assert.equal(row.winner, null);
    assert.equal(row.error, 'no learning rate chosen: tuning cell p0.01-s2 failed (out of memory)');
    assert.deepEqual(row.points[0]!.runs[1], { cell: 'p0.01-s2', seed: 2, status: 'failed', score: null, error: 'out of memory' });
    const grid = ['sgd-mnist-s1', 'sgd-mnist-s2'].map((id, i) => ({ id, trial: TrialConfigSchema.parse({ dataset: 'mnist', optimizer: 'sgd', epochs: 1, seed: i + 1, hyperparameters: { lr: 0.05 } }) }));
    const record = chooseLearningRates(plan([0.01, 0.1]), () => undefined);
    assert.deepEqual(tunedCells(grid, record).blocked.map((b) => b.cell), ['sgd-mnist-s1', 'sgd-mnist-s2']);
    assert.match(tunedCells(grid, record).blocked[0]!.error, /^sgd on mnist: no learning rate chosen: tuning cell p0.01-s1 has no result/);
  });

  test("the grid's cells get their row's winning lr, nothing else of their trial changes", () => {
    const p = plan([0.01, 0.1]);
    const record = chooseLearningRates(p, (cell) => (cell.startsWith('p0.1-') ? done([0.9]) : done([0.5])));
    const grid = ['sgd-mnist-s1', 'sgd-mnist-s2'].map((id, i) => ({ id, trial: TrialConfigSchema.parse({ dataset: 'mnist', optimizer: 'sgd', epochs: 1, seed: i + 1, hyperparameters: { lr: 0.05, momentum: 0.9 } }) }));
    const { ready, blocked } = tunedCells(grid, record);
    assert.deepEqual(blocked, []);
    assert.deepEqual(ready.map((c) => [c.id, c.trial.seed, c.trial.hyperparameters]), [
      ['sgd-mnist-s1', 1, { lr: 0.1, momentum: 0.9 }],
      ['sgd-mnist-s2', 2, { lr: 0.1, momentum: 0.9 }],
    ]);
    // Deterministic: the same outcomes, the same record (a resumed sweep derives the same stage).
    assert.deepEqual(chooseLearningRates(p, (cell) => (cell.startsWith('p0.1-') ? done([0.9]) : done([0.5]))), record);
  });
});
