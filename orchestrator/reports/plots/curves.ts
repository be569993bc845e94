import type { CellDigest, StepSeries } from '../digest.js';
import { bootstrapBands } from '../statistics/bootstrap.js';

/** One point of a mean curve with its band, in the long format vega-lite reads. */
export interface CurveRow {
  readonly series: string;
  readonly x: number;
  readonly mean: number;
  readonly lo: number;
  readonly hi: number;
  readonly n: number;
}

/** Resamples for curve bands: fewer than the tables' 4000; a band only has to look right. */
const BAND_RESAMPLES = 400;

/**
 * Mean across seeds at each point, with the percentile bootstrap 95 % band of that mean,
 * resampling whole seeds (see bootstrapBands); with a single seed the band is the line itself.
 */
export function meanCurve(series: string, xs: readonly number[], columns: ReadonlyArray<ArrayLike<number>>, seed: string): CurveRow[] {
  const { lo, hi } = bootstrapBands(columns, xs.length, { seed, resamples: BAND_RESAMPLES });
  const rows: CurveRow[] = [];
  xs.forEach((x, i) => {
    let sum = 0;
    let n = 0;
    for (const c of columns) {
      const v = c[i]!;
      if (Number.isFinite(v)) {
        sum += v;
        n++;
      }
    }
    if (n === 0) return;
    const mean = sum / n;
    rows.push({ series, x, mean, lo: Number.isFinite(lo[i]!) ? lo[i]! : mean, hi: Number.isFinite(hi[i]!) ? hi[i]! : mean, n });
  });
  return rows;
}

/** Per-epoch metric: x is the epoch number (1-based). */
export function epochCurve(series: string, runs: readonly CellDigest[], pick: (d: CellDigest) => readonly number[], seed: string): CurveRow[] {
  const columns = runs.map(pick);
  const epochs = Math.max(0, ...columns.map((c) => c.length));
  return meanCurve(series, Array.from({ length: epochs }, (_, i) => i + 1), columns, seed);
}

/** Per-step series (binned in the digest): x in epochs, at the bin's centre. */
export function stepCurve(series: string, runs: readonly CellDigest[], key: StepSeries, seed: string): CurveRow[] {
  const withKey = runs.filter((d) => d.steps[key]);
  if (withKey.length === 0) return [];
  const first = withKey[0]!;
  const columns = withKey.map((d) => d.steps[key]!);
  const bins = Math.max(...columns.map((c) => c.length));
  const xs = Array.from({ length: bins }, (_, b) => ((b + 0.5) * first.binWidth) / first.stepsPerEpoch);
  return meanCurve(series, xs, columns, seed);
}

/** The primary metric against cumulative training time: both means across seeds, band on the metric. */
export function scoreTimeCurve(series: string, runs: readonly CellDigest[], seed: string): Array<CurveRow & { readonly seconds: number }> {
  const rows = epochCurve(series, runs, (d) => d.score, seed);
  return rows.map((r) => {
    const e = r.x;
    const times = runs.filter((d) => d.epochTime.length >= e).map((d) => d.epochTime.slice(0, e).reduce((a, b) => a + b, 0));
    return { ...r, seconds: times.reduce((a, b) => a + b, 0) / (times.length || 1) };
  });
}
