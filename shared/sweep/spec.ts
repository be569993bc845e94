import { z } from 'zod';
import { BACKEND_CHOICES, type HyperParameterValue } from '../trial.js';

/**
 * The sweep spec: an optimizer × dataset × seed grid, per-optimizer hyper-parameters (a list adds
 * an axis for that optimizer only) and the training settings every cell shares. Keys are
 * snake_case as written in the YAML file. This schema checks structure only; names of optimizers,
 * data sets and hyper-parameters are checked against registries the caller injects (`KnownNames`),
 * so `shared/` never imports the training engine. The descriptions end up in sweeps/schema.json,
 * where editors show them as help.
 */

export const SWEEP_NAME_PATTERN = /^[A-Za-z0-9_-]{1,60}$/;

/** Names a sweep is checked against; the CLI passes the engine's registries. */
export interface KnownNames {
  optimizers: readonly string[];
  datasets: readonly string[];
  /** When given, `train.model` must be one of these. */
  models?: readonly string[];
  /**
   * What is wrong with one combination of an optimizer's hyper-parameters (unknown name, bad
   * value): a message, several (each reported and located on its own), or null / [] when valid.
   * Called once per expanded variant of each optimizer of the grid.
   */
  checkHyperparameters?(optimizer: string, hps: Record<string, HyperParameterValue>): string | readonly string[] | null;
}

const positiveInt = (what: string) => z.int({ error: `expected ${what}` }).positive({ error: `expected ${what}` });
const nonNegativeInt = (what: string) => z.int({ error: `expected ${what}` }).nonnegative({ error: `expected ${what}` });

/** One hyper-parameter value, as in a trial. Restated (not the trial's schema) for its message. */
export const ScalarSchema = z.union([z.number(), z.string(), z.boolean()], { error: 'expected a number, string or boolean' });

/** A fixed override (scalar) or an axis (non-empty list of scalars). */
export const ParamValueSchema = z.union([ScalarSchema, z.array(ScalarSchema).min(1, { error: 'expected a non-empty list' })], {
  error: 'expected a number, string or boolean (a fixed value) or a non-empty list of them (an axis)',
});
export type ParamValue = z.infer<typeof ParamValueSchema>;

/** The hyper-parameters of one optimizer, by name. */
export const OptimizerParamsSchema = z.record(z.string(), ParamValueSchema, { error: 'expected a mapping of hyper-parameter names to values' });
export type OptimizerParams = z.infer<typeof OptimizerParamsSchema>;

const nameList = (what: string) =>
  z
    .array(z.string({ error: `expected a name (${what})` }), { error: `expected a list of ${what} names` })
    .min(1, { error: `expected a non-empty list of ${what} names` });

export const GridSchema = z
  .object({
    optimizer: nameList('optimizer').meta({
      description: 'Optimizers to compare, in report order (e.g. sgd, adam, adamw, rmsprop, enhanced-sgd).',
      uniqueItems: true,
    }),
    dataset: nameList('data set').meta({
      description: 'Data sets to train on (e.g. mnist); noop and sleep are synthetic workloads for dispatch benchmarks.',
      uniqueItems: true,
    }),
    seed: z
      .array(nonNegativeInt('a non-negative integer seed'), { error: 'expected a list of non-negative integer seeds' })
      .min(1, { error: 'expected a non-empty list of seeds' })
      .meta({ description: 'Seeds (non-negative integers, no duplicates); each seed fixes initial weights, data order and optimizer noise.', uniqueItems: true }),
  }, { error: 'expected a mapping with optimizer, dataset and seed' })
  .strict()
  .describe('The grid: every optimizer variant × data set × seed becomes one cell (one training).');

export const TrainSchema = z
  .object({
    epochs: positiveInt('a positive integer').default(2).describe('Epochs per cell.'),
    batch_size: positiveInt('a positive integer').default(64).describe('Mini-batch size.'),
    train_limit: positiveInt('a positive integer or null').nullable().default(null).describe('Use only the first N training samples (null: all).'),
    test_limit: positiveInt('a positive integer or null').nullable().default(null).describe('Use only the first N test samples (null: all).'),
    model: z.string({ error: 'expected a model name or null' }).min(1).nullable().default(null).describe("Model (null: the data set's default, e.g. simple-cnn for mnist)."),
    backend: z.enum(BACKEND_CHOICES, { error: `expected one of ${BACKEND_CHOICES.join(', ')}` }).default('auto').describe('Compute backend on the worker.'),
    telemetry_every: positiveInt('a positive integer').default(1).describe('Keep every K-th per-batch telemetry record in the result (1: all).'),
    duration_ms: nonNegativeInt('a non-negative integer or null')
      .nullable()
      .default(null)
      .describe('Only for the synthetic sleep data set: how long each such cell takes, in milliseconds.'),
  }, { error: 'expected a mapping of training settings' })
  .strict()
  .describe('Training settings shared by every cell.');

const ACCURACY = 'expected an accuracy in (0, 1]';
const accuracy = z.number({ error: ACCURACY }).gt(0, { error: ACCURACY }).lte(1, { error: ACCURACY });

export const SweepSpecSchema = z
  .object({
    name: z
      .string({ error: 'expected a name' })
      .regex(SWEEP_NAME_PATTERN, { error: 'expected 1 to 60 letters, digits, _ or -' })
      .describe('Sweep name, the prefix of the sweep id: 1 to 60 letters, digits, _ or -.'),
    description: z.string({ error: 'expected text' }).optional().describe('Free text shown with the sweep.'),
    grid: GridSchema,
    params: z
      .record(z.string(), OptimizerParamsSchema, { error: 'expected a mapping of optimizer names to hyper-parameters' })
      .optional()
      .describe('Hyper-parameters per optimizer of the grid: a scalar is a fixed override, a list adds a grid axis for that optimizer only.'),
    train: TrainSchema.prefault({}),
    target: z
      .record(z.string(), accuracy, { error: 'expected a mapping of data set names to accuracies' })
      .optional()
      .describe('Accuracy target per data set of the grid, in (0, 1], for time-to-target in reports.'),
    data_root: z
      .string({ error: 'expected a folder path' })
      .min(1, { error: 'expected a folder path' })
      .optional()
      .describe('Folder holding one folder per data set (mnist/, …) on the workers; a leading ~ is expanded on each worker.'),
    max_deliver: positiveInt('a positive integer').default(3).describe('Deliveries of a cell before it is marked failed.'),
  }, { error: 'expected a mapping with at least name and grid' })
  .strict()
  .meta({ title: 'GradRetentionNet sweep spec', description: 'An optimizer × dataset × seed grid for `grn sweep`.' });

export type SweepSpec = z.infer<typeof SweepSpecSchema>;
export type SweepSpecInput = z.input<typeof SweepSpecSchema>;
