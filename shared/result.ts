import { z } from 'zod';
import { METRIC_NAMES, type MetricName } from './metrics.js';
import { STEP_SERIES, type StepSeriesKey } from './series.js';
import { HyperParameterValue } from './trial.js';

/**
 * The result of one trial, as written by `grn train --out` and (later) stored per sweep cell.
 * Keeps the original project's keys (`loss`, `accuracy`, `epoch_time`, `memory_usage`, one entry
 * per epoch) so its plotting code and ours read the same files; everything else is additive.
 * Documented in docs/results-format.md.
 */
export const RESULT_FORMAT = 'grn.trial-result/1';

const perEpoch = z.array(z.number());
const perStep = z.array(z.number().nullable());

/** batch_loss is always there; every other series only where the optimizer has it. */
function stepSeriesShape() {
  return Object.fromEntries(STEP_SERIES.map((s) => [s.key, s.key === 'batch_loss' ? perStep : perStep.optional()])) as { batch_loss: typeof perStep } & Record<
    Exclude<StepSeriesKey, 'batch_loss'>,
    z.ZodOptional<typeof perStep>
  >;
}

export const ManifestSchema = z.object({
  backend: z.string(),
  device: z.string(),
  gpu: z.boolean(),
  versions: z.record(z.string(), z.string()),
  git_commit: z.string().nullable(),
  seed: z.number().int(),
  dataset: z.object({
    name: z.string(),
    /** The format it was read as (idx, image-folder, cifar-binary, …). */
    kind: z.string().optional(),
    /** Its options as the trial ran (size, channels, max_length, …): the catalog's defaults under the spec's. */
    options: z.record(z.string(), z.unknown()).optional(),
    /** SHA-256 of each source file (gzip: of the decompressed bytes, so recompressed copies still match). */
    sha256: z.record(z.string(), z.string()),
    train_samples: z.number().int(),
    test_samples: z.number().int(),
    /** Samples that could not be read and were skipped (on_bad_sample: skip). */
    skipped: z.object({ count: z.number().int().nonnegative(), examples: z.array(z.string()) }).optional(),
  }),
  model: z.string(),
  /** The model's options, its defaults filled in (absent: it has none). */
  model_options: z.record(z.string(), z.unknown()).optional(),
  optimizer: z.string(),
  hyperparameters: z.record(z.string(), HyperParameterValue),
  epochs: z.number().int(),
  batch_size: z.number().int(),
  host: z.string(),
  started_at: z.string(),
  ended_at: z.string(),
});

/**
 * The Grad-CAM images of a trial (worker/engine/gradcam/): PNG files named here, stored beside the
 * result (`dir`, relative to the result file, set by whoever writes the file) or, in a sweep, in
 * the Object Store until the orchestrator writes them into `results/<id>/gradcam/<cell>/`.
 */
export const GradcamRecordSchema = z.object({
  /** The layer explained (a name of the model's camLayers). */
  layer: z.string(),
  /** Which class is explained: the model's predicted class of each sample. */
  target: z.literal('predicted'),
  /** `logit` (classification) or `pixel-mean logit` (segmentation: the class's logits averaged over the image). */
  score: z.enum(['logit', 'pixel-mean logit']),
  /** Folder of the PNGs relative to the result file; absent in a result not yet written beside its images. */
  dir: z.string().optional(),
  images: z.array(
    z.object({
      file: z.string(),
      /** 0-based index of the sample in the test split. */
      index: z.number().int().nonnegative(),
      /** True class (classification; absent for segmentation). */
      label: z.number().int().optional(),
      predicted: z.number().int(),
      width: z.number().int().positive(),
      height: z.number().int().positive(),
      sha256: z.string(),
    }),
  ),
});
export type GradcamRecord = z.infer<typeof GradcamRecordSchema>;

/**
 * The validation split's loss and metrics after each epoch (absent: the trial had none; results of
 * older versions never have one). Its metrics are the task's, under their own names.
 */
export const ValidationRecordSchema = z.object({
  /** Samples in the validation split (held out of the training split). */
  samples: z.number().int().positive(),
  /** The split seed that drew it (and, with it, every split of the data). */
  seed: z.number().int().nonnegative(),
  /** Mean validation loss after each epoch. */
  loss: perEpoch,
  ...(Object.fromEntries(METRIC_NAMES.map((name) => [name, perEpoch.optional()])) as Record<MetricName, z.ZodOptional<typeof perEpoch>>),
});
export type ValidationRecord = z.infer<typeof ValidationRecordSchema>;

export const TrialResultSchema = z.object({
  format: z.literal(RESULT_FORMAT),
  status: z.enum(['completed', 'diverged']),
  /** Mean training loss of each epoch. */
  loss: perEpoch,
  /** The task that was trained (absent in results of older versions: image classification). */
  task: z.string().optional(),
  /** Which per-epoch metric the task judges by (shared/metrics.ts); absent means accuracy. */
  primary_metric: z.enum(METRIC_NAMES as [MetricName, ...MetricName[]]).optional(),
  /** Test accuracy after each epoch, as a fraction in [0, 1] (pixel accuracy for segmentation). */
  accuracy: perEpoch,
  /** Segmentation: pixel accuracy and mean intersection over union after each epoch. */
  pixel_accuracy: perEpoch.optional(),
  miou: perEpoch.optional(),
  /** Mean test loss after each epoch. */
  test_loss: perEpoch,
  /** The validation split's loss and metrics after each epoch (train.validation). */
  validation: ValidationRecordSchema.optional(),
  /** Wall-clock seconds of each epoch's training (evaluation excluded). */
  epoch_time: perEpoch,
  /** Training throughput of each epoch. */
  samples_per_s: perEpoch,
  /** `[vram_mb, ram_mb]` at the end of each epoch: device memory held by tensors, process RSS. */
  memory_usage: z.array(z.tuple([z.number(), z.number()])),
  /** Bytes held by TensorFlow.js tensors at the end of each epoch (tf.memory().numBytes), in MB. */
  tensor_memory_mb: perEpoch,
  /** Global step index of each kept per-batch record (every `telemetry_every`-th). */
  batch_step: z.array(z.number().int()),
  /**
   * Per-step series (shared/series.ts: batch_loss always; learning_rate, gradient_variance,
   * entropy, mix_prob as the original named them; ours: momentum, raw_gradient_variance,
   * grad_norm), where the optimizer has the quantity; null where a step had none or it was not
   * finite (a diverged run's last step).
   */
  ...stepSeriesShape(),
  telemetry_every: z.number().int().positive(),
  /**
   * Where a diverged run stopped: the first step whose loss or gradient norm was not finite
   * (NaN/±Inf are written as null, as JSON has no such numbers). Absent for completed runs.
   */
  divergence: z
    .object({
      /** 1-based epoch. */
      epoch: z.number().int().positive(),
      /** 0-based global step, as in batch_step. */
      step: z.number().int().nonnegative(),
      loss: z.number().nullable(),
      grad_norm: z.number().nullable(),
      /** The step before it with finite values, if any. */
      last_finite: z.object({ step: z.number().int().nonnegative(), loss: z.number() }).nullable(),
    })
    .optional(),
  /**
   * The checkpoint this run continued from (epochs and global steps completed there); null or
   * absent: it trained from the start. The series are the whole run's either way.
   */
  resumed_from: z.object({ epoch: z.number().int().nonnegative(), step: z.number().int().nonnegative() }).nullable().optional(),
  /** End-of-run optimizer state, e.g. EnhancedSGD's `controller` (Q-table, visits, ε, mix_prob). */
  optimizer_state: z.record(z.string(), z.unknown()).optional(),
  /** Grad-CAM overlays of fixed test samples, when asked for (`--gradcam`, spec `gradcam`). */
  gradcam: GradcamRecordSchema.optional(),
  manifest: ManifestSchema,
});

export type TrialResult = z.infer<typeof TrialResultSchema>;
export type Manifest = z.infer<typeof ManifestSchema>;

/** The per-epoch series of the metric a result is judged by, and its name. */
export function primaryMetric(result: Pick<TrialResult, 'primary_metric' | 'accuracy' | 'miou' | 'pixel_accuracy'>): { name: MetricName; values: number[] } {
  const name = result.primary_metric ?? 'accuracy';
  return { name, values: result[name] ?? [] };
}

/** The per-epoch series of the primary metric on the validation split, and its name; null without one. */
export function validationMetric(result: Pick<TrialResult, 'primary_metric' | 'validation'>): { name: MetricName; values: number[] } | null {
  if (!result.validation) return null;
  const name = result.primary_metric ?? 'accuracy';
  return { name, values: result.validation[name] ?? [] };
}
