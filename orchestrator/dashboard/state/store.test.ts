import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NODE_TTL_S } from '../../../shared/protocol/names.js';
import { cell, nodeRecord, plan, step, sweepRecord } from '../test-fixtures.js';
import { groupKey } from './grid-model.js';
import { DashboardStore } from './store.js';
import { SERIES_POINTS, TRACKED_TRIALS } from './trial-telemetry.js';

/** The dashboard's state store on its own: no NATS, no React, a hand-driven clock. */

function clock(start = 1_000_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

test('cell moves update the counts, the grid groups and their mean accuracy', () => {
  const store = new DashboardStore('sw');
  store.setPlan(plan(['sgd', 'adam'], ['mnist', 'sleep'], [1, 2, 3]));
  assert.deepEqual(store.counts(), { queued: 12, running: 0, done: 0, failed: 0, cancelled: 0, total: 12 });
  store.applyCell(cell('sgd-mnist-s1', 'running'));
  store.applyCell(cell('sgd-mnist-s1', 'done', { final_score: 0.9 }));
  store.applyCell(cell('sgd-mnist-s2', 'done', { final_score: 0.8 }));
  store.applyCell(cell('sgd-mnist-s3', 'failed', { error: 'boom' }));
  store.applyCell(cell('adam-sleep-s1', 'running', { node: 'n1', slot: 'cpu0' }));
  assert.deepEqual(store.counts(), { queued: 8, running: 1, done: 2, failed: 1, cancelled: 0, total: 12 });

  const grid = store.grid();
  assert.deepEqual(grid.labels, ['sgd', 'adam']);
  assert.deepEqual(grid.datasets, ['mnist', 'sleep']);
  const sgd = grid.groups.get(groupKey('sgd', 'mnist'))!;
  assert.equal(sgd.counts.done, 2);
  assert.equal(sgd.counts.failed, 1);
  assert.ok(Math.abs(sgd.meanScore! - 0.85) < 1e-12, 'mean of the done seeds only');
  assert.equal(grid.groups.get(groupKey('adam', 'sleep'))!.counts.running, 1);
  assert.equal(grid.groups.get(groupKey('adam', 'mnist'))!.meanScore, null);
  assert.deepEqual(store.failedCells(), ['sgd-mnist-s3']);
  assert.equal(store.runningCellOn('n1', 'cpu0'), 'adam-sleep-s1');

  // The filter keeps groups whose "label dataset" contains the text.
  const filtered = store.grid('ADAM sl');
  assert.deepEqual([filtered.labels, filtered.datasets], [['adam'], ['sleep']]);
});

test('states that arrive before the plan are counted once it does; telemetry does not regroup the grid', () => {
  const store = new DashboardStore('sw');
  store.applyCell(cell('sgd-mnist-s1', 'done', { final_score: 0.5 }));
  store.setPlan(plan(['sgd'], ['mnist'], [1, 2]));
  assert.equal(store.counts().done, 1);
  const grid = store.grid();
  store.applyTelemetry(step('sgd-mnist-s2', { loss: 1 }));
  assert.equal(store.grid(), grid, 'the cached grid survives telemetry');
  store.applyCell(cell('sgd-mnist-s2', 'running'));
  assert.notEqual(store.grid(), grid, 'a cell move rebuilds it');
});

test('events: finished, failed with the error, retried, redelivered; no event for an unchanged state', () => {
  const store = new DashboardStore('sw');
  store.setPlan(plan(['sgd'], ['mnist'], [1, 2, 3]));
  store.applyCell(cell('sgd-mnist-s1', 'running', { node: 'n1', slot: 'cpu0' }));
  store.applyCell(cell('sgd-mnist-s1', 'running', { node: 'n1', slot: 'cpu0' }));
  store.applyCell(cell('sgd-mnist-s1', 'done', { final_score: 0.9712 }));
  store.applyCell(cell('sgd-mnist-s2', 'running'));
  store.applyCell(cell('sgd-mnist-s2', 'queued', { attempt: 1, error: 'trainer crashed' }));
  store.applyCell(cell('sgd-mnist-s2', 'running', { attempt: 2, node: 'n2', slot: 'gpu0' }));
  store.applyCell(cell('sgd-mnist-s3', 'failed', { attempt: 3, error: 'DataFileError: mnist missing' }));
  const texts = store.events().map((e) => `${e.kind}: ${e.text}`);
  assert.deepEqual(texts, [
    'done: sgd-mnist-s1 finished: accuracy 97.12%',
    'retry: sgd-mnist-s2 attempt 1 failed, queued again: trainer crashed',
    'redelivered: sgd-mnist-s2 redelivered: attempt 2 on n2/gpu0',
    'failed: sgd-mnist-s3 FAILED after 3 attempt(s): DataFileError: mnist missing',
  ]);
});

test('nodes: joining, greyed out once the heartbeat is older than the TTL, back on a heartbeat, left on delete', () => {
  const c = clock();
  const store = new DashboardStore('sw', c.now);
  store.applyNode('n1', nodeRecord('n1'));
  store.applyNode('n2', nodeRecord('n2'));
  assert.deepEqual(store.nodes().map((n) => [n.record.node, store.isStale(n)]), [['n1', false], ['n2', false]]);
  c.advance(NODE_TTL_S * 1000 - 1000);
  store.applyNode('n2', nodeRecord('n2')); // n2 heartbeats, n1 does not
  c.advance(2000);
  store.tick();
  assert.deepEqual(store.nodes().map((n) => [n.record.node, store.isStale(n)]), [['n2', false], ['n1', true]], 'live nodes first');
  store.tick(); // reported once
  store.applyNode('n1', nodeRecord('n1'));
  store.applyNode('n2', null);
  assert.deepEqual(store.nodes().map((n) => [n.record.node, store.isStale(n), n.deleted]), [['n1', false, false], ['n2', true, true]]);
  assert.deepEqual(store.events().map((e) => e.text.replace(/:.*/, '')), ['node n1 joined', 'node n2 joined', 'node n1 stopped sending heartbeats', 'node n1 is back', 'node n2 left']);
});

test('telemetry: sparkline history is bounded per series, and kept for the selected trial plus the most recently active', () => {
  const store = new DashboardStore('sw');
  store.selectTrial('t-selected');
  for (let i = 0; i < SERIES_POINTS + 30; i++) store.applyTelemetry(step('t-selected', { loss: i, lr: 0.01, samples_per_s: 100 + i }));
  const series = store.telemetry.series('t-selected');
  assert.equal(series.loss.length, SERIES_POINTS);
  assert.equal(series.loss.at(-1), SERIES_POINTS + 29);
  assert.equal(series.loss[0], 30, 'the oldest points dropped first');
  assert.equal(store.telemetry.samplesPerSecond('t-selected'), 100 + SERIES_POINTS + 29);
  // The epoch record as the engine sends it (worker/engine/telemetry/listener.ts epochRecord).
  store.applyTelemetry({ ...step('t-selected', {}), kind: 'epoch', record: { primaryMetric: 'miou', primary: 0.41, miou: 0.41, pixel_accuracy: 0.8 } });
  assert.deepEqual(store.telemetry.series('t-selected').score, [0.41]);

  for (let i = 0; i < TRACKED_TRIALS * 3; i++) store.applyTelemetry(step(`t${i}`, { loss: i }));
  assert.equal(store.telemetry.trackedCount(), TRACKED_TRIALS + 1);
  assert.equal(store.telemetry.series('t-selected').loss.length, SERIES_POINTS, 'the selected trial is never dropped');
  assert.equal(store.telemetry.series('t0').loss.length, 0, 'old unselected trials are');
  assert.equal(store.telemetry.series(`t${TRACKED_TRIALS * 3 - 1}`).loss.length, 1);
  // The latest record of every trial stays (the nodes panel's samples/s, the detail's header).
  assert.deepEqual(store.telemetry.live('t0')?.step, { loss: 0 });
});

test('final table: mean ± sample std of the final accuracy over the finished seeds, n of seeds, failed counted', () => {
  const store = new DashboardStore('sw');
  store.setPlan(plan(['sgd', 'adam'], ['mnist'], [1, 2, 3]));
  store.applyCell(cell('sgd-mnist-s1', 'done', { final_score: 0.9 }));
  store.applyCell(cell('sgd-mnist-s2', 'done', { final_score: 0.8 }));
  store.applyCell(cell('sgd-mnist-s3', 'failed', { error: 'x' }));
  store.applyCell(cell('adam-mnist-s1', 'done', { final_score: 0.95 }));
  store.applySweep(sweepRecord('failed'));
  assert.ok(store.isFinal());
  const [sgd, adam] = store.finalTable();
  assert.equal(sgd!.label, 'sgd');
  assert.equal(sgd!.n, 2);
  assert.equal(sgd!.seeds, 3);
  assert.equal(sgd!.failed, 1);
  assert.ok(Math.abs(sgd!.mean! - 0.85) < 1e-12);
  assert.ok(Math.abs(sgd!.std! - Math.sqrt(0.005)) < 1e-12);
  assert.deepEqual([adam!.n, adam!.mean, adam!.std], [1, 0.95, null]);
});

test('notices expire; the sweep status change is an event; listeners hear every change', () => {
  const c = clock();
  const store = new DashboardStore('sw', c.now);
  let calls = 0;
  store.subscribe(() => calls++);
  store.applySweep(sweepRecord('running'));
  store.applySweep(sweepRecord('paused'));
  store.notify('paused');
  assert.equal(store.notice?.text, 'paused');
  c.advance(60_000);
  store.tick();
  assert.equal(store.notice, null);
  assert.deepEqual(store.events().map((e) => e.text), ['sweep paused']);
  assert.ok(calls >= 4);
});

test('a diverged cell shows as diverged: its own glyph in the view, an event with the step, a count in the final table', () => {
  const store = new DashboardStore('sw');
  store.setPlan(plan(['sgd'], ['mnist'], [1, 2]));
  store.applyCell(cell('sgd-mnist-s1', 'done', { final_score: 0.9 }));
  store.applyCell(cell('sgd-mnist-s2', 'done', { final_score: null, diverged_at_step: 7 }));
  assert.equal(store.cellView('sgd-mnist-s1'), 'done');
  assert.equal(store.cellView('sgd-mnist-s2'), 'diverged');
  assert.ok(store.events().some((e) => /sgd-mnist-s2 DIVERGED at step 7/.test(e.text)));
  const [row] = store.finalTable();
  assert.equal(row!.diverged, 1);
  assert.equal(row!.n, 1, 'the diverged seed has no final accuracy to average');
});

test('a segmentation data set is shown by its primary metric: events, metricOf and the trial sparkline say mIoU, not accuracy', () => {
  const store = new DashboardStore('sw');
  store.setPlan(plan(['sgd'], ['mnist', 'voc'], [1]));
  assert.equal(store.metricOf('voc'), 'accuracy', 'accuracy until a result or telemetry says otherwise');
  store.applyTelemetry({ ...step('sgd-voc-s1', {}), kind: 'epoch', record: { primaryMetric: 'miou', primary: 0.2 } });
  assert.equal(store.metricOf('voc'), 'miou');
  store.applyCell(cell('sgd-voc-s1', 'done', { metric: 'miou', final_score: 0.4321 }));
  store.applyCell(cell('sgd-mnist-s1', 'done', { metric: 'accuracy', final_score: 0.99 }));
  assert.deepEqual(store.events().map((e) => e.text), ['sgd-voc-s1 finished: mIoU 43.21%', 'sgd-mnist-s1 finished: accuracy 99.00%']);
  assert.equal(store.metricOf('mnist'), 'accuracy');
  assert.equal(store.scoreOf('sgd-voc-s1'), 0.4321);
});
