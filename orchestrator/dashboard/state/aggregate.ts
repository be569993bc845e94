import type { CellView, GridModel } from './grid-model.js';

/** One row of the final table: an optimizer variant on a data set, over its seeds. */
export interface AggregateRow {
  readonly label: string;
  readonly dataset: string;
  /** Seeds with a final accuracy. */
  readonly n: number;
  /** Seeds in the plan. */
  readonly seeds: number;
  readonly failed: number;
  /** Seeds whose training diverged (they count in the mean with their last epoch's accuracy). */
  readonly diverged: number;
  readonly mean: number | null;
  /** Sample standard deviation (n − 1); null below two values. */
  readonly std: number | null;
}

function meanStd(values: readonly number[]): { mean: number | null; std: number | null } {
  if (values.length === 0) return { mean: null, std: null };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  if (values.length < 2) return { mean, std: null };
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1);
  return { mean, std: Math.sqrt(variance) };
}

/**
 * The end-of-sweep table: per optimizer variant × data set, mean ± sample std of the final
 * accuracy over the seeds that finished, with n. Rows in the grid's order (data set, then the
 * spec's optimizer order) so the eye compares optimizers on one data set.
 */
export function aggregateTable(grid: GridModel, scoreOf: (id: string) => number | null | undefined, viewOf: (id: string) => CellView): AggregateRow[] {
  const rows: AggregateRow[] = [];
  for (const dataset of grid.datasets) {
    for (const label of grid.labels) {
      const group = grid.groups.get(`${label}\u0000${dataset}`);
      if (!group) continue;
      const values = group.cells.map((c) => scoreOf(c.id)).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      const diverged = group.cells.filter((c) => viewOf(c.id) === 'diverged').length;
      rows.push({ label, dataset, n: values.length, seeds: group.cells.length, failed: group.counts.failed, diverged, ...meanStd(values) });
    }
  }
  return rows;
}
