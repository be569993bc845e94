import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SpecError } from '../../shared/sweep/errors.js';
import { expandGrid, planHeadline } from '../../shared/sweep/grid.js';
import { countTuningCells } from '../../shared/sweep/tuning/index.js';
import { loadSweepSpec } from '../../shared/sweep/load.js';
import { engineKnownNames, LABELS_CATALOG } from '../sweep/known-names.js';

/** A spec the launcher lists: its cell count (what `grn sweep plan` says), or why it does not load. */
export interface SpecEntry {
  readonly path: string;
  readonly name?: string;
  readonly cells?: number;
  /** `quick: 6 cells (3 optimizer variants × 1 data set × 2 seeds)` */
  readonly headline?: string;
  readonly error?: string;
}

/** The spec files in `dir` (sweeps/ by default), sorted; none when the folder does not exist. */
export async function findSpecFiles(dir = 'sweeps'): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()
    .map((n) => join(dir, n));
}

/** Validates a spec as `grn sweep plan` does and counts its cells. */
export async function describeSpec(path: string): Promise<SpecEntry> {
  try {
    const spec = await loadSweepSpec(path, engineKnownNames());
    // Only the count and the headline: the cells' resolved settings are not needed.
    const cells = expandGrid(spec, LABELS_CATALOG);
    const tuning = countTuningCells(spec, cells.length);
    return { path, name: spec.name, cells: cells.length + tuning, headline: `${planHeadline(spec.name, cells)}${tuning ? `, after a tuning stage of ${tuning} cells` : ''}` };
  } catch (err) {
    const message = err instanceof SpecError ? err.message.split('\n').slice(0, 3).join(' ') : (err as Error).message;
    return { path, error: message };
  }
}

export async function listSpecs(dir = 'sweeps'): Promise<SpecEntry[]> {
  return Promise.all((await findSpecFiles(dir)).map(describeSpec));
}
