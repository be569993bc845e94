import type { NatsConnection } from '@nats-io/transport-node';
import { parse as parseYaml } from 'yaml';
import { GrnError } from '../../shared/errors.js';
import { settleCell } from '../../shared/protocol/cell-store.js';
import type { SweepRecord } from '../../shared/protocol/messages.js';
import { cellKey } from '../../shared/protocol/names.js';
import type { PlannedCell } from '../../shared/sweep/grid.js';
import { SweepSpecSchema } from '../../shared/sweep/spec.js';
import { tunedCells, type TuningPlan } from '../../shared/sweep/tuning/index.js';
import { trainingCatalog } from '../../worker/engine/catalog.js';
import { ensureConsumer, type Stores } from './infrastructure.js';
import { expandSweep } from './plan.js';
import { publishTrials, readSweep } from './publish.js';
import { tuningOnServer } from './tuning-stage.js';

/**
 * The cells of a sweep as it was published, from the spec text its record carries. Only the
 * schema is applied, not the engine's name checks: the spec was checked when the sweep was
 * planned, and a client (the dashboard) on another machine may have an older engine. Its
 * catalog's training defaults resolve the cells' settings, as they did when the sweep was planned.
 */
export function cellsOfSweepRecord(record: Pick<SweepRecord, 'id' | 'spec_yaml'>): PlannedCell[] {
  return sweepOfRecord(record).cells;
}

/** The cells of a sweep as it was published (cellsOfSweepRecord) and its tuning stage, if it has one. */
export function sweepOfRecord(record: Pick<SweepRecord, 'id' | 'spec_yaml'>): { cells: PlannedCell[]; tuning: TuningPlan | null } {
  const parsed = SweepSpecSchema.safeParse(parseYaml(record.spec_yaml));
  if (!parsed.success) throw new GrnError(`sweep ${record.id}: its spec does not parse (${parsed.error.issues[0]?.message ?? 'invalid'})`);
  return expandSweep(parsed.data, trainingCatalog, `sweep ${record.id}`);
}

/**
 * "Retry failed cells" (the dashboard's `r`): each named cell that is still failed goes back to
 * queued and its trial message is published again. The old message is gone (a worker term()s a
 * failed cell's message, a give-up advisory deletes it), so the new one carries a new
 * Nats-Msg-Id generation — the server would otherwise drop it as a duplicate of the first
 * publish. Workers claim a re-queued cell like any other (its entry exists, so by
 * compare-and-set), with a fresh delivery count, i.e. max_deliver attempts again.
 *
 * Only while the sweep's orchestrator is running: it ends the sweep (and deletes the sweep's
 * consumer) once every cell is final, after which nothing would take the messages.
 * A tuned sweep's grid cell runs with the lr its tuning chose (derived from the stored tuning
 * results); one whose tuning row is not decided is left queued when a tuning cell is retried with
 * it (the orchestrator publishes it when the tuning is over again), else failed again.
 * Returns the cells re-queued.
 */
export async function retryFailedCells(nc: NatsConnection, stores: Stores, sweepId: string, cellIds: readonly string[], generation = Date.now()): Promise<string[]> {
  const sweep = await readSweep(stores, sweepId);
  if (!sweep) throw new GrnError(`no sweep '${sweepId}' on this server`);
  const status = sweep.record.status;
  if (status !== 'running' && status !== 'paused') {
    throw new GrnError(`sweep ${sweepId} is ${status}: failed cells can be retried only while the sweep runs`);
  }
  const { cells, tuning } = sweepOfRecord(sweep.record);
  const byId = new Map(cells.map((c) => [c.id, c]));
  const unknown = cellIds.filter((id) => !byId.has(id));
  if (unknown.length) throw new GrnError(`sweep ${sweepId} has no cell ${unknown.slice(0, 3).join(', ')}${unknown.length > 3 ? ', …' : ''}`);

  let requeued = (await reopenFailed(stores, sweepId, cellIds)).map((id) => byId.get(id)!);
  if (tuning && requeued.some((c) => c.stage !== 'tuning')) requeued = await withTunedLr(stores, sweepId, tuning, requeued);
  if (requeued.length) {
    // The consumer exists while the sweep runs; ensure it anyway (idempotent) so the messages
    // are not left in the stream without one.
    await ensureConsumer(stores.jsm, sweepId, sweep.record.max_deliver);
    await publishTrials(nc, stores, sweepId, requeued, generation);
  }
  return requeued.map((c) => c.id);
}

/**
 * Moves the named cells that are failed back to queued (their last error stays until an attempt
 * succeeds) and returns their ids; whoever calls it publishes their messages again.
 */
export async function reopenFailed(stores: Stores, sweepId: string, cellIds: readonly string[]): Promise<string[]> {
  const reopened: string[] = [];
  const now = new Date().toISOString();
  const WINDOW = 256;
  for (let i = 0; i < cellIds.length; i += WINDOW) {
    await Promise.all(
      cellIds.slice(i, i + WINDOW).map(async (id) => {
        let moved = false;
        await settleCell(stores.cells, cellKey(sweepId, id), (s) => {
          moved = s.status === 'failed';
          return moved ? { ...s, status: 'queued', updated_at: now } : null;
        });
        if (moved) reopened.push(id);
      }),
    );
  }
  return reopened;
}

/**
 * Re-queued cells of a tuned sweep as they run: tuning cells as planned, grid cells with the lr the
 * tuning chose. Grid cells of a row not decided wait for the tuning (queued, unpublished) when one
 * of its cells is being retried too, and are failed again otherwise.
 */
async function withTunedLr(stores: Stores, sweepId: string, tuning: TuningPlan, cells: readonly PlannedCell[]): Promise<PlannedCell[]> {
  const record = await tuningOnServer(stores, sweepId, tuning);
  const { ready, blocked } = tunedCells(cells.filter((c) => c.stage !== 'tuning'), record);
  const retriedTuning = new Set(cells.filter((c) => c.stage === 'tuning').map((c) => c.id));
  const now = new Date().toISOString();
  for (const b of blocked) {
    const row = record.rows.find((r) => r.final_cells.includes(b.cell))!;
    const waits = row.points.some((p) => p.runs.some((r) => retriedTuning.has(r.cell)));
    if (!waits) await settleCell(stores.cells, cellKey(sweepId, b.cell), (s) => (s.status === 'queued' ? { ...s, status: 'failed', error: b.error, updated_at: now } : null));
  }
  return [...cells.filter((c) => c.stage === 'tuning'), ...ready];
}
