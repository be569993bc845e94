import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { aggregate, type ReportModel } from './aggregate.js';
import { loadResults } from './load.js';
import { planFigures } from './plots/figures.js';
import { ReportPool } from './pool.js';
import { renderAblationCsv, renderAblationTex } from './ablation/tables.js';
import { renderMemoryCsv } from './memory/tables.js';
import { renderCsv } from './renderers/csv.js';
import type { RenderedPlot } from './renderers/document.js';
import { renderHtml } from './renderers/html.js';
import { renderJson } from './renderers/json.js';
import { renderMarkdown } from './renderers/markdown.js';
import { renderTex } from './renderers/tex.js';
import { FORMATS, type Format } from './formats.js';

export { FORMATS, parseFormats, type Format } from './formats.js';

export interface ReportOptions {
  /** Label or optimizer of the baseline (default sgd). */
  readonly baseline?: string;
  readonly formats?: readonly Format[];
  /** Output folder (default: the results folder itself). */
  readonly out?: string;
  /** Worker threads (default: one per core). */
  readonly threads?: number;
  /** Also rasterise plots to PNG (default true; SVG is always written). */
  readonly png?: boolean;
}

export interface ReportOutcome {
  readonly out: string;
  readonly files: readonly string[];
  readonly model: ReportModel;
  readonly plots: number;
  /** Seconds spent in each phase, for the benchmark. */
  readonly timings: Readonly<Record<'load' | 'aggregate' | 'plots' | 'write', number>>;
}

/**
 * Writes the report of a results folder: report.{md,html,csv,json,tex}, plots/*.svg|png and
 * tensorboard/<dataset>/<variant>/seed<N>/ event files, as the formats ask. Reads a partial
 * folder too (failed, cancelled or not yet run cells are listed, not fatal).
 */
export async function writeReport(dir: string, options: ReportOptions = {}): Promise<ReportOutcome> {
  const formats = new Set(options.formats ?? FORMATS);
  const out = resolve(options.out ?? dir);
  await mkdir(out, { recursive: true });
  const pool = new ReportPool(options.threads);
  const files: string[] = [];
  const timings = { load: 0, aggregate: 0, plots: 0, write: 0 };
  let t = performance.now();
  const lap = (k: keyof typeof timings) => {
    const now = performance.now();
    timings[k] = (now - t) / 1000;
    t = now;
  };
  try {
    const tensorboardDir = formats.has('tensorboard') ? join(out, 'tensorboard') : undefined;
    const sweep = await loadResults(dir, { pool, tensorboardDir });
    if (tensorboardDir && sweep.results.size) files.push(tensorboardDir);
    lap('load');
    const model = aggregate(sweep, { baseline: options.baseline ?? 'sgd' });
    lap('aggregate');

    let plots: RenderedPlot[] = [];
    if (formats.has('md') || formats.has('html')) {
      const plotDir = join(out, 'plots');
      await rm(plotDir, { recursive: true, force: true });
      await mkdir(plotDir, { recursive: true });
      // Each plot goes to a render thread as soon as its data is ready, while the next is computed.
      const pending: Array<Promise<RenderedPlot>> = [];
      for (const plot of planFigures(sweep, model)) {
        pending.push(pool.render({ spec: plot.spec, base: join(plotDir, plot.name), png: options.png }).then((files) => ({ plot, files })));
      }
      plots = await Promise.all(pending);
      for (const p of plots) files.push(p.files.svgPath, ...(p.files.pngPath ? [p.files.pngPath] : []));
    }
    lap('plots');

    const write = async (name: string, text: string) => {
      const path = join(out, name);
      await writeFile(path, text);
      files.push(path);
    };
    if (formats.has('md')) await write('report.md', renderMarkdown(model, plots, out));
    if (formats.has('html')) await write('report.html', renderHtml(model, plots, out));
    if (formats.has('csv')) await write('report.csv', renderCsv(model));
    if (formats.has('csv')) await write('report-memory.csv', renderMemoryCsv(model));
    const ablationCsv = formats.has('csv') ? renderAblationCsv(model) : null;
    if (ablationCsv !== null) await write('report-ablation.csv', ablationCsv);
    if (formats.has('json')) await write('report.json', renderJson(model, plots));
    if (formats.has('tex')) await write('report.tex', renderTex(model) + renderAblationTex(model));
    lap('write');
    return { out, files, model, plots: plots.length, timings };
  } finally {
    await pool.close();
  }
}
