import { execaNode } from 'execa';
import { fileURLToPath } from 'node:url';
import type { TrialResult } from '../../shared/result.js';
import type { TrialConfig } from '../../shared/trial.js';
import type { FromTrainer, TelemetryKind, TelemetryRecord } from '../trainer/ipc.js';

const TRAINER_ENTRY = fileURLToPath(new URL('../trainer/main.js', import.meta.url));

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

function spawnTrainer(options: TrainerOptions) {
  return execaNode(TRAINER_ENTRY, [], {
    ipc: true,
    serialization: 'json',
    env: options.env,
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
} & TrialSinks;

/** Where a running trial's live output goes. */
export interface TrialSinks {
  onTelemetry(kind: TelemetryKind, record: TelemetryRecord): void;
  /** The trial expects to end in about `ms` milliseconds. */
  onEta?(ms: number): void;
}

/**
 * One trainer child process (execa, Node IPC), started lazily and restarted after it dies. It runs
 * one trial at a time; the agent awaits `run()` and gets the result, the trial's own error
 * (TrialFailedError) or TrainerCrashedError when the process went away mid-trial.
 */
export class TrainerProcess {
  private child: TrainerChild | undefined;
  private pending: Pending | undefined;
  private nextId = 1;
  private stopping = false;

  constructor(private readonly options: TrainerOptions) {}

  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  private start(): TrainerChild {
    const child = spawnTrainer(this.options);
    child.on('message', (message: FromTrainer) => this.onMessage(message));
    void child.then((outcome) => {
      if (this.child === child) this.child = undefined;
      const pending = this.pending;
      if (pending && !this.stopping) {
        this.pending = undefined;
        const how = outcome.signal ? `killed by ${outcome.signal}` : `exited with code ${outcome.exitCode}`;
        pending.reject(new TrainerCrashedError(`trainer process ${child.pid} ${how} during the trial`));
      }
    });
    this.child = child;
    return child;
  }

  private onMessage(message: FromTrainer): void {
    const pending = this.pending;
    if (message.type === 'ready' || !pending || message.id !== pending.id) return;
    if (message.type === 'telemetry') pending.onTelemetry(message.kind, message.record);
    else if (message.type === 'eta') pending.onEta?.(message.ms);
    else {
      this.pending = undefined;
      if (message.type === 'done') pending.resolve(message.result);
      else pending.reject(new TrialFailedError(message.error.name, message.error.message));
    }
  }

  run(trial: TrialConfig, sinks: TrialSinks): Promise<TrialResult> {
    if (this.pending) return Promise.reject(new Error('trainer is busy'));
    const child = this.child ?? this.start();
    const id = this.nextId++;
    return new Promise<TrialResult>((resolve, reject) => {
      this.pending = { id, resolve, reject, ...sinks };
      child.send({ type: 'run', id, trial });
    });
  }

  /** Asks the running trial to stop (cancelled sweep); run() then rejects with the abort error. */
  abort(): void {
    if (this.pending) this.child?.send({ type: 'abort', id: this.pending.id });
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
  }
}
