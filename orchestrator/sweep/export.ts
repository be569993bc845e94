import { readCell } from '../../shared/protocol/cell-store.js';
import type { CellState } from '../../shared/protocol/messages.js';
import { cellKey } from '../../shared/protocol/names.js';
import { readStoredResult } from '../../shared/protocol/result-store.js';
import type { TrialResult } from '../../shared/result.js';
import { GrnError } from '../../shared/errors.js';
import type { Stores } from './infrastructure.js';
import { readSweep } from './publish.js';
import { ResultsFolder } from './results-folder.js';
import { sweepOfRecord } from './retry.js';
import { chooseLearningRates } from '../../shared/sweep/tuning/index.js';
import { outcomeOf } from './tuning-stage.js';

export interface ExportOutcome {
  readonly cells: number;
  /** Result files written. */
  readonly written: number;
  /** Cells whose stored result cannot be used, with why. */
  readonly unreadable: ReadonlyArray<{ cell: string; reason: string }>;
  /** Files that could not be written this time either. */
  readonly unwritten: number;
  readonly status: string;
}

/**
 * Writes a sweep's results folder from what the server holds — every stored result, all_results,
 * the manifest — for a folder that could not be written while the sweep ran (a full disk, a
 * folder in the way) or was lost. Reads only; the sweep itself is not changed.
 */
export async function exportSweep(stores: Stores, sweepId: string, resultsDir: string, server: string): Promise<ExportOutcome> {
  const sweep = await readSweep(stores, sweepId);
  if (!sweep) throw new GrnError(`no sweep '${sweepId}' on ${server}`);
  const { cells, tuning } = sweepOfRecord(sweep.record);
  let unwritten = 0;
  const folder = new ResultsFolder(resultsDir, () => void unwritten++);
  await folder.init(sweep.record.spec_yaml, sweepId, { tuning: tuning !== null });
  const states = new Map<string, CellState>();
  const results = new Map<string, TrialResult>();
  const unreadable: Array<{ cell: string; reason: string }> = [];
  const WINDOW = 256;
  for (let i = 0; i < cells.length; i += WINDOW) {
    await Promise.all(
      cells.slice(i, i + WINDOW).map(async (c) => {
        const key = cellKey(sweepId, c.id);
        const [entry, stored] = await Promise.all([readCell(stores.cells, key), stores.results.get(key)]);
        if (entry) states.set(c.id, entry.state);
        if (!stored || stored.operation !== 'PUT') return;
        const read = await readStoredResult(key, stored.value, stores.artifacts);
        if ('unreadable' in read) unreadable.push({ cell: c.id, reason: read.unreadable });
        else {
          results.set(c.id, read.result);
          folder.writeCell(c.id, read.result, c.stage);
          folder.writeArtefacts(c.id, read.record, stores.artifacts);
        }
      }),
    );
  }
  await folder.close();
  // What the tuning chose, from the same results (tuning-stage.ts chose it so while the sweep ran).
  if (tuning) {
    await folder.writeTuning(chooseLearningRates(tuning, (cell) => outcomeOf(states.get(cell), results.get(cell))));
  }
  const final = sweep.record.status !== 'running' && sweep.record.status !== 'paused';
  await folder.writeSummary({
    sweep: sweepId,
    name: sweep.record.name,
    status: sweep.record.status,
    cells,
    states,
    results,
    nodes: new Map(),
    server,
    startedAt: sweep.record.created_at,
    endedAt: final ? sweep.record.updated_at : null,
  });
  return { cells: cells.length, written: results.size - folder.unwritten.size, unreadable, unwritten: folder.unwritten.size, status: sweep.record.status };
}
