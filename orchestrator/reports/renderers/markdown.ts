import type { ReportModel } from '../aggregate.js';
import { outline, type Block, type RenderedPlot } from './document.js';
import type { Table } from './sections.js';

/** Pipes and line breaks would end a Markdown table cell early. */
const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(t: Table): string {
  const lines = [`**${t.caption}**`, '', `| ${t.header.map(cell).join(' | ')} |`, `|${t.numeric.map((n) => (n ? '---:' : '---')).join('|')}|`];
  for (const r of t.rows) lines.push(`| ${r.map(cell).join(' | ')} |`);
  if (t.notes.length) lines.push('', ...t.notes.map((n) => `<sub>${n}</sub>  `));
  return lines.join('\n');
}

function block(b: Block): string {
  switch (b.kind) {
    case 'heading':
      return `${'#'.repeat(b.level)} ${b.text}`;
    case 'paragraph':
      return b.text;
    case 'list':
      return b.items.map((i) => `- ${i}`).join('\n');
    case 'table':
      return markdownTable(b.table);
    case 'plot': {
      const png = b.plot.files.pngPath ? `plots/${b.plot.plot.name}.png` : `plots/${b.plot.plot.name}.svg`;
      return `![${b.plot.plot.title}](${png})\n\n*${b.plot.plot.caption}* ([SVG](plots/${b.plot.plot.name}.svg))`;
    }
  }
}

/** report.md: plots as PNG files beside it (GitHub and most viewers show them), SVG linked. */
export function renderMarkdown(model: ReportModel, plots: readonly RenderedPlot[]): string {
  return `${outline(model, plots).map(block).join('\n\n')}\n`;
}
