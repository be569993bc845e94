import type { MetricName } from '../../shared/metrics.js';
import type { TuningRecord } from '../../shared/sweep/tuning/index.js';
import { ablationRanking, type AblationReport } from './ablation/ranking.js';
import type { CellDigest } from './digest.js';
import type { CellRecord, LoadedSweep, MissingCell } from './load.js';
import { memoryStability, type MemoryReport } from './memory/stability.js';
import { comparePaired, holm, type PairedComparison } from './statistics/paired.js';
import { performanceProfile, type Profile } from './statistics/performance-profile.js';
import { BOOTSTRAP_SEED, summarise as metric, type MetricSummary } from './statistics/summary.js';
import { summariseTimeToTarget, timeToTarget, type TargetSummary } from './statistics/time-to-target.js';

export { BOOTSTRAP_SEED, type MetricSummary };

/** One optimizer variant on one data set, over its seeds. */
export interface GroupSummary {
  readonly dataset: string;
  readonly label: string;
  readonly optimizer: string;
  /** Seeds with a readable result, ascending. */
  readonly seeds: readonly number[];
  readonly planned: number;
  /** Planned cells of this group without a result (failed, cancelled, not run, unreadable). */
  readonly missing: number;
  readonly failed: number;
  readonly diverged: number;
  /** The data set's primary metric (accuracy; mIoU for segmentation), which `score`, best and worst are of. */
  readonly metric: MetricName;
  /** Final-epoch primary metric (fraction), final test loss and final training loss (no interval: no table shows one). */
  readonly score: MetricSummary;
  /** Final-epoch primary metric on the validation split, over the seeds that have one (null: none has). */
  readonly validation: MetricSummary | null;
  readonly testLoss: MetricSummary;
  readonly trainLoss: MetricSummary;
  readonly best: { readonly seed: number; readonly score: number } | null;
  readonly worst: { readonly seed: number; readonly score: number } | null;
  /** Mean over seeds of each seed's mean epoch time (s) and throughput (samples/s). */
  readonly epochTime: number;
  readonly samplesPerS: number;
  /** Largest per-epoch reading over all seeds, MB. */
  readonly peakVramMb: number;
  readonly peakRamMb: number;
  readonly timeToTarget: TargetSummary | null;
}

export interface ComparisonRow {
  readonly dataset: string;
  readonly label: string;
  readonly baseline: string;
  readonly seeds: readonly number[];
  readonly test: PairedComparison;
  /** Holm-adjusted over every comparison in the report (one family per test). */
  readonly wilcoxonHolm: number | null;
  readonly tHolm: number | null;
  /** better / worse (Holm-adjusted Wilcoxon p < alpha), no difference, or too few seeds. */
  readonly verdict: 'better' | 'worse' | 'no significant difference' | 'too few seeds' | 'no test';
}

/**
 * A data set's Grad-CAM images laid out optimizer variant × sample, all from one seed (the lowest
 * with images), so each column is the same test image under every optimizer.
 */
export interface GradcamGrid {
  readonly dataset: string;
  readonly layer: string;
  readonly seed: number;
  /** The columns: test index and true class (null for segmentation). */
  readonly samples: ReadonlyArray<{ readonly index: number; readonly label: number | null }>;
  /** One row per variant, in report order; an image is null where that cell has none on disk. */
  readonly rows: ReadonlyArray<{ readonly label: string; readonly images: ReadonlyArray<{ readonly path: string; readonly predicted: number } | null> }>;
}

export interface ReportModel {
  readonly sweep: Pick<LoadedSweep, 'dir' | 'id' | 'name' | 'status' | 'description' | 'startedAt' | 'endedAt' | 'targets' | 'backends' | 'warnings'>;
  readonly baseline: string;
  readonly alpha: number;
  readonly datasets: readonly string[];
  readonly groups: readonly GroupSummary[];
  readonly comparisons: readonly ComparisonRow[];
  /** Baseline variant used on each data set (null: the baseline optimizer is not there). */
  readonly baselineOf: Readonly<Record<string, string | null>>;
  readonly profile: (Profile & { readonly submissions: readonly string[]; readonly workloads: readonly string[]; readonly times: number[][] }) | null;
  readonly cells: { readonly planned: number; readonly reported: number };
  readonly missing: readonly MissingCell[];
  /** Per data set with Grad-CAM images. */
  readonly gradcam: readonly GradcamGrid[];
  /** What a tuned sweep's tuning stage tried and chose (its tuning.json), else null. */
  readonly tuning: TuningRecord | null;
  /** Peak memory and drift per variant, compared with the baseline (memory/stability.ts). */
  readonly memory: MemoryReport;
  /** The components ranked, only when the results have ablation cells (ablation/ranking.ts). */
  readonly ablation?: AblationReport;
}

export interface AggregateOptions {
  /** Label (`adam[lr=0.001]`) or optimizer name (`sgd`) of the baseline. */
  readonly baseline: string;
  readonly alpha?: number;
}

const last = (x: readonly number[]) => (x.length ? x[x.length - 1]! : Number.NaN);
const meanOf = (x: readonly number[]) => {
  const v = x.filter(Number.isFinite);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : Number.NaN;
};
const maxOf = (x: readonly number[]) => {
  const v = x.filter(Number.isFinite);
  return v.length ? Math.max(...v) : Number.NaN;
};

/** Groups in the spec's order: data set (first appearance), then optimizer variant. */
function groupCells(cells: readonly CellRecord[]): Map<string, CellRecord[]> {
  const groups = new Map<string, CellRecord[]>();
  const datasets = [...new Set(cells.map((c) => c.dataset))];
  for (const d of datasets) for (const c of cells) if (c.dataset === d) (groups.get(`${d}\u0000${c.label}`) ?? groups.set(`${d}\u0000${c.label}`, []).get(`${d}\u0000${c.label}`)!).push(c);
  return groups;
}

/**
 * The numbers of a report: per data set and variant the final metrics across seeds; paired tests
 * against the baseline over shared seeds with Holm's correction across the whole table; time to
 * the spec's target; the performance profile over data sets. Every bootstrap draws from one fixed
 * seed, so a report of the same folder is the same report.
 */
function gradcamGrid(dataset: string, groups: readonly GroupSummary[], runsOf: ReadonlyMap<GroupSummary, ReadonlyMap<number, CellDigest>>): GradcamGrid[] {
  const seeds = groups.flatMap((g) => [...runsOf.get(g)!].filter(([, d]) => d.gradcam?.images.length).map(([s]) => s));
  if (!seeds.length) return [];
  const seed = Math.min(...seeds);
  const first = groups.map((g) => runsOf.get(g)!.get(seed)?.gradcam).find((c) => c?.images.length)!;
  const samples = first.images.map((i) => ({ index: i.index, label: i.label }));
  const rows = groups.map((g) => {
    const images = runsOf.get(g)!.get(seed)?.gradcam?.images ?? [];
    return { label: g.label, images: samples.map((s) => {
      const i = images.find((x) => x.index === s.index);
      return i?.path ? { path: i.path, predicted: i.predicted } : null;
    }) };
  });
  return [{ dataset, layer: first.layer, seed, samples, rows }];
}

export function aggregate(sweep: LoadedSweep, options: AggregateOptions): ReportModel {
  const alpha = options.alpha ?? 0.05;
  const missingBy = new Map<string, MissingCell[]>();
  for (const m of sweep.missing) (missingBy.get(`${m.dataset}\u0000${m.label}`) ?? missingBy.set(`${m.dataset}\u0000${m.label}`, []).get(`${m.dataset}\u0000${m.label}`)!).push(m);

  const groups: GroupSummary[] = [];
  const runsOf = new Map<GroupSummary, Map<number, CellDigest>>();
  for (const [key, cells] of groupCells(sweep.cells)) {
    const [dataset, label] = key.split('\u0000') as [string, string];
    const runs = new Map<number, CellDigest>();
    for (const c of cells) {
      const d = sweep.results.get(c.cell);
      if (d) runs.set(c.seed, d);
    }
    const seeds = [...runs.keys()].sort((a, b) => a - b);
    const digests = seeds.map((s) => runs.get(s)!);
    const acc = digests.map((d) => last(d.score));
    let best: GroupSummary['best'] = null;
    let worst: GroupSummary['worst'] = null;
    seeds.forEach((seed, i) => {
      const a = acc[i]!;
      if (!Number.isFinite(a)) return;
      if (!best || a > best.score) best = { seed, score: a };
      if (!worst || a < worst.score) worst = { seed, score: a };
    });
    const target = sweep.targets[dataset];
    const missing = missingBy.get(key) ?? [];
    const g: GroupSummary = {
      dataset,
      label,
      optimizer: cells[0]!.optimizer,
      seeds,
      planned: cells.length,
      missing: missing.length,
      failed: missing.filter((m) => m.status === 'failed').length,
      diverged: digests.filter((d) => d.status === 'diverged').length,
      metric: digests[0]?.metric ?? 'accuracy',
      score: metric(acc),
      validation: digests.some((d) => d.validationScore) ? metric(digests.flatMap((d) => (d.validationScore ? [last(d.validationScore)] : [])), false) : null,
      testLoss: metric(digests.map((d) => last(d.testLoss))),
      trainLoss: metric(digests.map((d) => last(d.loss)), false),
      best,
      worst,
      epochTime: meanOf(digests.map((d) => meanOf(d.epochTime))),
      samplesPerS: meanOf(digests.map((d) => meanOf(d.samplesPerS))),
      peakVramMb: maxOf(digests.map((d) => maxOf(d.vramMb))),
      peakRamMb: maxOf(digests.map((d) => maxOf(d.ramMb))),
      timeToTarget: target === undefined ? null : summariseTimeToTarget(digests.map((d) => timeToTarget(d.score, d.epochTime, target)), target),
    };
    groups.push(g);
    runsOf.set(g, runs);
  }

  const datasets = [...new Set(groups.map((g) => g.dataset))];
  const gradcam = datasets.flatMap((d) => gradcamGrid(d, groups.filter((g) => g.dataset === d), runsOf));
  const baselineOf: Record<string, string | null> = {};
  const pending: Array<Omit<ComparisonRow, 'wilcoxonHolm' | 'tHolm' | 'verdict'>> = [];
  for (const dataset of datasets) {
    const here = groups.filter((g) => g.dataset === dataset);
    const base = pickBaseline(here, options.baseline);
    baselineOf[dataset] = base?.label ?? null;
    if (!base) continue;
    const baseRuns = runsOf.get(base)!;
    for (const g of here) {
      if (g === base) continue;
      const runs = runsOf.get(g)!;
      const seeds = g.seeds.filter((s) => baseRuns.has(s) && Number.isFinite(last(runs.get(s)!.score)) && Number.isFinite(last(baseRuns.get(s)!.score)));
      const test = comparePaired(
        seeds.map((s) => last(runs.get(s)!.score)),
        seeds.map((s) => last(baseRuns.get(s)!.score)),
        BOOTSTRAP_SEED,
      );
      pending.push({ dataset, label: g.label, baseline: base.label, seeds, test });
    }
  }
  const ablation = ablationRanking(sweep, alpha);
  const wHolm = holm(pending.map((c) => c.test.wilcoxon?.p ?? null));
  const tHolm = holm(pending.map((c) => c.test.t?.p ?? null));
  const comparisons: ComparisonRow[] = pending.map((c, i) => {
    const p = wHolm[i] ?? null;
    const verdict: ComparisonRow['verdict'] =
      p !== null && p < alpha ? (c.test.meanDiff > 0 ? 'better' : 'worse') : c.test.minWilcoxonP !== null && c.test.minWilcoxonP > alpha ? 'too few seeds' : p === null ? (c.test.n < 2 ? 'too few seeds' : 'no test') : 'no significant difference';
    return { ...c, wilcoxonHolm: p, tHolm: tHolm[i] ?? null, verdict };
  });

  return {
    sweep: {
      dir: sweep.dir,
      id: sweep.id,
      name: sweep.name,
      status: sweep.status,
      description: sweep.description,
      startedAt: sweep.startedAt,
      endedAt: sweep.endedAt,
      targets: sweep.targets,
      backends: sweep.backends,
      warnings: sweep.warnings,
    },
    baseline: options.baseline,
    alpha,
    datasets,
    groups,
    comparisons,
    baselineOf,
    profile: profileOf(groups, datasets),
    cells: { planned: sweep.cells.length, reported: sweep.results.size },
    missing: sweep.missing,
    gradcam,
    tuning: sweep.tuning,
    memory: memoryStability(groups, (g) => runsOf.get(g)!, baselineOf, alpha),
    ...(ablation ? { ablation } : {}),
  };
}

/** The primary metric of a data set's results (accuracy; mIoU for segmentation), for headings and captions. */
export function metricOf(model: Pick<ReportModel, 'groups'>, dataset: string): MetricName {
  return model.groups.find((g) => g.dataset === dataset)?.metric ?? 'accuracy';
}

/** The baseline on one data set: the variant with that exact label, else the best (mean primary metric) variant of that optimizer. */
export function pickBaseline(groups: readonly GroupSummary[], baseline: string): GroupSummary | null {
  // A comma list (`sgd,adam,adamw,rmsprop`): the best of those on this data set, the protocol's
  // "best-tuned baseline of each task" (docs/protocol-science.md).
  const names = baseline.split(',').map((n) => n.trim()).filter(Boolean);
  const candidates = names.map((name) => {
    const exact = groups.find((g) => g.label === name && g.seeds.length > 0);
    if (exact) return exact;
    return groups.filter((g) => g.optimizer === name && g.seeds.length > 0).sort(byMeanScore)[0];
  });
  return candidates.filter((g): g is GroupSummary => g !== undefined).sort(byMeanScore)[0] ?? null;
}

/** Highest mean primary metric first (a group without one last). */
const byMeanScore = (a: GroupSummary, b: GroupSummary) => (b.score.mean || -1) - (a.score.mean || -1);

/**
 * Performance profile by optimizer: an optimizer's time on a data set is the median
 * time-to-target (seconds) of its fastest variant there, i.e. the optimizer as tuned on that
 * workload. Data sets without a target are left out; null when none has one.
 */
function profileOf(groups: readonly GroupSummary[], datasets: readonly string[]): ReportModel['profile'] {
  const workloads = datasets.filter((d) => groups.some((g) => g.dataset === d && g.timeToTarget && g.seeds.length > 0));
  if (workloads.length === 0) return null;
  const submissions = [...new Set(groups.map((g) => g.optimizer))];
  const times = workloads.map((w) =>
    submissions.map((s) => {
      const mine = groups.filter((g) => g.dataset === w && g.optimizer === s && g.seeds.length > 0);
      return mine.length ? Math.min(...mine.map((g) => g.timeToTarget!.medianSeconds)) : Infinity;
    }),
  );
  return { ...performanceProfile({ submissions, workloads, times }), submissions, workloads, times };
}
