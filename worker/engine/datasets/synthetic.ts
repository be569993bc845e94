import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { RESULT_FORMAT, type TrialResult } from '../../../shared/result.js';
import type { TrialConfig } from '../../../shared/trial.js';

/**
 * Synthetic trials (the catalog's `synthetic` data sets) for measuring dispatch: `noop` returns at once, `sleep` waits `durationMs`.
 * They go through the whole sweep path (queue, claim, result store, ack) but train nothing, so a
 * benchmark sees the machinery's cost alone. Their results are valid trial results with one
 * "epoch" of zeros.
 */
/**
 * Waits `ms` to within a fraction of a millisecond. One long timer is not that: Linux lets a
 * sleeping epoll wait fire up to 0.1 % of its timeout late (timer slack: ~1 ms on a 1-s wait,
 * measured 1.4–1.7 ms here), which a dispatch benchmark would book as overhead. So wait for the
 * bulk, then a short timer (slack of microseconds), then yield until the deadline.
 */
async function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  const deadline = performance.now() + ms;
  if (ms > 20) await sleep(ms - 10, undefined, { signal });
  const left = Math.floor(deadline - performance.now()) - 1;
  if (left > 0) await sleep(left, undefined, { signal });
  while (performance.now() < deadline) {
    signal?.throwIfAborted();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

export async function runSynthetic(trial: TrialConfig, signal?: AbortSignal, eta?: (ms: number) => void): Promise<TrialResult> {
  const startedAt = new Date();
  if (trial.dataset === 'sleep') {
    const ms = trial.durationMs ?? 1000;
    eta?.(ms);
    await sleepFor(ms, signal);
  }
  const seconds = (Date.now() - startedAt.getTime()) / 1000;
  return {
    format: RESULT_FORMAT,
    status: 'completed',
    task: 'synthetic',
    primary_metric: 'accuracy',
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
