import { z } from 'zod';

/**
 * One trial: what a worker needs to train one cell of a sweep, and what `grn train` builds from its
 * flags. The orchestrator and the worker both validate against this schema.
 */

export const HyperParameterValue = z.union([z.number(), z.string(), z.boolean()]);
export type HyperParameterValue = z.infer<typeof HyperParameterValue>;

/** What to do with a sample that cannot be read: stop with its name, or skip it and count it. */
export const BAD_SAMPLE_POLICIES = ['fail', 'skip'] as const;

/**
 * Steps between mid-trial checkpoints when a trial does not say (each epoch's end has one too):
 * at SimpleCNN/MNIST speeds a few seconds of work, and a lost one costs at most that much again.
 */
export const DEFAULT_CHECKPOINT_EVERY = 200;

/**
 * The split seed of a validation split when a trial does not say (`train.validation_seed`): one
 * constant, so every optimizer and every training seed of a data set is judged on the same samples.
 */
export const DEFAULT_VALIDATION_SEED = 0;

/** A validation size: a fraction of the training split in (0, 1), or a whole number of samples. */
export const ValidationSizeSchema = z
  .number({ error: 'expected a fraction in (0, 1) or a whole number of samples' })
  .positive({ error: 'expected a fraction in (0, 1) or a whole number of samples' })
  .refine((x) => x < 1 || Number.isInteger(x), { error: 'expected a fraction in (0, 1) or a whole number of samples' });

/** Test samples Grad-CAM explains by default (the original's 5). */
export const GRADCAM_DEFAULT_SAMPLES = 5;

/** Grad-CAM at the end of a trial: how many fixed test samples, and which layer (default: the model's last). */
export const GradcamConfigSchema = z
  .object({
    samples: z.number().int().positive().default(GRADCAM_DEFAULT_SAMPLES),
    layer: z.string().min(1).optional(),
  })
  .strict();
export type GradcamConfig = z.infer<typeof GradcamConfigSchema>;

export const TrialConfigSchema = z
  .object({
    /** A data set of the catalog (mnist, cifar10, …), or the name of the user's own (with `kind`). */
    dataset: z.string().min(1),
    /** The user's own data: the format to read `dataDir` as (idx, image-folder, cifar-binary, …). */
    kind: z.string().min(1).optional(),
    /** A local folder (or archive) holding the data set's files; otherwise the cache (with download). */
    dataDir: z.string().min(1).optional(),
    /** Options of the data set's format (size, channels, mean, std, …), checked by the format itself. */
    dataOptions: z.record(z.string(), z.unknown()).optional(),
    /** Hold out this fraction of the training split as the test split (seeded, stratified). */
    holdout: z.number().gt(0).lt(1).optional(),
    onBadSample: z.enum(BAD_SAMPLE_POLICIES).optional(),
    /**
     * Hold out this much of the training split as a validation split, evaluated after every epoch
     * (a fraction in (0, 1), or a count). With it, every split of the data — the holdout test split,
     * the validation split, the train and test limits — is drawn from `validationSeed`, not `seed`
     * (worker/engine/datasets/validation.ts).
     */
    validation: ValidationSizeSchema.optional(),
    /** The split seed (default DEFAULT_VALIDATION_SEED); only with `validation`. */
    validationSeed: z.number().int().nonnegative().optional(),
    model: z.string().min(1).optional(),
    /** The model's own options (checked against its catalog schema; e.g. layers, pretrained). */
    modelOptions: z.record(z.string(), z.unknown()).optional(),
    optimizer: z.string().min(1),
    /** Overrides of the optimizer's defaults (e.g. lr, momentum, weight_decay); planned cells carry them all. */
    hyperparameters: z.record(z.string(), HyperParameterValue).default({}),
    epochs: z.number().int().positive(),
    batchSize: z.number().int().positive().default(64),
    seed: z.number().int().nonnegative(),
    trainLimit: z.number().int().positive().optional(),
    testLimit: z.number().int().positive().optional(),
    /** `auto` or a backend of the engine's catalog (checked by the engine, which knows them). */
    backend: z.string().min(1).default('auto'),
    /** The one device this trial may use (adapter index / CUDA device), set by the launcher. */
    deviceIndex: z.number().int().nonnegative().optional(),
    /** Keep every K-th per-batch telemetry record in the result (1 = all). */
    telemetryEvery: z.number().int().positive().default(1),
    /**
     * Checkpoint every N steps and at each epoch end, for resuming after a crash (0: never).
     * Absent: DEFAULT_CHECKPOINT_EVERY. Checkpoints are made only where the runner takes them.
     */
    checkpointEvery: z.number().int().nonnegative().optional(),
    /** Only for the synthetic `sleep` workload (dispatch benchmarks): how long the trial takes. */
    durationMs: z.number().int().nonnegative().optional(),
    /** Wall-clock limit of one attempt, in seconds (`train.timeout`): the worker kills the trainer and fails the cell. */
    timeoutS: z.number().positive().optional(),
    /** Grad-CAM overlays of fixed test samples at the end (image models; worker/engine/gradcam/). */
    gradcam: GradcamConfigSchema.optional(),
  })
  .strict();

export type TrialConfig = z.infer<typeof TrialConfigSchema>;
export type TrialConfigInput = z.input<typeof TrialConfigSchema>;
