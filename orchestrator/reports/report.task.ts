import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { digestResult, type CellDigest } from './digest.js';
import { renderPlot, type PlotJob, type PlotFiles } from './plots/render.js';
import { writeTrialEvents } from './tensorboard/export.js';

/**
 * The report's worker-thread tasks (piscina, named exports). CPU-heavy per-cell and per-plot work
 * runs here, on every core: parsing cell files (JSON.parse of 10–100 KB each) with their digest
 * and TensorBoard export in one pass, so each file is read once; and rendering plots (vega layout
 * and SVG, resvg rasterising).
 */
export interface DigestJob {
  readonly cell: string;
  readonly path: string;
  /** Run folder for the cell's TensorBoard event file, when the export is wanted. */
  readonly tensorboard?: string;
}

export interface DigestBatch {
  readonly digests: CellDigest[];
  readonly errors: Array<{ cell: string; error: string }>;
}

export function digestCells(jobs: readonly DigestJob[]): DigestBatch {
  const digests: CellDigest[] = [];
  const errors: DigestBatch['errors'] = [];
  for (const job of jobs) {
    try {
      const result = JSON.parse(readFileSync(job.path, 'utf8')) as Record<string, unknown>;
      const digest = digestResult(job.cell, result, dirname(job.path));
      if (job.tensorboard) writeTrialEvents(job.tensorboard, result);
      digests.push(digest);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      errors.push({ cell: job.cell, error: e.code === 'ENOENT' ? 'result file missing' : e instanceof SyntaxError ? `unreadable JSON (${e.message})` : e.message });
    }
  }
  return { digests, errors };
}

export function render(job: PlotJob): Promise<PlotFiles> {
  return renderPlot(job);
}
