import type { MetricName } from '../../../shared/metrics.js';

/**
 * What the training loop reports while it runs. The CLI shows it as a progress bar or plain
 * lines; a sweep worker forwards the same records over NATS. Every method is optional.
 */
export interface BatchProgress {
  readonly epoch: number;
  readonly epochs: number;
  /** 1-based batch within the epoch. */
  readonly batch: number;
  readonly batches: number;
  /** Samples per second over the epoch so far. */
  readonly samplesPerSecond: number;
  /** Mean loss of the batches of this epoch read back so far (NaN before the first). */
  readonly runningLoss: number;
}

export interface EpochSummary {
  readonly epoch: number;
  readonly epochs: number;
  readonly trainLoss: number;
  readonly testLoss: number;
  /** Every metric of the task after this epoch (tasks/catalog.ts), as fractions. */
  readonly metrics: Partial<Record<MetricName, number>>;
  /** The metric the task is judged by, and its value. */
  readonly primaryMetric: MetricName;
  readonly primary: number;
  /** The same on the validation split, where the trial has one. */
  readonly validation?: {
    readonly loss: number;
    readonly metrics: Partial<Record<MetricName, number>>;
    readonly primary: number;
  };
  readonly epochTime: number;
  readonly samplesPerSecond: number;
  readonly vramMb: number;
  readonly ramMb: number;
  readonly tensorMb: number;
}

/**
 * One training step's telemetry. Always present: loss, raw gradient variance, entropy (of the
 * probability-normalised histogram), gradient norm, and `grad_var` (the raw variance, or the
 * optimizer's EMA where it keeps one). Optimizers add their own (lr, momentum, and for
 * EnhancedSGD mix_prob, epsilon, action, action_kind, reward, q_size, …).
 */
export interface StepRecord {
  readonly epoch: number;
  /** 0-based global step. */
  readonly step: number;
  readonly loss: number;
  readonly raw_variance: number;
  readonly grad_var: number;
  readonly entropy: number;
  readonly grad_norm: number;
  readonly [key: string]: number | string | null;
}

export interface TrainingListener {
  /** Every step, in order, once its values are on the host. */
  onStep?(record: StepRecord): void;
  onEpochStart?(epoch: number, epochs: number, batches: number): void;
  onBatch?(progress: BatchProgress): void;
  onEpochEnd?(summary: EpochSummary): void;
  /** Free-form status (data loading, backend choice). */
  onMessage?(message: string): void;
}

/**
 * An epoch summary as one flat telemetry record: its metrics become keys of their own, the
 * validation split's with a `validation_` prefix (`validation_loss`, `validation_accuracy`, …).
 */
export function epochRecord(s: EpochSummary): Record<string, number | string | null> {
  const { metrics, validation, ...rest } = s;
  const held = validation
    ? { validation_loss: validation.loss, validation_primary: validation.primary, ...Object.fromEntries(Object.entries(validation.metrics).map(([k, v]) => [`validation_${k}`, v])) }
    : {};
  return { ...rest, ...metrics, ...held };
}
