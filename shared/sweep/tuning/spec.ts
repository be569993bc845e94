import { z } from 'zod';

/**
 * The `tune:` block of a sweep spec: a first stage that runs every optimizer variant × data set on
 * a grid of learning rates (on the tuning seeds) and judges them on the validation split, and a
 * second stage — the grid itself — that trains each variant with the learning rate it won, judged
 * on the test split. The way DeepOBS tunes its baselines. Checks that need the rest of the spec
 * are in checks.ts; the stages are planned in plan.ts and the winners chosen in choose.ts.
 */

/** Splits a tuning can be judged on. Only the validation split: tuning on the test split would be reported on the data it was chosen with. */
export const TUNE_METRICS = ['validation'] as const;
/** Which epoch's score counts: the last one, or the best one (early stopping's view). */
export const TUNE_EPOCHS = ['final', 'best'] as const;

/** Points of the log-spaced grid when `lr` gives neither `points` nor `values`. */
export const DEFAULT_LR_POINTS = 5;
/** Ratio of neighbouring points when `lr` gives none. */
export const DEFAULT_LR_FACTOR = 3;

const positiveNumber = (what: string) => z.number({ error: `expected ${what}` }).positive({ error: `expected ${what}` });

export const TuneLrSchema = z
  .object({
    points: z
      .int({ error: 'expected a whole number of points, at least 2' })
      .min(2, { error: 'expected a whole number of points, at least 2' })
      .optional()
      .describe(`Points of the log-spaced grid around each variant's resolved lr: lr·factor^k for k = −(points−1)/2 … (points−1)/2 (default ${DEFAULT_LR_POINTS}).`),
    factor: z
      .number({ error: 'expected a number above 1' })
      .gt(1, { error: 'expected a number above 1' })
      .optional()
      .describe(`Ratio of neighbouring grid points (default ${DEFAULT_LR_FACTOR}).`),
    values: z
      .array(positiveNumber('a positive learning rate'), { error: 'expected a list of learning rates' })
      .min(2, { error: 'expected at least 2 learning rates' })
      .optional()
      .describe('Learning rates to try, the same for every variant (instead of points and factor).'),
  }, { error: 'expected a mapping {points, factor} or {values}' })
  .strict()
  .describe('The learning rates tried: a log-spaced grid around each variant’s resolved lr, or a list of values.');

export const TuneSchema = z
  .object({
    lr: TuneLrSchema.prefault({}),
    seeds: z
      .array(z.int({ error: 'expected a non-negative integer seed' }).nonnegative({ error: 'expected a non-negative integer seed' }), { error: 'expected a list of seeds' })
      .min(1, { error: 'expected a non-empty list of seeds' })
      .optional()
      .meta({ description: 'Seeds of the tuning runs (default: the first seed of grid.seed); a point’s score is the mean over them.', uniqueItems: true }),
    metric: z.enum(TUNE_METRICS, { error: `expected ${TUNE_METRICS.join(' or ')}` }).default('validation').describe("The split the runs are judged on: the validation split's primary metric (train.validation must be set)."),
    epoch: z.enum(TUNE_EPOCHS, { error: `expected ${TUNE_EPOCHS.join(' or ')}` }).default('final').describe('Which epoch’s score counts: final (the last) or best.'),
  }, { error: 'expected a mapping {lr, seeds, metric, epoch}' })
  .strict()
  .describe(
    'A tuning stage before the grid: every optimizer variant × data set × lr point on the tuning seeds, judged on the validation split; the grid then runs each variant with the lr that won (ties: the smaller lr; a diverged run loses). One sweep, two stages; tuning.json says what was chosen.',
  );

export type TuneSpec = z.infer<typeof TuneSchema>;
