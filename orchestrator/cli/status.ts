import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { metricShort } from '../../shared/metrics.js';
import { GrnError } from '../../shared/errors.js';
import { readCell, tallyCells } from '../../shared/protocol/cell-store.js';
import { z } from 'zod';
import { CELL_STATUSES, type CellStatus } from '../../shared/protocol/messages.js';
import { ensureStores } from '../sweep/infrastructure.js';
import { connectForCommand, type ServerFlags } from './locate.js';
import { widest } from './table.js';
import { readSweep } from '../sweep/publish.js';

export interface CellRow {
  cell: string;
  status: CellStatus;
  attempts: number;
  node: string | null;
  /** The task's primary metric (accuracy; miou for segmentation) and its final value. */
  metric: string | null;
  final_score: number | null;
  error: string | null;
}

export interface SweepStatusReport {
  sweep: string;
  source: string;
  status: string;
  counts: Record<string, number>;
  cells: CellRow[];
}

/** Live from the server when one is reachable for this sweep, else from its results folder. */
export async function sweepStatus(flags: ServerFlags, id: string): Promise<SweepStatusReport> {
  const connection = await connectForCommand(flags, id, 'sweep status');
  if (connection) {
    try {
      const stores = await ensureStores(connection.nc);
      const sweep = await readSweep(stores, id);
      if (!sweep) throw new GrnError(`no sweep '${id}' on ${connection.url}`);
      const keys: string[] = [];
      for await (const key of await stores.cells.keys(`${id}.>`)) keys.push(key);
      const cells: CellRow[] = [];
      for (const key of keys.sort()) {
        // An unreadable value shows as queued, with why (readCell), rather than ending the command.
        const entry = await readCell(stores.cells, key);
        if (!entry) continue;
        const s = entry.state;
        cells.push({ cell: s.cell, status: s.status, attempts: s.attempt, node: s.node ?? null, metric: s.metric ?? null, final_score: s.final_score ?? null, error: s.status === 'done' ? null : (s.error ?? null) });
      }
      // Cells nobody has touched yet have no entry: they are queued.
      const counts = tallyCells(cells.map((c) => c.status));
      counts.queued += sweep.record.cells - cells.length;
      counts.total = sweep.record.cells;
      return { sweep: id, source: connection.url, status: sweep.record.status, counts, cells };
    } finally {
      await connection.nc.close();
    }
  }
  const file = join(flags.results, id, 'manifest.json');
  const text = await readFile(file, 'utf8').catch(() => {
    throw new GrnError(`no running server for sweep '${id}' and no ${file}; pass --server or --results`);
  });
  const parsed = ManifestSchema.safeParse((() => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  })());
  if (!parsed.success) throw new GrnError(`${file}: not a sweep manifest (${parsed.error.issues[0]?.path.join('.') || 'not JSON'}); grn sweep export ${id} writes it again from the server`);
  const cells = parsed.data.cells.map((c) => ({ cell: c.cell, status: c.status, attempts: c.attempts, node: c.node, metric: c.metric ?? null, final_score: c.final_score ?? c.final_accuracy ?? null, error: c.error }));
  return { sweep: id, source: file, status: parsed.data.status, counts: tallyCells(cells.map((c) => c.status)), cells };
}

/** The part of manifest.json that status reads. */
const ManifestSchema = z.object({
  status: z.string(),
  cells: z.array(
    z.object({
      cell: z.string(),
      status: z.enum(CELL_STATUSES),
      attempts: z.number(),
      node: z.string().nullable(),
      metric: z.string().nullable().optional(),
      final_score: z.number().nullable().optional(),
      /** Manifests written before results named their metric. */
      final_accuracy: z.number().nullable().optional(),
      error: z.string().nullable(),
    }),
  ),
});


export function printStatus(r: SweepStatusReport, out: NodeJS.WritableStream): void {
  const c = r.counts;
  out.write(`sweep ${r.sweep}: ${r.status} — ${c.done} done, ${c.running} running, ${c.queued} queued, ${c.failed} failed, ${c.cancelled} cancelled of ${c.total} (from ${r.source})\n`);
  const width = widest(r.cells.map((x) => x.cell), 4);
  // The score column is each cell's primary metric: named in the header when all share one.
  const metrics = new Set(r.cells.flatMap((x) => (x.metric ? [x.metric] : [])));
  const one = metrics.size <= 1;
  const header = one ? metricShort([...metrics][0]) : 'score';
  out.write(`${'cell'.padEnd(width)}  ${'status'.padEnd(9)}  tries  ${header.padStart(13)}  node / error\n`);
  for (const x of r.cells) {
    const score = x.final_score === null ? '-' : `${(x.final_score * 100).toFixed(2)}%${one ? '' : ` ${metricShort(x.metric ?? undefined)}`}`;
    out.write(`${x.cell.padEnd(width)}  ${x.status.padEnd(9)}  ${String(x.attempts).padStart(5)}  ${score.padStart(13)}  ${x.error ?? x.node ?? ''}\n`);
  }
}
