import { validationMetric, type TrialResult } from '../../result.js';
import type { TrialConfig } from '../../trial.js';
import type { PlannedCell } from '../grid.js';
import type { TuningPlan, TuningRow } from './plan.js';
import { TUNING_FORMAT, type TuningRecord, type TuningRowRecord } from './record.js';

/** What became of one tuning cell: its state and, when done, its result. */
export interface TuningOutcome {
  readonly status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  readonly result?: TrialResult;
  readonly error?: string;
}

export const WINNER_RULE =
  'per optimizer variant and data set, the lr with the highest mean validation score over the tuning seeds (to 12 significant digits); a point with a diverged run (or a non-finite score) loses; ties go to the smaller lr; if every point diverged, the smallest lr';

/**
 * The tuning's choice for every row, from its cells' outcomes: each run's score is its validation
 * split's primary metric at the final (or best) epoch; a point's score is the mean over its seeds.
 * A row whose runs did not all end with a result (failed, cancelled, not run) is not decided: its
 * `error` says which run, and its grid cells cannot run. Deterministic: the same outcomes give the
 * same record, so a resumed sweep derives the same second stage.
 */
export function chooseLearningRates(plan: TuningPlan, outcome: (cell: string) => TuningOutcome | undefined): TuningRecord {
  return {
    format: TUNING_FORMAT,
    metric: plan.tune.metric,
    epoch: plan.tune.epoch,
    seeds: [...plan.seeds],
    rule: WINNER_RULE,
    rows: plan.rows.map((row) => chooseRow(row, plan.tune.epoch, outcome)),
  };
}

type RunRecord = TuningRowRecord['points'][number]['runs'][number];

function chooseRow(row: TuningRow, epoch: 'final' | 'best', outcome: (cell: string) => TuningOutcome | undefined): TuningRowRecord {
  const seen: { metric: TuningRowRecord['metric']; samples: number | null } = { metric: null, samples: null };
  const problems: string[] = [];
  const points = row.points.map((p) => {
    const runs = p.cells.map(({ id, seed }): RunRecord => {
      const o = outcome(id);
      const result = o?.status === 'done' ? o.result : undefined;
      if (!result) {
        const status: RunRecord['status'] = o?.status === 'failed' || o?.status === 'cancelled' ? o.status : 'not run';
        problems.push(`tuning cell ${id} ${status === 'not run' ? 'has no result' : status}${o?.error ? ` (${o.error})` : ''}`);
        return { cell: id, seed, status, score: null, ...(o?.error ? { error: o.error } : {}) };
      }
      const v = validationMetric(result);
      if (!v) {
        problems.push(`tuning cell ${id} has no validation metrics`);
        return { cell: id, seed, status: 'failed', score: null, error: 'no validation metrics in its result' };
      }
      seen.metric ??= v.name;
      seen.samples ??= result.validation!.samples;
      const score = epoch === 'final' ? (v.values.at(-1) ?? Number.NaN) : Math.max(...v.values.filter(Number.isFinite), Number.NEGATIVE_INFINITY);
      const diverged = result.status === 'diverged' || !Number.isFinite(score);
      return { cell: id, seed, status: diverged ? 'diverged' : 'completed', score: Number.isFinite(score) ? score : null };
    });
    const diverged = runs.some((r) => r.status === 'diverged');
    const scores = runs.map((r) => r.score);
    const complete = runs.every((r) => r.status === 'completed' || r.status === 'diverged');
    // Rounded to 12 significant digits, so equal scores summed in another order still tie.
    const score = complete && !diverged ? Number((scores.reduce((a, b) => a! + b!, 0)! / scores.length).toPrecision(12)) : null;
    return { lr: p.lr, score, diverged, runs };
  });
  const base = { dataset: row.dataset, label: row.label, optimizer: row.optimizer, metric: seen.metric, centre_lr: row.centre, validation_samples: seen.samples, points, final_cells: [...row.finalCells] };
  if (problems.length) return { ...base, winner: null, error: `no learning rate chosen: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? `; ${problems.length - 3} more` : ''}` };
  // Points are ascending, and only a strictly higher score replaces the best: ties keep the smaller lr.
  let best: (typeof points)[number] | undefined;
  for (const p of points) if (p.score !== null && (best === undefined || p.score > best.score!)) best = p;
  if (!best) return { ...base, winner: { lr: points[0]!.lr, score: null }, note: 'every learning rate diverged: the smallest was chosen' };
  return { ...base, winner: { lr: best.lr, score: best.score } };
}

/**
 * The grid's cells as the tuning's choice makes them: each with its row's winning lr, or — where the
 * row was not decided — the reason it cannot run.
 */
export function tunedCells<C extends Pick<PlannedCell, 'id'> & { readonly trial: TrialConfig }>(
  cells: readonly C[],
  record: TuningRecord,
): { ready: C[]; blocked: Array<{ cell: string; error: string }> } {
  const rowOf = new Map<string, TuningRowRecord>();
  for (const row of record.rows) for (const cell of row.final_cells) rowOf.set(cell, row);
  const ready: C[] = [];
  const blocked: Array<{ cell: string; error: string }> = [];
  for (const cell of cells) {
    const row = rowOf.get(cell.id);
    if (!row) continue;
    if (!row.winner) blocked.push({ cell: cell.id, error: `${row.label} on ${row.dataset}: ${row.error ?? 'no learning rate chosen'}` });
    else ready.push({ ...cell, trial: { ...cell.trial, hyperparameters: { ...cell.trial.hyperparameters, lr: row.winner.lr } } });
  }
  return { ready, blocked };
}
