import assert from 'node:assert/strict';
import { jetstream } from '@nats-io/jetstream';
import { test } from 'node:test';
import { createCell, readCell } from '../../shared/protocol/cell-store.js';
import { cellKey, consumerName, TRIALS_STREAM } from '../../shared/protocol/names.js';
import { orchestratorOnTestServer } from '../../test/helpers/nats-server.js';
import { planSweepFromText } from './plan.js';
import { messageId, publishSweep, setSweepStatus } from './publish.js';
import { cellsOfSweepRecord, retryFailedCells } from './retry.js';

/** "Retry failed cells" against a real nats-server: the cell is queued again and its message re-published. */

const env = orchestratorOnTestServer('retry test');

const SPEC = 'name: retry\ngrid:\n  optimizer: [sgd]\n  dataset: [noop]\n  seed: [1, 2]\n';

test('a failed cell goes back to queued (its error kept) and its trial is published again under a new message id', async () => {
  const { nc, stores } = env;
  const id = 'retry-1';
  const plan = await planSweepFromText(SPEC, 'retry.yaml', { id });
  assert.deepEqual(cellsOfSweepRecord({ id, spec_yaml: SPEC }).map((c) => c.id), ['sgd-noop-s1', 'sgd-noop-s2']);
  await publishSweep(nc, stores, plan);

  // What a worker does: s1 fails for good (cell failed, message term'ed), s2 finishes (done, acked).
  const consumer = await jetstream(nc).consumers.get(TRIALS_STREAM, consumerName(id));
  const batch = await consumer.fetch({ max_messages: 2, expires: 2000 });
  for await (const m of batch) {
    const cell = m.subject.split('.').at(-1)!;
    const now = new Date().toISOString();
    const failed = cell === 'sgd-noop-s1';
    await createCell(stores.cells, cellKey(id, cell), { sweep: id, cell, status: failed ? 'failed' : 'done', attempt: 3, error: failed ? 'boom' : undefined, updated_at: now });
    if (failed) m.term();
    else m.ack();
  }

  const retried = await retryFailedCells(nc, stores, id, ['sgd-noop-s1', 'sgd-noop-s2'], 42);
  assert.deepEqual(retried, ['sgd-noop-s1'], 'only the failed cell');
  const s1 = (await readCell(stores.cells, cellKey(id, 'sgd-noop-s1')))!.state;
  assert.deepEqual([s1.status, s1.error], ['queued', 'boom']);
  assert.equal((await readCell(stores.cells, cellKey(id, 'sgd-noop-s2')))!.state.status, 'done');

  const again = await consumer.fetch({ max_messages: 2, expires: 1000 });
  const delivered: Array<{ subject: string; msgId: string | undefined; deliveries: number }> = [];
  for await (const m of again) {
    delivered.push({ subject: m.subject, msgId: m.headers?.get('Nats-Msg-Id'), deliveries: m.info.deliveryCount });
    m.ack();
  }
  assert.deepEqual(delivered, [{ subject: `grn.trials.${id}.sgd-noop-s1`, msgId: messageId(id, 'sgd-noop-s1', 42), deliveries: 1 }]);
  assert.notEqual(messageId(id, 'sgd-noop-s1', 42), messageId(id, 'sgd-noop-s1'), 'not the first publish’s id, which the server would drop');

  assert.deepEqual(await retryFailedCells(nc, stores, id, ['sgd-noop-s1']), [], 'a queued cell is not failed: nothing to do');
});

test('retry is refused for an unknown cell and once the sweep has ended', async () => {
  const { nc, stores } = env;
  const id = 'retry-2';
  await publishSweep(nc, stores, await planSweepFromText(SPEC, 'retry.yaml', { id }));
  await assert.rejects(retryFailedCells(nc, stores, id, ['nope']), /has no cell nope/);
  await setSweepStatus(stores, id, 'done');
  await assert.rejects(retryFailedCells(nc, stores, id, ['sgd-noop-s1']), /sweep retry-2 is done: failed cells can be retried only while the sweep runs/);
  await assert.rejects(retryFailedCells(nc, stores, 'missing', []), /no sweep 'missing'/);
});
