import type { TrainingCatalog } from '../../settings.js';
import { baseCellId, CELL_ID_PATTERN, cellHash, gridCells, variantLabel, type PlannedCell } from '../grid.js';
import type { SweepSpec } from '../spec.js';
import { DEFAULT_LR_FACTOR, DEFAULT_LR_POINTS, type TuneSpec } from './spec.js';

/** One learning rate of a row and the tuning cells (one per tuning seed) that try it. */
export interface TuningPoint {
  readonly lr: number;
  readonly cells: ReadonlyArray<{ readonly id: string; readonly seed: number }>;
}

/** One optimizer variant on one data set: the learning rates it tries and the grid cells that get the winner. */
export interface TuningRow {
  readonly optimizer: string;
  /** The variant as the grid labels it (`sgd`, `enhanced-sgd[controller=seed]`). */
  readonly label: string;
  readonly dataset: string;
  /** The variant's resolved lr on this data set: the centre of a points/factor grid. */
  readonly centre: number | null;
  /** Ascending. */
  readonly points: readonly TuningPoint[];
  /** The grid's cells (stage 2) of this variant and data set. */
  readonly finalCells: readonly string[];
}

/** A tuned sweep's first stage: its cells, and how they map to the grid's rows. */
export interface TuningPlan {
  readonly tune: TuneSpec;
  /** The seeds the tuning runs use. */
  readonly seeds: readonly number[];
  readonly rows: readonly TuningRow[];
  /** The first stage's cells (stage `tuning`), in row, lr, seed order. */
  readonly cells: readonly PlannedCell[];
}

/** Significant digits of a grid point, so a cell's label, id and trial all carry the same number. */
const LR_DIGITS = 6;

/**
 * The learning rates a row tries, ascending: the spec's `values`, or `points` log-spaced points
 * around `centre` with ratio `factor` — centre·factor^k for k = −(points−1)/2 … (points−1)/2 (whole
 * k for an odd count, so the centre is one of them) — each rounded to 6 significant digits.
 */
export function lrPoints(centre: number | null, lr: TuneSpec['lr'], where = 'tune.lr'): number[] {
  if (lr.values) return [...lr.values].sort((a, b) => a - b);
  const points = lr.points ?? DEFAULT_LR_POINTS;
  const factor = lr.factor ?? DEFAULT_LR_FACTOR;
  if (centre === null || !(centre > 0)) throw new Error(`${where}: no positive lr to centre the grid on (got ${String(centre)}); give tune.lr.values`);
  const values = Array.from({ length: points }, (_, i) => Number((centre * factor ** (i - (points - 1) / 2)).toPrecision(LR_DIGITS)));
  if (new Set(values).size !== values.length) throw new Error(`${where}: factor ${factor} is too close to 1: points repeat at ${LR_DIGITS} significant digits`);
  return values;
}

/** Learning rates per row, from the spec's shape alone. */
function pointCount(tune: TuneSpec): number {
  return tune.lr.values?.length ?? tune.lr.points ?? DEFAULT_LR_POINTS;
}

/** The seeds of the tuning runs: the spec's, else the grid's first. */
export function tuningSeeds(spec: SweepSpec): number[] {
  return spec.tune?.seeds ?? [spec.grid.seed[0]!];
}

/** Cells of the tuning stage, counted from the spec's shape (0 without `tune`). */
export function countTuningCells(spec: SweepSpec, gridCellCount: number): number {
  if (!spec.tune) return 0;
  return (gridCellCount / spec.grid.seed.length) * pointCount(spec.tune) * tuningSeeds(spec).length;
}

/**
 * The tuning stage of a spec with `tune:`: for each row of the grid (optimizer variant × data set)
 * and each of its learning rates, one cell per tuning seed — the grid's trial for that row with
 * that lr and seed (no Grad-CAM). Ids are `tune-` and the grid's id of the variant with the lr as
 * an axis (`tune-sgd_lr0p03-mnist-s1`); where two collide or one is too long, each affected id is
 * cut and given a hash, as the grid's are. Null without `tune:`.
 */
export function planTuning(spec: SweepSpec, catalog: TrainingCatalog, grid: Iterable<PlannedCell> = gridCells(spec, catalog)): TuningPlan | null {
  const tune = spec.tune;
  if (!tune) return null;
  const seeds = tuningSeeds(spec);
  const byRow = new Map<string, PlannedCell[]>();
  for (const cell of grid) {
    const key = `${cell.label}\u0000${cell.dataset}`;
    (byRow.get(key) ?? byRow.set(key, []).get(key)!).push(cell);
  }
  const drafts: Array<{ row: Omit<TuningRow, 'points'>; lrs: number[]; template: PlannedCell }> = [];
  for (const cells of byRow.values()) {
    const template = cells[0]!;
    const lr = template.trial.hyperparameters.lr;
    const centre = typeof lr === 'number' ? lr : null;
    drafts.push({
      row: { optimizer: template.optimizer, label: template.label, dataset: template.dataset, centre, finalCells: cells.map((c) => c.id) },
      lrs: lrPoints(centre, tune.lr, `tune.lr for ${template.label} on ${template.dataset}`),
      template,
    });
  }
  const cells: PlannedCell[] = [];
  for (const { lrs, template } of drafts) {
    for (const lr of lrs) {
      for (const seed of seeds) {
        const axes = { ...template.variant, lr };
        const { gradcam: _none, ...trial } = template.trial;
        cells.push({
          id: `tune-${baseCellId(template.optimizer, axes, template.dataset, seed)}`,
          stage: 'tuning',
          optimizer: template.optimizer,
          variant: axes,
          label: variantLabel(template.optimizer, axes),
          dataset: template.dataset,
          seed,
          trial: { ...trial, seed, hyperparameters: { ...trial.hyperparameters, lr } },
        });
      }
    }
  }
  uniqueIds(cells);
  let next = 0;
  const rows: TuningRow[] = drafts.map(({ row, lrs }) => ({
    ...row,
    points: lrs.map((lr) => ({ lr, cells: seeds.map((seed) => ({ id: cells[next++]!.id, seed })) })),
  }));
  return { tune, seeds, rows, cells };
}

/** Gives each colliding or too long id the cell's hash, as gridCells does (in place). */
function uniqueIds(cells: PlannedCell[]): void {
  const count = new Map<string, number>();
  for (const c of cells) count.set(c.id, (count.get(c.id) ?? 0) + 1);
  for (const c of cells) {
    if (count.get(c.id)! > 1 || !CELL_ID_PATTERN.test(c.id)) c.id = `${c.id.slice(0, 91)}-${cellHash(c.optimizer, { ...c.variant, stage: 'tuning' }, c.dataset, c.seed)}`;
  }
}
