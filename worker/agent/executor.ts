import type { TrialResult } from '../../shared/result.js';
import type { TrialConfig } from '../../shared/trial.js';
import { DATASETS } from '../engine/catalog.js';
import { runSynthetic } from '../engine/datasets/synthetic.js';
import { TrainerProcess, type RunOptions, type TrialSinks } from './trainer-process.js';

/**
 * What runs a slot's trials. Real trainings (and `sleep` trials, so that dispatch benchmarks see
 * the trainer hop) go to the slot's trainer process; `noop` trials run inside the agent, so the
 * no-op benchmark measures the queue/claim/store/ack path and nothing else.
 */
/** A synthetic workload the catalog runs in the agent itself (`noop`), not through a trainer. */
const inAgent = (trial: TrialConfig) => trial.kind === undefined && DATASETS.find(trial.dataset)?.runsIn === 'agent';

export class SlotExecutor {
  private controller: AbortController | undefined;

  constructor(private readonly trainer: TrainerProcess) {}

  get trainerPid(): number | null {
    return this.trainer.pid;
  }

  /** `options.resumeFrom`: a checkpoint the sinks' onCheckpoint had of this trial (trainer trials only). */
  async run(trial: TrialConfig, sinks: TrialSinks, options: RunOptions = {}): Promise<TrialResult> {
    if (!inAgent(trial)) return this.trainer.run(trial, sinks, options);
    this.controller = new AbortController();
    try {
      return await runSynthetic(trial, this.controller.signal);
    } finally {
      this.controller = undefined;
    }
  }

  /** Lines `trial` up in the trainer behind the running one (see TrainerProcess.preload). */
  preload(trial: TrialConfig): number | null {
    return inAgent(trial) ? null : this.trainer.preload(trial);
  }

  dropPreloaded(token: number): void {
    this.trainer.dropPreloaded(token);
  }

  abort(): void {
    this.controller?.abort();
    this.trainer.abort();
  }

  /** Ends the running trial now, whatever it is doing (see TrainerProcess.kill). */
  kill(): void {
    this.controller?.abort();
    this.trainer.kill();
  }

  stop(): Promise<void> {
    return this.trainer.stop();
  }
}
