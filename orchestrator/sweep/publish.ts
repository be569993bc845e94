import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { createHash } from 'node:crypto';
import { FINAL_STATUSES, isRevisionConflict, readCell } from '../../shared/protocol/cell-store.js';
import { decodeJson, encodeJson, SweepRecordSchema, TRIAL_MESSAGE_FORMAT, type SweepRecord, type TrialMessage } from '../../shared/protocol/messages.js';
import { cellKey, subjects, TRIALS_STREAM } from '../../shared/protocol/names.js';
import type { TrialConfig } from '../../shared/trial.js';
import { ensureConsumer, type Stores } from './infrastructure.js';

export interface SweepCell {
  readonly id: string;
  readonly trial: TrialConfig;
}

export interface SweepDefinition {
  readonly id: string;
  readonly name: string;
  readonly specYaml: string;
  readonly maxDeliver: number;
  readonly cells: readonly SweepCell[];
}

/** Server-side dedup id of a cell's message: the same cell published again is dropped. */
export function messageId(sweep: string, cell: string, generation = 0): string {
  return createHash('sha256').update(`${sweep}\n${cell}\n${generation}`).digest('hex').slice(0, 32);
}

/** How many JetStream requests are in flight at once (each is acked; pipelining hides the round trip). */
const PUBLISH_WINDOW = 256;

export async function publishTrials(nc: NatsConnection, sweep: string, cells: readonly SweepCell[], generation = 0): Promise<void> {
  const js = jetstream(nc);
  for (let i = 0; i < cells.length; i += PUBLISH_WINDOW) {
    await Promise.all(
      cells.slice(i, i + PUBLISH_WINDOW).map((cell) => {
        const message: TrialMessage = { format: TRIAL_MESSAGE_FORMAT, sweep, cell: cell.id, trial: cell.trial };
        return js.publish(subjects.trial(sweep, cell.id), encodeJson(message), { msgID: messageId(sweep, cell.id, generation) });
      }),
    );
  }
}

/**
 * Publishes a sweep: its consumer, its record (create-if-absent) and one trial message per cell.
 * Publishing the same sweep again sends nothing: the record exists (KV create-if-absent lasts,
 * unlike the server's Nats-Msg-Id window, which still guards a retried publish). A sweep whose
 * publishing was cut short is completed by `requeueMissing` (resume). Returns how many cells
 * were published.
 */
export async function publishSweep(nc: NatsConnection, stores: Stores, sweep: SweepDefinition): Promise<{ created: number; existing: number }> {
  const now = new Date().toISOString();
  const record: SweepRecord = {
    format: 'grn.sweep/1',
    id: sweep.id,
    name: sweep.name,
    status: 'running',
    cells: sweep.cells.length,
    max_deliver: sweep.maxDeliver,
    spec_yaml: sweep.specYaml,
    created_at: now,
    updated_at: now,
  };
  // The consumer first: workers start pulling as soon as they see the sweep record.
  await ensureConsumer(stores.jsm, sweep.id, sweep.maxDeliver);
  try {
    await stores.sweeps.create(sweep.id, encodeJson(record));
  } catch (err) {
    if (!isRevisionConflict(err)) throw err;
    return { created: 0, existing: sweep.cells.length };
  }
  await publishTrials(nc, sweep.id, sweep.cells);
  return { created: sweep.cells.length, existing: 0 };
}

export async function readSweep(stores: Stores, id: string): Promise<{ record: SweepRecord; revision: number } | null> {
  const entry = await stores.sweeps.get(id);
  if (!entry || entry.operation !== 'PUT') return null;
  return { record: decodeJson(SweepRecordSchema, entry.value, `sweep ${id}`), revision: entry.revision };
}

/** Sets a sweep's status (pause, cancel, done); workers watch the bucket and act on it. */
export async function setSweepStatus(stores: Stores, id: string, status: SweepRecord['status']): Promise<SweepRecord> {
  for (;;) {
    const current = await readSweep(stores, id);
    if (!current) throw new Error(`no sweep '${id}' on this server`);
    const next = { ...current.record, status, updated_at: new Date().toISOString() };
    try {
      await stores.sweeps.update(id, encodeJson(next), current.revision);
      return next;
    } catch (err) {
      if (!isRevisionConflict(err)) throw err;
    }
  }
}

/**
 * Resume: every cell without a final state whose message is no longer in the stream (lost with a
 * killed orchestrator before it was published, or term'ed) is queued again and re-published under
 * a new message id. Cells whose message is still queued are left alone.
 */
export async function requeueMissing(nc: NatsConnection, stores: Stores, sweep: SweepDefinition, generation: number): Promise<number> {
  const missing: SweepCell[] = [];
  for (const cell of sweep.cells) {
    const key = cellKey(sweep.id, cell.id);
    const entry = await readCell(stores.cells, key);
    if (entry && FINAL_STATUSES.has(entry.state.status)) continue;
    const queued = await stores.jsm.streams.getMessage(TRIALS_STREAM, { last_by_subj: subjects.trial(sweep.id, cell.id) }).catch(() => null);
    if (!queued) missing.push(cell);
  }
  await publishTrials(nc, sweep.id, missing, generation);
  return missing.length;
}
