import { homedir } from 'node:os';
import { TrialConfigSchema, type TrialConfig } from '../../shared/trial.js';
import { runTrial } from '../engine/trial.js';
import type { FromTrainer, ToTrainer } from './ipc.js';
import { telemetryForwarder } from './telemetry-forwarder.js';
import { isSyntheticWorkload } from '../../shared/sweep/workloads.js';
import { runSynthetic } from './workloads.js';

/**
 * A trainer process: the node agent starts one per GPU (CUDA_VISIBLE_DEVICES set to that GPU) or
 * CPU slot, and sends it one trial at a time over IPC. The process lives across trials so the
 * backend (TensorFlow, Dawn) loads once; if it crashes the agent hands the trial back and starts a
 * new one. Nothing here talks to NATS: the agent owns the connection, leases and results.
 */
function send(message: FromTrainer): void {
  process.send?.(message);
}

/** `~/x` in a spec's data_root means this machine's home. */
function expandHome(trial: TrialConfig): TrialConfig {
  if (!trial.dataDir?.startsWith('~')) return trial;
  return { ...trial, dataDir: homedir() + trial.dataDir.slice(1) };
}

let current: { id: number; controller: AbortController } | undefined;

async function run(id: number, raw: unknown): Promise<void> {
  const controller = new AbortController();
  current = { id, controller };
  try {
    const trial = expandHome(TrialConfigSchema.parse(raw));
    const eta = (ms: number) => send({ type: 'eta', id, ms });
    const listener = telemetryForwarder((kind, record) => send({ type: 'telemetry', id, kind, record }), { batchSize: trial.batchSize, eta });
    const result = isSyntheticWorkload(trial.dataset)
      ? await runSynthetic(trial, controller.signal, eta)
      : await runTrial(trial, { listener, signal: controller.signal });
    send({ type: 'done', id, result });
  } catch (err) {
    const error = err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
    send({ type: 'failed', id, error });
  } finally {
    current = undefined;
  }
}

process.on('message', (message: ToTrainer) => {
  if (message.type === 'run') void run(message.id, message.trial);
  else if (message.type === 'abort' && current?.id === message.id) current.controller.abort();
});
// The agent going away (IPC closed) ends this process: a trainer never outlives its agent.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', pid: process.pid });
