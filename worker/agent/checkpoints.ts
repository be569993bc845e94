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

export interface CheckpointTiming {
  /** How long one read of the stored checkpoint may take before it is tried again. */
  readonly readMs: number;
  /** Reads before giving up and starting from scratch. */
  readonly reads: number;
  /** How long a finished or failed attempt waits for its last checkpoint's put. */
  readonly settleMs: number;
  /** Puts of one checkpoint (while no newer one is waiting), this many ms apart times the try. */
  readonly puts: number;
  readonly putBackoffMs: number;
}

const TIMING: CheckpointTiming = { readMs: 20_000, reads: 3, settleMs: 15_000, puts: 3, putBackoffMs: 500 };

export class CellCheckpoints {
  /** Steps and epochs of the checkpoint stored last by this attempt (null: none yet). */
  saved: CheckpointAt | null = null;
  /** The put in flight, if any; puts never overlap (two would leak one's chunks). */
  private putting: Promise<void> | null = null;
  /** The newest checkpoint waiting for the put in flight (older waiting ones are superseded). */
  private next: { bytes: Uint8Array; at: CheckpointAt; tries: number } | null = null;

  constructor(
    private readonly store: ObjectStore,
    private readonly name: string,
    private readonly log: (line: string) => void,
    private readonly timing: CheckpointTiming = TIMING,
  ) {}

  /**
   * The stored checkpoint, or undefined when there is none (or it cannot be read: start fresh).
   * A read is bounded and retried: an earlier attempt's put (its worker still storing as its
   * trainer died, or a frozen worker) can replace the object while it is read, and nats.js then
   * waits forever for chunks that were purged (found by the sweep test's kill after a checkpoint).
   */
  async load(): Promise<Uint8Array | undefined> {
    let last = '';
    for (let read = 1; read <= this.timing.reads; read++) {
      try {
        return (await readWithin(this.store, this.name, this.timing.readMs)) ?? undefined;
      } catch (err) {
        last = (err as Error).message;
      }
    }
    this.log(`${this.name}: cannot read the checkpoint (${last}, ${this.timing.reads} tries); starting from scratch`);
    return undefined;
  }

  /**
   * Replaces the stored checkpoint; a failed put loses this checkpoint, not the trial. While a
   * put is in flight the newest checkpoint waits for it, and older waiting ones are dropped. A
   * put that fails (the server restarting) is tried again a few times unless a newer checkpoint
   * came meanwhile: without that, a trial that ran through a server restart kept only the
   * checkpoint from before it (the chaos suite's wasted steps).
   */
  save(bytes: Uint8Array, at: CheckpointAt): Promise<void> {
    this.next = { bytes, at, tries: 0 };
    this.putting ??= this.drain();
    return this.putting;
  }

  /** Waits (bounded) for the checkpoint being stored: before a result or a hand-back goes out. */
  async settled(): Promise<void> {
    if (!this.putting) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.timing.settleMs)));
    await Promise.race([this.putting, late]).finally(() => clearTimeout(timer));
  }

  async discard(): Promise<void> {
    await this.settled();
    await this.store.delete(this.name).catch(() => undefined);
  }

  private async drain(): Promise<void> {
    try {
      for (let job = this.next; job; job = this.next) {
        this.next = null;
        try {
          await this.store.putBlob({ name: this.name }, job.bytes);
          this.saved = job.at;
        } catch (err) {
          const tries = job.tries + 1;
          if (tries < this.timing.puts) {
            await new Promise((resolve) => setTimeout(resolve, this.timing.putBackoffMs * tries));
            this.next ??= { ...job, tries };
          } else this.log(`${this.name}: checkpoint at step ${job.at.step} not stored (${(err as Error).message}, ${tries} tries)`);
        }
      }
    } finally {
      this.putting = null;
    }
  }
}

/** One object's bytes, or null if absent; rejects (and stops the read) after `ms`. */
export async function readWithin(store: ObjectStore, name: string, ms: number): Promise<Uint8Array | null> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no complete read of ${name} within ${ms} ms (replaced while read?)`)), ms);
  });
  try {
    const object = await Promise.race([store.get(name), expired]);
    if (!object) return null;
    const reader = object.data.getReader();
    const chunks: Uint8Array[] = [];
    const read = (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (value?.length) chunks.push(value);
      }
      const error = await object.error;
      if (error) throw error;
    })();
    try {
      await Promise.race([read, expired]);
    } catch (err) {
      // Stops the ordered consumer behind the stream (nats.js: cancel → iter.stop()).
      await reader.cancel().catch(() => undefined);
      read.catch(() => undefined);
      throw err;
    }
    return Buffer.concat(chunks);
  } finally {
    clearTimeout(timer);
  }
}
