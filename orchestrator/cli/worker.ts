import { Command, Option } from 'commander';
import { defaultNodeId, WorkerAgent } from '../../worker/agent/agent.js';
import { autoCpuSlots } from '../../worker/agent/slots.js';
import { ID_PATTERN } from '../../shared/protocol/names.js';
import { UsageError } from '../../shared/errors.js';
import { connectionOptions, natsAuth, positiveInt, type ConnectionFlags } from './options.js';

interface WorkerFlags extends ConnectionFlags {
  server: string;
  gpus: string;
  slots?: string;
  node?: string;
  drainTimeout: number;
}

/**
 * `grn worker`: joins a sweep cluster from any machine. SIGTERM/SIGINT drains (no new cells,
 * running ones finish within --drain-timeout or are handed back); a second signal hands back at
 * once. Started by `grn sweep run` as a local worker it also drains when that orchestrator dies.
 */
export function workerCommand(): Command {
  return connectionOptions(new Command('worker').description('join a sweep cluster: run cells on this machine, one trainer per GPU (or CPU slot)'), {
    required: true,
    help: 'NATS server, e.g. nats://host:4222',
  })
    .option('--gpus <list>', "GPUs to use: 'all', 'none' or indices like 0,2", 'all')
    .addOption(new Option('--slots <n>', "CPU slots ('auto': one per two cores); default 1 without GPUs, none beside them"))
    .option('--node <id>', 'node id in the registry (default: host name and pid)')
    .option('--drain-timeout <s>', 'seconds a drain waits for running cells before handing them back', positiveInt, 60)
    .action(async (flags: WorkerFlags) => {
      const node = flags.node ?? defaultNodeId();
      if (!ID_PATTERN.test(node)) throw new UsageError(`--node '${node}': use letters, digits, '-' or '_' (at most 100)`);
      if (flags.gpus !== 'all' && flags.gpus !== 'none' && !/^\d+(,\d+)*$/.test(flags.gpus)) {
        throw new UsageError(`--gpus '${flags.gpus}': expected all, none or indices like 0,2`);
      }
      let cpuSlots: number | undefined;
      if (flags.slots !== undefined) cpuSlots = flags.slots === 'auto' ? autoCpuSlots() : positiveInt(flags.slots);
      const log = (line: string) => process.stderr.write(`${new Date().toISOString()} ${line}\n`);
      const agent = await WorkerAgent.start({
        server: flags.server,
        auth: natsAuth(flags),
        node,
        gpus: flags.gpus,
        cpuSlots,
        drainTimeoutMs: flags.drainTimeout * 1000,
        log,
      });
      await new Promise<void>((resolve) => {
        const drain = () => void agent.drain().then(resolve);
        // Registration refused (e.g. credentials for another node): say so and leave.
        agent.ready.catch((err: Error) => {
          const hint = /Permissions Violation/.test(err.message) ? ` — do the credentials belong to node '${node}'? (--node must match the file from \`grn server init\`)` : '';
          process.stderr.write(`grn: worker ${node} could not register: ${err.message}${hint}\n`);
          process.exitCode = 1;
          drain();
        });
        process.on('SIGTERM', drain);
        process.on('SIGINT', drain);
        // Spawned with an IPC channel by an orchestrator: its death is our signal to leave.
        if (process.connected) {
          process.on('disconnect', () => {
            const drained = agent.drain();
            void agent.drain(); // a second call hands running cells back at once
            void drained.then(resolve);
          });
        }
      });
      // The IPC channel would keep this process alive.
      if (process.connected) process.disconnect();
    });
}
