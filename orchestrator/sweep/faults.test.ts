import assert from 'node:assert/strict';
import { jetstream } from '@nats-io/jetstream';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connectNats } from '../../shared/protocol/connect.js';
import { createCell, readCell } from '../../shared/protocol/cell-store.js';
import { encodeJson, TRIAL_MESSAGE_FORMAT, type TrialMessage } from '../../shared/protocol/messages.js';
import { cellKey, consumerName, subjects, TRIALS_STREAM } from '../../shared/protocol/names.js';
import { readStoredResult } from '../../shared/protocol/result-store.js';
import { startTestServer } from '../../test/helpers/nats-server.js';
import { onTestServer, testPlan } from '../../test/helpers/sweeps.js';
import { WorkerAgent } from '../../worker/agent/agent.js';
import { sweepStatus } from '../cli/status.js';
import { ensureConsumer, ensureStores, type Stores } from './infrastructure.js';
import type { SweepEvent } from './monitor.js';
import { messageId, publishSweep, setSweepStatus } from './publish.js';
import { runSweep } from './run.js';

/**
 * What a sweep does with values on the server that are not what they should be (a bug, or any
 * client with a worker's credentials: they may write the cells and results buckets), against a
 * real nats-server and a real worker agent. Each test here hung or crashed before its fix.
 */
const log = () => undefined;
let scratch: string;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'grn-faults-'));
});
after(() => rm(scratch, { recursive: true, force: true }));

/** A server, the orchestrator's stores on it, and one worker agent with a CPU slot. */
async function fleet(node: string) {
  const server = await startTestServer();
  const nc = await connectNats(server.url, { creds: server.orchestratorCreds }, 'faults test');
  const stores = await ensureStores(nc);
  const agent = await WorkerAgent.start({ server: server.url, auth: { creds: server.workerCreds }, node, gpus: 'none', cpuSlots: 1, drainTimeoutMs: 1000, log });
  return {
    server,
    nc,
    stores,
    agent,
    async stop() {
      await agent.drain();
      await nc.close();
      await server.cleanup();
    },
  };
}

const noops = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `noop-${i}`, trial: { dataset: 'noop' } }));
const garbage = new TextEncoder().encode('{"not": json');

describe('unreadable values on the server', { timeout: 60_000 }, () => {
  test('a non-JSON cell state for a queued cell: the cell still runs and ends, with a warning; status and resume read it', async () => {
    const f = await fleet('m1');
    try {
      const id = 'badcell';
      const plan = testPlan(id, noops(3));
      // The value is there before anything runs: the worker's claim must write over it.
      await f.stores.cells.put(cellKey(id, 'noop-1'), garbage);
      const report = await sweepStatus({ server: f.server.url, creds: f.server.orchestratorCreds, results: scratch }, id).catch((e: Error) => e);
      assert.ok(report instanceof Error && /no sweep 'badcell'/.test(report.message), 'no sweep yet: a clear error, not a crash on the value');
      const events: SweepEvent[] = [];
      const outcome = await runSweep(plan, onTestServer(f.server, join(scratch, id), { onEvent: (e) => void events.push(e) }));
      assert.equal(outcome.status, 'done', JSON.stringify(outcome.failed));
      assert.equal(outcome.counts.done, 3);
      assert.ok(events.some((e) => e.type === 'warning' && /unreadable cell state .*noop-1.*not JSON/.test(e.message)), 'the bad value was reported');

      // status of a sweep whose cell is unreadable again: a row with the reason, no crash.
      await f.stores.cells.put(cellKey(id, 'noop-2'), garbage);
      const status = await sweepStatus({ server: f.server.url, creds: f.server.orchestratorCreds, results: scratch }, id);
      const row = status.cells.find((c) => c.cell === 'noop-2');
      assert.equal(row?.status, 'queued');
      assert.match(row?.error ?? '', /unreadable cell state/);
      // resume runs it again (its state says nothing final) and ends.
      const resumed = await runSweep(plan, onTestServer(f.server, join(scratch, id), { resume: true }));
      assert.equal(resumed.status, 'done', JSON.stringify(resumed.failed));
      assert.equal((await readCell(f.stores.cells, cellKey(id, 'noop-2')))?.state.status, 'done');
    } finally {
      await f.stop();
    }
  });

  test('a schema-invalid result record for a queued cell does not make the worker drop its real result', async () => {
    const f = await fleet('m2');
    try {
      const id = 'badresult';
      const forged = { sweep: id, cell: 'noop-0', node: 'nobody', slot: 'x', attempt: 1, object: null, bytes: 1, status: 'completed', final_score: 1, final_loss: 0, created_at: 'now', result: { format: 'nope' } };
      await f.stores.results.create(cellKey(id, 'noop-0'), encodeJson(forged));
      await f.stores.results.create(cellKey(id, 'noop-1'), garbage);
      const events: SweepEvent[] = [];
      const outcome = await runSweep(testPlan(id, noops(2)), onTestServer(f.server, join(scratch, id), { onEvent: (e) => void events.push(e) }));
      assert.equal(outcome.status, 'done', JSON.stringify(outcome.failed));
      assert.deepEqual((await readdir(join(scratch, id, 'cells'))).sort(), ['noop-0.json', 'noop-1.json']);
      for (const cell of ['noop-0', 'noop-1']) {
        const entry = await f.stores.results.get(cellKey(id, cell));
        const stored = await readStoredResult(cellKey(id, cell), entry!.value, f.stores.artifacts);
        assert.ok(!('unreadable' in stored) && stored.record.node === 'm2', `${cell}: the worker's own result is the stored one`);
      }
      assert.ok(events.some((e) => e.type === 'unreadable-result' && e.cell === 'noop-0' && /not a trial result/.test(e.reason)));
    } finally {
      await f.stop();
    }
  });

  test("a trial message whose body names another cell is not acted on: the subject's cell fails with the reason", async () => {
    const f = await fleet('m3');
    try {
      const id = 'mismatch';
      const plan = testPlan(id, noops(2));
      // The message for noop-0 is published first under its real message id, so the sweep's own
      // publish of noop-0 is dropped as a duplicate and this body is the one delivered.
      await ensureConsumer(f.stores.jsm, id, plan.maxDeliver);
      const body: TrialMessage = { format: TRIAL_MESSAGE_FORMAT, sweep: id, cell: 'noop-1', trial: plan.cells[1]!.trial };
      await jetstream(f.nc).publish(subjects.trial(id, 'noop-0'), encodeJson(body), { msgID: messageId(id, 'noop-0') });
      const events: SweepEvent[] = [];
      const outcome = await runSweep(plan, onTestServer(f.server, join(scratch, id), { onEvent: (e) => void events.push(e) }));
      assert.equal(outcome.status, 'failed');
      assert.deepEqual(outcome.failed.map((x) => x.cell), ['noop-0']);
      assert.match(outcome.failed[0]!.error, /its body names cell mismatch\.noop-1/);
      assert.equal(events.filter((e) => e.type === 'result' && e.cell === 'noop-1').length, 1, 'noop-1 ran once, from its own message');
    } finally {
      await f.stop();
    }
  });
});

describe('cancel', { timeout: 60_000 }, () => {
  test('ends the run even when a running cell’s worker is gone (its message was purged, nobody reports)', async () => {
    const server = await startTestServer();
    const nc = await connectNats(server.url, { creds: server.orchestratorCreds }, 'cancel test');
    try {
      const stores: Stores = await ensureStores(nc);
      const id = 'cancel-dead';
      const plan = testPlan(id, noops(3));
      await publishSweep(nc, stores, plan);
      // A "worker" claims noop-0 and then vanishes: its delivery is never acked.
      const consumer = await jetstream(nc).consumers.get(TRIALS_STREAM, consumerName(id));
      const msg = await consumer.next({ expires: 5000 });
      assert.ok(msg, 'a cell was delivered');
      const cell = msg.subject.split('.').at(-1)!;
      await createCell(stores.cells, cellKey(id, cell), { sweep: id, cell, status: 'running', attempt: 1, node: 'ghost', slot: 'cpu0', updated_at: new Date().toISOString() });
      const run = runSweep(plan, onTestServer(server, join(scratch, id), {
        cancelGraceMs: 1500,
        onEvent: (e) => {
          if (e.type === 'cell' && e.state.cell === cell && e.state.status === 'running') void setSweepStatus(stores, id, 'cancelled');
        },
      }));
      const outcome = await run;
      assert.equal(outcome.status, 'cancelled');
      assert.equal(outcome.counts.cancelled, 3);
      const ghost = (await readCell(stores.cells, cellKey(id, cell)))!.state;
      assert.match(ghost.error ?? '', /did not answer the cancel/);
    } finally {
      await nc.close();
      await server.cleanup();
    }
  });
});

describe('train.timeout', { timeout: 60_000 }, () => {
  test('a cell past its time limit is failed once (not retried) and its trainer killed; the next cell runs on a fresh trainer', async () => {
    const f = await fleet('m9');
    try {
      const id = 'timeout';
      const plan = testPlan(id, [
        { id: 'slow', trial: { durationMs: 60_000, timeoutS: 1 } },
        { id: 'quick', trial: { durationMs: 10, timeoutS: 30 } },
      ]);
      // The slow cell would sleep 60 s, past this test's own timeout, unless its trainer is killed.
      const outcome = await runSweep(plan, onTestServer(f.server, join(scratch, id)));
      assert.equal(outcome.status, 'failed');
      assert.deepEqual(outcome.failed.map((x) => x.cell), ['slow']);
      assert.match(outcome.failed[0]!.error, /timed out: still running after the 1 s limit \(train\.timeout\)/);
      const slow = await readCell(f.stores.cells, cellKey(id, 'slow'));
      assert.equal(slow?.state.attempt, 1, 'one attempt only');
      assert.equal((await readCell(f.stores.cells, cellKey(id, 'quick')))?.state.status, 'done');
    } finally {
      await f.stop();
    }
  });
});
