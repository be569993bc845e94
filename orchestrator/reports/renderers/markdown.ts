import { relative, sep } from 'node:path';
import type { GradcamGrid, ReportModel } from '../aggregate.js';
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

/** A sample's column heading: its test index and, for classification, its true class. */
export const sampleTitle = (s: GradcamGrid['samples'][number]) => `#${s.index}${s.label === null ? '' : ` (class ${s.label})`}`;

/** A path as a link from the report's folder: relative, with forward slashes. */
export const linkFrom = (out: string, path: string) => relative(out, path).split(sep).join('/');

function imagesTable(grid: GradcamGrid, out: string): string {
  const lines = [`| optimizer | ${grid.samples.map(sampleTitle).join(' | ')} |`, `|---|${grid.samples.map(() => ':---:').join('|')}|`];
  for (const r of grid.rows) {
    const cells = r.images.map((i, k) => (i ? `![${r.label}, sample ${grid.samples[k]!.index}](${linkFrom(out, i.path)})<br>predicted ${i.predicted}` : 'missing'));
    lines.push(`| ${cell(r.label)} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function block(b: Block, out: string): string {
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
    case 'images':
      return imagesTable(b.grid, out);
  }
}

/**
 * report.md: plots as PNG files beside it (GitHub and most viewers show them), SVG linked;
 * Grad-CAM images linked where they are, relative to `out` (the report's folder).
 */
export function renderMarkdown(model: ReportModel, plots: readonly RenderedPlot[], out = model.sweep.dir): string {
  return `${outline(model, plots).map((b) => block(b, out)).join('\n\n')}\n`;
}
