import type { GroupSummary } from '../aggregate.js';
import type { CellDigest } from '../digest.js';
import { datasetTitle } from '../plots/theme.js';
import { comparePaired, holm, type PairedComparison } from '../statistics/paired.js';
import { leastSquaresSlope } from '../statistics/slope.js';
import { BOOTSTRAP_SEED, summarise, type MetricSummary } from '../statistics/summary.js';
import { pairedVerdict, smallestHolmP, type PairedVerdict } from '../statistics/verdict.js';

/**
 * Memory stability (the original's claim that EnhancedSGD "improves memory stability"), from the
 * readings a result has once per epoch (shared/result.ts: `memory_usage` [VRAM, RSS] and
 * `tensor_memory_mb`, taken at each epoch's end; nothing is recorded per step). Per run: peak RSS,
 * peak VRAM where a GPU was used, the peak of the bytes TensorFlow.js tensors hold, and the drift
 * of RSS and of tensor memory — the least-squares slope over epochs, in MB per epoch (a leak
 * shows as a positive slope; one epoch has none). Per variant: each over its seeds (mean, 95 %
 * bootstrap interval, SD across seeds: the drift's variability); against the baseline, the same
 * paired Wilcoxon and t-tests as accuracy, Holm-corrected over every memory comparison.
 */

export const MEMORY_MEASURES = ['peak_ram_mb', 'ram_drift_mb_per_epoch', 'peak_vram_mb', 'peak_tensor_mb', 'tensor_drift_mb_per_epoch'] as const;
export type MemoryMeasure = (typeof MEMORY_MEASURES)[number];

/** The measures compared with the baseline (peak tensor memory is the model and optimizer state's size: shown, not tested). */
export const TESTED_MEASURES: readonly MemoryMeasure[] = ['peak_ram_mb', 'ram_drift_mb_per_epoch', 'peak_vram_mb', 'tensor_drift_mb_per_epoch'];

export const MEASURE_TITLES: Readonly<Record<MemoryMeasure, string>> = {
  peak_ram_mb: 'peak RAM (MB)',
  ram_drift_mb_per_epoch: 'RAM drift (MB/epoch)',
  peak_vram_mb: 'peak VRAM (MB)',
  peak_tensor_mb: 'peak tensor memory (MB)',
  tensor_drift_mb_per_epoch: 'tensor-memory drift (MB/epoch)',
};

export type RunMemory = Record<MemoryMeasure, number | null>;

const peak = (x: readonly number[]) => {
  const v = x.filter(Number.isFinite);
  return v.length ? Math.max(...v) : null;
};

/** One run's memory measures; null where the run has no reading (VRAM without a GPU, drift of one epoch). */
export function runMemory(d: Pick<CellDigest, 'ramMb' | 'vramMb' | 'tensorMb' | 'gpu'>): RunMemory {
  return {
    peak_ram_mb: peak(d.ramMb),
    ram_drift_mb_per_epoch: leastSquaresSlope(d.ramMb),
    peak_vram_mb: d.gpu ? peak(d.vramMb) : null,
    peak_tensor_mb: peak(d.tensorMb),
    tensor_drift_mb_per_epoch: leastSquaresSlope(d.tensorMb),
  };
}

export interface MemoryGroup {
  readonly dataset: string;
  readonly label: string;
  readonly optimizer: string;
  /** Seeds with memory readings. */
  readonly seeds: readonly number[];
  /** Most readings (epochs) of one of its runs. */
  readonly epochs: number;
  /** Whether its runs used a GPU. */
  readonly gpu: boolean;
  /** Each measure over the seeds that have it; null where none has (VRAM without a GPU, drift of one-epoch runs). */
  readonly measures: Readonly<Record<MemoryMeasure, MetricSummary | null>>;
}

export interface MemoryComparison {
  readonly dataset: string;
  readonly label: string;
  readonly baseline: string;
  readonly measure: MemoryMeasure;
  readonly seeds: readonly number[];
  /** Candidate − baseline, in the measure's unit. */
  readonly test: PairedComparison;
  /** Holm-adjusted Wilcoxon p over every memory comparison of the report. */
  readonly wilcoxonHolm: number | null;
  readonly verdict: PairedVerdict<'higher', 'lower'>;
}

export interface MemoryReport {
  /** Memory is read at each epoch's end; nothing per step. */
  readonly perStep: false;
  readonly groups: readonly MemoryGroup[];
  readonly comparisons: readonly MemoryComparison[];
  /** Plain sentences: whether any optimizer variant differs from the baseline, and in what. */
  readonly summary: readonly string[];
}

/**
 * The memory section: `groups` in report order, each group's runs by seed, and each data set's
 * baseline label (null: none there).
 */
export function memoryStability(
  groups: readonly GroupSummary[],
  runsOf: (g: GroupSummary) => ReadonlyMap<number, CellDigest>,
  baselineOf: Readonly<Record<string, string | null>>,
  alpha: number,
): MemoryReport {
  const perGroup = new Map<GroupSummary, Map<number, RunMemory>>();
  const out: MemoryGroup[] = [];
  for (const g of groups) {
    const runs = [...runsOf(g)].sort((a, b) => a[0] - b[0]);
    const memory = new Map(runs.map(([seed, d]) => [seed, runMemory(d)] as const));
    perGroup.set(g, memory);
    const measures = Object.fromEntries(
      MEMORY_MEASURES.map((m) => {
        const values = [...memory.values()].map((r) => r[m]).filter((v): v is number => v !== null);
        return [m, values.length ? summarise(values) : null];
      }),
    ) as Record<MemoryMeasure, MetricSummary | null>;
    out.push({
      dataset: g.dataset,
      label: g.label,
      optimizer: g.optimizer,
      seeds: runs.filter(([, d]) => d.ramMb.some(Number.isFinite)).map(([s]) => s),
      epochs: Math.max(0, ...runs.map(([, d]) => d.ramMb.length)),
      gpu: runs.some(([, d]) => d.gpu),
      measures,
    });
  }

  const pending: Array<Omit<MemoryComparison, 'wilcoxonHolm' | 'verdict'>> = [];
  for (const g of groups) {
    const base = groups.find((b) => b.dataset === g.dataset && b.label === baselineOf[g.dataset]);
    if (!base || base === g) continue;
    const mine = perGroup.get(g)!;
    const theirs = perGroup.get(base)!;
    for (const measure of TESTED_MEASURES) {
      const seeds = [...mine.keys()].filter((s) => mine.get(s)![measure] !== null && theirs.get(s)?.[measure] != null);
      if (!seeds.length) continue;
      const test = comparePaired(
        seeds.map((s) => mine.get(s)![measure]!),
        seeds.map((s) => theirs.get(s)![measure]!),
        BOOTSTRAP_SEED,
      );
      pending.push({ dataset: g.dataset, label: g.label, baseline: base.label, measure, seeds, test });
    }
  }
  const adjusted = holm(pending.map((c) => c.test.wilcoxon?.p ?? null));
  const comparisons = pending.map((c, i) => ({ ...c, wilcoxonHolm: adjusted[i] ?? null, verdict: pairedVerdict(c.test, adjusted[i] ?? null, alpha, 'higher' as const, 'lower' as const) }));
  return { perStep: false, groups: out, comparisons, summary: summaryOf(comparisons, baselineOf, alpha) };
}

/** Comparisons in the Holm family: those with a Wilcoxon p (not those identical on every seed, or with one pair). */
export const familySize = (comparisons: readonly { test: PairedComparison }[]) => comparisons.filter((c) => c.test.wilcoxon).length;

const amount = (c: MemoryComparison) => `${c.test.meanDiff > 0 ? '+' : ''}${+c.test.meanDiff.toFixed(c.measure.endsWith('per_epoch') ? 2 : 1)} ${c.measure.endsWith('per_epoch') ? 'MB/epoch' : 'MB'}`;

/** Whether any variant differs from the baseline in memory, said plainly. */
function summaryOf(comparisons: readonly MemoryComparison[], baselineOf: Readonly<Record<string, string | null>>, alpha: number): string[] {
  if (comparisons.length === 0) {
    const none = Object.values(baselineOf).every((b) => b === null);
    return [none ? 'No memory comparison: the baseline has no results on any data set.' : 'No memory comparison: no variant shares seeds with memory readings with the baseline.'];
  }
  const family = `Wilcoxon signed-rank, Holm-corrected over the ${familySize(comparisons)} memory comparisons that could be tested, α = ${alpha}`;
  const significant = comparisons.filter((c) => c.verdict === 'higher' || c.verdict === 'lower');
  if (significant.length === 0) {
    const floor = smallestHolmP(comparisons.map((c) => c.test));
    const blind = floor === null || floor > alpha ? `; but with these seeds no comparison could have come out significant (smallest possible Holm-corrected p: ${floor === null ? 'no test ran' : +floor.toPrecision(2)})` : '';
    return [`No optimizer variant differs significantly from the baseline in peak RAM, RAM drift, peak VRAM or tensor-memory drift on any data set (${family})${blind}.`];
  }
  const lines = significant.map((c) => `${c.label} vs ${c.baseline} on ${datasetTitle(c.dataset)}: ${c.verdict} ${MEASURE_TITLES[c.measure].replace(/ \(.*\)$/, '')} (${amount(c)})`);
  return [`Significant memory differences from the baseline (${family}): ${lines.join('; ')}.`, 'Every other variant and measure: no significant difference.'];
}
