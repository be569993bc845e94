import { readFile } from 'node:fs/promises';
import { UsageError } from '../../shared/errors.js';
import type { TrainingCatalog } from '../../shared/settings.js';
import { countCells, expandGrid, type PlannedCell } from '../../shared/sweep/grid.js';
import { parseSweepSpec } from '../../shared/sweep/load.js';
import { SpecError } from '../../shared/sweep/errors.js';
import type { SweepSpec } from '../../shared/sweep/spec.js';
import { countTuningCells, planTuning, type TuningPlan } from '../../shared/sweep/tuning/index.js';
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

/** Cells of a spec, both stages counted (a tuning stage's and the grid's), from its shape alone. */
export function countSweepCells(spec: SweepSpec, catalog?: TrainingCatalog): number {
  const grid = countCells(spec, catalog);
  return grid + countTuningCells(spec, grid);
}

/**
 * Every cell of a spec: with `tune:`, the tuning stage's cells first (stage `tuning`), then the
 * grid's, whose lr the tuning chooses (their trials carry the resolved lr until then); and the
 * tuning plan. A tuning grid that cannot be placed is a SpecError naming `file`.
 */
export function expandSweep(spec: SweepSpec, catalog: TrainingCatalog, file = 'spec'): { cells: PlannedCell[]; tuning: TuningPlan | null } {
  const grid = expandGrid(spec, catalog);
  let tuning: TuningPlan | null;
  try {
    tuning = planTuning(spec, catalog, grid);
  } catch (err) {
    throw new SpecError(file, [{ path: 'tune.lr', message: (err as Error).message.replace(/^tune\.lr:? ?/, '') }]);
  }
  return { cells: tuning ? [...tuning.cells, ...grid] : grid, tuning };
}

export async function planSweepFromText(text: string, file: string, options: PlanOptions = {}): Promise<PlannedSweep> {
  const spec = parseSweepSpec(text, file, engineKnownNames());
  const count = countSweepCells(spec, trainingCatalog);
  if (options.maxCells !== undefined && count > options.maxCells) {
    throw new UsageError(
      `${file}: the grid has ${count.toLocaleString('en-US')} cells, more than ${options.maxCells.toLocaleString('en-US')}; check it with grn sweep plan ${file}, or pass --yes to run it`,
    );
  }
  const { cells, tuning } = expandSweep(spec, trainingCatalog, file);
  return { id: options.id ?? sweepIdFor(spec.name), name: spec.name, specYaml: text, maxDeliver: spec.max_deliver, cells, ...(tuning ? { tuning } : {}) };
}

export async function planSweepFromFile(file: string, options: PlanOptions = {}): Promise<PlannedSweep> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new SpecError(file, [{ message: `cannot read the sweep spec (${err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message)})` }]);
  });
  return planSweepFromText(text, file, options);
}
