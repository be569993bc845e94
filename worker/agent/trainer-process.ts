import { execaNode } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TrialResult } from '../../shared/result.js';
import type { TrialConfig } from '../../shared/trial.js';
import type { CheckpointAt } from '../engine/checkpoint/index.js';
import { fromBlob, toBlob } from '../trainer/blob.js';
import { SCRATCH_ENV, type FromTrainer, type IpcBlob, type TelemetryKind, type TelemetryRecord } from '../trainer/ipc.js';
import { entryPoints } from '../../shared/entry-points.js';

const TRAINER_ENTRY = fileURLToPath(entryPoints.trainer);

/** The trainer process died (crash, OOM kill, kill -9) while it had a trial: hand the trial back. */
export class TrainerCrashedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainerCrashedError';
  }
}

/** The trial itself failed inside a healthy trainer (bad data path, divergence, …). */
export class TrialFailedError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export interface TrainerOptions {
  /** Environment for the child, e.g. CUDA_VISIBLE_DEVICES pinning it to one GPU. */
  readonly env: Record<string, string>;
  /** Extra Node flags for the child. */
  readonly nodeOptions?: readonly string[];
}

function spawnTrainer(options: TrainerOptions, scratch: string) {
  return execaNode(TRAINER_ENTRY, [], {
    ipc: true,
    serialization: 'json',
    env: { ...options.env, [SCRATCH_ENV]: scratch },
    nodeOptions: [...(options.nodeOptions ?? [])],
    stdout: 'ignore',
    stderr: 'inherit',
    reject: false,
    // Trainers die with their agent (execa kills children on exit).
    cleanup: true,
  });
}
type TrainerChild = ReturnType<typeof spawnTrainer>;

type Pending = {
  id: number;
  resolve: (r: TrialResult) => void;
  reject: (e: Error) => void;
  /** Replaced when run() adopts a preloaded trial. */
  sinks: TrialSinks;
  /** The checkpoints handed to the sink so far, in order; the result waits for them. */
  checkpoints: Promise<void>;
};

/** How run() starts a trial beyond its config. */
export interface RunOptions {
  /** A checkpoint of this trial (from onCheckpoint) to continue from; the result's resumed_from says where. */
  readonly resumeFrom?: Uint8Array;
}

/** Where a running trial's live output goes. */
export interface TrialSinks {
  onTelemetry(kind: TelemetryKind, record: TelemetryRecord): void;
  /** The trial expects to end in about `ms` milliseconds. */
  onEta?(ms: number): void;
  /** A file the trial made (Grad-CAM PNG), before its result. */
  onArtefact?(name: string, bytes: Uint8Array): void;
  /**
   * A checkpoint of the trial (grn.checkpoint/1 bytes) every `checkpointEvery` steps and at each
   * epoch end; `at` counts the epochs and steps completed. Called one at a time, in order; run()
   * resolves after the last has settled. A rejection loses that checkpoint, not the trial.
   */
  onCheckpoint?(bytes: Uint8Array, at: CheckpointAt): void | Promise<void>;
}

/** Gives a checkpoint to the sink; a failing sink loses that checkpoint (a warning), not the trial. */
async function handOver(sinks: TrialSinks, bytes: Uint8Array, at: CheckpointAt): Promise<void> {
  try {
    await sinks.onCheckpoint?.(bytes, at);
  } catch (err) {
    process.emitWarning(`checkpoint at step ${at.step} not stored: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * One trainer child process (execa, Node IPC), started lazily and restarted after it dies. It runs
 * one trial at a time; the agent awaits `run()` and gets the result, the trial's own error
 * (TrialFailedError) or TrainerCrashedError when the process went away mid-trial.
 *
 * A second trial may be `preload()`ed while one runs: the child queues it and starts it the moment
 * the running one ends, and the `run()` that follows for the same trial adopts it instead of
 * sending it then. That takes the agent's IPC round trip (0.5–5 ms on a busy 2-core machine) out
 * of the time between two trials.
 */
export class TrainerProcess {
  private child: TrainerChild | undefined;
  /** Trials sent to the child and not answered yet, by id, oldest (the running one) first. */
  private readonly pending = new Map<number, Pending>();
  private preloaded:
    | { id: number; key: string; promise: Promise<TrialResult>; eta?: number; artefacts: Array<[string, Uint8Array]>; checkpoint?: { bytes: Uint8Array; at: CheckpointAt } }
    | undefined;
  /** The running child's folder for blobs too large to send inline (ipc.ts IpcBlob). */
  private scratch: string | undefined;
  private nextId = 1;
  private stopping = false;

  constructor(private readonly options: TrainerOptions) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  private start(): TrainerChild {
    const scratch = mkdtempSync(join(tmpdir(), 'grn-trainer-'));
    const child = spawnTrainer(this.options, scratch);
    this.scratch = scratch;
    child.on('message', (message: FromTrainer) => this.onMessage(message));
    void child.then((outcome) => {
      // What a dead child left half-sent (a checkpoint file) is nobody's now.
      rmSync(scratch, { recursive: true, force: true });
      if (this.child === child) this.child = undefined;
      if (this.stopping) return;
      const how = outcome.signal ? `killed by ${outcome.signal}` : `exited with code ${outcome.exitCode}`;
      for (const pending of this.pending.values()) pending.reject(new TrainerCrashedError(`trainer process ${child.pid} ${how} during the trial`));
      this.pending.clear();
      this.preloaded = undefined;
    });
    this.child = child;
    return child;
  }

  private onMessage(message: FromTrainer): void {
    if (message.type === 'ready') return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'telemetry') pending.sinks.onTelemetry(message.kind, message.record);
    else if (message.type === 'eta') pending.sinks.onEta?.(message.ms);
    else if (message.type === 'artefact') pending.sinks.onArtefact?.(message.name, new Uint8Array(Buffer.from(message.data, 'base64')));
    else if (message.type === 'checkpoint') pending.checkpoints = pending.checkpoints.then(() => this.deliverCheckpoint(pending, message.blob, message.at));
    else {
      this.pending.delete(message.id);
      // The sink has every checkpoint before the trial's outcome.
      if (message.type === 'done') void pending.checkpoints.then(() => pending.resolve(message.result));
      else void pending.checkpoints.then(() => pending.reject(new TrialFailedError(message.error.name, message.error.message)));
    }
  }

  /** Reads a checkpoint the child sent and hands it to the sink; its file goes either way. */
  private async deliverCheckpoint(pending: Pending, blob: IpcBlob, at: CheckpointAt): Promise<void> {
    try {
      await handOver(pending.sinks, await fromBlob(blob), at);
    } catch (err) {
      process.emitWarning(`checkpoint at step ${at.step} not read back: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      if ('file' in blob) await rm(blob.file, { force: true });
    }
  }

  private send(trial: TrialConfig, sinks: TrialSinks, resumeFrom?: IpcBlob): { id: number; promise: Promise<TrialResult> } {
    const child = this.child ?? this.start();
    const id = this.nextId++;
    const promise = new Promise<TrialResult>((resolve, reject) => {
      this.pending.set(id, { id, resolve, reject, sinks, checkpoints: Promise.resolve() });
      child.send({ type: 'run', id, trial, ...(resumeFrom ? { resumeFrom } : {}) });
    });
    return { id, promise };
  }

  async run(trial: TrialConfig, sinks: TrialSinks, options: RunOptions = {}): Promise<TrialResult> {
    const preloaded = this.preloaded;
    // A preloaded trial started from scratch: a resumed run cannot adopt it.
    if (preloaded && preloaded.key === JSON.stringify(trial) && !options.resumeFrom) {
      this.preloaded = undefined;
      const pending = this.pending.get(preloaded.id);
      if (pending) pending.sinks = sinks;
      if (preloaded.eta !== undefined) sinks.onEta?.(preloaded.eta);
      for (const [name, bytes] of preloaded.artefacts) sinks.onArtefact?.(name, bytes);
      const kept = preloaded.checkpoint;
      if (kept && pending) pending.checkpoints = pending.checkpoints.then(() => handOver(sinks, kept.bytes, kept.at));
      return preloaded.promise;
    }
    if (preloaded) this.dropPreloaded(preloaded.id);
    if (this.pending.size) throw new Error('trainer is busy');
    if (!options.resumeFrom) return this.send(trial, sinks).promise;
    if (!this.child) this.start();
    const blob = await toBlob(options.resumeFrom, this.scratch, 'resume');
    try {
      return await this.send(trial, sinks, blob).promise;
    } finally {
      if ('file' in blob) await rm(blob.file, { force: true });
    }
  }

  /**
   * Queues `trial` in the child behind the running one; returns a token for dropPreloaded, or
   * null when there is nothing running to queue behind (or something is queued already).
   */
  preload(trial: TrialConfig): number | null {
    if (this.pending.size !== 1 || this.preloaded || !this.child) return null;
    // Until run() adopts it, its live output is kept (the ETA, its files) or dropped (telemetry).
    const { id, promise } = this.send(trial, {
      onTelemetry: () => undefined,
      onEta: (ms) => {
        if (this.preloaded?.id === id) this.preloaded.eta = ms;
      },
      onArtefact: (name, bytes) => {
        if (this.preloaded?.id === id) this.preloaded.artefacts.push([name, bytes]);
      },
      // Only the latest matters for a resume: one is kept, not every one.
      onCheckpoint: (bytes, at) => {
        if (this.preloaded?.id === id) this.preloaded.checkpoint = { bytes, at };
      },
    });
    promise.catch(() => undefined); // a dropped or crashed preload is nobody's error
    this.preloaded = { id, key: JSON.stringify(trial), promise, artefacts: [] };
    return id;
  }

  /** Takes back a preloaded trial that run() did not adopt (the cell was handed back, cancelled, …). */
  dropPreloaded(token: number): void {
    if (this.preloaded?.id !== token) return;
    this.preloaded = undefined;
    this.pending.delete(token);
    this.child?.send({ type: 'abort', id: token });
  }

  /** Asks the running trial to stop (cancelled sweep); run() then rejects with the abort error. */
  abort(): void {
    for (const id of this.pending.keys()) if (id !== this.preloaded?.id) this.child?.send({ type: 'abort', id });
  }

  /**
   * Kills the child outright (a trial past its time limit may be stuck inside a native kernel,
   * where an abort message is never read); its trials reject as crashed, the next run starts a
   * fresh child.
   */
  kill(): void {
    this.child?.kill('SIGKILL');
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const child = this.child;
    this.child = undefined;
    if (!child) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await child;
    clearTimeout(timer);
    if (this.scratch) rmSync(this.scratch, { recursive: true, force: true });
  }
}
