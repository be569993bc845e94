import type { ReportModel } from '../aggregate.js';
import type { Block, RenderedPlot } from '../renderers/document.js';
import { scopeTitle } from './ranking.js';
import { ablationTable } from './tables.js';

/** The report's Ablation section (md, html): only when the results have ablation cells. */
export function ablationBlocks(model: Pick<ReportModel, 'ablation'>, plots: readonly RenderedPlot[]): Block[] {
  const a = model.ablation;
  if (!a) return [];
  const blocks: Block[] = [
    { kind: 'heading', level: 2, text: 'Ablation' },
    {
      kind: 'paragraph',
      text:
        `One-switch ablation of ${a.bases.join(', ')}: each variant is the base with one switch flipped — − switches a component off (a correction of the original's quirks: back to the behaviour as written), + switches on one the base leaves off — and is compared with the base on the same seeds. ` +
        'Per data set and for all data sets pooled, the flips are ranked by the size of their effect on the final primary metric (|Δ|); time to target is in training seconds.',
    },
    { kind: 'list', items: a.scopes.map((s) => s.sentence) },
  ];
  if (a.notes.length) blocks.push({ kind: 'paragraph', text: 'Not ablated:' }, { kind: 'list', items: [...a.notes] });
  for (const s of a.scopes) {
    blocks.push({ kind: 'heading', level: 3, text: `Ablation: ${scopeTitle(s.scope)}${a.bases.length > 1 ? ` (${s.base})` : ''}` }, { kind: 'table', table: ablationTable(a, s) });
    for (const p of plots.filter((p) => p.plot.ablation?.base === s.base && p.plot.ablation.scope === s.scope)) blocks.push({ kind: 'plot', plot: p });
  }
  return blocks;
}
