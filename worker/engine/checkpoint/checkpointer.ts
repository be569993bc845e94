import type { CheckpointHook, LoopState } from '../train.js';
import { captureCheckpoint, type CheckpointAt, type TrainingParts } from './engine-state.js';

/** Where checkpoints go (the agent stores them; a test keeps them). */
export type CheckpointSink = (bytes: Uint8Array, at: CheckpointAt) => void | Promise<void>;

/**
 * The training loop's checkpoint hook: each save captures the state at once, then reads it back,
 * encodes it and hands it to `sink` while training goes on. One checkpoint is in flight at most,
 * so a slow sink costs one extra copy of the state, not one per checkpoint. A failing sink loses
 * that checkpoint, not the trial: `onError` hears of it and training continues.
 */
export function checkpointer(parts: TrainingParts, every: number, sink: CheckpointSink, onError: (err: unknown, at: CheckpointAt) => void): CheckpointHook {
  let inFlight: Promise<void> = Promise.resolve();
  return {
    every,
    async save(loop: LoopState) {
      await inFlight;
      const at: CheckpointAt = { epoch: loop.epoch, step: loop.step };
      inFlight = captureCheckpoint(parts, loop)
        .then((bytes) => sink(bytes, at))
        .catch((err: unknown) => onError(err, at));
    },
    flush: () => inFlight,
  };
}
