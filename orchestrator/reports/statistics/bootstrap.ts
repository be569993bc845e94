import seedrandom from 'seedrandom';

/** A two-sided interval; `level` is its nominal coverage (0.95). */
export interface Interval {
  readonly lo: number;
  readonly hi: number;
}

export interface BootstrapOptions {
  /** Seed text of the resampling stream: the same seed and data give the same interval. */
  readonly seed: string;
  /** Bootstrap resamples; 4000 keeps the 2.5 % / 97.5 % percentiles stable to about ±0.5 % of the spread. */
  readonly resamples?: number;
  readonly level?: number;
}

/**
 * Quantile of sorted data by linear interpolation between order statistics (Hyndman & Fan type 7,
 * the default of R's quantile() and NumPy's percentile()), so our figures can be checked there.
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  if (h === lo) return sorted[lo]!; // exact order statistic (also keeps Infinity neighbours out)
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * The same type-7 quantile without sorting: quickselect (Hoare's FIND) moves the order statistic
 * into place in O(n) on average, reordering `data`. A report takes two quantiles of each of
 * thousands of bootstrap distributions; sorting them all was most of its statistics time.
 */
export function quantileSelect(data: Float64Array, p: number): number {
  const n = data.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const a = select(data, lo);
  if (h === lo || lo + 1 >= n) return a;
  let b = Infinity; // the next order statistic: the smallest value right of the selected one
  for (let i = lo + 1; i < n; i++) if (data[i]! < b) b = data[i]!;
  return a + (h - lo) * (b - a);
}

/** Rearranges `a` so that a[k] is its k-th smallest value, smaller ones left, larger right. */
function select(a: Float64Array, k: number): number {
  let left = 0;
  let right = a.length - 1;
  while (right > left) {
    const pivot = a[(left + right) >> 1]!;
    let i = left;
    let j = right;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) right = j;
    else if (k >= i) left = i;
    else break;
  }
  return a[k]!;
}

/**
 * Percentile bootstrap interval of the mean (Efron & Tibshirani 1993, ch. 13): resample the values
 * with replacement, take each resample's mean, report the (1−level)/2 and (1+level)/2 quantiles.
 * Percentile rather than BCa: with the 2–10 seeds a sweep has, BCa's acceleration (a jackknife
 * over the seeds) is itself too noisy to correct anything, and the percentile interval stays inside
 * the range of the data, which a reader can check against best and worst seed. With two seeds it is
 * exactly the range of the two. Null for fewer than two values: one seed has no spread to show.
 */
export function bootstrapMeanInterval(values: ArrayLike<number>, options: BootstrapOptions): Interval | null {
  const n = values.length;
  if (n < 2) return null;
  const resamples = options.resamples ?? 4000;
  const level = options.level ?? 0.95;
  const picks = resampleIndices(options.seed, n, resamples);
  // A typed copy keeps the inner loop monomorphic: it runs resamples × n times per group.
  const x = Float64Array.from(values as ArrayLike<number>);
  const means = new Float64Array(resamples);
  for (let b = 0, k = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += x[picks[k++]!]!;
    means[b] = sum / n;
  }
  return { lo: quantileSelect(means, (1 - level) / 2), hi: quantileSelect(means, (1 + level) / 2) };
}

const indexCache = new Map<string, Uint32Array>();

/**
 * The resampled indices (resamples × n, row by row) drawn from the seed's stream, kept for reuse:
 * a report bootstraps a thousand groups of the same seed count, and drawing the indices once per
 * (seed, n) instead of once per group takes the random draws out of the cost. Each group's
 * interval is still an ordinary bootstrap; only their Monte-Carlo errors are shared.
 */
export function resampleIndices(seed: string, n: number, resamples: number): Uint32Array {
  const key = `${seed}\u0000${n}\u0000${resamples}`;
  let picks = indexCache.get(key);
  if (!picks) {
    const random = seedrandom.alea(seed);
    picks = new Uint32Array(resamples * n);
    for (let k = 0; k < picks.length; k++) picks[k] = Math.floor(random() * n);
    if (indexCache.size >= 64) indexCache.delete(indexCache.keys().next().value!);
    indexCache.set(key, picks);
  }
  return picks;
}

/**
 * Percentile bootstrap bands for several curves that share their units of resampling (seeds): the
 * same resampled seed sets are used at every point of every curve, so a band is the bootstrap of
 * whole seed trajectories, not of each point on its own. `columns[s][i]` is seed s's value at point
 * i (NaN where a seed has no value there: it is skipped in that resample's mean).
 */
export function bootstrapBands(columns: ReadonlyArray<ArrayLike<number>>, points: number, options: BootstrapOptions): { lo: Float64Array; hi: Float64Array } {
  const n = columns.length;
  const lo = new Float64Array(points).fill(Number.NaN);
  const hi = new Float64Array(points).fill(Number.NaN);
  if (n < 2) return { lo, hi };
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const picks = resampleIndices(options.seed, n, resamples);
  const means = new Float64Array(resamples);
  const at = new Float64Array(n);
  for (let i = 0; i < points; i++) {
    let finite = 0;
    for (let s = 0; s < n; s++) {
      const v = columns[s]![i];
      at[s] = v === undefined ? Number.NaN : v;
      if (at[s] === at[s]) finite++;
    }
    let kept = 0;
    for (let b = 0, k = 0; b < resamples; b++) {
      let sum = 0;
      let count = 0;
      for (let j = 0; j < n; j++) {
        const v = at[picks[k++]!]!;
        // NaN !== NaN: a seed without a value at this point is skipped in this resample's mean.
        if (finite === n || v === v) {
          sum += v;
          count++;
        }
      }
      if (count > 0) means[kept++] = sum / count;
    }
    if (kept < 2) continue;
    const distribution = means.subarray(0, kept);
    lo[i] = quantileSelect(distribution, (1 - level) / 2);
    hi[i] = quantileSelect(distribution, (1 + level) / 2);
  }
  return { lo, hi };
}
