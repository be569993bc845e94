import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tallyCells } from '../../shared/protocol/cell-store.js';
import type { CellState, NodeRecord } from '../../shared/protocol/messages.js';
import type { TrialResult } from '../../shared/result.js';
import { coreVersions, gitCommit } from '../../worker/engine/versions.js';
import { BackgroundFileWriter } from './file-writer.js';

/** What the folder needs to know about a cell to name it in the original's shape. */
export interface CellInfo {
  readonly id: string;
  /** Optimizer and params variant, e.g. `adam[lr=0.0003]`. */
  readonly label: string;
  readonly optimizer: string;
  readonly dataset: string;
  readonly seed: number;
}

/** The original's spelling of our registry names, for `all_results.json` keys. */
const ORIGINAL_NAMES: Record<string, string> = {
  sgd: 'SGD',
  adam: 'Adam',
  adamw: 'AdamW',
  rmsprop: 'RMSprop',
  nadamw: 'NAdamW',
  'enhanced-sgd': 'EnhancedSGD',
  mnist: 'MNIST',
  'cifar-10': 'CIFAR-10',
  cifar10: 'CIFAR-10',
  imdb: 'IMDB',
  ag_news: 'AG_NEWS',
};

/** `<Optimizer>_<Dataset>`, with a params variant kept in brackets: `Adam[lr=0.0003]_MNIST`. */
export function originalKey(cell: CellInfo): string {
  const variant = cell.label.startsWith(cell.optimizer) ? cell.label.slice(cell.optimizer.length) : '';
  return `${ORIGINAL_NAMES[cell.optimizer] ?? cell.optimizer}${variant}_${ORIGINAL_NAMES[cell.dataset] ?? cell.dataset}`;
}

/** Write-then-rename, so a reader (or a crash) never sees half a file. */
async function writeAtomic(path: string, text: string): Promise<void> {
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
 * nodes, backends, start/end, every cell's final state and error).
 */
export class ResultsFolder {
  constructor(readonly dir: string) {}

  get cellsDir(): string {
    return join(this.dir, 'cells');
  }

  async init(specYaml: string): Promise<void> {
    await mkdir(this.cellsDir, { recursive: true });
    const spec = join(this.dir, 'spec.yaml');
    if (!existsSync(spec)) await writeFile(spec, specYaml);
  }

  private readonly writer = new BackgroundFileWriter();

  /** Queued to a writer thread; `writeSummary` waits for every cell file. */
  writeCell(cell: string, result: TrialResult): void {
    this.writer.write(join(this.cellsDir, `${cell}.json`), result);
  }

  /** Waits for the cell files queued so far (and stops the writer thread). */
  async close(): Promise<void> {
    await this.writer.close();
  }

  async writeSummary(s: SweepSummary): Promise<void> {
    const all: Record<string, Record<string, TrialResult>> = {};
    for (const cell of s.cells) {
      const result = s.results.get(cell.id);
      if (!result) continue;
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
          label: c.label,
          dataset: c.dataset,
          seed: c.seed,
          status: state?.status ?? 'queued',
          attempts: state?.attempt ?? 0,
          node: state?.node ?? null,
          error: state?.status === 'done' ? null : (state?.error ?? null),
          final_accuracy: s.results.get(c.id)?.accuracy.at(-1) ?? null,
          result: s.results.has(c.id) ? `cells/${c.id}.json` : null,
        };
      }),
    };
    await writeAtomic(join(this.dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  }
}
