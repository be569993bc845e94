import { metricTitle } from '../../../shared/metrics.js';
import { POOLED, scopeTitle, type AblationReport, type AblationScope } from '../ablation/ranking.js';
import type { PlotSpec } from './figures.js';
import { CONFIG, OKABE_ITO } from './theme.js';

/** What colour and shape say: the flip's effect after Holm. Okabe–Ito vermillion and blue; black for no finding. */
const EFFECTS = ['lowers (significant)', 'raises (significant)', 'not significant'] as const;
const EFFECT_COLOURS = [OKABE_ITO[3], OKABE_ITO[0], '#000000'];
const EFFECT_SHAPES = ['triangle-down', 'triangle-up', 'circle'];

function effectOf(effect: AblationScope['rows'][number]['effect']): (typeof EFFECTS)[number] {
  return effect === 'hurts' ? EFFECTS[0] : effect === 'helps' ? EFFECTS[1] : EFFECTS[2];
}

/** File name of a scope's forest plot: `mnist-ablation`, `pooled-ablation` (numbered when the report has several bases). */
export function forestName(report: AblationReport, scope: AblationScope): string {
  const k = report.bases.indexOf(scope.base);
  return `${scope.scope === POOLED ? 'pooled' : scope.scope}-ablation${report.bases.length > 1 ? `-${k + 1}` : ''}`;
}

/**
 * A forest plot of one scope: one row per flip, in the ranking's order (largest |Δ| on top), its
 * mean Δ of the final metric (percentage points) as a mark and its 95 % bootstrap interval as a
 * bar, a dashed line at no effect; colour and shape say whether the flip significantly lowers or
 * raises the metric after Holm.
 */
export function forestPlot(report: AblationReport, scope: AblationScope): PlotSpec {
  const metric = scope.metric ? metricTitle(scope.metric) : 'primary metric';
  const rows = scope.rows
    .filter((r) => Number.isFinite(r.test.meanDiff))
    .map((r) => {
      const mean = r.test.meanDiff * 100;
      return { flip: r.flip, mean, lo: (r.test.diffInterval?.lo ?? r.test.meanDiff) * 100, hi: (r.test.diffInterval?.hi ?? r.test.meanDiff) * 100, pairs: r.test.n, p: r.wilcoxonHolm, effect: effectOf(r.effect) };
    });
  const order = rows.map((r) => r.flip);
  const title = scopeTitle(scope.scope);
  const on = scope.scope === POOLED ? 'all data sets pooled' : title;
  const pairs = [...new Set(rows.map((r) => r.pairs))];
  const pairText = pairs.length === 1 ? `${pairs[0]} pairs` : `${Math.min(...pairs)}–${Math.max(...pairs)} pairs`;
  const y = { field: 'flip', type: 'nominal', sort: order, title: null, axis: { labelLimit: 240 } };
  const x = { type: 'quantitative', title: `Δ final ${metric} (flip − base, percentage points)` };
  const legend = { symbolSize: 110, symbolStrokeWidth: 0 };
  const colour = { field: 'effect', type: 'nominal', title: null, scale: { domain: [...EFFECTS], range: EFFECT_COLOURS }, legend };
  return {
    name: forestName(report, scope),
    dataset: scope.scope === POOLED ? null : scope.scope,
    ablation: { base: scope.base, scope: scope.scope },
    title: `${title}: ablation of ${scope.base}`,
    caption: `Forest plot of the one-switch flips of ${scope.base} on ${on}: mean Δ of the final ${metric} (flip − base, paired by seed; ${pairText}) with its 95 % percentile-bootstrap interval, largest |Δ| on top; triangles: significant after Holm's correction (Wilcoxon, α = ${report.alpha}), pointing the way the flip moves the metric. − switches a component off (a correction: back to the behaviour as written), + switches one on.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: { text: `${title}: one-switch flips of ${scope.base}`, subtitle: [`Δ final ${metric} vs the base, mean over ${pairText} with 95 % bootstrap interval`, `significance: Wilcoxon signed-rank, Holm-corrected over the flips shown`] },
      config: CONFIG,
      width: 460,
      height: Math.max(60, 22 * rows.length),
      data: { values: rows },
      layer: [
        { data: { values: [{ zero: 0 }] }, mark: { type: 'rule', strokeDash: [5, 4], color: '#555' }, encoding: { x: { field: 'zero', ...x } } },
        { mark: { type: 'rule', strokeWidth: 2 }, encoding: { y, x: { field: 'lo', ...x }, x2: { field: 'hi' }, color: colour } },
        {
          mark: { type: 'point', filled: true, size: 90, opacity: 1 },
          encoding: {
            y,
            x: { field: 'mean', ...x },
            color: colour,
            shape: { field: 'effect', type: 'nominal', title: null, scale: { domain: [...EFFECTS], range: EFFECT_SHAPES }, legend },
            tooltip: [{ field: 'flip' }, { field: 'mean', title: 'Δ (pp)', format: '.2f' }, { field: 'lo', format: '.2f' }, { field: 'hi', format: '.2f' }, { field: 'pairs' }, { field: 'p', title: 'p (Holm)', format: '.3g' }],
          },
        },
      ],
    },
  };
}
