import { Command } from 'commander';
import { decodeJson, NodeRecordSchema, type NodeRecord } from '../../shared/protocol/messages.js';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { NODES_BUCKET } from '../../shared/protocol/names.js';
import { connectForCommand, noServerError, type ServerFlags } from './locate.js';
import { connectionOptions } from './options.js';

/** `grn nodes`: the worker registry — every node with a live heartbeat, its GPUs and slots. */
export function nodesCommand(): Command {
  return connectionOptions(new Command('nodes').description('list the worker nodes registered on the server (live heartbeats only)'), {
    required: false,
    help: 'NATS server (default: a running embedded one under --results)',
  })
    .option('--results <dir>', 'results root, to find a running embedded server', 'results')
    .option('--json', 'print as JSON')
    .action(async (flags: ServerFlags & { json?: boolean }) => {
      const connection = await connectForCommand(flags, undefined, 'nodes');
      if (!connection) throw noServerError('grn nodes');
      try {
        const nodes = await listNodes(connection.nc);
        if (!nodes) {
          if (flags.json) process.stdout.write('[]\n');
          else process.stdout.write(`0 node(s) on ${connection.url} (no worker or orchestrator has used this server yet)\n`);
          return;
        }
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(nodes, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${nodes.length} node(s) on ${connection.url}\n`);
        for (const n of nodes) {
          const gpus = n.gpus.map((g) => `${g.index}:${g.name}${g.vram_total_mb ? ` ${Math.round(g.vram_total_mb / 1024)} GiB` : ''}`).join(', ') || 'no GPU';
          process.stdout.write(`${n.node} (${n.host}, pid ${n.pid})${n.draining ? ' DRAINING' : ''} — ${gpus}; ${n.cells_done} done, ${n.cells_failed} failed\n`);
          for (const s of n.slots) {
            const busy = s.cell ? `${s.sweep}/${s.cell}${s.samples_per_s ? `, ${s.samples_per_s} samples/s` : ''}` : 'idle';
            process.stdout.write(`  ${s.slot.padEnd(6)} trainer ${s.trainer_pid ?? '-'}  ${busy}\n`);
          }
        }
      } finally {
        await connection.nc.close();
      }
    });
}

/**
 * Every node record in the registry, or null where the registry does not exist yet (a server no
 * worker or orchestrator has used). Opened, not created: listing must work with viewer credentials,
 * which may read the registry but not create streams. Kvm.open does not look the stream up, so its
 * absence shows first in keys().
 */
export async function listNodes(nc: NatsConnection): Promise<NodeRecord[] | null> {
  const missing = (err: Error): null => {
    if (/stream not found/i.test(err.message)) return null;
    throw err;
  };
  const registry = await new Kvm(nc).open(NODES_BUCKET).catch(missing);
  if (!registry) return null;
  const keys = await registry.keys().catch(missing);
  if (!keys) return null;
  const nodes: NodeRecord[] = [];
  for await (const key of keys) {
    const entry = await registry.get(key);
    if (entry?.operation === 'PUT') nodes.push(decodeJson(NodeRecordSchema, entry.value, `node ${key}`));
  }
  return nodes;
}
