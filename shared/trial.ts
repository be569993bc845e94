import { z } from 'zod';

/**
 * One trial: what a worker needs to train one cell of a sweep, and what `grn train` builds from its
 * flags. The orchestrator and the worker both validate against this schema.
 */
export const BACKEND_CHOICES = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'] as const;

export const HyperParameterValue = z.union([z.number(), z.string(), z.boolean()]);
export type HyperParameterValue = z.infer<typeof HyperParameterValue>;

export const TrialConfigSchema = z
  .object({
    dataset: z.string().min(1),
    /** A local folder holding the data set's files; otherwise the cache (with download). */
    dataDir: z.string().min(1).optional(),
    model: z.string().min(1).optional(),
    optimizer: z.string().min(1),
    /** Overrides of the optimizer's defaults (e.g. lr, momentum, weight_decay). */
    hyperparameters: z.record(z.string(), HyperParameterValue).default({}),
    epochs: z.number().int().positive(),
    batchSize: z.number().int().positive().default(64),
    seed: z.number().int().nonnegative(),
    trainLimit: z.number().int().positive().optional(),
    testLimit: z.number().int().positive().optional(),
    backend: z.enum(BACKEND_CHOICES).default('auto'),
    /** The one device this trial may use (adapter index / CUDA device), set by the launcher. */
    deviceIndex: z.number().int().nonnegative().optional(),
    /** Keep every K-th per-batch telemetry record in the result (1 = all). */
    telemetryEvery: z.number().int().positive().default(1),
    /** Only for the synthetic `sleep` workload (dispatch benchmarks): how long the trial takes. */
    durationMs: z.number().int().nonnegative().optional(),
  })
  .strict();

export type TrialConfig = z.infer<typeof TrialConfigSchema>;
export type TrialConfigInput = z.input<typeof TrialConfigSchema>;
