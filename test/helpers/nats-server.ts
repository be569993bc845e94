import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedServer, type EmbeddedServer } from '../../orchestrator/server/embedded.js';

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
