import { quantileSorted } from './bootstrap.js';

/** When one run first reached the target accuracy. */
export interface Reached {
  /** Epochs trained when the test accuracy first was ≥ target (1-based). */
  readonly epochs: number;
  /** Seconds of training up to the end of that epoch (sum of epoch_time; evaluation excluded). */
  readonly seconds: number;
}

/** Null when the run never reached the target (or has no epochs). */
export function timeToTarget(accuracy: readonly number[], epochTime: readonly number[], target: number): Reached | null {
  let seconds = 0;
  for (let i = 0; i < accuracy.length; i++) {
    seconds += epochTime[i] ?? Number.NaN;
    if (accuracy[i]! >= target) return { epochs: i + 1, seconds };
  }
  return null;
}

/** Time-to-target over the seeds of one optimizer variant on one data set. */
export interface TargetSummary {
  readonly target: number;
  readonly runs: number;
  readonly reached: number;
  /**
   * Median over all seeds, a seed that missed the target counting as infinitely slow (as AlgoPerf
   * does): finite only when more than half the seeds got there. Infinity when not.
   */
  readonly medianEpochs: number;
  readonly medianSeconds: number;
  /** Fastest and slowest seed among those that reached it (null when none did). */
  readonly minSeconds: number | null;
  readonly maxSeconds: number | null;
}

export function summariseTimeToTarget(runs: ReadonlyArray<Reached | null>, target: number): TargetSummary {
  const seconds = runs.map((r) => r?.seconds ?? Infinity).sort((a, b) => a - b);
  const epochs = runs.map((r) => r?.epochs ?? Infinity).sort((a, b) => a - b);
  const reached = runs.filter((r): r is Reached => r !== null).map((r) => r.seconds);
  return {
    target,
    runs: runs.length,
    reached: reached.length,
    medianEpochs: runs.length ? medianWithInfinity(epochs) : Infinity,
    medianSeconds: runs.length ? medianWithInfinity(seconds) : Infinity,
    minSeconds: reached.length ? Math.min(...reached) : null,
    maxSeconds: reached.length ? Math.max(...reached) : null,
  };
}

/** Type-7 median that stays infinite when the middle order statistic is (Infinity − Infinity is NaN). */
function medianWithInfinity(sorted: readonly number[]): number {
  const n = sorted.length;
  const a = sorted[Math.floor((n - 1) / 2)]!;
  const b = sorted[Math.ceil((n - 1) / 2)]!;
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Infinity;
  return quantileSorted(sorted, 0.5);
}
