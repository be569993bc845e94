import type { GradcamGrid, ReportModel } from '../aggregate.js';
import { outline, type Block, type RenderedPlot } from './document.js';
import { linkFrom, sampleTitle } from './markdown.js';
import type { Table } from './sections.js';

export const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** `code` spans in our prose become <code>. */
const inline = (s: string) => escapeHtml(s).replace(/`([^`]+)`/g, '<code>$1</code>');

function table(t: Table): string {
  const head = t.header.map((h, i) => `<th${t.numeric[i] ? ' class="n"' : ''}>${escapeHtml(h)}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((c, i) => `<td${t.numeric[i] ? ' class="n"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`).join('\n');
  const notes = t.notes.map((n) => `<p class="note">${inline(n)}</p>`).join('');
  return `<figure class="table"><figcaption>${escapeHtml(t.caption)}</figcaption><div class="scroll"><table><thead><tr>${head}</tr></thead><tbody>\n${rows}\n</tbody></table></div>${notes}</figure>`;
}

let ids = 0;
/** Inline SVG, with ids made unique: vega's clip-path ids repeat from plot to plot. */
function svg(text: string): string {
  const prefix = `p${++ids}_`;
  return text
    .replace(/^<\?xml[^>]*>\s*/, '')
    .replace(/\bid="([^"]+)"/g, `id="${prefix}$1"`)
    .replace(/url\(#([^)]+)\)/g, `url(#${prefix}$1)`)
    .replace(/href="#([^"]+)"/g, `href="#${prefix}$1"`);
}

/** Small images scaled up without smoothing (CIFAR's are 32×32), each with its prediction. */
function images(grid: GradcamGrid, out: string): string {
  const head = `<th>optimizer</th>${grid.samples.map((s) => `<th>${escapeHtml(sampleTitle(s))}</th>`).join('')}`;
  const rows = grid.rows.map((r) => {
    const cells = r.images.map((i, k) =>
      i
        ? `<td class="cam"><img src="${escapeHtml(linkFrom(out, i.path))}" alt="${escapeHtml(`${r.label}, sample ${grid.samples[k]!.index}`)}"><br>predicted ${i.predicted}</td>`
        : '<td class="cam">missing</td>',
    );
    return `<tr><td>${escapeHtml(r.label)}</td>${cells.join('')}</tr>`;
  });
  return `<figure class="table"><div class="scroll"><table class="gradcam"><thead><tr>${head}</tr></thead><tbody>\n${rows.join('\n')}\n</tbody></table></div></figure>`;
}

function block(b: Block, out: string): string {
  switch (b.kind) {
    case 'heading':
      return `<h${b.level}>${escapeHtml(b.text)}</h${b.level}>`;
    case 'paragraph':
      return `<p>${inline(b.text)}</p>`;
    case 'list':
      return `<ul>${b.items.map((i) => `<li>${inline(i)}</li>`).join('')}</ul>`;
    case 'table':
      return table(b.table);
    case 'plot':
      return `<figure class="plot">${svg(b.plot.files.svg)}<figcaption>${inline(b.plot.plot.caption)}</figcaption></figure>`;
    case 'images':
      return images(b.grid, out);
  }
}

const STYLE = `
body{font:15px/1.45 "DejaVu Sans",system-ui,sans-serif;color:#222;max-width:1200px;margin:2em auto;padding:0 1em}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;font-size:13px;margin:.4em 0}th,td{padding:3px 8px;border-bottom:1px solid #e4e4e4;text-align:left;white-space:nowrap}
th{background:#f4f4f4}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}tbody tr:hover{background:#fafae8}
figure{margin:1.2em 0}figcaption{font-weight:600;margin-bottom:.3em}figure.plot figcaption{font-weight:normal;color:#444;font-size:13px;max-width:900px}
.note{font-size:12px;color:#555;margin:.2em 0;max-width:1000px}.scroll{overflow-x:auto}svg{max-width:100%;height:auto}code{background:#f3f3f3;padding:0 3px}
td.cam{text-align:center;font-size:12px}td.cam img{width:112px;min-width:112px;height:auto;image-rendering:pixelated}`;

/**
 * report.html: one file, plots as inline SVG (sharp at any zoom, no side files); Grad-CAM images
 * are linked where they lie, relative to `out` (the report's folder).
 */
export function renderHtml(model: ReportModel, plots: readonly RenderedPlot[], out = model.sweep.dir): string {
  ids = 0;
  const body = outline(model, plots).map((b) => block(b, out)).join('\n');
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(`Sweep report: ${model.sweep.name} (${model.sweep.id})`)}</title><style>${STYLE}</style></head><body>\n${body}\n</body></html>\n`;
}
