import { metricTitle } from '../../../shared/metrics.js';
import { metricOf, type ComparisonRow, type GroupSummary, type ReportModel } from '../aggregate.js';
import type { MissingCell } from '../load.js';
import { datasetTitle } from '../plots/theme.js';
import { DASH, fixed, interval, pct, pValue, seconds, sig, signed } from './format.js';

/**
 * The report's tables as plain rows of strings, built once and laid out by the Markdown, HTML and
 * LaTeX renderers, so the three cannot disagree. A table is a header, rows, and notes under it.
 */
export interface Table {
  readonly caption: string;
  readonly header: readonly string[];
  readonly rows: ReadonlyArray<readonly string[]>;
  readonly notes: readonly string[];
  /** Columns to right-align (numbers). */
  readonly numeric: readonly boolean[];
}

export const BOOTSTRAP_NOTE = '95 % intervals: percentile bootstrap of the mean over seeds (4000 resamples, fixed seed).';

export function resultsTable(model: ReportModel, dataset: string): Table {
  const groups = model.groups.filter((g) => g.dataset === dataset);
  const base = model.baselineOf[dataset];
  const anyVram = groups.some((g) => g.peakVramMb > 0);
  const title = metricTitle(metricOf(model, dataset));
  // Where runs held out a validation split, its final score beside the test split's.
  const anyValidation = groups.some((g) => g.validation);
  const header = ['optimizer', 'seeds', `${title} % (mean)`, '95 % CI', ...(anyValidation ? [`validation ${title} % (mean)`] : []), 'best (seed)', 'worst (seed)', 'test loss (mean)', '95 % CI', 'epoch time (s)', 'samples/s', anyVram ? 'peak VRAM (MB)' : 'peak RAM (MB)', 'missing'];
  const rows = groups.map((g) => [
    g.label === base ? `${g.label} (baseline)` : g.label,
    `${g.seeds.length}/${g.planned}`,
    pct(g.score.mean),
    interval(g.score.ci, pct),
    ...(anyValidation ? [g.validation ? pct(g.validation.mean) : DASH] : []),
    g.best ? `${pct(g.best.score)} (${g.best.seed})` : DASH,
    g.worst ? `${pct(g.worst.score)} (${g.worst.seed})` : DASH,
    sig(g.testLoss.mean),
    interval(g.testLoss.ci, (x) => sig(x)),
    fixed(g.epochTime, 2),
    fixed(g.samplesPerS, 0),
    fixed(anyVram ? g.peakVramMb : g.peakRamMb, 0),
    missingText(g),
  ]);
  const notes = [
    `Final-epoch test ${title} and test loss${anyValidation ? ` (and ${title} on the validation split held out of the training data)` : ''}. ${BOOTSTRAP_NOTE} One seed has no interval.`,
    ...(groups.some((g) => g.diverged) ? [`Diverged runs (non-finite loss) are included with the ${title} they reached; see the missing/diverged column.`] : []),
  ];
  return { caption: `${datasetTitle(dataset)}: final results by optimizer`, header, rows, notes, numeric: header.map((_, i) => i > 1 && i < header.length - 1) };
}

function missingText(g: GroupSummary): string {
  const parts = [];
  if (g.missing) parts.push(`${g.missing}${g.failed ? ` (${g.failed} failed)` : ''}`);
  if (g.diverged) parts.push(`${g.diverged} diverged`);
  return parts.join(', ') || '0';
}

export function comparisonTable(model: ReportModel, dataset: string): Table | null {
  const rows = model.comparisons.filter((c) => c.dataset === dataset);
  const base = model.baselineOf[dataset];
  if (!base) return null;
  const header = ['optimizer', 'pairs', `Δ ${metricTitle(metricOf(model, dataset))} (pp)`, '95 % CI', 'Wilcoxon V', 'p', 'p (Holm)', 't', 'p', 'p (Holm)', 'd_z', 'r (rank-biserial)', 'verdict'];
  const pp = (x: number) => fixed(x * 100, 2);
  const body = rows.map((c) => [
    c.label,
    String(c.test.n),
    signed(c.test.meanDiff, pp),
    interval(c.test.diffInterval, pp),
    c.test.wilcoxon ? `${c.test.wilcoxon.statistic}${c.test.wilcoxon.method === 'normal' ? '*' : ''}` : DASH,
    pValue(c.test.wilcoxon?.p),
    pValue(c.wilcoxonHolm),
    c.test.t ? fixed(c.test.t.t, 2) : DASH,
    pValue(c.test.t?.p),
    pValue(c.tHolm),
    c.test.dz === null ? DASH : fixed(c.test.dz, 2),
    c.test.rankBiserial === null ? DASH : fixed(c.test.rankBiserial, 2),
    verdictText(c),
  ]);
  const notes = [
    `Paired over the seeds both ${base} (baseline) and the optimizer finished: Δ = optimizer − baseline in percentage points. Two-sided tests; p (Holm): Holm-corrected over all ${model.comparisons.length} comparisons of this report. Verdict from the Holm-corrected Wilcoxon p at α = ${model.alpha}.`,
    'Wilcoxon signed-rank: exact for up to 50 pairs without ties or zero differences, else the normal approximation with tie and continuity corrections (marked *); zero differences dropped. d_z: mean difference ÷ its standard deviation. r: matched-pairs rank-biserial correlation (1: better on every seed).',
    ...[...new Set(rows.flatMap((c) => (c.test.note ? [c.test.note] : [])))].map((n) => `Note: ${n}.`),
  ];
  return { caption: `${datasetTitle(dataset)}: paired comparison with the baseline (${base})`, header, rows: body, notes, numeric: header.map((_, i) => i > 0 && i < 12) };
}

function verdictText(c: ComparisonRow): string {
  return c.verdict;
}

export function targetTable(model: ReportModel, dataset: string): Table | null {
  const target = model.sweep.targets[dataset];
  if (target === undefined) return null;
  const groups = model.groups.filter((g) => g.dataset === dataset && g.timeToTarget);
  const header = ['optimizer', 'reached', 'median epochs', 'median time (s)', 'fastest – slowest seed (s)'];
  const rows = groups.map((g) => {
    const t = g.timeToTarget!;
    return [
      g.label,
      `${t.reached}/${t.runs}`,
      t.medianEpochs === Infinity ? 'not reached' : fixed(t.medianEpochs, t.medianEpochs % 1 ? 1 : 0),
      seconds(t.medianSeconds),
      t.minSeconds === null ? DASH : `${seconds(t.minSeconds)} – ${seconds(t.maxSeconds)}`,
    ];
  });
  return {
    caption: `${datasetTitle(dataset)}: time to ${pct(target)} % test ${metricTitle(metricOf(model, dataset))}`,
    header,
    rows,
    notes: [`Time: training seconds up to the end of the first epoch whose test ${metricTitle(metricOf(model, dataset))} reached the target (evaluation excluded). Median over all seeds, a seed that never reached it counting as infinitely slow (so "not reached" when half or more missed).`],
    numeric: header.map((_, i) => i > 0),
  };
}

export function profileTable(model: ReportModel): Table | null {
  const p = model.profile;
  if (!p) return null;
  const header = ['optimizer', ...p.workloads.map(datasetTitle), 'score'];
  const rows = p.submissions.map((s, j) => [
    s,
    ...p.workloads.map((_, w) => {
      const t = p.times[w]![j]!;
      const r = p.ratios[w]![j]!;
      return Number.isFinite(t) ? `${seconds(t)} s (${fixed(r, 2)}×)` : 'not reached';
    }),
    fixed(p.curves[j]!.score, 3),
  ]);
  return {
    caption: 'Time to target across data sets (performance profile)',
    header,
    rows,
    notes: [`Per data set: median time to the target of the optimizer's fastest variant, and its ratio to the fastest optimizer. Score: AlgoPerf's normalised area under the performance profile over τ ∈ [1, ${p.tauMax}] (1: fastest everywhere, 0: never within ${p.tauMax}× of the fastest).`],
    numeric: header.map((_, i) => i > 0),
  };
}

/** At most this many missing cells are listed in md/html; report.json and report.csv have all. */
export const MISSING_LISTED = 200;

export function missingTable(missing: readonly MissingCell[]): Table {
  const header = ['cell', 'optimizer', 'data set', 'seed', 'status', 'reason'];
  const rows = missing.slice(0, MISSING_LISTED).map((m) => [m.cell, m.label, datasetTitle(m.dataset), String(m.seed), m.status, m.reason]);
  const notes = missing.length > MISSING_LISTED ? [`… and ${missing.length - MISSING_LISTED} more: see report.json (missing).`] : [];
  return { caption: `Missing and failed cells (${missing.length})`, header, rows, notes, numeric: header.map((_, i) => i === 3) };
}

/** One-line takeaways per data set, for the top of the report. */
export function headlines(model: ReportModel): string[] {
  const lines: string[] = [];
  for (const d of model.datasets) {
    const groups = model.groups.filter((g) => g.dataset === d && g.seeds.length);
    if (!groups.length) {
      lines.push(`${datasetTitle(d)}: no results yet.`);
      continue;
    }
    const best = [...groups].sort((a, b) => (b.score.mean || 0) - (a.score.mean || 0))[0]!;
    const comps = model.comparisons.filter((c) => c.dataset === d);
    const better = comps.filter((c) => c.verdict === 'better').map((c) => c.label);
    const worse = comps.filter((c) => c.verdict === 'worse').map((c) => c.label);
    const few = comps.filter((c) => c.verdict === 'too few seeds').length;
    let text = `${datasetTitle(d)}: highest mean ${metricTitle(best.metric)} ${best.label} ${pct(best.score.mean)} % ${interval(best.score.ci, pct)} over ${best.seeds.length} seed${best.seeds.length > 1 ? 's' : ''}`;
    const base = model.baselineOf[d];
    if (base) {
      text += better.length ? `; significantly better than ${base}: ${better.join(', ')}` : `; none significantly better than ${base}`;
      if (worse.length) text += `; significantly worse: ${worse.join(', ')}`;
      if (few) text += ` (${few} comparison${few > 1 ? 's' : ''} with too few seeds to tell)`;
    } else text += `; baseline '${model.baseline}' not run on this data set`;
    lines.push(`${text}.`);
  }
  return lines;
}
