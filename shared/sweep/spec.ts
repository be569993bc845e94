import { z } from 'zod';
import type { TrainingCatalog } from '../settings.js';
import { ValidationSizeSchema, type HyperParameterValue } from '../trial.js';
import { TuneSchema } from './tuning/spec.js';

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
  /** Data sets of the catalog (a grid entry by name). */
  datasets: readonly string[];
  /** Formats of users' own data (a grid entry's `kind`). */
  formats?: readonly string[];
  /** What is wrong with one data set of the grid's format options, one message per problem; [] when fine. */
  checkDataset?(choice: { dataset: string; kind?: string }, options: Record<string, unknown>): readonly string[];
  /**
   * Why a data set cannot train this model (null: its default) — another task's model, or no
   * default — or null when it can.
   */
  checkModel?(choice: { dataset: string; kind?: string }, model: string | null): string | null;
  /** The catalog's training defaults and option schemas: model_options are checked against it. */
  training?: TrainingCatalog;
  /** When given, `train.backend` must be `auto` or one of these. */
  backends?: readonly string[];
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

/** A data set's name: also a cell-id part and a folder name under data_root. */
export const DATASET_NAME_PATTERN = /^[A-Za-z0-9_-]{1,60}$/;
const datasetName = z.string({ error: 'expected a data set name' }).regex(DATASET_NAME_PATTERN, { error: 'expected 1 to 60 letters, digits, _ or -' });

/** The keys every data-set object takes; any other key is an option of its format, checked by the engine. */
export const DATASET_ENTRY_KEYS = ['name', 'kind', 'path', 'holdout', 'on_bad_sample', 'gradcam'] as const;

/**
 * Grad-CAM at the end of each cell: `true` (5 fixed test samples, the model's last conv layer), or
 * `{samples, layer}`; `false` turns a sweep-wide `true` off for one data set.
 */
export const GradcamSpecSchema = z.union(
  [
    z.boolean(),
    z
      .object({
        samples: positiveInt('a positive integer').optional().describe('Test samples to explain (default 5).'),
        layer: z.string({ error: 'expected a layer name' }).min(1).optional().describe("Layer to explain (default: the model's last; simple-cnn: conv1, conv2)."),
      })
      .strict(),
  ],
  { error: 'expected true, false or a mapping {samples, layer}' },
);
export type GradcamSpec = z.infer<typeof GradcamSpecSchema>;

/**
 * One data set of the grid: a catalog name (`mnist`), or a mapping — a catalog data set read from
 * its own folder (`{name: mnist, path: /data/mnist}`) or the user's own data in a format
 * (`{name: xray, kind: image-folder, path: /data/xray, size: [64, 64], channels: 1}`).
 */
export const DatasetEntrySchema = z.union(
  [
    datasetName,
    z
      .object({
        name: datasetName.optional().describe("The data set's name in cell ids, tables and reports (default: the path's last part)."),
        kind: z.string({ error: 'expected a format name' }).min(1).optional().describe('Format of your own data: idx, image-folder, cifar-binary.'),
        path: z.string({ error: 'expected a folder or archive path' }).min(1, { error: 'expected a folder or archive path' }).optional().describe('Folder or archive holding the files, on the workers (a leading ~ is expanded there).'),
        holdout: z.number({ error: 'expected a fraction in (0, 1)' }).gt(0, { error: 'expected a fraction in (0, 1)' }).lt(1, { error: 'expected a fraction in (0, 1)' }).optional().describe('Hold out this fraction of the training split as the test split (seeded, stratified by class).'),
        on_bad_sample: z.enum(['fail', 'skip'], { error: "expected 'fail' or 'skip'" }).optional().describe('An unreadable image: fail naming it (default), or skip it and count it in the result.'),
        gradcam: GradcamSpecSchema.optional().describe("Grad-CAM images for this data set's cells (overrides train.gradcam)."),
      })
      .catchall(z.unknown())
      .describe('A data set read from a path; other keys are options of its format (size, channels, mean, std).'),
  ],
  { error: 'expected a data set name or a mapping {name, kind, path, …}' },
);
export type DatasetEntry = z.infer<typeof DatasetEntrySchema>;

/** A grid entry as the planner uses it: its name, format, path and the format's own options. */
export interface DatasetSpec {
  readonly name: string;
  readonly kind?: string;
  readonly path?: string;
  readonly holdout?: number;
  readonly onBadSample?: 'fail' | 'skip';
  readonly gradcam?: GradcamSpec;
  readonly options: Record<string, unknown>;
}

/** The name a grid entry goes by: its own, else its path's last part (`/data/xray.tar` → `xray`). */
export function datasetEntryName(entry: unknown): string | undefined {
  if (typeof entry === 'string') return entry;
  if (entry === null || typeof entry !== 'object') return undefined;
  const { name, path } = entry as { name?: unknown; path?: unknown };
  if (typeof name === 'string') return name;
  if (typeof path !== 'string') return undefined;
  const base = path.replace(/\/+$/, '').split('/').pop() ?? '';
  return base.replace(/\.(tar\.gz|tgz|tar)$/i, '').replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 60) || undefined;
}

export function datasetSpec(entry: DatasetEntry): DatasetSpec {
  if (typeof entry === 'string') return { name: entry, options: {} };
  const { name: _n, kind, path, holdout, on_bad_sample, gradcam, ...options } = entry;
  return { name: datasetEntryName(entry) ?? 'data', kind, path, holdout, onBadSample: on_bad_sample, ...(gradcam === undefined ? {} : { gradcam }), options };
}

/** A model's own options, by name; their values are checked against the model's catalog schema. */
const modelOptions = z.record(z.string(), z.unknown(), { error: "expected a mapping of the model's option names to values" });

const nameList = (what: string) =>
  z
    .array(z.string({ error: `expected a name (${what})` }), { error: `expected a list of ${what} names` })
    .min(1, { error: `expected a non-empty list of ${what} names` });

export const GridSchema = z
  .object({
    optimizer: nameList('optimizer').optional().meta({
      description: 'Optimizers to compare, in report order (e.g. sgd, adam, adamw, rmsprop, enhanced-sgd); may be left out when `ablate` names the optimizer to study.',
      uniqueItems: true,
    }),
    dataset: z
      .array(DatasetEntrySchema, { error: 'expected a list of data sets (names or mappings)' })
      .min(1, { error: 'expected a non-empty list of data sets' })
      .meta({
        description:
          'Data sets to train on: catalog names (e.g. mnist, cifar10, imdb, ag_news, voc2012: `grn train --help` lists them all; noop and sleep are synthetic workloads for dispatch benchmarks) or mappings {name, kind, path, holdout, on_bad_sample, …format options} for your own data.',
      }),
    seed: z
      .array(nonNegativeInt('a non-negative integer seed'), { error: 'expected a list of non-negative integer seeds' })
      .min(1, { error: 'expected a non-empty list of seeds' })
      .meta({ description: 'Seeds (non-negative integers, no duplicates); each seed fixes initial weights, data order and optimizer noise.', uniqueItems: true }),
  }, { error: 'expected a mapping with optimizer, dataset and seed' })
  .strict()
  .describe('The grid: every optimizer variant × data set × seed becomes one cell (one training).');

const DURATION = "expected a duration: seconds (e.g. 90), or a number with s, m or h (e.g. '90s', '30m', '2h')";
const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };
/** A duration in seconds, from a number of seconds or a string like '30m'. */
const durationSchema = z.union([z.number({ error: DURATION }).positive({ error: DURATION }), z.string({ error: DURATION })], { error: DURATION }).transform((value, ctx) => {
  if (typeof value === 'number') return value;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([smh])\s*$/.exec(value);
  if (!m || Number(m[1]) <= 0) {
    ctx.addIssue({ code: 'custom', message: DURATION });
    return z.NEVER;
  }
  return Number(m[1]) * UNIT_SECONDS[m[2]!]!;
});

export const TrainSchema = z
  .object({
    epochs: positiveInt('a positive integer').optional().describe("Epochs per cell (default: the data set's from the catalog, else 2)."),
    batch_size: positiveInt('a positive integer').optional().describe("Mini-batch size (default: the data set's from the catalog, e.g. 16 for text, else 64)."),
    train_limit: positiveInt('a positive integer or null').nullable().default(null).describe('Use only the first N training samples (null: all).'),
    test_limit: positiveInt('a positive integer or null').nullable().default(null).describe('Use only the first N test samples (null: all).'),
    validation: ValidationSizeSchema.nullable()
      .default(null)
      .describe(
        'Hold out a validation split of the training split, evaluated after every epoch: a fraction in (0, 1) or a count (null: none). Drawn from validation_seed, as are then the holdout and the limits; train_limit applies to what is left.',
      ),
    validation_seed: nonNegativeInt('a non-negative integer')
      .optional()
      .describe('Seed of the data split when validation is on (default 0): the same for every optimizer and training seed, so all are judged on the same samples.'),
    model: z.string({ error: 'expected a model name or null' }).min(1).nullable().default(null).describe("Model (null: the data set's default, e.g. simple-cnn for mnist)."),
    model_options: modelOptions.optional().describe("Options of the model (checked against its catalog schema); for the model of train.model, or each data set's default."),
    backend: z.string({ error: 'expected a backend name' }).min(1).default('auto').describe("Compute backend on the worker: auto, or one of the engine's (tensorflow, webgpu, wasm, cpu)."),
    telemetry_every: positiveInt('a positive integer').default(1).describe('Keep every K-th per-batch telemetry record in the result (1: all).'),
    checkpoint_every: nonNegativeInt('a non-negative integer')
      .optional()
      .describe('Checkpoint each cell every N steps and at each epoch end, so a crashed cell resumes (0: never; default 200).'),
    duration_ms: nonNegativeInt('a non-negative integer or null')
      .nullable()
      .default(null)
      .describe('Only for the synthetic sleep data set: how long each such cell takes, in milliseconds.'),
    gradcam: GradcamSpecSchema.optional().describe('Grad-CAM overlays of fixed test samples for every cell (image models): true, or {samples, layer}; a data set entry may override it.'),
    timeout: durationSchema.nullable().default(null).describe("Wall-clock limit of one attempt of a cell (seconds, or '90s', '30m', '2h'; null: none): past it the trainer is killed and the cell fails, not retried."),
  }, { error: 'expected a mapping of training settings' })
  .strict()
  .describe('Training settings shared by every cell.');

/**
 * One data set's training settings, over `train` (and under `params`). The keys of TrainSchema
 * that can differ by data set, and hyper-parameters for every optimizer of the grid.
 */
export const TrainOverrideSchema = z
  .object({
    epochs: positiveInt('a positive integer').optional().describe('Epochs for this data set.'),
    batch_size: positiveInt('a positive integer').optional().describe('Mini-batch size for this data set.'),
    train_limit: positiveInt('a positive integer or null').nullable().optional().describe('Use only the first N training samples of this data set (null: all).'),
    test_limit: positiveInt('a positive integer or null').nullable().optional().describe('Use only the first N test samples of this data set (null: all).'),
    validation: ValidationSizeSchema.nullable().optional().describe("This data set's validation split: a fraction in (0, 1) or a count (null: none)."),
    model: z.string({ error: 'expected a model name' }).min(1, { error: 'expected a model name' }).optional().describe('Model for this data set (train.model_options then do not apply unless it is the same model).'),
    model_options: modelOptions.optional().describe("Options of this data set's model, over train.model_options."),
    hyperparameters: z
      .record(z.string(), ScalarSchema, { error: 'expected a mapping of hyper-parameter names to values' })
      .optional()
      .describe('Hyper-parameters for every optimizer on this data set (e.g. lr), over the catalog defaults and under params.'),
  }, { error: 'expected a mapping of training settings' })
  .strict()
  .describe('Training settings for one data set of the grid.');
export type TrainOverride = z.infer<typeof TrainOverrideSchema>;

/**
 * A one-component-off ablation (shared/sweep/ablation.ts): the base configuration of an optimizer
 * with switches, plus one variant per switch with that switch flipped from the base's value.
 */
export const AblateSchema = z
  .object({
    optimizer: z.string({ error: 'expected an optimizer name' }).min(1, { error: 'expected an optimizer name' }).describe('The optimizer whose switches are ablated (one whose catalog states switches: enhanced-sgd).'),
    base: z
      .record(z.string(), ScalarSchema, { error: 'expected a mapping of hyper-parameter names to values' })
      .default({})
      .describe("The base configuration's hyper-parameters, e.g. {controller: intended}; every other variant is it with one switch flipped."),
    components: z
      .union([z.literal('all'), z.array(z.string({ error: 'expected a switch name' }), { error: 'expected a list of switch names' }).min(1, { error: 'expected a non-empty list of switch names' })], {
        error: "expected 'all' or a non-empty list of switch names",
      })
      .default('all')
      .describe("The switches to flip one at a time: 'all' (every switch the base can flip; the others are skipped with a note) or a list of switch names."),
  }, { error: 'expected a mapping with optimizer, base and components' })
  .strict()
  .describe('One-component-off ablation: the base configuration plus one variant per switch flipped from its base value, × every data set and seed of the grid.');
export type AblateSpec = z.infer<typeof AblateSchema>;

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
    ablate: AblateSchema.optional(),
    params: z
      .record(z.string(), OptimizerParamsSchema, { error: 'expected a mapping of optimizer names to hyper-parameters' })
      .optional()
      .describe('Hyper-parameters per optimizer of the grid: a scalar is a fixed override, a list adds a grid axis for that optimizer only.'),
    train: TrainSchema.prefault({}),
    train_overrides: z
      .record(z.string(), TrainOverrideSchema, { error: 'expected a mapping of data set names to training settings' })
      .optional()
      .describe(
        "Training settings per data set of the grid (by its name there): epochs, batch_size, train_limit, test_limit, model, model_options, hyperparameters. Order, lowest first: the optimizer's defaults, the catalog's for the data set, train, train_overrides, params.",
      ),
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
    tune: TuneSchema.optional(),
  }, { error: 'expected a mapping with at least name and grid' })
  .strict()
  .meta({ title: 'GradRetentionNet sweep spec', description: 'An optimizer × dataset × seed grid for `grn sweep`.' });

export type SweepSpec = z.infer<typeof SweepSpecSchema>;
export type SweepSpecInput = z.input<typeof SweepSpecSchema>;
