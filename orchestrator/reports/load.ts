import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { GrnError } from '../../shared/errors.js';
import { skippedNotes, type CellAblation } from '../../shared/sweep/ablation.js';
import { ablationOf, expandGrid } from '../../shared/sweep/grid.js';
import { SweepSpecSchema } from '../../shared/sweep/spec.js';
import type { TuningRecord } from '../../shared/sweep/tuning/index.js';
import { LABELS_CATALOG } from '../sweep/known-names.js';
import type { CellDigest } from './digest.js';
import { loadTuning } from './tuning/load.js';
import type { ReportPool } from './pool.js';
import type { DigestJob } from './report.task.js';
import { runDir } from './tensorboard/export.js';

/** A cell of the sweep as planned, with what became of it. */
export interface CellRecord {
  readonly cell: string;
  /** Optimizer and params variant, e.g. `adam[lr=0.0003]`. */
  readonly label: string;
  readonly optimizer: string;
  readonly dataset: string;
  readonly seed: number;
  /** done, failed, cancelled, queued, running; `missing` where nothing records the cell's fate. */
  readonly status: string;
  readonly attempts: number;
  readonly error: string | null;
  /** In an ablation: the base it is compared with and the switch it flips. */
  readonly ablation?: CellAblation;
}

/** A cell with no usable result, and why. */
export interface MissingCell extends CellRecord {
  readonly reason: string;
}

export interface LoadedSweep {
  readonly dir: string;
  readonly id: string;
  readonly name: string;
  /** The sweep's status from manifest.json (`unknown` without one: still running, or killed). */
  readonly status: string;
  readonly description: string | null;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  /** Accuracy target per data set, from the spec. */
  readonly targets: Readonly<Record<string, number>>;
  readonly backends: readonly string[];
  /** Every planned cell, in the spec's order. */
  readonly cells: readonly CellRecord[];
  /** Digests of the cells with a readable result. */
  readonly results: ReadonlyMap<string, CellDigest>;
  /** Planned cells without a usable result: failed, cancelled, never run, or unreadable. */
  readonly missing: readonly MissingCell[];
  /** Where the manifest and the files disagree or something could not be read, said plainly. */
  readonly warnings: readonly string[];
  /** A tuned sweep's tuning.json (tuning/), else null. */
  readonly tuning: TuningRecord | null;
  /** The switches the spec's `ablate: {components: all}` left out, each with why (none without one). */
  readonly ablationNotes: readonly string[];
}

export interface LoadOptions {
  readonly pool: ReportPool;
  /** Write each readable cell's telemetry as TensorBoard events under this folder. */
  readonly tensorboardDir?: string;
  /** Cell files per worker task: big enough to amortise the message, small enough to balance. */
  readonly batchSize?: number;
}

type Json = Record<string, any>;

const optimizerOf = (label: string) => label.replace(/\[.*$/, '');

async function readJson(path: string): Promise<Json | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Json;
  } catch {
    return null;
  }
}

/**
 * Reads `results/<sweep-id>/` as `grn sweep` writes it (see results-folder.ts). The list of cells
 * comes from manifest.json (written when the sweep ends, also when it fails or is interrupted);
 * without one (a sweep still running, or killed hard) from the spec's grid; and cell files that
 * neither lists are taken too, named by their own manifest. So a partial folder still yields a
 * report, and every planned cell without a result is listed with the reason. A tuned sweep's
 * tuning runs (tuning/cells/, manifest stage `tuning`) are not cells of the report: its
 * tuning.json is read for the Tuning section instead.
 */
export async function loadResults(dir: string, options: LoadOptions): Promise<LoadedSweep> {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new GrnError(`no results folder at ${dir}`);
  const warnings: string[] = [];
  const manifest = await readJson(join(root, 'manifest.json'));
  if (existsSync(join(root, 'manifest.json')) && !manifest) warnings.push('manifest.json is not valid JSON: cells taken from spec.yaml and cells/');
  let specRaw: Json | null = null;
  try {
    specRaw = existsSync(join(root, 'spec.yaml')) ? (parseYaml(await readFile(join(root, 'spec.yaml'), 'utf8')) as Json) : null;
  } catch (err) {
    warnings.push(`spec.yaml could not be parsed (${(err as Error).message.split('\n')[0]!.replace(/:$/, '')}): no targets`);
  }

  const cells = new Map<string, CellRecord>();
  if (Array.isArray(manifest?.cells)) {
    for (const c of manifest.cells as Json[]) {
      // A tuned sweep's tuning runs are reported in its Tuning section, not compared as cells.
      if (c.stage === 'tuning') continue;
      cells.set(String(c.cell), {
        cell: String(c.cell),
        label: String(c.label),
        optimizer: optimizerOf(String(c.label)),
        dataset: String(c.dataset),
        seed: Number(c.seed),
        status: String(c.status ?? 'missing'),
        attempts: Number(c.attempts ?? 0),
        error: c.error == null ? null : String(c.error),
        ...ablationField(c.ablation),
      });
    }
  } else if (specRaw) {
    const spec = SweepSpecSchema.safeParse(specRaw);
    if (spec.success) {
      try {
        // Ids, labels, data sets and ablations only: no settings to resolve.
        for (const c of expandGrid(spec.data, LABELS_CATALOG)) {
          cells.set(c.id, { cell: c.id, label: c.label, optimizer: c.optimizer, dataset: c.dataset, seed: c.seed, status: 'missing', attempts: 0, error: null, ...ablationField(c.ablation) });
        }
        warnings.push('no manifest.json (sweep still running, or stopped before its end): cells planned from spec.yaml');
      } catch (err) {
        warnings.push(`no manifest.json and spec.yaml does not plan (${(err as Error).message}): only the cell files found are reported`);
      }
    } else warnings.push('no manifest.json and spec.yaml does not validate: only the cell files found are reported');
  }

  const cellsDir = join(root, 'cells');
  const files = existsSync(cellsDir) ? readdirSync(cellsDir).filter((f) => f.endsWith('.json')) : [];
  const onDisk = new Set(files.map((f) => basename(f, '.json')));
  const jobs: DigestJob[] = [];
  const unplanned: string[] = [];
  for (const id of onDisk) if (!cells.has(id)) unplanned.push(id);
  const tensorboard = (c: CellRecord) => (options.tensorboardDir ? runDir(options.tensorboardDir, c.dataset, c.label, c.seed) : undefined);
  for (const c of cells.values()) {
    if (onDisk.has(c.cell)) jobs.push({ cell: c.cell, path: join(cellsDir, `${c.cell}.json`), tensorboard: tensorboard(c) });
  }

  // Files no list names: read their own manifests for label, data set and seed.
  for (const id of unplanned) {
    const r = await readJson(join(cellsDir, `${id}.json`));
    const m = r?.manifest as Json | undefined;
    if (!m) {
      warnings.push(`cells/${id}.json is not a readable trial result`);
      continue;
    }
    const c: CellRecord = { cell: id, label: String(m.optimizer), optimizer: String(m.optimizer), dataset: String(m.dataset?.name), seed: Number(m.seed), status: 'done', attempts: 0, error: null };
    cells.set(id, c);
    jobs.push({ cell: id, path: join(cellsDir, `${id}.json`), tensorboard: tensorboard(c) });
  }

  const size = options.batchSize ?? 64;
  const batches: Array<Promise<Awaited<ReturnType<ReportPool['digest']>>>> = [];
  for (let i = 0; i < jobs.length; i += size) batches.push(options.pool.digest(jobs.slice(i, i + size)));
  const results = new Map<string, CellDigest>();
  const unreadable = new Map<string, string>();
  for (const batch of await Promise.all(batches)) {
    for (const d of batch.digests) results.set(d.cell, d);
    for (const e of batch.errors) unreadable.set(e.cell, e.error);
  }

  const missing: MissingCell[] = [];
  for (const c of cells.values()) {
    if (results.has(c.cell)) {
      if (c.status !== 'done' && c.status !== 'missing') warnings.push(`${c.cell}: has a result file but the manifest says ${c.status}; the result is used`);
      continue;
    }
    const reason = unreadable.get(c.cell)
      ? `result unreadable: ${unreadable.get(c.cell)}`
      : c.status === 'done'
        ? 'done in the manifest, but cells/' + c.cell + '.json is missing'
        : c.status === 'failed'
          ? `failed${c.attempts ? ` after ${c.attempts} attempt(s)` : ''}: ${c.error ?? 'no error recorded'}`
          : c.status === 'cancelled'
            ? 'cancelled'
            : c.status === 'missing'
              ? 'no result yet'
              : `${c.status} (no result yet)`;
    missing.push({ ...c, reason });
  }

  const targets: Record<string, number> = {};
  for (const [k, v] of Object.entries((specRaw?.target ?? {}) as Json)) if (typeof v === 'number') targets[k] = v;
  const tuning = await loadTuning(root, warnings);
  const backends = Array.isArray(manifest?.backends) ? manifest.backends.map(String) : [...new Set([...results.values()].map((d) => `${d.backend} on ${d.device}`))];
  return {
    dir: root,
    id: String(manifest?.sweep ?? basename(root)),
    name: String(manifest?.name ?? specRaw?.name ?? basename(root)),
    status: String(manifest?.status ?? 'unknown'),
    description: typeof specRaw?.description === 'string' ? specRaw.description : null,
    startedAt: manifest?.started_at ?? null,
    endedAt: manifest?.ended_at ?? null,
    targets,
    backends,
    cells: [...cells.values()],
    results,
    missing,
    warnings,
    tuning,
    ablationNotes: ablationNotesOf(specRaw),
  };
}

/** A manifest's `ablation` of a cell, when it has a well-formed one. */
function ablationField(v: unknown): { ablation?: CellAblation } {
  const a = v as Json | null | undefined;
  if (!a || typeof a.base !== 'string' || (a.component !== null && typeof a.component !== 'string')) return {};
  return { ablation: { base: a.base, component: a.component, ...(a.kind === 'component' || a.kind === 'correction' ? { kind: a.kind } : {}), ...(typeof a.value === 'boolean' ? { value: a.value } : {}) } };
}

/** What the spec's ablation left out, by today's catalog; nothing when the spec has none or does not plan. */
function ablationNotesOf(specRaw: Json | null): string[] {
  const spec = SweepSpecSchema.safeParse(specRaw);
  if (!spec.success) return [];
  try {
    const plan = ablationOf(spec.data, LABELS_CATALOG);
    return plan ? skippedNotes(plan) : [];
  } catch {
    return [];
  }
}
