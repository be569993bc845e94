import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import { startEmbeddedServer, type EmbeddedServer } from '../../orchestrator/server/embedded.js';
import { ensureStores, type Stores } from '../../orchestrator/sweep/infrastructure.js';
import { connectNats } from '../../shared/protocol/connect.js';

/**
 * A real nats-server (JetStream, nkey auth, worker permissions for any node) on a free loopback
 * port in a fresh temp directory. `cleanup()` stops it and deletes the directory.
 */
export async function startTestServer(): Promise<EmbeddedServer & { cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'grn-nats-'));
  let server: EmbeddedServer;
  try {
    server = await startEmbeddedServer({ dir });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...server,
    stop: () => server.stop(),
    cleanup: async () => {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface OrchestratorOnTestServer {
  readonly server: Awaited<ReturnType<typeof startTestServer>>;
  readonly nc: NatsConnection;
  readonly stores: Stores;
}

/**
 * For a test file that talks to the server as the orchestrator: registers `before`/`after` hooks
 * that start a test server, connect with the orchestrator's credentials and create the stores.
 * The returned object is filled in by the time the tests run.
 */
export function orchestratorOnTestServer(connectionName: string): OrchestratorOnTestServer {
  const env = {} as { server: OrchestratorOnTestServer['server']; nc: NatsConnection; stores: Stores };
  before(async () => {
    env.server = await startTestServer();
    env.nc = await connectNats(env.server.url, { creds: env.server.orchestratorCreds }, connectionName);
    env.stores = await ensureStores(env.nc);
  });
  after(async () => {
    await env.nc?.close();
    await env.server?.cleanup();
  });
  return env;
}
