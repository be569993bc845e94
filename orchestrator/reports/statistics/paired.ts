import padjust from '@stdlib/stats-padjust';
import ttest from '@stdlib/stats-ttest';
import wilcoxon from '@stdlib/stats-wilcoxon';
import { bootstrapMeanInterval, type Interval } from './bootstrap.js';

/** Wilcoxon signed-rank test of paired differences (two-sided). */
export interface WilcoxonResult {
  /** V = W+, the sum of the ranks of the positive differences (R's `V`). */
  readonly statistic: number;
  readonly p: number;
  /** 'exact' (null distribution of V) or 'normal' (approximation with tie and continuity corrections). */
  readonly method: 'exact' | 'normal';
  /** Pairs left after dropping zero differences (the Wilcoxon convention, as R's default). */
  readonly n: number;
}

export interface TTestResult {
  readonly t: number;
  readonly df: number;
  readonly p: number;
}

export interface PairedComparison {
  /** Pairs (seeds that both sides finished). */
  readonly n: number;
  /** Mean of candidate − baseline. */
  readonly meanDiff: number;
  /** Percentile bootstrap 95 % interval of the mean difference (null below two pairs). */
  readonly diffInterval: Interval | null;
  readonly wilcoxon: WilcoxonResult | null;
  readonly t: TTestResult | null;
  /** Cohen's d_z: mean difference over the standard deviation of the differences. */
  readonly dz: number | null;
  /**
   * Matched-pairs rank-biserial correlation (Kerby 2014): (W+ − W−)/(W+ + W−) over the non-zero
   * differences, in [−1, 1]; 1 when the candidate won on every seed.
   */
  readonly rankBiserial: number | null;
  /**
   * The smallest two-sided p-value the exact Wilcoxon test can give with this many pairs, 2/2^n:
   * 0.0625 for 5 seeds, so under 6 seeds it can never reach 0.05 whatever the data.
   */
  readonly minWilcoxonP: number | null;
  /** Why a test is missing or cannot say anything, for the reader. */
  readonly note: string | null;
}

/**
 * Differences are rounded to 12 significant digits before ranking: accuracies are fractions such
 * as 0.639, and 0.678 − 0.639 and 0.717 − 0.678 differ in the 17th digit, which would hide a tie
 * from the rank test (R has the same trap; it compares the doubles as they are).
 */
function differences(candidate: readonly number[], baseline: readonly number[]): number[] {
  return candidate.map((c, i) => Number((c - baseline[i]!).toPrecision(12)));
}

/**
 * Paired comparison of a candidate with the baseline on the same seeds (same initial weights and
 * data order): both tests two-sided at the pairs given. `seed` seeds the bootstrap of the mean
 * difference.
 */
export function comparePaired(candidate: readonly number[], baseline: readonly number[], seed: string): PairedComparison {
  if (candidate.length !== baseline.length) throw new Error('comparePaired: the two sides need the same number of pairs');
  const n = candidate.length;
  const d = differences(candidate, baseline);
  const meanDiff = n ? d.reduce((a, b) => a + b, 0) / n : Number.NaN;
  const empty = { n, meanDiff, diffInterval: null, wilcoxon: null, t: null, dz: null, rankBiserial: null, minWilcoxonP: null };
  if (n < 2) return { ...empty, note: n === 0 ? 'no shared seeds with the baseline' : 'one shared seed: no test possible' };
  const diffInterval = bootstrapMeanInterval(d, { seed });
  const nonZero = d.filter((x) => x !== 0);
  if (nonZero.length === 0) return { ...empty, diffInterval, wilcoxon: null, note: 'identical on every shared seed' };

  let w: WilcoxonResult | null = null;
  // R's rule (and stdlib's): exact distribution for at most 50 pairs with no ties and no zeros.
  const absolute = nonZero.map(Math.abs);
  const ties = new Set(absolute).size !== absolute.length;
  const exact = nonZero.length <= 50 && !ties && nonZero.length === n;
  const res = wilcoxon(d, { alternative: 'two-sided', zeroMethod: 'wilcox', correction: true });
  w = { statistic: res.statistic, p: Math.min(1, res.pValue), method: exact ? 'exact' : 'normal', n: nonZero.length };

  const mean = meanDiff;
  const sd = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1));
  let t: TTestResult | null = null;
  let dz: number | null = null;
  if (sd > 0) {
    const res = ttest(d, { alternative: 'two-sided' });
    t = { t: res.statistic, df: n - 1, p: res.pValue };
    dz = mean / sd;
  }

  const ranks = rankAbs(nonZero);
  let plus = 0;
  let minus = 0;
  nonZero.forEach((x, i) => (x > 0 ? (plus += ranks[i]!) : (minus += ranks[i]!)));
  const rankBiserial = (plus - minus) / (plus + minus);
  const minWilcoxonP = 2 / 2 ** nonZero.length;
  let note: string | null = null;
  if (minWilcoxonP > 0.05) note = `${nonZero.length} non-zero pairs: the Wilcoxon test cannot reach p < 0.05 (smallest possible p = ${+minWilcoxonP.toPrecision(3)})`;
  else if (!t) note = 'every difference equal: no t-test';
  return { n, meanDiff, diffInterval, wilcoxon: w, t, dz, rankBiserial, minWilcoxonP, note };
}

/** Average ranks (1-based) of |x|, ties sharing their mean rank. */
function rankAbs(x: readonly number[]): number[] {
  const order = x.map((v, i) => [Math.abs(v), i] as const).sort((a, b) => a[0] - b[0]);
  const ranks = new Array<number>(x.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1]![0] === order[i]![0]) j++;
    for (let k = i; k <= j; k++) ranks[order[k]![1]] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return ranks;
}

/**
 * Holm's step-down correction (Holm 1979) of the p-values of one family of tests; null entries
 * (tests that could not run) are left out of the family and stay null.
 */
export function holm(pvalues: ReadonlyArray<number | null>): Array<number | null> {
  const present = pvalues.flatMap((p, i) => (p === null || !Number.isFinite(p) ? [] : [[p, i] as const]));
  const out: Array<number | null> = pvalues.map(() => null);
  if (present.length === 0) return out;
  const adjusted = padjust(present.map(([p]) => p), 'holm');
  present.forEach(([, i], k) => (out[i] = Math.min(1, adjusted[k]!)));
  return out;
}
