import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { ensureConsumer } from '../../orchestrator/sweep/infrastructure.js';
import { publishTrials } from '../../orchestrator/sweep/publish.js';
import { readCell } from '../../shared/protocol/cell-store.js';
import { cellKey, consumerName, TRIALS_STREAM } from '../../shared/protocol/names.js';
import { testPlan } from '../../test/helpers/sweeps.js';
import { orchestratorOnTestServer } from '../../test/helpers/nats-server.js';
import { runCell, type RunnerContext, type SlotHandle } from './cell-runner.js';
import type { SlotExecutor } from './executor.js';

/** runCell against a real nats-server, with a slot whose trial fails at once. */
const env = orchestratorOnTestServer('cell-runner-test');

/** A busy CPU slot running `executor`, and the runner's context for node `node` on the test server. */
function runnerFor(node: string, executor: SlotExecutor, plan: ReturnType<typeof testPlan>): { slot: SlotHandle; ctx: RunnerContext } {
  const { nc, stores } = env;
  const slot: SlotHandle = { slot: 'cpu0', kind: 'cpu', device: null, executor, busy: true, running: null, samplesPerSecond: null };
  const ctx: RunnerContext = {
    node,
    nc,
    js: jetstream(nc),
    cells: stores.cells,
    results: stores.results,
    artifacts: stores.artifacts,
    sweepStatus: () => 'running',
    maxDeliver: () => plan.maxDeliver,
    workingEveryMs: 10_000,
    log: () => undefined,
  };
  return { slot, ctx };
}

test('a first attempt whose trial fails before its claim is stored: no unhandled rejection, the cell is retried', async () => {
  const { nc, stores } = env;
  const plan = testPlan('fastfail', [{ id: 'c1', trial: {} }], 2);
  await ensureConsumer(stores.jsm, plan.id, plan.maxDeliver);
  await publishTrials(nc, stores, plan.id, plan.cells);
  const consumer = await jetstream(nc).consumers.get(TRIALS_STREAM, consumerName(plan.id));
  const msg = await consumer.next({ expires: 5000 });
  assert.ok(msg, 'the trial message is delivered');

  // The trial rejects at once, while the claim (a KV create) is still a round trip away: the
  // race that a missing data file hits when the trainer answers faster than the server.
  const executor = { run: () => Promise.reject(new Error('data file not found')), abort: () => undefined } as unknown as SlotExecutor;
  const { slot, ctx } = runnerFor('n1', executor, plan);
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    assert.equal(await runCell(msg, slot, ctx), 'retry');
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  assert.deepEqual(unhandled, []);
  const cell = await readCell(stores.cells, cellKey(plan.id, 'c1'));
  assert.equal(cell?.state.status, 'queued');
  assert.equal(cell?.state.error, 'data file not found');
});

test('a frozen worker whose trial fails after its cell moved on leaves the message to the new holder (no NAK, no TERM)', async () => {
  const { nc, stores } = env;
  const plan = testPlan('stale', [{ id: 'c1', trial: {} }], 3);
  await ensureConsumer(stores.jsm, plan.id, plan.maxDeliver);
  await publishTrials(nc, stores, plan.id, plan.cells);
  const consumer = await jetstream(nc).consumers.get(TRIALS_STREAM, consumerName(plan.id));
  const delivered = await consumer.next({ expires: 5000 });
  assert.ok(delivered, 'the trial message is delivered');
  const key = cellKey(plan.id, 'c1');
  // What this delivery does with its message, recorded instead of sent.
  const settled: string[] = [];
  const msg = new Proxy(delivered, {
    get: (target, prop, receiver) => (prop === 'nak' || prop === 'term' || prop === 'ack' ? () => void settled.push(String(prop)) : Reflect.get(target, prop, receiver)),
  });
  // The trial runs until the test has moved the cell to another node's delivery (its lease ran
  // out while this worker was frozen), then its trainer dies.
  let moved!: () => void;
  const movedOn = new Promise<void>((resolve) => (moved = resolve));
  const executor = {
    run: async () => {
      await movedOn;
      throw new Error('trainer killed');
    },
    abort: () => undefined,
  } as unknown as SlotExecutor;
  const { slot, ctx } = runnerFor('frozen', executor, plan);
  const outcome = runCell(msg, slot, ctx);
  // Wait for our claim, then overwrite it as the redelivery elsewhere would.
  let claim = await readCell(stores.cells, key);
  for (let i = 0; i < 200 && claim?.state.node !== 'frozen'; i++) claim = await readCell(stores.cells, key);
  assert.equal(claim?.state.node, 'frozen', 'the first delivery claimed the cell');
  const theirs = { ...claim!.state, node: 'other', attempt: 2, delivery: '$JS.ACK.other.delivery' };
  await stores.cells.update(key, JSON.stringify(theirs), claim!.revision);
  moved();
  assert.equal(await outcome, 'stale');
  assert.deepEqual(settled, [], 'neither nak (a third delivery beside the live one) nor term');
  const after = await readCell(stores.cells, key);
  assert.equal(after?.state.node, 'other');
  assert.equal(after?.state.status, 'running', 'the live attempt’s claim is untouched');
});
