import { execaNode } from 'execa';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { queryGpus } from '../../worker/agent/gpus.js';
import { autoCpuSlots, sharedCoreThreads } from '../../worker/agent/slots.js';
import { entryPoints } from '../../shared/entry-points.js';

const GRN_BIN = fileURLToPath(entryPoints.grn);

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

function spawnWorker(args: string[], log: string, env: Record<string, string>) {
  return execaNode(GRN_BIN, args, {
    env,
    // The IPC channel is the leash: a local worker drains and exits when its orchestrator dies.
    ipc: true,
    serialization: 'json',
    stdout: { file: log, append: true },
    stderr: { file: log, append: true },
    reject: false,
    cleanup: true,
  });
}
type WorkerProcess = ReturnType<typeof spawnWorker>;

/** Restarts of one worker allowed within RESTART_WINDOW_MS before it is left down (a crash loop). */
const MAX_RESTARTS = 5;
const RESTART_WINDOW_MS = 60_000;

export interface LocalWorkers {
  readonly count: number;
  /** Process ids of the workers running now, in worker order. */
  pids(): number[];
  /** SIGTERM (the workers drain: finish or hand back their cells), then wait; SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Starts `grn worker` processes on this machine (real, separate processes, exactly as on other
 * machines), pinned one per GPU where there are GPUs, their output in logs/worker-N.log — and
 * keeps them: a worker that dies (kill -9, out of memory) is reported, the cells it held are
 * handed back at once (`handBack`), and it is started again under the same node id.
 */
export async function startLocalWorkers(
  options: LocalWorkerOptions,
  say: (line: string) => void = () => undefined,
  handBack: (node: string) => Promise<readonly string[]> = async () => [],
): Promise<LocalWorkers> {
  const gpus = await queryGpus();
  const count = options.count === 'auto' ? (gpus.length || autoCpuSlots()) : options.count;
  mkdirSync(options.logDir, { recursive: true });
  const onGpus = options.count === 'auto' && gpus.length > 0;
  // CPU workers on this machine share its cores: their trainers' TensorFlow pools get a share each.
  const env = onGpus ? {} : sharedCoreThreads(count * (options.slots ?? 1));
  let stopping = false;
  const running = new Map<number, WorkerProcess>();
  const keep = (i: number, restarts: number[]): void => {
    const node = `${options.nodePrefix}-w${i + 1}`;
    const args = ['worker', '--server', options.server, '--creds', options.creds, '--node', node];
    if (onGpus) args.push('--gpus', String(gpus[i]!.index));
    else args.push('--gpus', 'none', '--slots', String(options.slots ?? 1));
    const log = join(options.logDir, `worker-${i + 1}.log`);
    const child = spawnWorker(args, log, env);
    running.set(i, child);
    void child.then(async (result) => {
      if (running.get(i) === child) running.delete(i);
      if (stopping) return;
      const how = result.signal ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`;
      const cells = await handBack(node).catch(() => [] as readonly string[]);
      const recent = restarts.filter((t) => Date.now() - t < RESTART_WINDOW_MS);
      const held = cells.length ? `; its cell(s) ${cells.join(', ')} handed back for redelivery` : '';
      if (recent.length >= MAX_RESTARTS) {
        say(`local worker ${node} (pid ${child.pid}) ${how}${held}; it died ${MAX_RESTARTS} times within a minute, so it stays down (see ${log})`);
        return;
      }
      say(`local worker ${node} (pid ${child.pid}) ${how}${held}; starting it again (see ${log})`);
      keep(i, [...recent, Date.now()]);
    });
  };
  for (let i = 0; i < count; i++) keep(i, []);
  return {
    count,
    pids: () => [...running.entries()].sort(([a], [b]) => a - b).flatMap(([, w]) => (w.pid === undefined ? [] : [w.pid])),
    async stop(graceMs = 15_000) {
      stopping = true;
      await Promise.all(
        [...running.values()].map(async (w) => {
          w.kill('SIGTERM');
          const timer = setTimeout(() => w.kill('SIGKILL'), graceMs);
          await w;
          clearTimeout(timer);
        }),
      );
    },
  };
}
