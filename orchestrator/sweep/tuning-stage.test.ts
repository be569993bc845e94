import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { TrialResultSchema } from '../../shared/result.js';
import { TuningRecordSchema, type TuningRecord } from '../../shared/sweep/tuning/index.js';
import { writeMnistFixture } from '../../test/helpers/mnist-fixture.js';
import type { SweepEvent } from './monitor.js';
import { planSweepFromText } from './plan.js';
import type { ProgressView } from './progress.js';
import { runSweep } from './run.js';

/**
 * A tuned sweep end to end on its embedded nats-server with two local workers: 2 optimizers × 3
 * learning rates × 1 tuning seed, then the grid's 2 optimizers × 2 seeds with the lr each won —
 * one sweep id, two stages — on a generated MNIST fixture (mlp, cpu backend).
 */
let mnistDir: string;
let scratch: string;
before(async () => {
  mnistDir = await writeMnistFixture({ train: 80, test: 32 });
  scratch = await mkdtemp(join(tmpdir(), 'grn-tune-'));
});
after(async () => {
  await rm(mnistDir, { recursive: true, force: true });
  await rm(scratch, { recursive: true, force: true });
});

const spec = () => `name: tuned
grid: { optimizer: [sgd, adam], dataset: [{ name: mnist, path: ${JSON.stringify(mnistDir)} }], seed: [1, 2] }
train: { epochs: 2, batch_size: 16, model: mlp, model_options: { hidden: 16 }, backend: cpu, validation: 16, checkpoint_every: 0 }
tune: { lr: { points: 3, factor: 10 }, seeds: [1] }
`;

/** A progress view that keeps its lines (the stage's announcements are among them). */
function recordingView(lines: string[]): ProgressView {
  return { event: () => undefined, line: (text) => void lines.push(text), stop: () => undefined };
}

const readJson = async (path: string) => JSON.parse(await readFile(path, 'utf8')) as unknown;

/** The tuning record, and each grid cell's lr as its result says it trained. */
async function checkTunedFolder(dir: string): Promise<TuningRecord> {
  const tuning = TuningRecordSchema.parse(await readJson(join(dir, 'tuning.json')));
  assert.deepEqual(tuning.rows.map((r) => [r.label, r.dataset, r.points.map((p) => p.lr)]), [
    ['sgd', 'mnist', [0.001, 0.01, 0.1]],
    ['adam', 'mnist', [0.0001, 0.001, 0.01]],
  ]);
  for (const row of tuning.rows) {
    assert.ok(row.winner, `${row.label}: ${row.error}`);
    assert.equal(row.metric, 'accuracy');
    assert.equal(row.validation_samples, 16);
    // The winner is the best mean validation score, the smaller lr on a tie.
    const best = Math.max(...row.points.map((p) => p.score ?? Number.NEGATIVE_INFINITY));
    assert.equal(row.winner.lr, row.points.find((p) => p.score === best)!.lr);
    assert.deepEqual(row.final_cells, [`${row.label}-mnist-s1`, `${row.label}-mnist-s2`]);
    for (const cell of row.final_cells) {
      const result = TrialResultSchema.parse(await readJson(join(dir, 'cells', `${cell}.json`)));
      assert.equal(result.manifest.hyperparameters.lr, row.winner.lr, `${cell} trained with the lr its tuning chose`);
      assert.equal(result.validation?.accuracy?.length, 2, `${cell} has validation accuracy per epoch`);
      assert.equal(result.manifest.dataset.train_samples, 64);
    }
    for (const point of row.points) {
      for (const run of point.runs) {
        const result = TrialResultSchema.parse(await readJson(join(dir, 'tuning', 'cells', `${run.cell}.json`)));
        assert.equal(result.manifest.hyperparameters.lr, point.lr);
        assert.equal(run.score, result.validation!.accuracy!.at(-1));
      }
    }
  }
  return tuning;
}

test('a tuned sweep: the tuning stage, then the grid with the lr each variant won; tuning.json and the report’s Tuning section', async () => {
  const id = 'tuned';
  const dir = join(scratch, id);
  const plan = await planSweepFromText(spec(), 'tuned.yaml', { id });
  assert.equal(plan.cells.length, 6 + 4);
  const lines: string[] = [];
  const outcome = await runSweep(plan, { localWorkers: 2, resultsDir: dir, view: recordingView(lines) });
  assert.equal(outcome.status, 'done', JSON.stringify(outcome.failed));
  assert.equal(outcome.counts.done, 10);

  const tuning = await checkTunedFolder(dir);
  assert.deepEqual((await readdir(join(dir, 'tuning', 'cells'))).length, 6);
  assert.deepEqual((await readdir(join(dir, 'cells'))).sort(), ['adam-mnist-s1.json', 'adam-mnist-s2.json', 'sgd-mnist-s1.json', 'sgd-mnist-s2.json']);
  // The original's shape and the manifest: the grid's cells compared; the tuning runs marked.
  const all = (await readJson(join(dir, 'all_results.json'))) as Record<string, Record<string, unknown>>;
  assert.deepEqual(Object.keys(all).sort(), ['Adam_MNIST', 'SGD_MNIST']);
  const manifest = (await readJson(join(dir, 'manifest.json'))) as { cells: Array<{ cell: string; stage?: string; result: string | null }> };
  assert.deepEqual(manifest.cells.filter((c) => c.stage === 'tuning').map((c) => c.result!.split('/').slice(0, 2).join('/')), Array(6).fill('tuning/cells'));
  assert.ok(lines.some((l) => l.startsWith('tuning: sgd on mnist: lr ')), lines.join('\n'));
  assert.ok(lines.some((l) => /^tuning done: second stage 4 cell\(s\) with the chosen lr \(4 queued now\)$/.test(l)), lines.join('\n'));

  // The report (written when the sweep ended): the Tuning section, and tables of the grid's cells only.
  const report = await readFile(join(dir, 'report.md'), 'utf8');
  assert.match(report, /^## Tuning$/m);
  assert.match(report, /^### Tuning: MNIST$/m);
  assert.equal(report.match(/✓ chosen/g)?.length, 2);
  const sgd = tuning.rows[0]!.winner!;
  assert.match(report, new RegExp(`On MNIST the tuning chose, by mean validation accuracy on the validation split: sgd lr ${String(sgd.lr).replace('.', '\\.')} `));
  assert.match(report, /The best configuration was (sgd|adam) with lr [\d.e-]+, at [\d.]+ % validation accuracy\./);
  assert.match(report, /\| sgd \(baseline\) \| 2\/2 \|/, 'two seeds per variant: the tuning runs are not among the compared cells');
  assert.match(report, /validation accuracy % \(mean\)/);
});

test('resume after an interruption in the tuning stage and again in the grid: each continues, nothing runs twice', async () => {
  const id = 'tuned-resume';
  const dir = join(scratch, id);
  const plan = await planSweepFromText(spec(), 'tuned.yaml', { id });
  const tuningIds = new Set(plan.tuning!.cells.map((c) => c.id));
  // Each result seen, by cell, as the run that made it (its start): one run per cell, however often it is replayed.
  const runs = new Map<string, Set<string>>();
  /** Runs (or resumes) the sweep; interrupts it at the first result `when` picks. */
  const runUntil = (resume: boolean, when: (cell: string) => boolean) => {
    const stop = new AbortController();
    return runSweep(plan, {
      localWorkers: 2,
      resultsDir: dir,
      resume,
      view: recordingView([]),
      signal: stop.signal,
      onEvent: (e: SweepEvent) => {
        if (e.type !== 'result') return;
        (runs.get(e.cell) ?? runs.set(e.cell, new Set()).get(e.cell)!).add(e.result.manifest.started_at);
        if (!e.replayed && when(e.cell)) stop.abort();
      },
    });
  };
  const first = await runUntil(false, (cell) => tuningIds.has(cell));
  assert.equal(first.status, 'interrupted');
  assert.ok(first.counts.done < 10);
  const second = await runUntil(true, (cell) => !tuningIds.has(cell));
  assert.ok(second.status === 'interrupted' || second.status === 'done', second.status);
  const third = await runUntil(true, () => false);
  assert.equal(third.status, 'done', JSON.stringify(third.failed));
  assert.equal(third.counts.done, 10);
  // Every cell has one result, made by one run: none ran again after it was done.
  assert.equal(runs.size, 10);
  for (const [cell, starts] of runs) assert.equal(starts.size, 1, `${cell} ran ${starts.size} times`);
  await checkTunedFolder(dir);
});
