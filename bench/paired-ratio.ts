import ttest from '@stdlib/stats-ttest';

/**
 * The one way every benchmark turns paired rounds into a ratio (or a difference) with its 95 %
 * interval, so that no ratio is printed without saying how far it can be trusted.
 *
 * A round measures the two things being compared side by side (the same stretch of the machine's
 * speed, which on the shared VMs swings by ±25 % over minutes), so each round gives one ratio
 * a_i / b_i. The estimate is the geometric mean of those ratios, exp(mean ln(a_i / b_i)), and the
 * interval is Student's t 95 % interval of the mean of the logarithms (@stdlib/stats-ttest, a
 * one-sample t on the per-round log-ratios, i.e. a paired t on log-times), exponentiated. Logs,
 * because ratios are multiplicative: A/B and B/A then get mirror-image intervals, and one round
 * at twice the speed weighs as much as one at half of it. The t-interval assumes the per-round
 * log-ratios scatter roughly normally around the true one; a round hit by a burst of other work is
 * an outlier that widens the interval, which is the honest outcome. Under two rounds there is no
 * interval (null), and formatRatio says so.
 */
export const RATIO_METHOD =
  'geometric mean of the per-round ratios; 95 % interval: Student-t on the mean of the per-round log-ratios (paired rounds, @stdlib/stats-ttest), exponentiated';

/** A ratio measured over paired rounds. */
export interface RatioEstimate {
  /** Geometric mean of the per-round ratios. */
  readonly ratio: number;
  /** 95 % interval [low, high]; null under two rounds. */
  readonly ci95: readonly [number, number] | null;
  readonly rounds: number;
  readonly per_round: readonly number[];
}

/** A difference a − b measured over paired rounds (e.g. milliseconds added per step). */
export interface DifferenceEstimate {
  /** Mean of the per-round differences. */
  readonly difference: number;
  readonly ci95: readonly [number, number] | null;
  readonly rounds: number;
}

/** The t-interval of the mean of `x` at 95 %; a zero-spread sample gives [mean, mean]. */
function meanInterval(x: readonly number[]): { mean: number; ci95: readonly [number, number] | null } {
  const mean = x.reduce((s, v) => s + v, 0) / x.length;
  if (x.length < 2) return { mean, ci95: null };
  // stdlib gives NaN bounds for a sample without spread (its standard error is 0).
  if (x.every((v) => v === x[0])) return { mean, ci95: [mean, mean] };
  const ci = ttest([...x], { alpha: 0.05 }).ci;
  return { mean, ci95: [ci[0]!, ci[1]!] };
}

/** The ratio of per-round figures a_i / b_i (both positive), pairs taken in order. */
export function pairedRatio(a: readonly number[], b: readonly number[]): RatioEstimate {
  if (a.length !== b.length) throw new Error(`pairedRatio: ${a.length} rounds against ${b.length}`);
  return ratioOfRounds(a.map((x, i) => x / b[i]!));
}

/** The estimate from per-round ratios already taken. */
export function ratioOfRounds(perRound: readonly number[]): RatioEstimate {
  if (perRound.length === 0) throw new Error('ratioOfRounds: no rounds');
  if (perRound.some((r) => !(r > 0) || !Number.isFinite(r))) throw new Error(`ratioOfRounds: ratios must be positive and finite, got ${perRound.join(', ')}`);
  const { mean, ci95 } = meanInterval(perRound.map(Math.log));
  return { ratio: Math.exp(mean), ci95: ci95 && [Math.exp(ci95[0]), Math.exp(ci95[1])], rounds: perRound.length, per_round: [...perRound] };
}

/** The mean of per-round differences a_i − b_i, with its t-interval (same rounds, same test). */
export function pairedDifference(a: readonly number[], b: readonly number[]): DifferenceEstimate {
  if (a.length !== b.length) throw new Error(`pairedDifference: ${a.length} rounds against ${b.length}`);
  if (a.length === 0) throw new Error('pairedDifference: no rounds');
  const { mean, ci95 } = meanInterval(a.map((x, i) => x - b[i]!));
  return { difference: mean, ci95, rounds: a.length };
}

/** `1.032× [1.011, 1.054]`, or `1.032× (1 round: no interval)`. */
export function formatRatio(r: RatioEstimate, digits = 3): string {
  const f = (x: number) => x.toFixed(digits);
  return r.ci95 ? `${f(r.ratio)}× [${f(r.ci95[0])}, ${f(r.ci95[1])}]` : `${f(r.ratio)}× (${r.rounds} round: no interval)`;
}

/** `+1.24 [1.10, 1.38]` (signed), or without the interval under two rounds. */
export function formatDifference(d: DifferenceEstimate, digits = 2): string {
  const f = (x: number) => x.toFixed(digits);
  const sign = d.difference >= 0 ? '+' : '';
  return d.ci95 ? `${sign}${f(d.difference)} [${f(d.ci95[0])}, ${f(d.ci95[1])}]` : `${sign}${f(d.difference)} (${d.rounds} round: no interval)`;
}

/**
 * Half the interval's width relative to the estimate, in percent (the ± a reader can resolve):
 * sqrt(high/low) − 1, symmetric on the log scale. Null without an interval.
 */
export function halfWidthPercent(r: RatioEstimate): number | null {
  return r.ci95 ? (Math.sqrt(r.ci95[1] / r.ci95[0]) - 1) * 100 : null;
}

/** The JSON form of an estimate, rounded for reading (per-round ratios kept for re-analysis). */
export function ratioJson(r: RatioEstimate): { ratio: number; ci95: [number, number] | null; rounds: number; per_round: number[] } {
  const q = (x: number) => Math.round(x * 1e4) / 1e4;
  return { ratio: q(r.ratio), ci95: r.ci95 ? [q(r.ci95[0]), q(r.ci95[1])] : null, rounds: r.rounds, per_round: r.per_round.map(q) };
}
