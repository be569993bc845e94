import { mean, median, sampleStandardDeviation } from 'simple-statistics';

/** Location and spread of one metric across seeds (finite values only). */
export interface Description {
  readonly n: number;
  readonly mean: number;
  readonly median: number;
  /** Sample standard deviation (n − 1); NaN for one value. */
  readonly sd: number;
  readonly min: number;
  readonly max: number;
}

export function describe(values: readonly number[]): Description {
  const v = values.filter(Number.isFinite);
  if (v.length === 0) return { n: 0, mean: Number.NaN, median: Number.NaN, sd: Number.NaN, min: Number.NaN, max: Number.NaN };
  return {
    n: v.length,
    mean: mean(v),
    median: median(v),
    sd: v.length > 1 ? sampleStandardDeviation(v) : Number.NaN,
    min: Math.min(...v),
    max: Math.max(...v),
  };
}
