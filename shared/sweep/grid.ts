import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import { resolveSettings, type TrainingCatalog } from '../settings.js';
import { DEFAULT_VALIDATION_SEED, GRADCAM_DEFAULT_SAMPLES, TrialConfigSchema, type GradcamConfig, type HyperParameterValue, type TrialConfig } from '../trial.js';
import { planAblation, type AblationPlan, type CellAblation } from './ablation.js';
import { datasetSpec, type DatasetSpec, type GradcamSpec, type OptimizerParams, type SweepSpec } from './spec.js';

/** One combination of an optimizer's list-valued hyper-parameters (its axes). */
export interface OptimizerVariant {
  /** Only the axis values, e.g. { lr: 0.0003 }; {} when the optimizer has no axes. */
  axes: Record<string, HyperParameterValue>;
  /** Fixed overrides plus the axis values, in the order the spec lists them. */
  hyperparameters: Record<string, HyperParameterValue>;
}

/** One cell of the grid: what a worker trains, with a stable id and a label for tables. */
export interface PlannedCell {
  id: string;
  /**
   * In a sweep with a tuning stage (shared/sweep/tuning): `tuning` for a cell of the first stage;
   * absent for the grid's cells, whose lr the tuning chooses. Absent in every other sweep.
   */
  stage?: 'tuning';
  optimizer: string;
  variant: Record<string, HyperParameterValue>;
  /** `adam[lr=0.0003]`, `sgd`: the optimizer variant as reports name it. */
  label: string;
  dataset: string;
  seed: number;
  trial: TrialConfig;
  /** In an ablation (`ablate:`): the base it is compared with and the switch it flips. */
  ablation?: CellAblation;
}

export const CELL_ID_PATTERN = /^[A-Za-z0-9_-]{1,100}$/;
const MAX_ID_LENGTH = 100;

/**
 * The variants of one optimizer: the cartesian product of its list-valued hyper-parameters, first
 * listed axis slowest, values in list order. No params (or only scalars) is one variant.
 */
export function optimizerVariants(params: OptimizerParams | undefined): OptimizerVariant[] {
  let variants: OptimizerVariant[] = [{ axes: {}, hyperparameters: {} }];
  for (const [key, value] of Object.entries(params ?? {})) {
    const values = Array.isArray(value) ? value : [value];
    variants = variants.flatMap((v) =>
      values.map((x) => ({
        axes: Array.isArray(value) ? { ...v.axes, [key]: x } : v.axes,
        hyperparameters: { ...v.hyperparameters, [key]: x },
      })),
    );
  }
  return variants;
}

export function variantLabel(optimizer: string, axes: Record<string, HyperParameterValue>): string {
  const parts = Object.entries(axes).map(([k, v]) => `${k}=${String(v)}`);
  return parts.length === 0 ? optimizer : `${optimizer}[${parts.join(',')}]`;
}

/** Id-safe text: '.' becomes 'p' (0.0003 → 0p0003), anything else outside [A-Za-z0-9-] becomes '_'. */
function slug(text: string): string {
  return text.replace(/\./g, 'p').replace(/[^A-Za-z0-9-]/g, '_');
}

/** `adam_lr0p0003-mnist-s1`; readable, and the same for the same cell in every run of the planner. */
export function baseCellId(optimizer: string, axes: Record<string, HyperParameterValue>, dataset: string, seed: number): string {
  const variant = Object.entries(axes)
    .map(([k, v]) => slug(`${k}${String(v)}`))
    .join('_');
  return `${slug(optimizer)}${variant === '' ? '' : `_${variant}`}-${slug(dataset)}-s${seed}`;
}

/** First 8 hex digits of the SHA-256 of the cell's canonical JSON (sorted keys). */
export function cellHash(optimizer: string, axes: Record<string, HyperParameterValue>, dataset: string, seed: number): string {
  const variant = Object.fromEntries(Object.entries(axes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const canonical = JSON.stringify({ dataset, optimizer, seed, variant });
  return createHash('sha256').update(canonical).digest('hex').slice(0, 8);
}

/**
 * The spec's ablation (shared/sweep/ablation.ts), planned from the catalog's switches; undefined
 * without an `ablate:` block. The spec's checks have reported its problems; one here means the
 * spec was not checked against this catalog.
 */
export function ablationOf(spec: SweepSpec, catalog: TrainingCatalog | undefined): AblationPlan | undefined {
  if (!spec.ablate) return undefined;
  if (!catalog?.switches) throw new Error('an ablate: block needs the catalog of switches to be expanded');
  const plan = planAblation(spec.ablate, catalog.switches(spec.ablate.optimizer));
  if (plan.problems.length) throw new UsageError(`ablate: ${plan.problems.map((p) => p.message).join('; ')}`);
  return plan;
}

/** How many cells the spec has, from its shape (and its ablation's switches): nothing is expanded. */
export function countCells(spec: SweepSpec, catalog?: TrainingCatalog): number {
  let variants = ablationOf(spec, catalog)?.variants.length ?? 0;
  for (const optimizer of spec.grid.optimizer ?? []) {
    let n = 1;
    for (const value of Object.values(spec.params?.[optimizer] ?? {})) n *= Array.isArray(value) ? value.length : 1;
    variants += n;
  }
  return variants * spec.grid.dataset.length * spec.grid.seed.length;
}

/** One (optimizer variant, data set) pair: every seed of it is a cell. */
interface Row {
  readonly optimizer: string;
  readonly variant: OptimizerVariant;
  readonly label: string;
  readonly dataset: DatasetSpec;
  /** The cell id without its `-s<seed>` suffix. */
  readonly prefix: string;
  /** What the cell hash is of, beside optimizer, data set and seed. */
  readonly identity: Record<string, HyperParameterValue>;
  readonly ablation?: CellAblation;
}

/** The grid's optimizer variants, then the ablation's (base first), each × the data sets. */
function* rows(spec: SweepSpec, ablation: AblationPlan | undefined): Generator<Row> {
  for (const optimizer of spec.grid.optimizer ?? []) {
    for (const variant of optimizerVariants(spec.params?.[optimizer])) {
      for (const entry of spec.grid.dataset) {
        const dataset = datasetSpec(entry);
        const prefix = baseCellId(optimizer, variant.axes, dataset.name, 0).replace(/-s0$/, '');
        yield { optimizer, variant, label: variantLabel(optimizer, variant.axes), dataset, prefix, identity: variant.axes };
      }
    }
  }
  for (const v of ablation?.variants ?? []) {
    const optimizer = ablation!.optimizer;
    for (const entry of spec.grid.dataset) {
      const dataset = datasetSpec(entry);
      const variant = { axes: v.hyperparameters, hyperparameters: v.hyperparameters };
      const prefix = `${slug(optimizer)}_${v.idPart}-${slug(dataset.name)}`;
      yield { optimizer, variant, label: v.label, dataset, prefix, identity: { ...v.hyperparameters, ablate: v.idPart }, ablation: v.ablation };
    }
  }
}

/**
 * Every cell of the sweep, one at a time, in a deterministic order: optimizers as listed, then
 * their variants, then data sets, then seeds. Ids are unique: where two readable ids collide
 * (slugging maps 'a.b' and 'apb' alike) or one is too long, each affected id is cut and given the
 * cell's hash, so the result does not depend on which cell came first. Two ids `P-s<seed>` can
 * only be equal with equal seeds (the digits after the last `-s`) and equal P, so collisions are
 * found among the (variant, data set) prefixes — memory grows with those, not with the seeds —
 * and each pair's trial config is validated once, not once per seed.
 *
 * Each trial carries its settings resolved (shared/settings.ts): the catalog's defaults for its
 * data set, `train`, `train_overrides`, the variant — so the plan, the wire message and the
 * stored spec of a cell say exactly what it trains.
 */
export function* gridCells(spec: SweepSpec, catalog: TrainingCatalog): Generator<PlannedCell> {
  const ablation = ablationOf(spec, catalog);
  const seen = new Map<string, number>();
  for (const row of rows(spec, ablation)) seen.set(row.prefix, (seen.get(row.prefix) ?? 0) + 1);
  const dataRoot = spec.data_root?.replace(/\/+$/, '');
  const t = spec.train;
  for (const row of rows(spec, ablation)) {
    const d = row.dataset;
    const s = resolveSettings(catalog, {
      choice: { dataset: d.name, kind: d.kind },
      optimizer: row.optimizer,
      dataOptions: d.options,
      layers: [t, spec.train_overrides?.[d.name] ?? {}],
      params: row.variant.hyperparameters,
    });
    const base = TrialConfigSchema.parse({
      dataset: d.name,
      kind: d.kind,
      // The entry's own path, else its folder under data_root (synthetic workloads ignore it).
      dataDir: d.path ?? (dataRoot !== undefined ? `${dataRoot}/${d.name}` : undefined),
      dataOptions: Object.keys(s.data_options).length ? s.data_options : undefined,
      holdout: d.holdout,
      onBadSample: d.onBadSample,
      validation: s.validation,
      validationSeed: s.validation !== undefined ? (t.validation_seed ?? DEFAULT_VALIDATION_SEED) : undefined,
      model: s.model,
      modelOptions: Object.keys(s.model_options).length ? s.model_options : undefined,
      optimizer: row.optimizer,
      hyperparameters: s.hyperparameters,
      epochs: s.epochs,
      batchSize: s.batch_size,
      seed: 0,
      trainLimit: s.train_limit,
      testLimit: s.test_limit,
      backend: t.backend,
      telemetryEvery: t.telemetry_every,
      checkpointEvery: t.checkpoint_every,
      durationMs: t.duration_ms ?? undefined,
      timeoutS: t.timeout ?? undefined,
      // A sweep-wide `gradcam` covers the cells whose model Grad-CAM can explain (the image
      // models); a data set entry's own setting is taken as asked (the trainer names the layers).
      gradcam: gradcamConfig(d.gradcam ?? (s.model !== undefined && catalog.camLayers?.(s.model).length === 0 ? false : (t.gradcam ?? false))),
    });
    // Drop the keys left undefined so the JSON plan and the wire carry only what is set.
    for (const key of Object.keys(base) as (keyof TrialConfig)[]) if (base[key] === undefined) delete base[key];
    const collides = seen.get(row.prefix)! > 1;
    for (const seed of spec.grid.seed) {
      let id = `${row.prefix}-s${seed}`;
      if (collides || !CELL_ID_PATTERN.test(id)) id = `${id.slice(0, MAX_ID_LENGTH - 9)}-${cellHash(row.optimizer, row.identity, d.name, seed)}`;
      yield { id, optimizer: row.optimizer, variant: row.variant.axes, label: row.label, dataset: d.name, seed, trial: { ...base, seed }, ...(row.ablation ? { ablation: row.ablation } : {}) };
    }
  }
}

/** A spec's `gradcam` (data set entry, else train) as the trial takes it; undefined when off. */
function gradcamConfig(spec: GradcamSpec): GradcamConfig | undefined {
  if (spec === false) return undefined;
  if (spec === true) return { samples: GRADCAM_DEFAULT_SAMPLES };
  return { samples: spec.samples ?? GRADCAM_DEFAULT_SAMPLES, ...(spec.layer ? { layer: spec.layer } : {}) };
}

/** Every cell of the sweep (gridCells, kept), checked to have unique ids. */
export function expandGrid(spec: SweepSpec, catalog: TrainingCatalog): PlannedCell[] {
  const cells = [...gridCells(spec, catalog)];
  const ids = new Set<string>();
  for (const c of cells) ids.add(c.id);
  if (ids.size !== cells.length) throw new Error('expandGrid: cell ids are not unique even with hashes');
  return cells;
}

export interface PlanSummary {
  cells: number;
  /** Distinct (optimizer, variant) pairs, i.e. distinct labels. */
  optimizerVariants: number;
  datasets: number;
  seeds: number;
}

export function planSummary(cells: readonly PlannedCell[]): PlanSummary {
  return {
    cells: cells.length,
    optimizerVariants: new Set(cells.map((c) => c.label)).size,
    datasets: new Set(cells.map((c) => c.dataset)).size,
    seeds: new Set(cells.map((c) => c.seed)).size,
  };
}

/** `mnist-optimizers: 35 cells (7 optimizer variants × 1 data set × 5 seeds)` */
export function planHeadline(name: string, cells: readonly PlannedCell[]): string {
  const s = planSummary(cells);
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  return `${name}: ${n(s.cells, 'cell', 'cells')} (${n(s.optimizerVariants, 'optimizer variant', 'optimizer variants')} × ${n(s.datasets, 'data set', 'data sets')} × ${n(s.seeds, 'seed', 'seeds')})`;
}
