import type { NatsConnection } from '@nats-io/transport-node';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { GrnError } from '../../shared/errors.js';
import { connectNats } from '../../shared/protocol/connect.js';
import { natsAuth, type ConnectionFlags } from './options.js';
import { readServerInfo, startEmbeddedServer } from '../server/embedded.js';

export interface ServerFlags extends ConnectionFlags {
  results: string;
}

/**
 * Finds the server a command should talk to: `--server` when given; else the embedded server of
 * the named sweep (results/<id>/.nats/server.json, while its `grn sweep run` is alive); else, for
 * commands about no particular sweep, any live embedded server under the results root.
 */
export async function connectForCommand(flags: ServerFlags, sweep: string | undefined, purpose: string): Promise<{ nc: NatsConnection; url: string } | null> {
  if (flags.server) {
    return { nc: await connectNats(flags.server, natsAuth(flags), `grn ${purpose}`), url: flags.server };
  }
  const dirs = sweep ? [join(flags.results, sweep, '.nats')] : liveCandidates(flags.results);
  for (const dir of dirs) {
    const info = await readServerInfo(dir);
    if (info) return { nc: await connectNats(info.url, { ...natsAuth(flags), creds: flags.creds ?? info.orchestratorCreds }, `grn ${purpose}`), url: info.url };
  }
  return null;
}

function liveCandidates(root: string): string[] {
  try {
    return readdirSync(root, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => join(root, d.name, '.nats'));
  } catch {
    return [];
  }
}

export function noServerError(what: string, sweep?: string): GrnError {
  return new GrnError(
    `${what}: no running server found${sweep ? ` for sweep '${sweep}' (is its \`grn sweep run\` still running?)` : ''}; pass --server nats://HOST:PORT (and --creds FILE)`,
  );
}

/**
 * For commands that read a sweep after its run ended (export): the server as connectForCommand
 * finds it, else the sweep's own embedded server started again from its JetStream store in
 * results/<id>/.nats (and stopped by `close`).
 */
export async function connectToSweepStore(flags: ServerFlags, sweep: string, purpose: string): Promise<{ nc: NatsConnection; url: string; close(): Promise<void> }> {
  const live = await connectForCommand(flags, sweep, purpose);
  if (live) return { ...live, close: () => live.nc.close() };
  const dir = join(flags.results, sweep, '.nats');
  if (!existsSync(join(dir, 'jetstream'))) {
    throw new GrnError(`no server for sweep '${sweep}': no JetStream store at ${dir}; pass --server nats://HOST:PORT (and --creds FILE) where the sweep ran`);
  }
  const server = await startEmbeddedServer({ dir });
  try {
    const nc = await connectNats(server.url, { creds: server.orchestratorCreds }, `grn ${purpose}`);
    return {
      nc,
      url: server.url,
      close: async () => {
        await nc.close();
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}