import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SweepObserver, TelemetryRun } from './observer.js';

/**
 * The chaos suite's verdict on a sweep, cell by cell, from its results folder (what a user gets:
 * `manifest.json` and `cells/<cell>.json`, written by the last orchestrator run) cross-checked
 * with what the server showed while it ran (SweepObserver) and the result files as first seen.
 *
 * Each counter counts cells (except `wasted_steps`):
 */
export interface ChaosCounters {
  /** Cells of the sweep's grid. */
  cells: number;
  /** Manifest status `done`, and `cells/<cell>.json` exists and is a trial result. */
  completed: number;
  /** Manifest status `failed` with its error (an explicit, reported failure: not lost). */
  failed: number;
  /**
   * Cells with neither: no usable result file and no failure with an error — still queued or
   * running in the manifest, missing from it, `done` without a result file, `failed` with no error.
   * Target 0.
   */
  lost: number;
  /**
   * Cells with more than one accepted result: the server showed more than one revision of
   * `grn-results/<sweep>.<cell>` (a stored result replaced) or records naming different attempts;
   * or the result file was rewritten with other content after it was first seen (its sha256 at the
   * end differs from the first one read; rewriting the same bytes, as a resume may, is not counted).
   * Target 0.
   */
  duplicated: number;
  /** Cells whose last attempt (the manifest's `attempts`, the delivery count) is above 1. */
  redelivered: number;
  /**
   * Results whose trial result carries a non-null `resumed_from` (an attempt that continued from a
   * checkpoint of an earlier one). Results without the field count 0.
   */
  resumed_from_checkpoint: number;
  /**
   * Training steps done and thrown away by interrupted attempts, from live telemetry
   * (`grn.telemetry.<sweep>.<cell>`, each record naming its attempt): over completed cells, for
   * every run of the trial other than the accepted one, the steps it did that the run after it did
   * not carry on from — `1 + its highest step − max(its first step, the next run's first step)`,
   * floored at 0 (all its steps when no run follows it). A run's first step is exact (a trainer
   * sends its first record at once: 0, or the checkpoint it resumed from); its highest is sampled
   * (at most 4 step records a second), so a run's count is short by at most a quarter second of
   * training; a run killed before its first record counts 0.
   */
  wasted_steps: number;
  /**
   * Interrupted runs: over completed cells, the runs of the trial other than the accepted one (the
   * count `wasted_steps` is judged against: at most one checkpoint interval each).
   */
  interrupted: number;
}

export interface CellVerdict {
  readonly cell: string;
  readonly verdict: 'completed' | 'failed' | 'lost';
  readonly attempts: number;
  readonly duplicated: boolean;
  readonly note: string;
  /** Steps its interrupted runs did that a later run did again (see `wasted_steps`). */
  readonly wasted: number;
  /** Its runs as telemetry showed them, `node#attempt:first-max`, in order (why steps were wasted). */
  readonly runs: string;
}

interface ManifestCell {
  cell: string;
  status: string;
  attempts: number;
  error: string | null;
}

/** What the verdict reads of a result file. */
type StoredFile = { format?: unknown; resumed_from?: { step?: number } | null };

export const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Reads every result file now present that is not yet in `seen` (cell → sha256 of its first content). */
export async function recordResultFiles(cellsDir: string, seen: Map<string, string>): Promise<void> {
  const files = await readdir(cellsDir).catch(() => [] as string[]);
  for (const f of files) {
    if (!f.endsWith('.json')) continue;
    const cell = f.slice(0, -'.json'.length);
    if (seen.has(cell)) continue;
    const text = await readFile(join(cellsDir, f), 'utf8').catch(() => null);
    if (text !== null) seen.set(cell, sha256(text));
  }
}

export async function verifySweep(options: {
  readonly sweepDir: string;
  readonly cellIds: readonly string[];
  readonly observer: SweepObserver;
  /** Result files as first seen during the run (see recordResultFiles). */
  readonly firstSeen: ReadonlyMap<string, string>;
}): Promise<{ counters: ChaosCounters; cells: CellVerdict[] }> {
  const { sweepDir, cellIds, observer, firstSeen } = options;
  const manifest = await readFile(join(sweepDir, 'manifest.json'), 'utf8')
    .then((t) => JSON.parse(t) as { cells: ManifestCell[] })
    .catch(() => ({ cells: [] as ManifestCell[] }));
  const byCell = new Map(manifest.cells.map((c) => [c.cell, c]));
  const counters: ChaosCounters = { cells: cellIds.length, completed: 0, failed: 0, lost: 0, duplicated: 0, redelivered: 0, resumed_from_checkpoint: 0, wasted_steps: 0, interrupted: 0 };
  const verdicts: CellVerdict[] = [];
  for (const cell of cellIds) {
    const m = byCell.get(cell);
    const text = await readFile(join(sweepDir, 'cells', `${cell}.json`), 'utf8').catch(() => null);
    let result: StoredFile | null = null;
    try {
      result = text === null ? null : (JSON.parse(text) as StoredFile);
    } catch {
      result = null;
    }
    const usable = result !== null && typeof result.format === 'string' && result.format.startsWith('grn.trial-result/');
    let verdict: CellVerdict['verdict'];
    let note = '';
    if (m?.status === 'done' && usable) verdict = 'completed';
    else if (m?.status === 'failed' && m.error) {
      verdict = 'failed';
      note = m.error;
    } else {
      verdict = 'lost';
      note = !m ? 'not in the manifest' : m.status === 'done' ? 'done without a usable result file' : `${m.status}${m.error ? `: ${m.error}` : ''}`;
    }
    counters[verdict]++;
    const attempts = m?.attempts ?? observer.cells.get(cell)?.attempt ?? 0;
    if (attempts > 1) counters.redelivered++;
    const seen = observer.results.get(cell);
    const replaced = !!seen && (seen.revisions.size > 1 || seen.attempts.size > 1);
    const rewritten = text !== null && firstSeen.has(cell) && firstSeen.get(cell) !== sha256(text);
    if (replaced || rewritten) {
      counters.duplicated++;
      note = [note, replaced ? `${seen!.revisions.size} stored results (attempts ${[...seen!.attempts].join(', ')})` : '', rewritten ? 'result file rewritten' : ''].filter(Boolean).join('; ');
    }
    const runs = observer.runs.get(cell) ?? [];
    let wasted = 0;
    if (verdict === 'completed') {
      if (result?.resumed_from) counters.resumed_from_checkpoint++;
      const w = wastedSteps(runs, seen, typeof result?.resumed_from?.step === 'number' ? result.resumed_from.step : undefined);
      wasted = w.steps;
      counters.wasted_steps += w.steps;
      counters.interrupted += w.interrupted;
    }
    verdicts.push({ cell, verdict, attempts, duplicated: replaced || rewritten, note, wasted, runs: runs.map((r) => `${r.node}#${r.attempt ?? '?'}:${r.firstStep}-${r.maxStep}`).join(' ') });
  }
  return { counters, cells: verdicts };
}

/**
 * A completed cell's steps thrown away (see `wasted_steps`) and its interrupted runs, in the order
 * seen; the accepted run is the stored result's attempt on its node (without attempts: the last
 * run on the result's slot).
 */
export function wastedSteps(
  seenRuns: readonly TelemetryRun[],
  result: { node: string; slot: string; attempt: number } | undefined,
  resumedFrom?: number,
): { steps: number; interrupted: number } {
  // In the order seen, which is the order they started (a trainer's first step record leaves at
  // once). Not by attempt: a resumed sweep re-publishes its cells and delivery counts start again.
  const runs = [...seenRuns];
  let accepted = !result
    ? -1
    : runs.some((r) => r.attempt !== undefined)
      ? runs.findLastIndex((r) => r.attempt === result.attempt && r.node === result.node)
      : runs.findLastIndex((r) => r.node === result.node && r.slot === result.slot);
  // The accepted attempt sent no step record: it resumed from a checkpoint taken after the last
  // step (only the evaluation was left), or ran while the server was away. Its start is in the
  // result (`resumed_from`), and it came last.
  if (result && accepted < 0) {
    const at = resumedFrom ?? 0;
    runs.push({ node: result.node, slot: result.slot, attempt: result.attempt, firstStep: at, maxStep: at, lastStep: at });
    accepted = runs.length - 1;
  }
  let steps = 0;
  runs.forEach((run, i) => {
    if (i === accepted) return;
    const kept = i + 1 < runs.length ? Math.max(run.firstStep, runs[i + 1]!.firstStep) : run.firstStep;
    steps += Math.max(0, run.maxStep + 1 - kept);
  });
  return { steps, interrupted: runs.length - (accepted >= 0 ? 1 : 0) };
}
