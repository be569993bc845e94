import { z } from 'zod';
import { METRIC_NAMES, type MetricName } from '../../metrics.js';
import { TUNE_EPOCHS, TUNE_METRICS } from './spec.js';

/**
 * `tuning.json` in a tuned sweep's results folder: what the tuning stage tried and chose — per
 * optimizer variant × data set every learning rate with its validation score per seed, and the
 * winner — written when the stage ends (and by `grn sweep export`), read by `grn report`.
 * Documented in docs/results-format.md.
 */
export const TUNING_FORMAT = 'grn.tuning/1';

export const RUN_STATUSES = ['completed', 'diverged', 'failed', 'cancelled', 'not run'] as const;

const RunSchema = z.object({
  cell: z.string(),
  seed: z.number().int().nonnegative(),
  /** completed or diverged: it has a result; failed, cancelled, not run: it has none. */
  status: z.enum(RUN_STATUSES),
  /**
   * The validation score that counts (the final or the best epoch's); null without a result or a
   * finite score. A diverged run keeps its last evaluated epoch's, but its point loses.
   */
  score: z.number().nullable(),
  error: z.string().optional(),
});

const PointSchema = z.object({
  lr: z.number(),
  /** Mean of the runs' scores; null when a run diverged (the point loses) or has no score. */
  score: z.number().nullable(),
  diverged: z.boolean(),
  runs: z.array(RunSchema),
});

export const TuningRowSchema = z.object({
  dataset: z.string(),
  /** The optimizer variant as the grid labels it. */
  label: z.string(),
  optimizer: z.string(),
  /** The data set's primary metric (accuracy; miou for segmentation), as measured on the validation split; null before any result. */
  metric: z.enum(METRIC_NAMES as [MetricName, ...MetricName[]]).nullable(),
  /** The variant's resolved lr (the centre of a points/factor grid). */
  centre_lr: z.number().nullable(),
  /** Samples of the validation split the runs were judged on. */
  validation_samples: z.number().int().nullable(),
  points: z.array(PointSchema),
  /** The chosen lr and its score; null when the row could not be decided (`error`). */
  winner: z.object({ lr: z.number(), score: z.number().nullable() }).nullable(),
  /** Why the winner is not a plain best (every point diverged), when so. */
  note: z.string().optional(),
  /** Why no lr was chosen (a tuning run failed or did not run). */
  error: z.string().optional(),
  /** The grid's cells that train with the winner. */
  final_cells: z.array(z.string()),
});
export type TuningRowRecord = z.infer<typeof TuningRowSchema>;

export const TuningRecordSchema = z.object({
  format: z.literal(TUNING_FORMAT),
  /** The split the runs were judged on. */
  metric: z.enum(TUNE_METRICS),
  /** Which epoch's score counted. */
  epoch: z.enum(TUNE_EPOCHS),
  seeds: z.array(z.number().int().nonnegative()),
  /** The rule, in words. */
  rule: z.string(),
  rows: z.array(TuningRowSchema),
});
export type TuningRecord = z.infer<typeof TuningRecordSchema>;
