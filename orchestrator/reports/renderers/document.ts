import { OPTIMIZERS } from '../../../worker/engine/catalog.js';
import { ablationBlocks } from '../ablation/section.js';
import type { GradcamGrid, ReportModel } from '../aggregate.js';
import { memoryBlocks } from '../memory/section.js';
import type { PlotSpec } from '../plots/figures.js';
import type { PlotFiles } from '../plots/render.js';
import { datasetTitle } from '../plots/theme.js';
import { tuningBlocks } from '../tuning/section.js';
import { comparisonTable, headlines, missingTable, profileTable, resultsTable, targetTable, type Table } from './sections.js';

export interface RenderedPlot {
  readonly plot: PlotSpec;
  readonly files: PlotFiles;
}

/** The report as an outline (headings, paragraphs, tables, plots) that md and html lay out. */
export type Block =
  | { readonly kind: 'heading'; readonly level: number; readonly text: string }
  | { readonly kind: 'paragraph'; readonly text: string }
  | { readonly kind: 'list'; readonly items: readonly string[] }
  | { readonly kind: 'table'; readonly table: Table }
  | { readonly kind: 'plot'; readonly plot: RenderedPlot }
  | { readonly kind: 'images'; readonly grid: GradcamGrid };

export function outline(model: ReportModel, plots: readonly RenderedPlot[]): Block[] {
  const s = model.sweep;
  const blocks: Block[] = [{ kind: 'heading', level: 1, text: `Sweep report: ${s.name}` }];
  if (s.description) blocks.push({ kind: 'paragraph', text: s.description });
  const reported = `${model.cells.reported} of ${model.cells.planned} cells have results`;
  blocks.push({
    kind: 'list',
    items: [
      `Sweep ${s.id}, status ${s.status}: ${reported}${model.missing.length ? ` (${model.missing.length} missing or failed, listed at the end)` : ''}.`,
      ...(s.startedAt ? [`Started ${s.startedAt}${s.endedAt ? `, ended ${s.endedAt}` : ', not ended'}.`] : []),
      ...(s.backends.length ? [`Backends: ${s.backends.join('; ')}.`] : []),
      `Baseline: ${model.baseline}. Data sets: ${model.datasets.map(datasetTitle).join(', ') || 'none'}.`,
    ],
  });
  if (s.warnings.length) blocks.push({ kind: 'paragraph', text: 'Warnings:' }, { kind: 'list', items: s.warnings });
  blocks.push({ kind: 'heading', level: 2, text: 'Summary' }, { kind: 'list', items: headlines(model) });
  if (model.tuning) blocks.push(...tuningBlocks(model.tuning));

  for (const d of model.datasets) {
    blocks.push({ kind: 'heading', level: 2, text: datasetTitle(d) });
    blocks.push({ kind: 'table', table: resultsTable(model, d) });
    const cmp = comparisonTable(model, d);
    if (cmp) blocks.push({ kind: 'table', table: cmp });
    else blocks.push({ kind: 'paragraph', text: `No paired comparison: the baseline '${model.baseline}' has no results on ${datasetTitle(d)}.` });
    const ttt = targetTable(model, d);
    if (ttt) blocks.push({ kind: 'table', table: ttt });
    for (const p of plots.filter((p) => p.plot.dataset === d && !p.plot.ablation)) blocks.push({ kind: 'plot', plot: p });
    const cam = model.gradcam.find((g) => g.dataset === d);
    if (cam) {
      blocks.push(
        { kind: 'heading', level: 3, text: `Grad-CAM: ${datasetTitle(d)}` },
        {
          kind: 'paragraph',
          text: `Heatmaps of layer \`${cam.layer}\` for the predicted class of the same ${cam.samples.length} test samples under every optimizer (seed ${cam.seed}), blended 0.4 heatmap / 0.6 image in the JET colour map (red: most weight). Columns: test sample index (true class); each image says the class predicted.`,
        },
        { kind: 'images', grid: cam },
      );
    }
  }
  blocks.push(...memoryBlocks(model), ...ablationBlocks(model, plots));
  const profile = profileTable(model);
  if (profile) {
    blocks.push({ kind: 'heading', level: 2, text: 'Across data sets' }, { kind: 'table', table: profile });
    for (const p of plots.filter((p) => p.plot.dataset === null && !p.plot.ablation)) blocks.push({ kind: 'plot', plot: p });
  }
  if (model.missing.length) blocks.push({ kind: 'heading', level: 2, text: 'Missing and failed cells' }, { kind: 'table', table: missingTable(model.missing) });
  blocks.push({ kind: 'heading', level: 2, text: 'Method' }, { kind: 'list', items: methodNotes(model) });
  return blocks;
}

export function methodNotes(model: ReportModel): string[] {
  return [
    'Each cell is one training of one optimizer variant on one data set with one seed; the seed fixes initial weights, data order and optimizer noise, so seeds pair runs across optimizers.',
    'Final metrics are those after the last epoch. Intervals are percentile bootstrap intervals of the mean over seeds (4000 resamples from a fixed random seed, so the same folder gives the same report). Percentile rather than BCa: with a handful of seeds the BCa acceleration estimate is itself noise.',
    `Paired tests against the baseline use the seeds both finished: Wilcoxon signed-rank (exact up to 50 pairs without ties or zeros, otherwise normal approximation with tie and continuity corrections) and paired t-test, both two-sided, each Holm-corrected across all comparisons of the report; the verdict uses the Wilcoxon test at α = ${model.alpha}. With fewer than 6 pairs the Wilcoxon test cannot reach p < 0.05; such rows say "too few seeds".`,
    "Baseline on each data set: the variant labelled exactly as --baseline, else that optimizer's variant with the highest mean of the data set's primary metric (accuracy; mIoU for segmentation).",
    'Time to target: training seconds (sum of epoch times, evaluation excluded) until the first epoch at or above the spec’s target for the data set’s primary metric; median over seeds with misses counted as infinitely slow. Performance profile and score as in AlgoPerf (Dahl et al. 2023) with τ_max = 4, per optimizer using its fastest variant on each data set.',
    ...steeredNotes(model),
    ...(model.tuning ? ['Learning rates were tuned first (see Tuning): the results and comparisons are of the grid’s runs with the chosen learning rates, judged on the test split; the tuning runs, judged on the validation split, are not among them.'] : []),
    'Telemetry: per-step series are averaged into at most 120 bins per run before averaging over seeds. TensorBoard event files of every run are under tensorboard/ (`tensorboard --logdir tensorboard`).',
    'Memory: read at the end of every epoch (results record no per-step memory). Per run: peak RSS, peak VRAM (GPU runs), peak tensor memory, and the drift of RSS and tensor memory as the least-squares slope over epochs (MB/epoch); compared with the baseline by the same paired tests, Holm-corrected over all memory comparisons of the report.',
    ...(model.ablation
      ? ['Ablation: each one-switch variant against its base, paired by seed; per data set and pooled over data sets (pairs of all data sets together), Holm-corrected over the flips of each; ranked by |Δ final primary metric|; Δ time to target in training seconds over the pairs where both reached the target.']
      : []),
  ];
}

/**
 * For an optimizer with switches in the report (EnhancedSGD): which of its corrections of the
 * original are the reference spec's and which are ours, as its catalog states them, so a reader
 * of the `intended` rows knows what was changed beyond the spec.
 */
function steeredNotes(model: ReportModel): string[] {
  const names = [...new Set(model.groups.map((g) => g.optimizer))];
  return names.flatMap((name) => {
    const switches = OPTIMIZERS.find(name)?.switches?.switches;
    const corrections = switches?.filter((s) => s.kind === 'correction') ?? [];
    if (!corrections.length) return [];
    const list = (xs: typeof corrections) => xs.map((s) => `\`${s.name}\``).join(', ');
    const ours = corrections.filter((s) => s.beyondSpec);
    const spec = corrections.filter((s) => !s.beyondSpec);
    return [
      `${name}: its corrections of the original's quirks (on in \`intended\`, off as written) are the reference spec's (${list(spec)})${ours.length ? ` and ${ours.length} of ours beyond the spec (${list(ours)})` : ''}; each is a switch, so an ablation measures it.`,
    ];
  });
}
