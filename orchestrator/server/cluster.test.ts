import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from '../../shared/protocol/connect.js';
import { duringFailover } from '../../shared/protocol/failover.js';
import { cellKey, TRIALS_STREAM } from '../../shared/protocol/names.js';
import { startTestCluster, type TestCluster } from '../../test/helpers/nats-cluster.js';
import { quietView, testPlan, within } from '../../test/helpers/sweeps.js';
import { WorkerAgent } from '../../worker/agent/agent.js';
import { chooseReplicas, ensureStores } from '../sweep/infrastructure.js';
import type { SweepEvent } from '../sweep/monitor.js';
import { runSweep } from '../sweep/run.js';

/**
 * A sweep on a three-server JetStream cluster (configs from `grn server init --cluster 3`): every
 * stream and bucket at 3 replicas, clients given all three URLs, and the server leading the work
 * queue SIGKILLed mid-sweep. Nothing may be lost or done twice.
 */

const OURS = /^(GRN_|KV_grn-|OBJ_grn-)/;

describe('a sweep on a 3-server JetStream cluster', { timeout: 120_000 }, () => {
  let cluster: TestCluster;
  let scratch: string;
  before(async () => {
    cluster = await startTestCluster({ nodes: ['w1', 'w2'] });
    scratch = await mkdtemp(join(tmpdir(), 'grn-cluster-sweep-'));
  });
  after(async () => {
    await cluster?.cleanup();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  test('the client sees the cluster; streams and buckets get 3 replicas', async () => {
    const nc = await connectNats(cluster.urls, { creds: cluster.orchestratorCreds }, 'cluster probe');
    try {
      assert.equal(nc.info?.cluster, 'grn');
      assert.equal(chooseReplicas(nc, undefined, {}), 3);
      assert.equal(chooseReplicas(nc, 1, { GRN_REPLICAS: '5' }), 1, 'an explicit count wins over the environment');
      assert.equal(chooseReplicas(nc, undefined, { GRN_REPLICAS: '1' }), 1);
      assert.throws(() => chooseReplicas(nc, undefined, { GRN_REPLICAS: 'three' }), /GRN_REPLICAS=three: expected 1 to 5/);
    } finally {
      await nc.close();
    }
  });

  test('a worker or orchestrator connects while one listed server is down (the list, not the first URL)', async () => {
    // The first URL of the list points at a closed port; the client moves on to the others.
    const dead = cluster.urls.split(',')[0]!.replace(/:\d+$/, ':1');
    const nc = await connectNats([dead, ...cluster.urls.split(',').slice(1)].join(','), { creds: cluster.nodeCreds.get('w1')! }, 'list probe');
    try {
      assert.equal(nc.isClosed(), false);
      await nc.flush();
    } finally {
      await nc.close();
    }
  });

  test('SIGKILL of the work queue\'s leader mid-sweep: every cell ends with exactly one result, the sweep ends', async () => {
    const log = () => undefined;
    const agents: WorkerAgent[] = [];
    let observer: NatsConnection | undefined;
    // A failed assertion must not leave the sweep (and its reconnecting client) running.
    const abort = new AbortController();
    let run: Promise<unknown> | undefined;
    try {
      for (const node of ['w1', 'w2']) {
        agents.push(await WorkerAgent.start({ server: cluster.urls, auth: { creds: cluster.nodeCreds.get(node)! }, node, gpus: 'none', cpuSlots: 2, drainTimeoutMs: 2000, log }));
      }
      const id = 'failover';
      const cells = Array.from({ length: 12 }, (_, i) => ({ id: `sleep-${i}`, seed: i, trial: { dataset: 'sleep' as const, durationMs: 800 } }));
      const events: SweepEvent[] = [];
      let killed = false;
      let armKill!: () => void;
      const readyToKill = new Promise<void>((resolve) => (armKill = resolve));
      const done = new Set<string>();
      const running = new Set<string>();
      const sweep = runSweep(testPlan(id, cells), {
        signal: abort.signal,
        server: cluster.urls,
        auth: { creds: cluster.orchestratorCreds },
        localWorkers: 0,
        resultsDir: join(scratch, id),
        view: quietView,
        onEvent: (e) => {
          events.push(e);
          if (e.type === 'result') done.add(e.cell);
          if (e.type === 'cell') {
            if (e.state.status === 'running') running.add(e.state.cell);
            else running.delete(e.state.cell);
          }
          // Some cells done, others running: the moment to lose a server.
          if (!killed && done.size >= 3 && [...running].some((c) => !done.has(c))) armKill();
        },
      });
      run = sweep;
      await within(readyToKill, 40_000, 'three results with other cells still running');
      observer = await connectNats(cluster.urls, { creds: cluster.orchestratorCreds }, 'observer');
      const stores = await ensureStores(observer, { replicas: 3 });
      const info = await stores.jsm.streams.info(TRIALS_STREAM);
      const leader = info.cluster?.leader;
      const victim = cluster.members.find((m) => m.name === leader);
      assert.ok(victim, `the stream's leader (${leader}) is one of ours`);
      killed = true;
      const exit = await victim.kill();
      assert.equal(exit.signal, 'SIGKILL');
      const outcome = await within(sweep, 60_000, 'the sweep to end after the kill');
      assert.equal(outcome.status, 'done', JSON.stringify(outcome.failed));
      assert.equal(outcome.counts.done, cells.length);

      // Stored: one result per cell, nothing queued any more, every stream of ours at 3 replicas.
      // Read back through failover: the lost server may have led the cluster's meta group or a
      // bucket the sweep no longer needed, whose new leader is elected only now.
      const keys = await duringFailover(async () => {
        const found: string[] = [];
        for await (const key of await stores.results.keys(`${id}.>`)) found.push(key);
        return found;
      });
      assert.deepEqual(keys.sort(), cells.map((c) => cellKey(id, c.id)).sort());
      for (const c of cells) {
        const entry = await duringFailover(() => stores.results.get(cellKey(id, c.id)));
        assert.equal(entry?.revision !== undefined && entry.operation, 'PUT', `${c.id} has its result`);
        const state = await duringFailover(() => stores.cells.get(cellKey(id, c.id)));
        assert.equal(state?.json<{ status: string }>().status, 'done');
      }
      const results = events.filter((e) => e.type === 'result');
      assert.equal(results.length, cells.length, 'one result event per cell');
      assert.equal(new Set(results.map((e) => (e.type === 'result' ? e.cell : ''))).size, cells.length);
      assert.deepEqual((await readdir(join(scratch, id, 'cells'))).sort(), cells.map((c) => `${c.id}.json`).sort());
      const queued = await duringFailover(() => stores.jsm.streams.info(TRIALS_STREAM));
      assert.equal(queued.state.messages, 0, 'nothing left in the work queue');
      const replicas = await duringFailover(async () => {
        const found = new Map<string, number>();
        for await (const s of stores.jsm.streams.list()) if (OURS.test(s.config.name)) found.set(s.config.name, s.config.num_replicas);
        return found;
      });
      assert.deepEqual([...replicas.keys()].sort(), ['GRN_SUBMISSIONS', 'GRN_TRIALS', 'KV_grn-cells', 'KV_grn-keys', 'KV_grn-nodes', 'KV_grn-results', 'KV_grn-sweeps', 'OBJ_grn-artifacts']);
      assert.ok([...replicas.values()].every((n) => n === 3), JSON.stringify(Object.fromEntries(replicas)));
    } finally {
      abort.abort();
      await within(run ?? Promise.resolve(), 15_000, 'the sweep to stop').catch(() => undefined);
      await observer?.close();
      await Promise.all(agents.map((a) => a.drain()));
    }
  });
});
