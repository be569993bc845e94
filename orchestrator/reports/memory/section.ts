import type { ReportModel } from '../aggregate.js';
import { datasetTitle } from '../plots/theme.js';
import type { Block } from '../renderers/document.js';
import { memoryComparisonTable, memoryTable } from './tables.js';

/** The report's Memory section (md, html): peaks and drift per variant, compared with the baseline. */
export function memoryBlocks(model: Pick<ReportModel, 'memory' | 'baselineOf' | 'alpha' | 'datasets'>): Block[] {
  const m = model.memory;
  if (!m.groups.some((g) => g.seeds.length > 0)) return [];
  const blocks: Block[] = [
    { kind: 'heading', level: 2, text: 'Memory' },
    {
      kind: 'paragraph',
      text: 'Memory stability per optimizer variant: peak RAM (the trainer process\'s resident set), peak VRAM where a GPU was used, and the drift of RAM and of tensor memory over epochs (least-squares slope, MB per epoch), from the readings results record at the end of each epoch (none per step).',
    },
    { kind: 'list', items: [...m.summary] },
  ];
  for (const d of model.datasets) {
    if (!m.groups.some((g) => g.dataset === d && g.seeds.length > 0)) continue;
    blocks.push({ kind: 'heading', level: 3, text: `Memory: ${datasetTitle(d)}` }, { kind: 'table', table: memoryTable(model, d) });
    const cmp = memoryComparisonTable(model, d);
    if (cmp) blocks.push({ kind: 'table', table: cmp });
  }
  return blocks;
}
