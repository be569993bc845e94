import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, type Consumer } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { Objm, type ObjectStore } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from '../../shared/protocol/connect.js';
import {
  ARTIFACTS_STORE,
  CELLS_BUCKET,
  consumerName,
  NODES_BUCKET,
  RESULTS_BUCKET,
  subjects,
  SUBMISSIONS_STREAM,
  SWEEPS_BUCKET,
  TRIALS_STREAM,
  workerInboxPrefix,
} from '../../shared/protocol/names.js';
import { initServer } from './init.js';
import { freePort, launchNatsServer, type RunningServer } from './process.js';

/**
 * The worker permissions against a real server configured the way `grn server init` does it,
 * driven by the same v3 clients the worker agent uses. A permission violation shows up either as
 * a rejected request ("Permissions Violation for Publish to …") or, for a plain publish, as an
 * async error on `status()`; `flush()` makes the server's -ERR arrive before we look.
 */

const SWEEP = 's1';

class Violations {
  readonly seen: string[] = [];
  constructor(nc: NatsConnection) {
    void (async () => {
      for await (const s of nc.status()) if (s.type === 'error') this.seen.push(s.error.message);
    })();
  }
}

describe('worker permissions (grn server init config, node n1)', { timeout: 90_000 }, () => {
  let dir: string;
  let server: RunningServer;
  let orch: NatsConnection;
  let worker: NatsConnection;
  let violations: Violations;
  const orchKv = new Map<string, KV>();
  const kv = new Map<string, KV>();
  let store: ObjectStore;

  async function settle(): Promise<void> {
    // The server answers in order, so the -ERR is parsed (and pushed to status()) before flush's
    // PONG; the status loop takes it in a microtask queued before flush resolves. One turn of the
    // event loop lets that loop run: an ordering, not a wait long enough.
    await worker.flush();
    await new Promise((resolve) => setImmediate(resolve));
  }

  /** Runs a worker operation that must work: no rejection, no async violation. */
  async function allowed<T>(what: string, fn: () => Promise<T> | T): Promise<T> {
    const before = violations.seen.length;
    const result = await fn();
    await settle();
    assert.deepEqual(violations.seen.slice(before), [], `${what}: unexpected permission violation`);
    return result;
  }

  /** Runs a worker operation that must be refused on `subject`. */
  async function refused(what: string, subject: string, fn: () => Promise<unknown> | unknown): Promise<void> {
    const before = violations.seen.length;
    let rejection = '';
    try {
      await fn();
    } catch (err) {
      rejection = (err as Error).message;
    }
    await settle();
    const messages = [rejection, ...violations.seen.slice(before)].join(' | ');
    assert.ok(messages.includes(`Permissions Violation for Publish to "${subject}"`), `${what} should be refused on ${subject}; got: ${messages || 'nothing'}`);
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'grn-perms-'));
    const port = await freePort();
    const init = await initServer({ out: dir, host: '127.0.0.1', port, nodes: ['n1', 'n2'], force: false });
    const url = `nats://127.0.0.1:${port}`;
    server = await launchNatsServer({ configFile: init.config, logFile: join(dir, 'nats-server.log'), url, auth: { creds: init.orchestratorCreds } });

    // The orchestrator's side of a sweep: stream, consumer, buckets, store, queued cells.
    orch = await connectNats(url, { creds: init.orchestratorCreds }, 'test orchestrator');
    const jsm = await jetstreamManager(orch);
    await jsm.streams.add({ name: TRIALS_STREAM, subjects: [subjects.allTrials], retention: RetentionPolicy.Workqueue });
    await jsm.consumers.add(TRIALS_STREAM, { durable_name: consumerName(SWEEP), ack_policy: AckPolicy.Explicit, filter_subject: subjects.trialsOfSweep(SWEEP), max_deliver: 5 });
    for (let i = 0; i < 4; i++) await jetstream(orch).publish(subjects.trial(SWEEP, `c${i}`), `trial ${i}`);
    const kvm = new Kvm(orch);
    for (const b of [SWEEPS_BUCKET, CELLS_BUCKET, RESULTS_BUCKET, NODES_BUCKET]) orchKv.set(b, await kvm.create(b, { history: 5 }));
    await orchKv.get(SWEEPS_BUCKET)!.put(SWEEP, 'running');
    await orchKv.get(CELLS_BUCKET)!.put(`${SWEEP}.c0`, 'queued');
    await new Objm(orch).create(ARTIFACTS_STORE);
    await jsm.streams.add({ name: SUBMISSIONS_STREAM, subjects: [subjects.allSubmissions], retention: RetentionPolicy.Workqueue });

    // As the agent connects: replies on its node's own inboxes.
    worker = await connectNats(url, { creds: init.nodeCreds.get('n1')! }, 'test worker n1', { inboxPrefix: workerInboxPrefix('n1') });
    violations = new Violations(worker);
    // Each test opens what it uses from here, so none depends on another having run first.
    const workerKvm = new Kvm(worker);
    for (const b of [SWEEPS_BUCKET, CELLS_BUCKET, RESULTS_BUCKET, NODES_BUCKET]) kv.set(b, await workerKvm.open(b));
    store = await new Objm(worker).open(ARTIFACTS_STORE);
  });

  /** Resolves once `count` messages match on the orchestrator's side (bounded: the test's timeout). */
  function heard(subject: string, count: number): { got: string[]; done: Promise<void> } {
    const got: string[] = [];
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const sub = orch.subscribe(subject, {
      callback: (_e, m) => {
        got.push(m.subject);
        if (got.length === count) {
          sub.unsubscribe();
          resolve();
        }
      },
    });
    return { got, done };
  }

  after(async () => {
    await worker?.close();
    await orch?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('opens every bucket and the object store', async () => {
    const kvm = new Kvm(worker);
    for (const b of [SWEEPS_BUCKET, CELLS_BUCKET, RESULTS_BUCKET, NODES_BUCKET]) await allowed(`open ${b}`, () => kvm.open(b));
    await allowed('bucket status (stream info)', () => kv.get(CELLS_BUCKET)!.status());
    await allowed('open the object store', () => new Objm(worker).open(ARTIFACTS_STORE));
    await allowed('jetstream manager (account info)', async () => (await jetstreamManager(worker)).getAccountInfo());
    await allowed('trials stream info', async () => (await jetstreamManager(worker)).streams.info(TRIALS_STREAM));
  });

  test('pulls cells from the sweep consumer and settles them (ack, working, nak, term)', async () => {
    const consumer: Consumer = await allowed('consumer info', () => jetstream(worker).consumers.get(TRIALS_STREAM, consumerName(SWEEP)));
    const first = await allowed('next', () => consumer.next({ expires: 2000 }));
    assert.equal(first?.subject, subjects.trial(SWEEP, 'c0'));
    await allowed('working', () => first!.working());
    assert.equal(await allowed('ackAck', () => first!.ackAck()), true);
    await allowed('nak', async () => (await consumer.next({ expires: 2000 }))!.nak());
    await allowed('term', async () => (await consumer.next({ expires: 2000 }))!.term());
    await allowed('fetch + ack', async () => {
      for await (const m of await consumer.fetch({ max_messages: 1, expires: 2000 })) m.ack();
    });
  });

  test('reads every bucket; creates and updates cells; hands results in on its own submission subject', async () => {
    assert.ok(await allowed('get sweep', async () => (await kv.get(SWEEPS_BUCKET)!.get(SWEEP))?.string()));
    assert.equal(await allowed('get missing node', () => kv.get(NODES_BUCKET)!.get('n2')), null);
    const cells = kv.get(CELLS_BUCKET)!;
    const entry = (await allowed('get cell', () => cells.get(`${SWEEP}.c0`)))!;
    await allowed('get cell by revision', () => cells.get(`${SWEEP}.c0`, { revision: entry.revision }));
    await allowed('update cell (compare-and-set)', () => cells.update(`${SWEEP}.c0`, 'running', entry.revision));
    await allowed('create cell', () => cells.create(`${SWEEP}.c9`, 'queued'));
    const ack = await allowed('submit a result', () => jetstream(worker).publish(subjects.submit('n1', SWEEP, 'c0'), '{}', { timeout: 2000 }));
    assert.equal(ack.stream, SUBMISSIONS_STREAM);
    // Direct gets, as a client that knows the bucket allows them uses.
    const direct = await new Kvm(worker).open(CELLS_BUCKET, { allow_direct: true });
    assert.equal(await allowed('direct get', async () => (await direct.get(`${SWEEP}.c0`))?.string()), 'running');
  });

  test('puts and deletes its own registry entry; publishes its telemetry, GPU and host metrics', async () => {
    await allowed('put own node key', () => kv.get(NODES_BUCKET)!.put('n1', '{}'));
    assert.equal((await orchKv.get(NODES_BUCKET)!.get('n1'))?.string(), '{}');
    await allowed('delete own node key', () => kv.get(NODES_BUCKET)!.delete('n1'));
    const live = heard('grn.>', 3);
    await orch.flush();
    await allowed('publish telemetry', () => worker.publish(subjects.telemetry(SWEEP, 'c0'), '{}'));
    await allowed('publish own gpu', () => worker.publish(subjects.gpu('n1', 0), '{}'));
    await allowed('publish own host metrics', () => worker.publish(subjects.nodeMetrics('n1'), '{}'));
    await live.done;
    assert.deepEqual(live.got.sort(), [subjects.gpu('n1', 0), subjects.nodeMetrics('n1'), subjects.telemetry(SWEEP, 'c0')].sort());
  });

  test('puts, replaces and deletes objects in the artifacts store', async () => {
    const big = new Uint8Array(300_000).fill(7); // several chunks
    assert.equal((await allowed('put object', () => store.putBlob({ name: `${SWEEP}/c0.json` }, big))).size, big.length);
    assert.equal((await allowed('replace object', () => store.putBlob({ name: `${SWEEP}/c0.json` }, new Uint8Array(10)))).size, 10);
    assert.equal((await new Objm(orch).open(ARTIFACTS_STORE).then((s) => s.getBlob(`${SWEEP}/c0.json`)))?.length, 10);
    // Read back (a checkpoint to resume from): through an ordered consumer on the store's stream.
    assert.equal((await allowed('read object', () => store.getBlob(`${SWEEP}/c0.json`)))?.length, 10);
    await allowed('delete object', () => store.delete(`${SWEEP}/c0.json`));
  });

  test('watches the sweeps bucket', async () => {
    const seen: string[] = [];
    const current = (await orchKv.get(SWEEPS_BUCKET)!.get(SWEEP))!.string();
    const watch = await allowed('watch', () => kv.get(SWEEPS_BUCKET)!.watch());
    // The watch's first entry is the current value, its second our update: wait for exactly those.
    const twoSeen = (async () => {
      for await (const e of watch) if (seen.push(`${e.key}=${e.string()}`) === 2) return;
    })();
    await orchKv.get(SWEEPS_BUCKET)!.put(SWEEP, 'paused');
    await twoSeen;
    assert.deepEqual(seen, [`${SWEEP}=${current}`, `${SWEEP}=paused`]);
    await allowed('stop watching', () => watch.stop());
  });

  test('refused: queueing trials, writing sweeps or results, impersonating node n2, deleting or purging streams', async () => {
    const before = (await (await jetstreamManager(orch)).streams.info(TRIALS_STREAM)).state.messages;
    await refused('core publish of a trial', 'grn.trials.x.y', () => worker.publish('grn.trials.x.y', 'x'));
    await refused('JetStream publish of a trial', subjects.trial(SWEEP, 'evil'), () => jetstream(worker).publish(subjects.trial(SWEEP, 'evil'), 'x', { timeout: 2000 }));
    assert.equal((await (await jetstreamManager(orch)).streams.info(TRIALS_STREAM)).state.messages, before);

    const status = (await orchKv.get(SWEEPS_BUCKET)!.get(SWEEP))?.string();
    await refused('write the sweeps bucket', `$KV.${SWEEPS_BUCKET}.${SWEEP}`, () => kv.get(SWEEPS_BUCKET)!.put(SWEEP, 'cancelled', { timeout: 2000 }));
    assert.equal((await orchKv.get(SWEEPS_BUCKET)!.get(SWEEP))?.string(), status);

    // Results: only the orchestrator's acceptor writes them; a node hands in on its own subject.
    await refused('write a result directly', `$KV.${RESULTS_BUCKET}.${SWEEP}.c1`, () => kv.get(RESULTS_BUCKET)!.create(`${SWEEP}.c1`, '{"forged":true}'));
    assert.equal(await orchKv.get(RESULTS_BUCKET)!.get(`${SWEEP}.c1`), null);
    await refused('delete a result', `$KV.${RESULTS_BUCKET}.${SWEEP}.c1`, () => kv.get(RESULTS_BUCKET)!.delete(`${SWEEP}.c1`));
    await refused("hand a result in as node n2", subjects.submit('n2', SWEEP, 'c1'), () => jetstream(worker).publish(subjects.submit('n2', SWEEP, 'c1'), '{}', { timeout: 2000 }));

    await refused("write node n2's registry key", `$KV.${NODES_BUCKET}.n2`, () => kv.get(NODES_BUCKET)!.put('n2', 'evil', { timeout: 2000 }));
    assert.equal(await orchKv.get(NODES_BUCKET)!.get('n2'), null);
    await refused("publish node n2's GPU metrics", 'grn.gpu.n2.0', () => worker.publish(subjects.gpu('n2', 0), '{}'));
    await refused("publish node n2's host metrics", 'grn.node.n2', () => worker.publish(subjects.nodeMetrics('n2'), '{}'));

    const jsm = await jetstreamManager(worker, { timeout: 2000 });
    await refused('delete the trials stream', `$JS.API.STREAM.DELETE.${TRIALS_STREAM}`, () => jsm.streams.delete(TRIALS_STREAM));
    await refused('purge the trials stream', `$JS.API.STREAM.PURGE.${TRIALS_STREAM}`, () => jsm.streams.purge(TRIALS_STREAM));
    await refused('delete a bucket', `$JS.API.STREAM.DELETE.KV_${RESULTS_BUCKET}`, () => jsm.streams.delete(`KV_${RESULTS_BUCKET}`));
    await refused('create a stream', '$JS.API.STREAM.CREATE.EVIL', () => jsm.streams.add({ name: 'EVIL', subjects: ['evil.>'] }));
    await refused('delete the sweep consumer', `$JS.API.CONSUMER.DELETE.${TRIALS_STREAM}.${consumerName(SWEEP)}`, () => jsm.consumers.delete(TRIALS_STREAM, consumerName(SWEEP)));
    assert.equal((await (await jetstreamManager(orch)).streams.info(TRIALS_STREAM)).config.name, TRIALS_STREAM);

    // Subscribing to anything but its own inboxes is refused too: no reading others' traffic, nor
    // another node's deliveries (their claim tokens) or replies.
    for (const subject of [subjects.allTrials, '_INBOX.>', `${workerInboxPrefix('n2')}.>`]) {
      const before2 = violations.seen.length;
      worker.subscribe(subject);
      await settle();
      assert.ok(violations.seen.slice(before2).join(' ').includes(`Permissions Violation for Subscription to "${subject}"`), `subscribing to ${subject} should be refused`);
    }
  });
});
