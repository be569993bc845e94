import { execaNode } from 'execa';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { queryGpus } from '../../worker/agent/gpus.js';
import { autoCpuSlots } from '../../worker/agent/slots.js';

const GRN_BIN = fileURLToPath(new URL('../../../bin/grn.js', import.meta.url));

export interface LocalWorkerOptions {
  readonly server: string;
  readonly creds: string;
  /** A number, or `auto`: one worker per GPU, else one per CPU slot. */
  readonly count: number | 'auto';
  /** CPU slots per worker (default 1). */
  readonly slots?: number;
  readonly logDir: string;
  /** Prefix of the node ids (`<prefix>-w1`, …). */
  readonly nodePrefix: string;
}

function spawnWorker(args: string[], log: string) {
  return execaNode(GRN_BIN, args, {
    // The IPC channel is the leash: a local worker drains and exits when its orchestrator dies.
    ipc: true,
    serialization: 'json',
    stdout: { file: log, append: true },
    stderr: { file: log, append: true },
    reject: false,
    cleanup: true,
  });
}
export type LocalWorker = ReturnType<typeof spawnWorker>;

/**
 * Starts `grn worker` processes on this machine (real, separate processes, exactly as on other
 * machines), pinned one per GPU where there are GPUs. Their output goes to logs/worker-N.log.
 */
export async function startLocalWorkers(options: LocalWorkerOptions): Promise<LocalWorker[]> {
  const gpus = await queryGpus();
  const count = options.count === 'auto' ? (gpus.length || autoCpuSlots()) : options.count;
  mkdirSync(options.logDir, { recursive: true });
  const workers: LocalWorker[] = [];
  for (let i = 0; i < count; i++) {
    const args = ['worker', '--server', options.server, '--creds', options.creds, '--node', `${options.nodePrefix}-w${i + 1}`];
    if (options.count === 'auto' && gpus.length) args.push('--gpus', String(gpus[i]!.index));
    else args.push('--gpus', 'none', '--slots', String(options.slots ?? 1));
    workers.push(spawnWorker(args, join(options.logDir, `worker-${i + 1}.log`)));
  }
  return workers;
}

/** SIGTERM (the workers drain: finish or hand back their cells), then wait; SIGKILL after `graceMs`. */
export async function stopLocalWorkers(workers: readonly LocalWorker[], graceMs = 15_000): Promise<void> {
  await Promise.all(
    workers.map(async (w) => {
      w.kill('SIGTERM');
      const timer = setTimeout(() => w.kill('SIGKILL'), graceMs);
      await w;
      clearTimeout(timer);
    }),
  );
}
