import { tallyCells, type CellCounts } from '../../../shared/protocol/cell-store.js';
import type { CellStatus } from '../../../shared/protocol/messages.js';

/** What a cell shows: its status, or `diverged` for a done cell whose training diverged. */
export type CellView = CellStatus | 'diverged';

/** A cell of the sweep as the dashboard groups it: the grid's row (label), column (data set), seed. */
export interface PlanCell {
  readonly id: string;
  /** Optimizer and params variant, e.g. `adam[lr=0.0003]`: one grid row. */
  readonly label: string;
  readonly optimizer: string;
  readonly dataset: string;
  readonly seed: number;
}

/** One grid cell: every seed of one optimizer variant on one data set. */
export interface GroupSummary {
  readonly label: string;
  readonly dataset: string;
  /** Ordered by seed. */
  readonly cells: readonly PlanCell[];
  readonly counts: CellCounts;
  /** Mean final accuracy over the seeds that have one; null while none has. */
  readonly meanScore: number | null;
  /** Seeds that contributed to the mean. */
  readonly withScore: number;
}

export interface GridModel {
  /** Rows, in plan order (the spec's optimizer order, then variants). */
  readonly labels: readonly string[];
  /** Columns, in plan order. */
  readonly datasets: readonly string[];
  readonly groups: ReadonlyMap<string, GroupSummary>;
}

export function groupKey(label: string, dataset: string): string {
  return `${label}\u0000${dataset}`;
}

/** Does the `/` filter text keep this group? Case-insensitive substring of "label dataset". */
export function matchesFilter(label: string, dataset: string, filter: string): boolean {
  if (filter === '') return true;
  return `${label} ${dataset}`.toLowerCase().includes(filter.toLowerCase());
}

/** The grid's shape for a filter: rows, columns and each group's cells (sorted by seed). */
export interface GridShape {
  readonly labels: readonly string[];
  readonly datasets: readonly string[];
  readonly members: ReadonlyMap<string, readonly PlanCell[]>;
}

/** Groups the plan's cells by (label, data set), in plan order; depends only on the plan and filter. */
export function gridShape(cells: readonly PlanCell[], filter = ''): GridShape {
  const labels: string[] = [];
  const datasets: string[] = [];
  const seenLabels = new Set<string>();
  const seenDatasets = new Set<string>();
  const members = new Map<string, PlanCell[]>();
  for (const cell of cells) {
    if (!matchesFilter(cell.label, cell.dataset, filter)) continue;
    if (!seenLabels.has(cell.label)) (seenLabels.add(cell.label), labels.push(cell.label));
    if (!seenDatasets.has(cell.dataset)) (seenDatasets.add(cell.dataset), datasets.push(cell.dataset));
    const key = groupKey(cell.label, cell.dataset);
    let list = members.get(key);
    if (!list) members.set(key, (list = []));
    list.push(cell);
  }
  for (const list of members.values()) list.sort((a, b) => a.seed - b.seed);
  return { labels, datasets, members };
}

/** One group's counts and mean final accuracy. */
export function summarizeGroup(list: readonly PlanCell[], statusOf: (id: string) => CellStatus | undefined, scoreOf: (id: string) => number | null | undefined): GroupSummary {
  let sum = 0;
  let n = 0;
  for (const c of list) {
    const acc = scoreOf(c.id);
    if (typeof acc === 'number' && Number.isFinite(acc)) (sum += acc), n++;
  }
  return {
    label: list[0]!.label,
    dataset: list[0]!.dataset,
    cells: list,
    counts: tallyCells(list.map((c) => statusOf(c.id))),
    meanScore: n ? sum / n : null,
    withScore: n,
  };
}

/**
 * Groups the plan's cells into the grid in one pass. The store does the same incrementally (the
 * shape once per filter, a group's summary again only when one of its cells moved), so a frame
 * of a 10,000-cell sweep does not regroup everything.
 */
export function buildGrid(
  cells: readonly PlanCell[],
  statusOf: (id: string) => CellStatus | undefined,
  scoreOf: (id: string) => number | null | undefined,
  filter = '',
): GridModel {
  const shape = gridShape(cells, filter);
  const groups = new Map<string, GroupSummary>();
  for (const [key, list] of shape.members) groups.set(key, summarizeGroup(list, statusOf, scoreOf));
  return { labels: shape.labels, datasets: shape.datasets, groups };
}
