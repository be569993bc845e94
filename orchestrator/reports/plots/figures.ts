import { OPTIMIZERS } from '../../../worker/engine/catalog.js';
import { metricTitle, type MetricName } from '../../../shared/metrics.js';
import { metricOf, type GroupSummary, type ReportModel } from '../aggregate.js';
import type { CellDigest, StepSeries } from '../digest.js';
import type { LoadedSweep } from '../load.js';
import { scoreTimeCurve, epochCurve, stepCurve, type CurveRow } from './curves.js';
import { curvePanel, type SeriesStyle } from './panels.js';
import { controllerPaths, qTableHeatmap } from './controller.js';
import { forestPlot } from './forest.js';
import { profilePlot } from './profile.js';
import { shownGroups } from './select.js';
import { colourScale, CONFIG, dashScale, datasetTitle } from './theme.js';

/** A plot to render: vega-lite spec plus what the report says about it. */
export interface PlotSpec {
  /** File name without extension, under plots/. */
  readonly name: string;
  readonly dataset: string | null;
  /** A plot of the Ablation section (forest plots): the base and scope it shows. */
  readonly ablation?: { readonly base: string; readonly scope: string };
  readonly title: string;
  readonly caption: string;
  readonly spec: Record<string, unknown>;
}

/** One fixed stream for every band: same folder, same figure. */
const CURVE_SEED = 'grn-report-curves';

const BAND_NOTE = 'Lines and dots: mean over seeds; bands and bars: 95 % percentile-bootstrap interval of that mean (seeds resampled).';

/** Each group's digests in seed order (the order of GroupSummary.seeds), by one pass over the cells. */
function runIndex(sweep: LoadedSweep): (g: GroupSummary) => CellDigest[] {
  const byGroup = new Map<string, Array<[number, CellDigest]>>();
  for (const c of sweep.cells) {
    const d = sweep.results.get(c.cell);
    if (!d) continue;
    const key = `${c.dataset}\u0000${c.label}`;
    (byGroup.get(key) ?? byGroup.set(key, []).get(key)!).push([c.seed, d]);
  }
  return (g) => (byGroup.get(`${g.dataset}\u0000${g.label}`) ?? []).sort((a, b) => a[0] - b[0]).map(([, d]) => d);
}

const seedCount = (groups: readonly GroupSummary[]) => {
  const n = groups.map((g) => g.seeds.length);
  return Math.min(...n) === Math.max(...n) ? `${n[0]} seeds` : `${Math.min(...n)}–${Math.max(...n)} seeds`;
};

/**
 * Every plot of the report, in the order the report shows them; a generator, so the caller can
 * hand each to a render thread while the next one's data is still being computed here.
 */
export function* planFigures(sweep: LoadedSweep, model: ReportModel): Generator<PlotSpec> {
  const runsOf = runIndex(sweep);
  for (const dataset of model.datasets) {
    const groups = model.groups.filter((g) => g.dataset === dataset);
    const baseline = model.baselineOf[dataset] ?? null;
    const { shown, note } = shownGroups(groups, baseline);
    if (shown.length === 0) continue;
    const style: SeriesStyle = { series: shown.map((g) => g.label), baseline };
    const runs = new Map(shown.map((g) => [g, runsOf(g)]));
    const name = datasetTitle(dataset);
    const seedText = seedCount(shown);
    const metric = metricOf(model, dataset);
    yield trainingFigure(dataset, name, metric, shown, runs, style, seedText, note);
    yield scoreTimeFigure(dataset, name, metric, shown, runs, style, seedText, model.sweep.targets[dataset], note);
    const enhanced = shown.filter((g) => OPTIMIZERS.find(g.optimizer)?.steered);
    if (enhanced.length) {
      yield controllerPaths(dataset, name, enhanced.slice(0, 4), runs, style);
      const heat = qTableHeatmap(dataset, name, enhanced.slice(0, 2), runs);
      if (heat) yield heat;
    }
  }
  for (const scope of model.ablation?.scopes ?? []) if (scope.rows.some((r) => Number.isFinite(r.test.meanDiff))) yield forestPlot(model.ablation!, scope);
  if (model.profile && model.profile.workloads.length > 0) yield profilePlot(model);
}

function stepPanel(shown: readonly GroupSummary[], runs: Map<GroupSummary, CellDigest[]>, key: StepSeries, dataset: string): CurveRow[] {
  return shown.flatMap((g) => stepCurve(g.label, runs.get(g)!, key, CURVE_SEED));
}

function trainingFigure(
  dataset: string,
  name: string,
  metric: MetricName,
  shown: readonly GroupSummary[],
  runs: Map<GroupSummary, CellDigest[]>,
  style: SeriesStyle,
  seedText: string,
  note: string | null,
): PlotSpec {
  const epochPanel = (key: string, pick: (d: CellDigest) => readonly number[], scale = 1) =>
    shown.flatMap((g) => epochCurve(g.label, runs.get(g)!, pick, CURVE_SEED)).map((r) => ({ ...r, mean: r.mean * scale, lo: r.lo * scale, hi: r.hi * scale }));
  const useVram = shown.some((g) => runs.get(g)!.some((d) => d.vramMb.some((v) => v > 0)));
  const binWidth = Math.max(...shown.flatMap((g) => runs.get(g)!.map((d) => d.binWidth)));
  const lr = stepPanel(shown, runs, 'learning_rate', dataset);
  const lrRange = lr.length ? Math.max(...lr.map((r) => r.hi)) / Math.max(1e-30, Math.min(...lr.map((r) => r.lo))) : 1;
  const panels = [
    curvePanel(style, { title: 'Training loss (per batch)', yTitle: 'cross-entropy', kind: 'step', rows: stepPanel(shown, runs, 'batch_loss', dataset) }),
    curvePanel(style, { title: `Test ${metricTitle(metric)} (after each epoch)`, yTitle: `${metricTitle(metric)} (%)`, kind: 'epoch', rows: epochPanel(metric, (d) => d.score, 100) }),
    curvePanel(style, { title: 'Learning rate (effective)', yTitle: 'learning rate', kind: 'step', rows: lr, log: lrRange > 5 }),
    curvePanel(style, { title: 'Gradient variance', yTitle: 'variance (log scale)', kind: 'step', rows: stepPanel(shown, runs, 'gradient_variance', dataset), log: true }),
    curvePanel(style, { title: 'Gradient entropy', yTitle: 'entropy (nats)', kind: 'step', rows: stepPanel(shown, runs, 'entropy', dataset) }),
    curvePanel(style, { title: 'mix_prob (EnhancedSGD controller)', yTitle: 'probability', kind: 'step', rows: stepPanel(shown, runs, 'mix_prob', dataset), empty: 'no data: EnhancedSGD only', domain: [0, 1] }),
    curvePanel(style, { title: 'Epoch time (training only)', yTitle: 'seconds', kind: 'epoch', rows: epochPanel('epoch_time', (d) => d.epochTime) }),
    curvePanel(style, {
      title: useVram ? 'GPU memory (end of epoch)' : 'Process memory (end of epoch)',
      yTitle: useVram ? 'VRAM (MB)' : 'RAM, resident (MB)',
      kind: 'epoch',
      rows: epochPanel('memory', (d) => (useVram ? d.vramMb : d.ramMb)),
    }),
  ];
  const subtitle = [`${seedText} per optimizer. ${BAND_NOTE}`, `Per-batch curves: ${binWidth > 1 ? `means of ${binWidth} steps per point` : 'one point per step'}; gradient variance is EnhancedSGD's EMA, the raw variance for the others.`];
  if (note) subtitle.push(note);
  return {
    name: `${dataset}-training`,
    dataset,
    title: `${name}: training curves`,
    caption: `The original's 4×2 figure for ${name}, ${seedText}. ${BAND_NOTE}${note ? ` ${note}.` : ''}`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: { text: `${name}: training curves by optimizer`, subtitle },
      config: CONFIG,
      columns: 2,
      concat: panels,
      resolve: { scale: { color: 'shared', strokeDash: 'shared', x: 'independent', y: 'independent' } },
    },
  };
}

function scoreTimeFigure(
  dataset: string,
  name: string,
  metric: MetricName,
  shown: readonly GroupSummary[],
  runs: Map<GroupSummary, CellDigest[]>,
  style: SeriesStyle,
  seedText: string,
  target: number | undefined,
  note: string | null,
): PlotSpec {
  const rows = shown.flatMap((g) => scoreTimeCurve(g.label, runs.get(g)!, CURVE_SEED)).map((r) => ({ ...r, mean: r.mean * 100, lo: r.lo * 100, hi: r.hi * 100 }));
  const colour = { field: 'series', type: 'nominal', title: null, scale: colourScale(style.series, style.baseline), sort: style.series };
  const title = metricTitle(metric);
  const y = { type: 'quantitative', title: `test ${title} (%)`, scale: { zero: false } };
  const x = { field: 'seconds', type: 'quantitative', title: 'training time (s, mean over seeds; evaluation excluded)', scale: { zero: true } };
  const layers: Record<string, unknown>[] = [
    { mark: { type: 'rule', strokeWidth: 2, opacity: 0.7 }, encoding: { x, y: { field: 'lo', ...y }, y2: { field: 'hi' }, color: colour } },
    { mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y: { field: 'mean', ...y }, color: colour, strokeDash: { field: 'series', type: 'nominal', title: null, scale: dashScale(style.series), sort: style.series } } },
    { mark: { type: 'point', filled: true, size: 60 }, encoding: { x, y: { field: 'mean', ...y }, color: colour, tooltip: [{ field: 'series' }, { field: 'x', title: 'epoch' }, { field: 'seconds', format: '.1f' }, { field: 'mean', title: `${title} %`, format: '.2f' }] } },
  ];
  if (target !== undefined) {
    layers.push(
      { data: { values: [{ t: target * 100 }] }, mark: { type: 'rule', strokeDash: [5, 4], color: '#555' }, encoding: { y: { field: 't', type: 'quantitative' } } },
      { data: { values: [{ t: target * 100, label: `target ${+(target * 100).toFixed(2)} %` }] }, mark: { type: 'text', align: 'left', dx: 4, dy: -7, color: '#333', fontSize: 11 }, encoding: { y: { field: 't', type: 'quantitative' }, x: { value: 0 }, text: { field: 'label' } } },
    );
  }
  return {
    name: `${dataset}-${metric}-vs-time`,
    dataset,
    title: `${name}: test ${title} vs training time`,
    caption: `Test ${title} after each epoch against cumulative training time, ${seedText}; dots at epoch ends, bars: 95 % bootstrap interval of the mean ${title}${target !== undefined ? `; dashed: the spec's target` : ''}.${note ? ` ${note}.` : ''}`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: { text: `${name}: test ${title} vs training time`, subtitle: `${seedText} per optimizer; bars: 95 % bootstrap interval of the mean` },
      config: CONFIG,
      width: 560,
      height: 320,
      data: { values: rows },
      layer: layers,
    },
  };
}
