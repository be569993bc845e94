import { bootstrapMeanInterval, type Interval } from './bootstrap.js';
import { describe, type Description } from './describe.js';

/** A metric across seeds: location, spread and the percentile bootstrap 95 % interval of the mean. */
export interface MetricSummary extends Description {
  readonly ci: Interval | null;
}

/** Seed of every bootstrap in a report: the same folder always gives the same intervals. */
export const BOOTSTRAP_SEED = 'grn-report';

/** The summary of one metric over seeds (finite values); `interval` false: no bootstrap. */
export function summarise(values: readonly number[], interval = true): MetricSummary {
  const d = describe(values);
  return { ...d, ci: interval ? bootstrapMeanInterval(values.filter(Number.isFinite), { seed: BOOTSTRAP_SEED }) : null };
}
