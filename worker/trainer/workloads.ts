import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { RESULT_FORMAT, type TrialResult } from '../../shared/result.js';
import type { TrialConfig } from '../../shared/trial.js';

/**
 * Synthetic trials (shared/sweep/workloads.ts) for measuring dispatch: `noop` returns at once, `sleep` waits `durationMs`.
 * They go through the whole sweep path (queue, claim, result store, ack) but train nothing, so a
 * benchmark sees the machinery's cost alone. Their results are valid trial results with one
 * "epoch" of zeros.
 */
export async function runSynthetic(trial: TrialConfig, signal?: AbortSignal): Promise<TrialResult> {
  const startedAt = new Date();
  if (trial.dataset === 'sleep') await sleep(trial.durationMs ?? 1000, undefined, { signal });
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  return {
    format: RESULT_FORMAT,
    status: 'completed',
    loss: [0],
    accuracy: [0],
    test_loss: [0],
    epoch_time: [seconds],
    samples_per_s: [0],
    memory_usage: [[0, 0]],
    tensor_memory_mb: [0],
    batch_step: [],
    batch_loss: [],
    telemetry_every: trial.telemetryEvery,
    manifest: {
      backend: 'none',
      // Where the trainer was pinned, so tests (and people) can see the slot's pinning at work.
      device: `CUDA_VISIBLE_DEVICES=${process.env.CUDA_VISIBLE_DEVICES ?? '(unset)'}`,
      gpu: false,
      versions: {},
      git_commit: null,
      seed: trial.seed,
      dataset: { name: trial.dataset, sha256: {}, train_samples: 0, test_samples: 0 },
      model: 'none',
      optimizer: trial.optimizer,
      hyperparameters: { ...trial.hyperparameters },
      epochs: trial.epochs,
      batch_size: trial.batchSize,
      host: hostname(),
      started_at: startedAt.toISOString(),
      ended_at: new Date().toISOString(),
    },
  };
}
