import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { createHash } from 'node:crypto';
import { FINAL_STATUSES, isRevisionConflict, readCell, settleCell } from '../../shared/protocol/cell-store.js';
import { readStoredResult } from '../../shared/protocol/result-store.js';
import { decodeJson, encodeJson, SweepRecordSchema, TRIAL_MESSAGE_FORMAT, type SweepRecord, type TrialMessage } from '../../shared/protocol/messages.js';
import { acceptorName, cellKey, subjects, SUBMISSIONS_STREAM, TRIALS_STREAM } from '../../shared/protocol/names.js';
import type { TrialConfig } from '../../shared/trial.js';
import { sweepClaimTokens } from './claim-token.js';
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
  /** Cells the sweep has in all, when more than `cells` (a tuned sweep publishes its grid's later). */
  readonly plannedCells?: number;
}

/** Server-side dedup id of a cell's message: the same cell published again is dropped. */
export function messageId(sweep: string, cell: string, generation = 0): string {
  return createHash('sha256').update(`${sweep}\n${cell}\n${generation}`).digest('hex').slice(0, 32);
}

/** How many JetStream requests are in flight at once (each is acked; pipelining hides the round trip). */
const PUBLISH_WINDOW = 256;

/** How often a long publish reports how far it is (a 100,000-cell grid takes a minute or more). */
const PROGRESS_EVERY_MS = 2000;

export async function publishTrials(
  nc: NatsConnection,
  stores: Pick<Stores, 'keys'>,
  sweep: string,
  cells: readonly SweepCell[],
  generation = 0,
  onProgress?: (published: number) => void,
): Promise<void> {
  const js = jetstream(nc);
  const tokens = await sweepClaimTokens(stores, sweep);
  let said = Date.now();
  for (let i = 0; i < cells.length; i += PUBLISH_WINDOW) {
    if (onProgress && Date.now() - said >= PROGRESS_EVERY_MS) {
      said = Date.now();
      onProgress(i);
    }
    await Promise.all(
      cells.slice(i, i + PUBLISH_WINDOW).map((cell) => {
        const message: TrialMessage = { format: TRIAL_MESSAGE_FORMAT, sweep, cell: cell.id, trial: cell.trial, token: tokens.token(cell.id) };
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
export async function publishSweep(
  nc: NatsConnection,
  stores: Stores,
  sweep: SweepDefinition,
  onProgress?: (published: number) => void,
): Promise<{ created: number; existing: number }> {
  const now = new Date().toISOString();
  const record: SweepRecord = {
    format: 'grn.sweep/1',
    id: sweep.id,
    name: sweep.name,
    status: 'running',
    cells: sweep.plannedCells ?? sweep.cells.length,
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
  await publishTrials(nc, stores, sweep.id, sweep.cells, 0, onProgress);
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
 * a new message id. Cells whose message is still queued are left alone. A done cell whose stored
 * result cannot be used (readStoredResult) is not done: its record is removed and it runs again.
 */
export async function requeueMissing(nc: NatsConnection, stores: Stores, sweep: SweepDefinition, generation: number): Promise<number> {
  const missing: SweepCell[] = [];
  for (let i = 0; i < sweep.cells.length; i += PUBLISH_WINDOW) {
    const window = sweep.cells.slice(i, i + PUBLISH_WINDOW);
    const lost = await Promise.all(window.map((cell) => needsRequeue(stores, sweep.id, cell.id)));
    window.forEach((cell, j) => lost[j] && missing.push(cell));
  }
  await publishTrials(nc, stores, sweep.id, missing, generation);
  return missing.length;
}

async function needsRequeue(stores: Stores, sweep: string, cell: string): Promise<boolean> {
  const key = cellKey(sweep, cell);
  const entry = await readCell(stores.cells, key);
  if (entry?.state.status === 'done') {
    // A result handed in but not yet judged (the orchestrator was down) is not lost. Looked at
    // before the results bucket: the acceptor stores a result before it acks its submission, so a
    // submission gone from the stream means its result is there.
    if (entry.state.node && (await hasSubmission(stores, sweep, cell, entry.state.node))) return false;
    const stored = await stores.results.get(key);
    const usable = stored?.operation === 'PUT' && !('unreadable' in (await readStoredResult(key, stored.value, stores.artifacts)));
    if (usable) return false;
    const error = stored?.operation === 'PUT' ? 'its stored result was unreadable; run again' : 'done without a stored result; run again';
    if (stored?.operation === 'PUT') await stores.results.delete(key, { previousSeq: stored.revision }).catch(() => undefined);
    await settleCell(stores.cells, key, (s) => (s.status === 'done' ? { ...s, status: 'queued', error, updated_at: new Date().toISOString() } : null));
    return true;
  }
  if (entry && FINAL_STATUSES.has(entry.state.status)) return false;
  const queued = await stores.jsm.streams.getMessage(TRIALS_STREAM, { last_by_subj: subjects.trial(sweep, cell) }).catch(() => null);
  return !queued;
}

/**
 * Whether `node` has a submission for the cell still to be judged: in the stream and past the
 * acceptor's ack floor. One at or below the floor was judged already, or is a write the server
 * could not finish (a full disk) that the consumer will never deliver: not waiting for anything.
 */
async function hasSubmission(stores: Stores, sweep: string, cell: string, node: string): Promise<boolean> {
  const waiting = await stores.jsm.streams.getMessage(SUBMISSIONS_STREAM, { last_by_subj: subjects.submit(node, sweep, cell) }).catch(() => null);
  if (!waiting) return false;
  const acceptor = await stores.jsm.consumers.info(SUBMISSIONS_STREAM, acceptorName(sweep)).catch(() => null);
  return !acceptor || waiting.seq > acceptor.ack_floor.stream_seq;
}
