import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { settleCell } from '../../../shared/protocol/cell-store.js';
import { connectNats } from '../../../shared/protocol/connect.js';
import { encodeJson, type GpuMetrics, type ResultRecord, type TelemetryMessage } from '../../../shared/protocol/messages.js';
import { cellKey, subjects, workerInboxPrefix } from '../../../shared/protocol/names.js';
import { orchestratorOnTestServer } from '../../../test/helpers/nats-server.js';
import { planSweepFromText } from '../../sweep/plan.js';
import { publishSweep } from '../../sweep/publish.js';
import { nodeRecord } from '../test-fixtures.js';
import { isPermissionError, natsControl, runControl } from './control.js';
import { openBuckets, startFeed } from './feed.js';
import { DashboardStore } from './store.js';

/** The store fed from a real nats-server: watches, subscriptions, and control through the sweeps bucket. */

const env = orchestratorOnTestServer('feed test');

async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await sleep(20);
  assert.ok(check(), `timed out waiting for ${what}`);
}

const SPEC = 'name: feed\ngrid:\n  optimizer: [sgd, adam]\n  dataset: [noop]\n  seed: [1, 2]\n';

test('cells, results, nodes, GPU metrics and telemetry reach the store; p through the real control moves the sweep', async () => {
  const { nc, stores } = env;
  const id = 'feed-1';
  await publishSweep(nc, stores, await planSweepFromText(SPEC, 'feed.yaml', { id }));
  const store = new DashboardStore(id);
  const feed = await startFeed(nc, await openBuckets(nc), store, id);
  try {
    await until('the plan from the sweep record', () => store.cells.length === 4);
    assert.deepEqual(store.grid().labels, ['sgd', 'adam']);
    assert.equal(store.sweep?.status, 'running');

    const now = new Date().toISOString();
    await settleCell(stores.cells, cellKey(id, 'sgd-noop-s1'), (s) => ({ ...s, status: 'running', attempt: 1, node: 'n1', slot: 'gpu0', updated_at: now }));
    await settleCell(stores.cells, cellKey(id, 'sgd-noop-s2'), (s) => ({ ...s, status: 'done', attempt: 1, final_score: 0.75, updated_at: now }));
    // A done cell whose state lacks the accuracy: it is read from its result record.
    const result: ResultRecord = { sweep: id, cell: 'adam-noop-s1', node: 'n1', slot: 'gpu0', attempt: 1, object: null, bytes: 0, status: 'completed', final_score: 0.5, final_loss: 1, created_at: now };
    await stores.results.put(cellKey(id, 'adam-noop-s1'), encodeJson(result));
    await settleCell(stores.cells, cellKey(id, 'adam-noop-s1'), (s) => ({ ...s, status: 'done', attempt: 1, updated_at: now }));
    await stores.nodes.put('n1', encodeJson(nodeRecord('n1', [{ slot: 'gpu0', device: 0 }])));
    const gpu: GpuMetrics = { node: 'n1', gpu: 0, name: 'NVIDIA H100', utilisation_pct: 90, vram_used_mb: 1000, vram_total_mb: 80_000, temperature_c: 60, power_w: 300, at: now };
    nc.publish(subjects.gpu('n1', 0), encodeJson(gpu));
    const telemetry: TelemetryMessage = { sweep: id, cell: 'sgd-noop-s1', node: 'n1', slot: 'gpu0', at: now, kind: 'step', record: { loss: 0.3, samples_per_s: 4321 } };
    nc.publish(subjects.telemetry(id, 'sgd-noop-s1'), encodeJson(telemetry));
    nc.publish(subjects.telemetry('another-sweep', 'x'), encodeJson({ ...telemetry, sweep: 'another-sweep', cell: 'x' }));

    await until('everything', () => store.counts().done === 2 && store.scoreOf('adam-noop-s1') === 0.5 && store.nodes().length === 1 && store.nodes()[0]!.gpus.size === 1 && store.telemetry.live('sgd-noop-s1') !== undefined);
    assert.deepEqual(store.counts(), { queued: 1, running: 1, done: 2, failed: 0, cancelled: 0, total: 4 });
    assert.equal(store.scoreOf('sgd-noop-s2'), 0.75);
    assert.equal(store.runningCellOn('n1', 'gpu0'), 'sgd-noop-s1');
    assert.equal(store.telemetry.samplesPerSecond('sgd-noop-s1'), 4321);
    assert.equal(store.telemetry.live('x'), undefined, "other sweeps' telemetry is not taken");

    await runControl(store, natsControl(nc, id), { kind: 'status', status: 'paused' });
    await until('paused', () => store.sweep?.status === 'paused');
    assert.equal(store.readOnly, null);
    await stores.nodes.delete('n1');
    await until('the node gone', () => store.nodes()[0]?.deleted === true);
  } finally {
    feed.stop();
  }
});

test('credentials that may not write the sweeps bucket: the refusal is a permission error and the store turns read-only', async () => {
  const { server, nc, stores } = env;
  const id = 'feed-2';
  await publishSweep(nc, stores, await planSweepFromText(SPEC, 'feed.yaml', { id }));
  const worker = await connectNats(server.url, { creds: server.workerCreds }, 'viewer', { inboxPrefix: workerInboxPrefix('w') });
  try {
    const control = natsControl(worker, id);
    const err = await control.setStatus('paused').then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err, 'refused');
    assert.ok(isPermissionError(err), `a permission error: ${(err as Error).message}`);
    const store = new DashboardStore(id);
    await runControl(store, control, { kind: 'status', status: 'paused' });
    assert.match(store.readOnly ?? '', /may not change the sweep/);
    assert.match(store.notice?.text ?? '', /read-only: the server refused to pause/);
  } finally {
    await worker.close();
  }
});
