import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { TUNING_FORMAT, WINNER_RULE, type TuningRecord, type TuningRowRecord } from '../../../shared/sweep/tuning/index.js';
import type { Block } from '../renderers/document.js';
import { loadTuning } from './load.js';
import { CHOSEN, tuningBlocks } from './section.js';

const run = (cell: string, seed: number, score: number | null, status: 'completed' | 'diverged' | 'failed' = 'completed') => ({ cell, seed, status, score, ...(status === 'failed' ? { error: 'killed' } : {}) });

function row(label: string, points: Array<[number, Array<number | null | 'diverged' | 'failed'>]>, winner: number | null, extra: Partial<TuningRowRecord> = {}): TuningRowRecord {
  return {
    dataset: 'mnist',
    label,
    optimizer: label,
    metric: 'accuracy',
    centre_lr: points[1]?.[0] ?? null,
    validation_samples: 6000,
    points: points.map(([lr, scores]) => {
      const runs = scores.map((s, i) => (s === 'diverged' ? run(`c${lr}-${i}`, i + 1, null, 'diverged') : s === 'failed' ? run(`c${lr}-${i}`, i + 1, null, 'failed') : run(`c${lr}-${i}`, i + 1, s)));
      const diverged = runs.some((r) => r.status === 'diverged');
      const ok = runs.every((r) => r.status === 'completed');
      return { lr, diverged, score: ok ? runs.reduce((a, r) => a + r.score!, 0) / runs.length : null, runs };
    }),
    winner: winner === null ? null : { lr: winner, score: 0 },
    final_cells: [`${label}-mnist-s1`],
    ...extra,
  };
}

const record: TuningRecord = {
  format: TUNING_FORMAT,
  metric: 'validation',
  epoch: 'final',
  seeds: [1, 2],
  rule: WINNER_RULE,
  rows: [
    row('sgd', [[0.003, [0.5, 0.75]], [0.01, [1, 0.75]], [0.03, ['diverged', 1]]], 0.01, { winner: { lr: 0.01, score: 0.875 } }),
    row('adam', [[0.0003, [0.5, 0.5]], [0.001, [0.5, 'failed']]], null, { error: 'no learning rate chosen: tuning cell c0.001-1 failed (killed)' }),
  ],
};

const tables = (blocks: Block[]) => blocks.flatMap((b) => (b.kind === 'table' ? [b.table] : []));
const paragraphs = (blocks: Block[]) => blocks.flatMap((b) => (b.kind === 'paragraph' ? [b.text] : []));

describe("the report's Tuning section", () => {
  test('per data set: optimizer × lr with each seed’s validation score and the mean, the chosen lr marked, and what won on which split', () => {
    const blocks = tuningBlocks(record);
    assert.deepEqual(blocks.filter((b) => b.kind === 'heading').map((b) => (b.kind === 'heading' ? b.text : '')), ['Tuning', 'Tuning: MNIST']);
    const [table] = tables(blocks);
    assert.deepEqual(table!.header, ['optimizer', 'lr', 'seed 1', 'seed 2', 'mean validation accuracy %', '']);
    assert.deepEqual(table!.rows, [
      ['sgd', '0.003', '50.00', '75.00', '62.50', ''],
      ['sgd', '0.01 (centre)', '100.00', '75.00', '87.50', CHOSEN],
      ['sgd', '0.03', 'diverged', '100.00', 'diverged', ''],
      ['adam', '0.0003', '50.00', '50.00', '50.00', ''],
      ['adam', '0.001 (centre)', '50.00', 'failed', '–', ''],
    ]);
    assert.match(table!.notes.join(' '), /on 6000 samples held out of the training split/);
    assert.match(table!.notes.join(' '), /adam: no learning rate chosen: tuning cell c0\.001-1 failed \(killed\)\./);
    const [intro, verdict] = paragraphs(blocks);
    assert.match(intro!, /\(seeds 1, 2\) and judged it on the validation split held out of the training data, by the data set's primary metric at the final epoch/);
    assert.equal(
      verdict,
      'On MNIST the tuning chose, by mean validation accuracy on the validation split: sgd lr 0.01 (87.50 %). The best configuration was sgd with lr 0.01, at 87.50 % validation accuracy. No learning rate was chosen for adam (see the notes), whose grid cells did not run. The runs this report compares were trained with those learning rates and judged on the test split.',
    );
  });

  test('tuning.json: absent is no section; unreadable or not a record is a warning, not a failure', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'grn-tuning-'));
    try {
      const warnings: string[] = [];
      assert.equal(await loadTuning(dir, warnings), null);
      await writeFile(join(dir, 'tuning.json'), JSON.stringify(record));
      assert.deepEqual(await loadTuning(dir, warnings), record);
      await writeFile(join(dir, 'tuning.json'), '{"format": "grn.tuning/1"');
      assert.equal(await loadTuning(dir, warnings), null);
      await writeFile(join(dir, 'tuning.json'), JSON.stringify({ ...record, rows: 3 }));
      assert.equal(await loadTuning(dir, warnings), null);
      assert.equal(warnings.length, 2);
      assert.match(warnings[0]!, /^tuning\.json is not readable \(.+\): no Tuning section$/);
      assert.match(warnings[1]!, /^tuning\.json is not a tuning record \(rows: .+\): no Tuning section$/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
