import { homedir } from 'node:os';
import { TrialConfigSchema, type TrialConfig } from '../../shared/trial.js';
import { runTrial } from '../engine/trial.js';
import { fromBlob, toBlob } from './blob.js';
import { SCRATCH_ENV, type IpcBlob, type FromTrainer, type ToTrainer } from './ipc.js';
import { telemetryForwarder } from './telemetry-forwarder.js';

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
/**
 * A trial sent while another runs waits here (one at most) and starts the moment the running one
 * ends: the agent lines up a slot's next cell before the slot frees, so no IPC round trip through
 * the agent sits between two trials.
 */
let queued: { id: number; trial: unknown; resumeFrom?: IpcBlob } | undefined;
const scratch = process.env[SCRATCH_ENV];

function failed(id: number, err: unknown): void {
  const error = err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) };
  send({ type: 'failed', id, error });
}

async function run(id: number, raw: unknown, resumeBlob?: IpcBlob): Promise<void> {
  const controller = new AbortController();
  current = { id, controller };
  try {
    const trial = expandHome(TrialConfigSchema.parse(raw));
    const eta = (ms: number) => send({ type: 'eta', id, ms });
    const listener = telemetryForwarder((kind, record) => send({ type: 'telemetry', id, kind, record }), { batchSize: trial.batchSize, eta });
    const onArtefact = (a: { name: string; bytes: Uint8Array }) => send({ type: 'artefact', id, name: a.name, data: Buffer.from(a.bytes).toString('base64') });
    const onCheckpoint = async (bytes: Uint8Array, at: { epoch: number; step: number }) => send({ type: 'checkpoint', id, at, blob: await toBlob(bytes, scratch, `checkpoint-${id}`) });
    const resumeFrom = resumeBlob ? await fromBlob(resumeBlob) : undefined;
    const result = await runTrial(trial, { listener, signal: controller.signal, eta, onArtefact, onCheckpoint, resumeFrom });
    send({ type: 'done', id, result });
  } catch (err) {
    failed(id, err);
  } finally {
    current = undefined;
    const next = queued;
    queued = undefined;
    if (next) void run(next.id, next.trial, next.resumeFrom);
  }
}

process.on('message', (message: ToTrainer) => {
  if (message.type === 'run') {
    if (!current) void run(message.id, message.trial, message.resumeFrom);
    else if (!queued) queued = { id: message.id, trial: message.trial, resumeFrom: message.resumeFrom };
    else failed(message.id, new Error('trainer is busy: one trial runs and one waits already'));
  } else if (message.type === 'abort') {
    if (current?.id === message.id) current.controller.abort();
    else if (queued?.id === message.id) {
      queued = undefined;
      failed(message.id, new DOMException('This operation was aborted', 'AbortError'));
    }
  }
});
// The agent going away (IPC closed) ends this process: a trainer never outlives its agent.
process.on('disconnect', () => process.exit(0));
send({ type: 'ready', pid: process.pid });
