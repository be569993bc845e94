import { metricTitle, type MetricName } from '../../../shared/metrics.js';
import { OFF_SIGN } from '../../../shared/sweep/ablation.js';
import type { SwitchKind } from '../../../shared/switches.js';
import type { CellDigest } from '../digest.js';
import type { CellRecord, LoadedSweep } from '../load.js';
import { datasetTitle } from '../plots/theme.js';
import { bootstrapMeanInterval, type Interval } from '../statistics/bootstrap.js';
import { comparePaired, holm, type PairedComparison } from '../statistics/paired.js';
import { BOOTSTRAP_SEED } from '../statistics/summary.js';
import { timeToTarget } from '../statistics/time-to-target.js';
import { pairedVerdict, smallestHolmP, type PairedVerdict } from '../statistics/verdict.js';

/**
 * The ablation's ranking of components (cells planned from an `ablate:` block carry which base
 * they belong to and which switch they flip): for each data set, and for all data sets pooled,
 * each one-switch-flipped variant against its base, paired by seed (a seed fixes initial weights,
 * data order and noise on both sides) — Δ final primary metric with its bootstrap interval, the
 * report's paired Wilcoxon and t-tests with effect sizes, Holm-corrected over the flips of that
 * data set (or of the pool), and Δ time to the data set's target in training seconds. Rows are
 * sorted by the size of the effect on the final metric, |Δ|, largest first.
 */

/** The scope of the pooled comparison: every data set's pairs together. */
export const POOLED = '*';

/** Δ time to target of a flip, over the pairs where both sides reached it. */
export interface TimeToTargetDelta {
  /** Training seconds (sum of epoch times up to the first epoch at the target; evaluation excluded). */
  readonly unit: 'seconds';
  /** The data set's target; null when pooled (each pair against its own data set's). */
  readonly target: number | null;
  readonly pairs: number;
  /** Pairs where both reached the target: Δ is over these. */
  readonly bothReached: number;
  /** Pairs where only the base reached it (the flip never did), only the flip, neither. */
  readonly onlyBase: number;
  readonly onlyFlip: number;
  readonly neither: number;
  /** Mean of flip − base seconds (positive: the flip is slower); null without a pair that both reached. */
  readonly meanDiff: number | null;
  /** Percentile bootstrap 95 % interval of that mean (null below two such pairs). */
  readonly interval: Interval | null;
}

export interface AblationRow {
  readonly label: string;
  readonly component: string;
  readonly kind: SwitchKind | null;
  /** The switch's value in the flipped variant (null: not recorded). */
  readonly value: boolean | null;
  /** `−centering` (switched off), `+retention` (switched on): the flip as labels write it. */
  readonly flip: string;
  /** Final primary metric, flip − base, paired by seed (fractions; tables show percentage points). */
  readonly test: PairedComparison;
  /** Holm-adjusted Wilcoxon p over the flips of this scope. */
  readonly wilcoxonHolm: number | null;
  readonly tHolm: number | null;
  /** `hurts`/`helps`: the flip significantly lowers/raises the final metric (Holm-corrected Wilcoxon at α). */
  readonly effect: PairedVerdict<'helps', 'hurts'>;
  /** Null when the scope's data sets have no target. */
  readonly timeToTarget: TimeToTargetDelta | null;
  /** 1: the largest |Δ| of the scope. */
  readonly rank: number;
}

export interface AblationScope {
  /** A data set's name, or POOLED. */
  readonly scope: string;
  readonly datasets: readonly string[];
  readonly base: string;
  /** The primary metric compared (null when the pooled data sets have different ones). */
  readonly metric: MetricName | null;
  readonly rows: readonly AblationRow[];
  /** Flips that significantly lower / raise the final metric, as `−centering (−1.20 pp)`. */
  readonly hurts: readonly string[];
  readonly helps: readonly string[];
  readonly sentence: string;
}

export interface AblationReport {
  readonly optimizers: readonly string[];
  readonly bases: readonly string[];
  readonly alpha: number;
  readonly scopes: readonly AblationScope[];
  /** Switches the ablation left out, each with why. */
  readonly notes: readonly string[];
}

/** Paired final scores of one flip against its base on one data set, and its time-to-target pairs. */
interface Pairs {
  readonly flip: number[];
  readonly base: number[];
  readonly seconds: Array<{ flip: number | null; base: number | null }>;
}

const last = (x: readonly number[]) => (x.length ? x[x.length - 1]! : Number.NaN);

/** Title of a scope: the data set's name, or "all data sets pooled". */
export function scopeTitle(scope: string): string {
  return scope === POOLED ? 'All data sets pooled' : datasetTitle(scope);
}

/** The ranking, or undefined when the results have no ablation cells. */
export function ablationRanking(sweep: Pick<LoadedSweep, 'cells' | 'results' | 'targets' | 'ablationNotes'>, alpha: number): AblationReport | undefined {
  const cells = sweep.cells.filter((c) => c.ablation);
  if (cells.length === 0) return undefined;
  const bases = [...new Set(cells.map((c) => c.ablation!.base))];
  const scopes: AblationScope[] = [];
  for (const base of bases) {
    const mine = cells.filter((c) => c.ablation!.base === base);
    const datasets = [...new Set(mine.map((c) => c.dataset))];
    const flips = new Map<string, CellRecord>(); // label → a cell of it, in plan order
    for (const c of mine) if (c.ablation!.component !== null && !flips.has(c.label)) flips.set(c.label, c);
    const perDataset = new Map<string, Map<string, Pairs>>();
    for (const d of datasets) {
      const runs = (label: string | null) => {
        const out = new Map<number, CellDigest>();
        for (const c of mine) if (c.dataset === d && (label === null ? c.ablation!.component === null : c.label === label) && sweep.results.has(c.cell)) out.set(c.seed, sweep.results.get(c.cell)!);
        return out;
      };
      const baseRuns = runs(null);
      const target = sweep.targets[d];
      const byFlip = new Map<string, Pairs>();
      for (const label of flips.keys()) {
        if (!mine.some((c) => c.dataset === d && c.label === label)) continue;
        const flipRuns = runs(label);
        const seeds = [...flipRuns.keys()].filter((s) => baseRuns.has(s) && Number.isFinite(last(flipRuns.get(s)!.score)) && Number.isFinite(last(baseRuns.get(s)!.score))).sort((a, b) => a - b);
        const seconds = (r: CellDigest) => (target === undefined ? null : (timeToTarget(r.score, r.epochTime, target)?.seconds ?? null));
        byFlip.set(label, {
          flip: seeds.map((s) => last(flipRuns.get(s)!.score)),
          base: seeds.map((s) => last(baseRuns.get(s)!.score)),
          seconds: target === undefined ? [] : seeds.map((s) => ({ flip: seconds(flipRuns.get(s)!), base: seconds(baseRuns.get(s)!) })),
        });
      }
      perDataset.set(d, byFlip);
      scopes.push(scopeOf(d, [d], base, flips, new Map([...byFlip].map(([l, p]) => [l, [p]])), metricOf(sweep, mine, [d]), target ?? null, alpha));
    }
    if (datasets.length > 1) {
      const pooled = new Map<string, Pairs[]>();
      for (const label of flips.keys()) pooled.set(label, datasets.flatMap((d) => perDataset.get(d)!.get(label) ?? []));
      const anyTarget = datasets.some((d) => sweep.targets[d] !== undefined);
      scopes.push(scopeOf(POOLED, datasets, base, flips, pooled, metricOf(sweep, mine, datasets), anyTarget ? null : undefined, alpha));
    }
  }
  return { optimizers: [...new Set(cells.map((c) => c.optimizer))], bases, alpha, scopes, notes: sweep.ablationNotes };
}

/** The data sets' primary metric, when they share one. */
function metricOf(sweep: Pick<LoadedSweep, 'results'>, cells: readonly CellRecord[], datasets: readonly string[]): MetricName | null {
  const metrics = new Set(cells.filter((c) => datasets.includes(c.dataset)).flatMap((c) => (sweep.results.has(c.cell) ? [sweep.results.get(c.cell)!.metric] : [])));
  return metrics.size === 1 ? [...metrics][0]! : metrics.size === 0 ? 'accuracy' : null;
}

/**
 * One scope's rows: every flip's pairs (one list per data set, pooled when several), tested,
 * Holm-corrected over the scope, ranked by |Δ|. `target`: the data set's (a number), pooled over
 * data sets with targets (null), or none (undefined).
 */
function scopeOf(scope: string, datasets: readonly string[], base: string, flips: ReadonlyMap<string, CellRecord>, pairs: ReadonlyMap<string, readonly Pairs[]>, metric: MetricName | null, target: number | null | undefined, alpha: number): AblationScope {
  const pending = [...pairs].flatMap(([label, lists]) => {
    if (lists.length === 0) return [];
    const a = flips.get(label)!.ablation!;
    const test = comparePaired(lists.flatMap((p) => p.flip), lists.flatMap((p) => p.base), BOOTSTRAP_SEED);
    const value = a.value ?? null;
    const flip = value === null ? a.component! : `${value ? '+' : OFF_SIGN}${a.component}`;
    return [{ label, component: a.component!, kind: a.kind ?? null, value, flip, test, timeToTarget: target === undefined ? null : timeDelta(lists.flatMap((p) => p.seconds), target) }];
  });
  const w = holm(pending.map((r) => r.test.wilcoxon?.p ?? null));
  const t = holm(pending.map((r) => r.test.t?.p ?? null));
  const size = (x: number) => (Number.isFinite(x) ? Math.abs(x) : -1);
  const rows: AblationRow[] = pending
    .map((r, i) => ({ ...r, wilcoxonHolm: w[i] ?? null, tHolm: t[i] ?? null, effect: pairedVerdict(r.test, w[i] ?? null, alpha, 'helps' as const, 'hurts' as const), rank: 0 }))
    .sort((a, b) => size(b.test.meanDiff) - size(a.test.meanDiff))
    .map((r, i) => ({ ...r, rank: i + 1 }));
  const pp = (r: AblationRow) => `${r.flip} (${r.test.meanDiff > 0 ? '+' : ''}${(r.test.meanDiff * 100).toFixed(2)} pp)`;
  const hurts = rows.filter((r) => r.effect === 'hurts').map(pp);
  const helps = rows.filter((r) => r.effect === 'helps').map(pp);
  const what = metric ? `the final ${metricTitle(metric)}` : 'the final primary metric';
  const floor = smallestHolmP(rows.map((r) => r.test));
  const blind = rows.length > 0 && (floor === null || floor > alpha) ? `; with these pairs no flip could have come out significant (smallest possible Holm-corrected p: ${floor === null ? 'no test ran' : +floor.toPrecision(2)})` : '';
  const sentence =
    `${scopeTitle(scope)} (base ${base}): flips that significantly lower ${what}: ${hurts.join(', ') || 'none'}; that significantly raise it: ${helps.join(', ') || 'none'} ` +
    `(Wilcoxon signed-rank, Holm-corrected over the ${rows.filter((r) => r.test.wilcoxon).length} flips that could be tested, α = ${alpha})${blind}.`;
  return { scope, datasets, base, metric, rows, hurts, helps, sentence };
}

function timeDelta(pairs: ReadonlyArray<{ flip: number | null; base: number | null }>, target: number | null): TimeToTargetDelta {
  const both = pairs.filter((p) => p.flip !== null && p.base !== null).map((p) => p.flip! - p.base!);
  return {
    unit: 'seconds',
    target,
    pairs: pairs.length,
    bothReached: both.length,
    onlyBase: pairs.filter((p) => p.flip === null && p.base !== null).length,
    onlyFlip: pairs.filter((p) => p.flip !== null && p.base === null).length,
    neither: pairs.filter((p) => p.flip === null && p.base === null).length,
    meanDiff: both.length ? both.reduce((a, b) => a + b, 0) / both.length : null,
    interval: bootstrapMeanInterval(both, { seed: BOOTSTRAP_SEED }),
  };
}
