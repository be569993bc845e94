import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from '../../shared/protocol/connect.js';
import { ARTIFACTS_STORE, CELLS_BUCKET, NODES_BUCKET, RESULTS_BUCKET, subjects, SWEEPS_BUCKET, KEYS_BUCKET } from '../../shared/protocol/names.js';
import { testPlan } from '../../test/helpers/sweeps.js';
import { ensureStores } from '../sweep/infrastructure.js';
import { publishSweep, setSweepStatus } from '../sweep/publish.js';
import { initServer } from './init.js';
import { freePort, launchNatsServer, type RunningServer } from './process.js';

/** The viewer role (`grn server init` writes creds/viewer.nk): sees everything, changes nothing. */
let dir: string;
let server: RunningServer;
let orch: NatsConnection;
let viewer: NatsConnection;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grn-viewer-'));
  const port = await freePort();
  const init = await initServer({ out: dir, host: '127.0.0.1', port, nodes: ['n1'], force: false });
  const url = `nats://127.0.0.1:${port}`;
  server = await launchNatsServer({ configFile: init.config, logFile: join(dir, 'nats-server.log'), url, auth: { creds: init.orchestratorCreds } });
  orch = await connectNats(url, { creds: init.orchestratorCreds }, 'orchestrator');
  const stores = await ensureStores(orch);
  await publishSweep(orch, stores, testPlan('watched', [{ id: 'c1', trial: { dataset: 'noop' } }]));
  await stores.cells.put('watched.c1', JSON.stringify({ sweep: 'watched', cell: 'c1', status: 'running', attempt: 1, updated_at: new Date().toISOString() }));
  await stores.artifacts.putBlob({ name: 'watched/c1/big.json' }, new TextEncoder().encode('{"big":true}'));
  viewer = await connectNats(url, { creds: init.viewerCreds }, 'viewer');
});
after(async () => {
  await viewer?.close();
  await orch?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a viewer reads and watches every bucket, reads results, and hears live telemetry', async () => {
  const kvm = new Kvm(viewer);
  const cells = await kvm.open(CELLS_BUCKET);
  const seen: string[] = [];
  const watch = await cells.watch({ key: 'watched.>' });
  void (async () => {
    for await (const e of watch) seen.push(`${e.key}:${JSON.parse(e.string()).status}`);
  })();
  for (let i = 0; i < 100 && !seen.length; i++) await sleep(20);
  assert.deepEqual(seen, ['watched.c1:running']);
  watch.stop();
  assert.equal(JSON.parse((await (await kvm.open(SWEEPS_BUCKET)).get('watched'))!.string()).status, 'running');
  for (const b of [RESULTS_BUCKET, NODES_BUCKET]) await (await kvm.open(b)).status();
  const blob = await (await new Objm(viewer).open(ARTIFACTS_STORE)).getBlob('watched/c1/big.json');
  assert.equal(new TextDecoder().decode(blob!), '{"big":true}');

  const heard: string[] = [];
  viewer.subscribe(subjects.telemetryOfSweep('watched'), { callback: (_e, m) => void heard.push(m.subject) });
  viewer.subscribe(subjects.gpu('*', '*'), { callback: (_e, m) => void heard.push(m.subject) });
  await viewer.flush();
  orch.publish(subjects.telemetry('watched', 'c1'), '{}');
  orch.publish(subjects.gpu('n1', 0), '{}');
  for (let i = 0; i < 100 && heard.length < 2; i++) await sleep(20);
  assert.deepEqual(heard.sort(), ['grn.gpu.n1.0', 'grn.telemetry.watched.c1']);
});

test('a viewer cannot pause or cancel a sweep, or write anything', async () => {
  // ensureStores only finds what exists (a viewer may not create); the status change must fail.
  const stores = await ensureStores(viewer);
  await assert.rejects(() => setSweepStatus(stores, 'watched', 'cancelled'), /Permissions Violation/);
  const cells = await new Kvm(viewer).open(CELLS_BUCKET);
  await assert.rejects(() => cells.put('watched.c1', 'x', { timeout: 2000 }), /Permissions Violation/);
  // Nor read the sweeps' claim-token keys (which would let it hand in results for any cell).
  await assert.rejects(async () => (await new Kvm(viewer).open(KEYS_BUCKET)).get('watched'), /Permissions Violation|timeout/i);
  const still = await (await new Kvm(orch).open(SWEEPS_BUCKET)).get('watched');
  assert.equal(JSON.parse(still!.string()).status, 'running');
});

test('a viewer lists a bucket’s keys (what `grn nodes` does with creds/viewer.nk)', async () => {
  const registry = await new Kvm(orch).open(NODES_BUCKET);
  await registry.put('n1', '{}');
  const keys: string[] = [];
  // keys() asks for its ordered consumer's info: refused to viewers before CONSUMER.INFO was granted.
  for await (const key of await (await new Kvm(viewer).open(NODES_BUCKET)).keys()) keys.push(key);
  assert.deepEqual(keys, ['n1']);
  await registry.delete('n1');
});
