import type { ReportModel } from '../aggregate.js';
import type { RenderedPlot } from './document.js';
import { methodNotes } from './document.js';

export const REPORT_FORMAT = 'grn.sweep-report/1';

/**
 * report.json: the whole model (aggregates, comparisons, time to target, profile, every missing
 * cell) for scripts. JSON has no Infinity: a target never reached is null there, with the
 * `reached` counts saying why.
 */
export function renderJson(model: ReportModel, plots: readonly RenderedPlot[]): string {
  const doc = {
    format: REPORT_FORMAT,
    generated_at: new Date().toISOString(),
    ...model,
    plots: plots.map((p) => ({ name: p.plot.name, dataset: p.plot.dataset, title: p.plot.title, caption: p.plot.caption, svg: `plots/${p.plot.name}.svg`, png: p.files.pngPath ? `plots/${p.plot.name}.png` : null })),
    method: methodNotes(model),
  };
  return `${JSON.stringify(doc, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
}
