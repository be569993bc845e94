import type { ReportModel } from '../aggregate.js';

/** RFC 4180: quote a field holding a comma, quote or line break; double inner quotes. */
export const field = (v: unknown): string => {
  if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) return '';
  const s = typeof v === 'number' && !Number.isFinite(v) ? (v > 0 ? 'inf' : '-inf') : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};

export const CSV_COLUMNS = [
  'dataset', 'label', 'optimizer', 'seeds', 'planned', 'missing', 'failed', 'diverged',
  'metric', 'score_mean', 'score_ci_lo', 'score_ci_hi', 'score_sd', 'score_best', 'best_seed', 'score_worst', 'worst_seed',
  'test_loss_mean', 'test_loss_ci_lo', 'test_loss_ci_hi', 'train_loss_mean',
  'epoch_time_s', 'samples_per_s', 'peak_vram_mb', 'peak_ram_mb',
  'target', 'target_reached', 'target_runs', 'target_median_epochs', 'target_median_s',
  'baseline', 'pairs', 'diff_mean', 'diff_ci_lo', 'diff_ci_hi',
  'wilcoxon_v', 'wilcoxon_method', 'wilcoxon_p', 'wilcoxon_p_holm', 't', 't_df', 't_p', 't_p_holm', 'cohen_dz', 'rank_biserial', 'verdict',
] as const;

/**
 * report.csv: one row per data set × optimizer variant, the aggregate numbers and the comparison
 * with the baseline, in plain units (the data set's primary metric — `metric`: accuracy, or mIoU for segmentation — as
 * a fraction in the score_* columns, seconds, MB). Empty: not applicable;
 * `inf`: target never reached.
 */
export function renderCsv(model: ReportModel): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const g of model.groups) {
    const c = model.comparisons.find((x) => x.dataset === g.dataset && x.label === g.label);
    const t = g.timeToTarget;
    const row = [
      g.dataset, g.label, g.optimizer, g.seeds.length, g.planned, g.missing, g.failed, g.diverged,
      g.metric, g.score.mean, g.score.ci?.lo, g.score.ci?.hi, g.score.sd, g.best?.score, g.best?.seed, g.worst?.score, g.worst?.seed,
      g.testLoss.mean, g.testLoss.ci?.lo, g.testLoss.ci?.hi, g.trainLoss.mean,
      g.epochTime, g.samplesPerS, g.peakVramMb, g.peakRamMb,
      t?.target, t?.reached, t?.runs, t?.medianEpochs, t?.medianSeconds,
      model.baselineOf[g.dataset] ?? null, c?.test.n, c?.test.meanDiff, c?.test.diffInterval?.lo, c?.test.diffInterval?.hi,
      c?.test.wilcoxon?.statistic, c?.test.wilcoxon?.method, c?.test.wilcoxon?.p, c?.wilcoxonHolm, c?.test.t?.t, c?.test.t?.df, c?.test.t?.p, c?.tHolm, c?.test.dz, c?.test.rankBiserial, c?.verdict ?? (model.baselineOf[g.dataset] === g.label ? 'baseline' : null),
    ];
    lines.push(row.map(field).join(','));
  }
  return `${lines.join('\n')}\n`;
}
