import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from '../../shared/protocol/connect.js';
import { encodeJson, type CellState, type ResultRecord } from '../../shared/protocol/messages.js';
import { cellKey, CELLS_BUCKET, consumerName, RESULTS_BUCKET, subjects, TRIALS_STREAM, workerInboxPrefix } from '../../shared/protocol/names.js';
import { readStoredResult } from '../../shared/protocol/result-store.js';
import { onTestServer, testPlan } from '../../test/helpers/sweeps.js';
import { WorkerAgent } from '../../worker/agent/agent.js';
import { initServer } from '../server/init.js';
import { freePort, launchNatsServer, type RunningServer } from '../server/process.js';
import { sweepClaimTokens } from './claim-token.js';
import { ensureStores, type Stores } from './infrastructure.js';
import type { SweepEvent } from './monitor.js';
import { runSweep } from './run.js';

/**
 * Results you can trust, against a real nats-server configured by `grn server init` (one key per
 * node): node n2, with its real credentials, tries every way it has to forge science while n1 runs
 * the sweep. Each attempt is refused by the server or rejected and reported by the orchestrator,
 * and the sweep ends with n1's results only.
 */
let dir: string;
let server: RunningServer;
let url: string;
let init: Awaited<ReturnType<typeof initServer>>;
let orch: NatsConnection;
let stores: Stores;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grn-acceptor-'));
  const port = await freePort();
  init = await initServer({ out: dir, host: '127.0.0.1', port, nodes: ['n1', 'n2'], force: false });
  url = `nats://127.0.0.1:${port}`;
  server = await launchNatsServer({ configFile: init.config, logFile: join(dir, 'nats-server.log'), url, auth: { creds: init.orchestratorCreds } });
  orch = await connectNats(url, { creds: init.orchestratorCreds }, 'test orchestrator');
  stores = await ensureStores(orch);
});

after(async () => {
  await orch?.close();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function record(sweep: string, cell: string, node: string, extra: Partial<ResultRecord> = {}): ResultRecord {
  const result = { format: 'grn.trial-result/1' };
  return { sweep, cell, node, slot: 'cpu0', attempt: 1, object: null, bytes: 10, status: 'completed', metric: 'accuracy', final_score: 100, final_loss: 0, created_at: new Date().toISOString(), result, ...extra };
}

test('a node cannot forge, misattribute or overwrite results; every attempt is refused or reported, and the sweep finishes with the real ones', { timeout: 90_000 }, async () => {
  const id = 'trust';
  const plan = testPlan(id, ['c0', 'c1', 'c2', 'c3'].map((c) => ({ id: c, trial: { dataset: 'noop' } })));
  const events: SweepEvent[] = [];
  let published!: () => void;
  const running = new Promise<void>((resolve) => (published = resolve));
  const outcome = runSweep(
    plan,
    onTestServer({ url, orchestratorCreds: init.orchestratorCreds }, join(dir, 'results'), {
      lostAfterMs: 500,
      onEvent: (e) => {
        events.push(e);
        if (e.type === 'sweep' && e.record.status === 'running') published();
      },
    }),
  );
  await running;

  // n2 with its own key, connected as an agent is.
  const evil = await connectNats(url, { creds: init.nodeCreds.get('n2')! }, 'n2', { inboxPrefix: workerInboxPrefix('n2') });
  const errors: string[] = [];
  void (async () => {
    for await (const s of evil.status()) if (s.type === 'error') errors.push(s.error.message);
  })();
  const js = jetstream(evil);
  const kvm = new Kvm(evil);
  const results = await kvm.open(RESULTS_BUCKET);
  const cells = await kvm.open(CELLS_BUCKET);
  const tokens = await sweepClaimTokens(stores, id);
  try {
    // 1. Writing grn-results directly: the server refuses (only the orchestrator may).
    await assert.rejects(results.create(cellKey(id, 'c0'), encodeJson(record(id, 'c0', 'n2'))), /Permissions Violation/);
    // 2. Handing in as n1: the server refuses the subject.
    await assert.rejects(js.publish(subjects.submit('n1', id, 'c0'), encodeJson(record(id, 'c0', 'n1')), { timeout: 2000 }), /Permissions Violation/);
    // 3. Oversized: the server's max_payload refuses it before anyone parses it.
    assert.throws(() => evil.publish(subjects.submit('n2', id, 'c0'), new Uint8Array(2 << 20)), /payload|MAX_PAYLOAD/i);
    // 4. Past the submissions stream's size limit (but under max_payload): the stream refuses it.
    await assert.rejects(js.publish(subjects.submit('n2', id, 'c0'), new Uint8Array(300 << 10), { timeout: 2000 }), /maximum message size|message size exceeds/i);
    // 5. On its own subject, but without the cell's claim token (never delivered to it).
    await js.publish(subjects.submit('n2', id, 'c0'), encodeJson(record(id, 'c0', 'n2')));
    // 6. With a token (as if it had seen the delivery) but no claim on the cell.
    await js.publish(subjects.submit('n2', id, 'c1'), encodeJson(record(id, 'c1', 'n2', { token: tokens.token('c1') })));
    // 7. A record naming another node than the subject it came on.
    await js.publish(subjects.submit('n2', id, 'c1'), encodeJson(record(id, 'c1', 'n1', { token: tokens.token('c1') })), { msgID: 'misnamed' });
    // 8. Not a result record at all.
    await js.publish(subjects.submit('n2', id, 'c1'), encodeJson({ hello: 'world' }), { msgID: 'schema' });
    // 9. A cell that is not in the sweep.
    await js.publish(subjects.submit('n2', id, 'ghost'), encodeJson(record(id, 'ghost', 'n2', { token: tokens.token('ghost') })));
    // 10. A cell state for a cell not in the sweep (cell states are shared; the orchestrator reports it).
    const ghost: CellState = { sweep: id, cell: 'ghost', status: 'done', attempt: 1, node: 'n2', updated_at: new Date().toISOString(), final_score: 100 };
    await cells.put(cellKey(id, 'ghost'), encodeJson(ghost));
    // 11. Taking c3's message and marking it done without handing anything in (then acking it, so
    // nothing would redeliver it): the orchestrator finds the cell lost and runs it again.
    const consumer = await js.consumers.get(TRIALS_STREAM, consumerName(id));
    const taken = await consumer.next({ expires: 5000 });
    assert.ok(taken);
    const takenCell = taken.subject.split('.').at(-1)!;
    await cells.put(cellKey(id, takenCell), encodeJson({ sweep: id, cell: takenCell, status: 'done', attempt: 1, node: 'n2', updated_at: new Date().toISOString(), final_score: 100 } satisfies CellState));
    await taken.ackAck();
  } finally {
    await evil.flush();
  }

  // Now the honest node runs the sweep.
  const agent = await WorkerAgent.start({ server: url, auth: { creds: init.nodeCreds.get('n1')! }, node: 'n1', gpus: 'none', cpuSlots: 1, drainTimeoutMs: 1000, log: () => undefined });
  try {
    const done = await outcome;
    assert.equal(done.status, 'done', JSON.stringify(done.failed));
  } finally {
    await agent.drain();
    await evil.close();
  }
  for (const cell of ['c0', 'c1', 'c2', 'c3']) {
    const entry = await stores.results.get(cellKey(id, cell));
    const stored = await readStoredResult(cellKey(id, cell), entry!.value, stores.artifacts);
    assert.ok(!('unreadable' in stored), `${cell}: a readable result`);
    assert.equal(stored.record.node, 'n1', `${cell}: n1's result is the stored one`);
    assert.equal(stored.record.token, undefined, 'tokens are not kept in stored results');
  }
  assert.equal(await stores.results.get(cellKey(id, 'ghost')), null);
  const rejected = events.flatMap((e) => (e.type === 'judged' && e.judgement.verdict === 'rejected' ? [e.judgement] : []));
  const reasons = rejected.map((j) => `${j.cell}: ${j.reason}`);
  for (const want of [/^c0: no valid claim token/, /^c1: node 'n2' holds no claim/, /^c1: the record says node 'n1', but node 'n2' sent it/, /^c1: result for trust\.c1 from node n2: /, /^ghost: sweep trust has no cell 'ghost'/]) {
    assert.ok(reasons.some((r) => want.test(r)), `expected a rejection matching ${want}; got ${JSON.stringify(reasons)}`);
  }
  assert.equal(rejected.length, 5, JSON.stringify(reasons));
  const warnings = events.flatMap((e) => (e.type === 'warning' ? [e.message] : []));
  assert.ok(warnings.some((w) => /cell state for 'ghost', which is not a cell of sweep trust/.test(w)), JSON.stringify(warnings));
  assert.ok(warnings.some((w) => /marked done without a result handed in/.test(w)), JSON.stringify(warnings));
});
