import type { ObjectStore } from '@nats-io/obj';
import type { TrialConfig } from '../../shared/trial.js';
import { DATASETS } from '../engine/catalog.js';
import type { CheckpointAt } from '../engine/checkpoint/index.js';

/**
 * A cell's latest checkpoint in the Object Store, one object per cell that each checkpoint
 * replaces, so a redelivered cell on any worker resumes from where the last attempt got. The
 * orchestrator's acceptor deletes it once the cell's result is stored (the name: checkpointObject
 * in shared/protocol/names.ts). Synthetic trials (the dispatch benchmarks' noop and sleep) have no
 * training state and skip the lookup.
 */

export function takesCheckpoints(trial: TrialConfig): boolean {
  return trial.checkpointEvery !== 0 && DATASETS.find(trial.dataset)?.task !== 'synthetic';
}

export class CellCheckpoints {
  /** Steps and epochs of the checkpoint stored last by this attempt (null: none yet). */
  saved: CheckpointAt | null = null;

  constructor(
    private readonly store: ObjectStore,
    private readonly name: string,
    private readonly log: (line: string) => void,
  ) {}

  /** The stored checkpoint, or undefined when there is none (or it cannot be read: start fresh). */
  async load(): Promise<Uint8Array | undefined> {
    try {
      return (await this.store.getBlob(this.name)) ?? undefined;
    } catch (err) {
      this.log(`${this.name}: cannot read the checkpoint (${(err as Error).message}); starting from scratch`);
      return undefined;
    }
  }

  /** Replaces the stored checkpoint; a failed put loses this checkpoint, not the trial. */
  async save(bytes: Uint8Array, at: CheckpointAt): Promise<void> {
    try {
      await this.store.putBlob({ name: this.name }, bytes);
      this.saved = at;
    } catch (err) {
      this.log(`${this.name}: checkpoint at step ${at.step} not stored (${(err as Error).message})`);
    }
  }

  async discard(): Promise<void> {
    await this.store.delete(this.name).catch(() => undefined);
  }
}
