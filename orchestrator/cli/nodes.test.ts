import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { connectNats } from '../../shared/protocol/connect.js';
import { startTestServer } from '../../test/helpers/nats-server.js';
import { ensureStores } from '../sweep/infrastructure.js';
import { listNodes } from './nodes.js';

/**
 * `grn nodes` on a real server: before anyone used it (device-check.sh's readiness probe), and
 * after. (With viewer credentials: orchestrator/server/viewer.test.ts.)
 */
let server: Awaited<ReturnType<typeof startTestServer>>;
let nc: NatsConnection;
before(async () => {
  server = await startTestServer();
  nc = await connectNats(server.url, { creds: server.orchestratorCreds }, 'nodes-test');
});
after(async () => {
  await nc?.close();
  await server?.cleanup();
});

test('a server nobody has used yet has no registry: null (printed as [] / "0 node(s)"), not a StreamNotFoundError', async () => {
  assert.equal(await listNodes(nc), null);
});

test('once the stores exist, the registry lists what is put there', async () => {
  const stores = await ensureStores(nc);
  assert.deepEqual(await listNodes(nc), []);
  const now = new Date().toISOString();
  const record = { format: 'grn.node/1', node: 'n1', host: 'h', pid: 1, version: '0', backend: 'cpu', gpus: [], slots: [], draining: false, started_at: now, heartbeat_at: now, cells_done: 0, cells_failed: 0 };
  await stores.nodes.put('n1', JSON.stringify(record));
  const nodes = await listNodes(nc);
  assert.equal(nodes?.length, 1);
  assert.equal(nodes?.[0]?.node, 'n1');
});
