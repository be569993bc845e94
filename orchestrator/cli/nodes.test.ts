import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from '../../shared/protocol/connect.js';
import { ensureStores } from '../sweep/infrastructure.js';
import { initServer } from '../server/init.js';
import { freePort, launchNatsServer, type RunningServer } from '../server/process.js';
import { listNodes } from './nodes.js';

/** `grn nodes` on a real server: before anyone used it (device-check.sh's readiness probe), and after. */
let dir: string;
let server: RunningServer;
let orch: NatsConnection;
let viewer: NatsConnection;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'grn-nodes-'));
  const port = await freePort();
  const init = await initServer({ out: dir, host: '127.0.0.1', port, nodes: ['n1'], force: false });
  const url = `nats://127.0.0.1:${port}`;
  server = await launchNatsServer({ configFile: init.config, logFile: join(dir, 'nats-server.log'), url, auth: { creds: init.orchestratorCreds } });
  orch = await connectNats(url, { creds: init.orchestratorCreds }, 'orchestrator');
  viewer = await connectNats(url, { creds: init.viewerCreds }, 'viewer');
});
after(async () => {
  await viewer?.close();
  await orch?.close();
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a server nobody has used yet has no registry: null (printed as [] / "0 node(s)"), not a StreamNotFoundError', async () => {
  assert.equal(await listNodes(orch), null);
  assert.equal(await listNodes(viewer), null);
});

test('once the stores exist, the registry lists what is put there, to a viewer too', async () => {
  const stores = await ensureStores(orch);
  assert.deepEqual(await listNodes(viewer), []);
  const now = new Date().toISOString();
  const record = { format: 'grn.node/1', node: 'n1', host: 'h', pid: 1, version: '0', backend: 'cpu', gpus: [], slots: [], draining: false, started_at: now, heartbeat_at: now, cells_done: 0, cells_failed: 0 };
  await stores.nodes.put('n1', JSON.stringify(record));
  const nodes = await listNodes(viewer);
  assert.equal(nodes?.length, 1);
  assert.equal(nodes?.[0]?.node, 'n1');
});
