import { readFile } from 'node:fs/promises';
import { UsageError } from '../../shared/errors.js';
import { countCells, expandGrid } from '../../shared/sweep/grid.js';
import { parseSweepSpec } from '../../shared/sweep/load.js';
import { SpecError } from '../../shared/sweep/errors.js';
import { trainingCatalog } from '../../worker/engine/catalog.js';
import { engineKnownNames } from './known-names.js';
import type { PlannedSweep } from './run.js';

/** `<name>-<yyyymmdd>-<hhmmss>` (UTC): a new id per run, sortable by start. */
export function sweepIdFor(name: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${name}-${stamp}`;
}

/** Grids above this many cells run only with `--yes`: a typo in an axis can ask for millions. */
export const MAX_CELLS_WITHOUT_YES = 10_000;

export interface PlanOptions {
  readonly id?: string;
  /** Refuse grids above this many cells (counted before anything is expanded). */
  readonly maxCells?: number;
}

export async function planSweepFromText(text: string, file: string, options: PlanOptions = {}): Promise<PlannedSweep> {
  const spec = parseSweepSpec(text, file, engineKnownNames());
  const count = countCells(spec, trainingCatalog);
  if (options.maxCells !== undefined && count > options.maxCells) {
    throw new UsageError(
      `${file}: the grid has ${count.toLocaleString('en-US')} cells, more than ${options.maxCells.toLocaleString('en-US')}; check it with grn sweep plan ${file}, or pass --yes to run it`,
    );
  }
  return { id: options.id ?? sweepIdFor(spec.name), name: spec.name, specYaml: text, maxDeliver: spec.max_deliver, cells: expandGrid(spec, trainingCatalog) };
}

export async function planSweepFromFile(file: string, options: PlanOptions = {}): Promise<PlannedSweep> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new SpecError(file, [{ message: `cannot read the sweep spec (${err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message)})` }]);
  });
  return planSweepFromText(text, file, options);
}
