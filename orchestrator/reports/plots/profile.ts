import type { ReportModel } from '../aggregate.js';
import type { PlotSpec } from './figures.js';
import { colourScale, CONFIG, dashScale, datasetTitle } from './theme.js';

/** The AlgoPerf-style performance profile: ρ(τ), the share of data sets within τ× of the fastest. */
export function profilePlot(model: ReportModel): PlotSpec {
  const p = model.profile!;
  const name = (s: string, score: number) => `${s} (score ${score.toFixed(2)})`;
  const series = p.curves.map((c) => name(c.submission, c.score));
  const baseline = p.curves.find((c) => c.submission === model.baseline);
  const rows = p.curves.flatMap((c) => c.points.map((pt) => ({ series: name(c.submission, c.score), tau: pt.tau, rho: pt.rho * 100 })));
  const W = p.workloads.length;
  return {
    name: 'performance-profile',
    dataset: null,
    title: 'Performance profile (time to target)',
    caption: `AlgoPerf-style performance profile over ${W} data set${W > 1 ? 's' : ''} (${p.workloads.map(datasetTitle).join(', ')}): for each optimizer (its fastest variant per data set), the share of data sets on which its median time to the target is within a factor τ of the fastest optimizer's. Score: area under the curve over τ ∈ [1, ${p.tauMax}] divided by ${p.tauMax - 1}.`,
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: { text: 'Performance profile: time to target', subtitle: [`share of the ${W} data set${W > 1 ? 's' : ''} on which an optimizer is within τ× of the fastest`, 'score: normalised area under the curve (1 = fastest everywhere)'] },
      config: CONFIG,
      width: 520,
      height: 300,
      data: { values: rows },
      mark: { type: 'line', interpolate: 'step-after', strokeWidth: 2.5, point: { filled: true, size: 40 } },
      encoding: {
        x: { field: 'tau', type: 'quantitative', title: 'τ (time ÷ fastest time)', scale: { domain: [1, p.tauMax] } },
        y: { field: 'rho', type: 'quantitative', title: 'data sets within τ (%)', scale: { domain: [0, 100] } },
        color: { field: 'series', type: 'nominal', title: null, scale: colourScale(series, baseline ? name(baseline.submission, baseline.score) : null), sort: series },
        strokeDash: { field: 'series', type: 'nominal', title: null, scale: dashScale(series), sort: series },
      },
    },
  };
}
