import { readFile } from 'node:fs/promises';
import { expandGrid } from '../../shared/sweep/grid.js';
import { parseSweepSpec } from '../../shared/sweep/load.js';
import { SpecError } from '../../shared/sweep/errors.js';
import { engineKnownNames } from './known-names.js';
import type { PlannedSweep } from './run.js';

/** `<name>-<yyyymmdd>-<hhmmss>` (UTC): a new id per run, sortable by start. */
export function sweepIdFor(name: string, at = new Date()): string {
  const stamp = at.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `${name}-${stamp}`;
}

export async function planSweepFromText(text: string, file: string, id?: string): Promise<PlannedSweep> {
  const spec = parseSweepSpec(text, file, engineKnownNames());
  return { id: id ?? sweepIdFor(spec.name), name: spec.name, specYaml: text, maxDeliver: spec.max_deliver, cells: expandGrid(spec) };
}

export async function planSweepFromFile(file: string, id?: string): Promise<PlannedSweep> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new SpecError(file, [{ message: `cannot read the sweep spec (${err.code === 'ENOENT' ? 'no such file' : (err.code ?? err.message)})` }]);
  });
  return planSweepFromText(text, file, id);
}
