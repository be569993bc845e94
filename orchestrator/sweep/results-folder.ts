import type { ObjectStore } from '@nats-io/obj';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { UsageError } from '../../shared/errors.js';
import { tallyCells } from '../../shared/protocol/cell-store.js';
import { specIdentity } from '../../shared/sweep/identity.js';
import type { CellState, NodeRecord, ResultRecord } from '../../shared/protocol/messages.js';
import type { CellAblation } from '../../shared/sweep/ablation.js';
import { primaryMetric, type TrialResult } from '../../shared/result.js';
import { DATASETS, OPTIMIZERS } from '../../worker/engine/catalog.js';
import { coreVersions, gitCommit } from '../../worker/engine/versions.js';
import { BackgroundFileWriter } from './file-writer.js';
import type { FailedWrite } from './write-files.task.js';
import type { TuningRecord } from '../../shared/sweep/tuning/index.js';

/** What the folder needs to know about a cell to name it in the original's shape. */
export interface CellInfo {
  readonly id: string;
  /** Optimizer and params variant, e.g. `adam[lr=0.0003]`. */
  readonly label: string;
  readonly optimizer: string;
  readonly dataset: string;
  readonly seed: number;
  /** `tuning`: a cell of a tuned sweep's first stage (its result goes to tuning/cells/). */
  readonly stage?: 'tuning';
  /** In an ablation: the base it is compared with and the switch it flips. */
  readonly ablation?: CellAblation;
}


/** `<Optimizer>_<Dataset>` as the original spells them (the catalog's display names), with a params variant kept in brackets: `Adam[lr=0.0003]_MNIST`. */
export function originalKey(cell: CellInfo): string {
  const variant = cell.label.startsWith(cell.optimizer) ? cell.label.slice(cell.optimizer.length) : '';
  return `${OPTIMIZERS.find(cell.optimizer)?.displayName ?? cell.optimizer}${variant}_${DATASETS.find(cell.dataset)?.displayName ?? cell.dataset}`;
}

/** Write-then-rename, so a reader (or a crash) never sees half a file. */
async function writeAtomic(path: string, text: string | Uint8Array): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

export interface SweepSummary {
  readonly sweep: string;
  readonly name: string;
  readonly status: string;
  readonly cells: readonly CellInfo[];
  readonly states: ReadonlyMap<string, CellState>;
  readonly results: ReadonlyMap<string, TrialResult>;
  readonly nodes: ReadonlyMap<string, NodeRecord>;
  readonly server: string;
  readonly startedAt: string;
  readonly endedAt: string | null;
}

/**
 * `results/<sweep-id>/`: spec.yaml as run, cells/<cell>.json (one trial result each, written as
 * it arrives, atomically), all_results.json in the original's shape, and manifest.json (versions,
 * nodes, backends, start/end, every cell's final state and error). A tuned sweep also has
 * tuning/cells/<cell>.json (its tuning stage's results, kept out of cells/ so that reports and
 * all_results.json hold only the grid's) and tuning.json (what the tuning chose).
 */
export class ResultsFolder {
  /** Result files that could not be written (their results stay on the server: `grn sweep export`). */
  readonly unwritten = new Map<string, FailedWrite>();

  /** `onWriteFailure` hears of every file that could not be written, as soon as its write returns. */
  constructor(
    readonly dir: string,
    private readonly onWriteFailure: (failed: FailedWrite) => void = () => undefined,
  ) {}

  get cellsDir(): string {
    return join(this.dir, 'cells');
  }

  /** Where a cell's result file goes: cells/, or tuning/cells/ for a tuning cell. */
  cellFile(cell: string, stage?: 'tuning'): string {
    return join(stage === 'tuning' ? join(this.dir, 'tuning', 'cells') : this.cellsDir, `${cell}.json`);
  }

  get specFile(): string {
    return join(this.dir, 'spec.yaml');
  }

  /**
   * Creates the folder, or checks that the one there is this sweep's: a folder holding another
   * spec under the same id is refused rather than mixed with this one (its results, manifest and
   * report would describe neither).
   */
  async init(specYaml: string, id: string, options: { tuning?: boolean } = {}): Promise<void> {
    const existing = await readFile(this.specFile, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw new UsageError(`${this.specFile}: cannot read (${err.code ?? err.message})`);
    });
    if (existing !== null && specIdentity(existing) !== specIdentity(specYaml)) throw differentSpecError(id, this.specFile);
    await mkdir(this.cellsDir, { recursive: true });
    if (options.tuning) await mkdir(join(this.dir, 'tuning', 'cells'), { recursive: true });
    if (existing === null) await writeFile(this.specFile, specYaml);
  }

  private readonly writer = new BackgroundFileWriter((failed) => {
    this.unwritten.set(failed.path, failed);
    this.onWriteFailure(failed);
  });

  /** `gradcam/<cell>/`: a cell's Grad-CAM PNGs. */
  gradcamDir(cell: string): string {
    return join(this.dir, 'gradcam', cell);
  }

  /**
   * Queued to a writer thread; `close` waits for every cell file. A result with Grad-CAM images
   * names their folder, relative to the cell file (writeArtefacts puts them there).
   */
  writeCell(cell: string, result: TrialResult, stage?: 'tuning'): void {
    const path = this.cellFile(cell, stage);
    this.unwritten.delete(path);
    this.writer.write(path, result.gradcam ? { ...result, gradcam: { ...result.gradcam, dir: `../gradcam/${cell}` } } : result);
  }

  private readonly artefactWrites = new Set<Promise<void>>();

  /**
   * Copies the files a result record lists (Grad-CAM PNGs) from the Object Store into
   * `gradcam/<cell>/`, each checked against its sha256; one that cannot be read or written is
   * reported as unwritten, like a cell file (`grn sweep export` writes it again).
   */
  writeArtefacts(cell: string, record: ResultRecord, store: ObjectStore): void {
    if (!record.artefacts?.length) return;
    const dir = this.gradcamDir(cell);
    const task = (async () => {
      await mkdir(dir, { recursive: true });
      for (const f of record.artefacts!) {
        const path = join(dir, f.name);
        this.unwritten.delete(path);
        try {
          const bytes = await store.getBlob(f.object);
          if (!bytes) throw Object.assign(new Error(`object ${f.object} is not in the Object Store`), { code: 'ENOENT' });
          const sha = createHash('sha256').update(bytes).digest('hex');
          if (sha !== f.sha256) throw new Error(`object ${f.object} has sha256 ${sha}, its record says ${f.sha256}`);
          await writeAtomic(path, bytes);
        } catch (err) {
          const e = err as NodeJS.ErrnoException;
          const failed = { path, code: e.code ?? null, message: e.message };
          this.unwritten.set(path, failed);
          this.onWriteFailure(failed);
        }
      }
    })().catch((err: Error) => {
      const failed = { path: dir, code: (err as NodeJS.ErrnoException).code ?? null, message: err.message };
      this.unwritten.set(dir, failed);
      this.onWriteFailure(failed);
    });
    this.artefactWrites.add(task);
    void task.finally(() => this.artefactWrites.delete(task));
  }

  /** Waits for the cell files and artefacts queued so far (and stops the writer thread). */
  async close(): Promise<void> {
    await Promise.all([...this.artefactWrites]);
    await this.writer.close();
  }

  /** tuning.json: what a tuned sweep's first stage chose (shared/sweep/tuning/record.ts). */
  async writeTuning(record: TuningRecord): Promise<void> {
    await writeAtomic(join(this.dir, 'tuning.json'), `${JSON.stringify(record, null, 2)}\n`);
  }

  async writeSummary(s: SweepSummary): Promise<void> {
    const all: Record<string, Record<string, TrialResult>> = {};
    for (const cell of s.cells) {
      const result = s.results.get(cell.id);
      // The original's shape holds the comparison itself: a tuned sweep's grid, not its tuning runs.
      if (!result || cell.stage === 'tuning') continue;
      (all[originalKey(cell)] ??= {})[String(cell.seed)] = result;
    }
    await writeAtomic(join(this.dir, 'all_results.json'), `${JSON.stringify(all)}\n`);
    const backends = new Set<string>();
    for (const r of s.results.values()) backends.add(`${r.manifest.backend} on ${r.manifest.device}`);
    const manifest = {
      format: 'grn.sweep-manifest/1',
      sweep: s.sweep,
      name: s.name,
      status: s.status,
      server: s.server,
      started_at: s.startedAt,
      ended_at: s.endedAt,
      versions: { ...coreVersions(), node: process.version },
      git_commit: gitCommit(),
      nodes: [...s.nodes.values()].map((n) => ({ node: n.node, host: n.host, gpus: n.gpus, slots: n.slots.map((x) => x.slot), backend: n.backend })),
      backends: [...backends],
      counts: tallyCells(s.cells.map((c) => s.states.get(c.id)?.status)),
      cells: s.cells.map((c) => {
        const state = s.states.get(c.id);
        return {
          cell: c.id,
          ...(c.stage ? { stage: c.stage } : {}),
          label: c.label,
          ...(c.ablation ? { ablation: c.ablation } : {}),
          dataset: c.dataset,
          seed: c.seed,
          status: state?.status ?? 'queued',
          attempts: state?.attempt ?? 0,
          node: state?.node ?? null,
          error: state?.status === 'done' ? null : (state?.error ?? null),
          // The task's primary metric (accuracy; mIoU for segmentation), named beside its value.
          ...finalScore(s.results.get(c.id)),
          result: s.results.has(c.id) ? `${c.stage === 'tuning' ? 'tuning/cells' : 'cells'}/${c.id}.json` : null,
        };
      }),
    };
    await writeAtomic(join(this.dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  }
}

/** The way out of an id clash, said once for the folder and the server alike. */
export function differentSpecError(id: string, where: string): UsageError {
  return new UsageError(
    `sweep id '${id}' already holds a different spec (${where}); run this spec under another id (--id NEW, or leave --id out for a fresh one), or continue the existing sweep with: grn sweep resume ${id}`,
  );
}

/** A result's primary metric and its last value, for manifest.json (null before a result). */
function finalScore(result: TrialResult | undefined): { metric: string | null; final_score: number | null } {
  if (!result) return { metric: null, final_score: null };
  const { name, values } = primaryMetric(result);
  return { metric: name, final_score: values.at(-1) ?? null };
}
