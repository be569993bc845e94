import { JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { CellStateSchema, decodeJson, encodeJson, type CellState } from './messages.js';

/** JetStream's "wrong last sequence": a create-if-absent or compare-and-set lost the race. */
export function isRevisionConflict(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === 10071;
}

export interface CellEntry {
  readonly state: CellState;
  readonly revision: number;
}

/** The cell's state and revision, or null when the key is absent or deleted. */
export async function readCell(cells: KV, key: string): Promise<CellEntry | null> {
  const entry = await cells.get(key);
  if (!entry || entry.operation !== 'PUT' || entry.length === 0) return null;
  return { state: decodeJson(CellStateSchema, entry.value, `cell ${key}`), revision: entry.revision };
}

/** Moves a cell only if nobody moved it since `revision`; returns the new revision or null on a lost race. */
export async function casCell(cells: KV, key: string, revision: number, state: CellState): Promise<number | null> {
  try {
    return await cells.update(key, encodeJson(state), revision);
  } catch (err) {
    if (isRevisionConflict(err)) return null;
    throw err;
  }
}

/**
 * A cell has no entry until something happens to it: absent means queued (publishing a sweep
 * writes only its messages, which keeps the per-cell cost of dispatch down).
 */
export function queuedState(key: string): CellState {
  const dot = key.indexOf('.');
  return { sweep: key.slice(0, dot), cell: key.slice(dot + 1), status: 'queued', attempt: 0, updated_at: new Date().toISOString() };
}

/** Create-if-absent; the new revision, or null when the cell already has an entry. */
export async function createCell(cells: KV, key: string, state: CellState): Promise<number | null> {
  try {
    return await cells.create(key, encodeJson(state));
  } catch (err) {
    if (isRevisionConflict(err)) return null;
    throw err;
  }
}

/**
 * Read-modify-write until it sticks: `change` sees the current state (queued when absent) and
 * returns the next one, or null to leave the cell as it is. For moves that must happen whoever
 * raced (a stored result makes the cell done; cancel; a give-up advisory).
 */
export async function settleCell(cells: KV, key: string, change: (current: CellState) => CellState | null): Promise<CellState | null> {
  for (let tries = 0; tries < 20; tries++) {
    const current = await readCell(cells, key);
    const next = change(current?.state ?? queuedState(key));
    if (!next) return current?.state ?? null;
    const written = current ? await casCell(cells, key, current.revision, next) : await createCell(cells, key, next);
    if (written !== null) return next;
  }
  throw new Error(`cell ${key}: gave up after 20 compare-and-set conflicts`);
}

export const FINAL_STATUSES: ReadonlySet<CellState['status']> = new Set(['done', 'failed', 'cancelled']);

export type CellCounts = Record<CellState['status'], number> & { total: number };

/** Counts per status; a cell with no state yet counts as queued. */
export function tallyCells(statuses: Iterable<CellState['status'] | undefined>): CellCounts {
  const counts: CellCounts = { queued: 0, running: 0, done: 0, failed: 0, cancelled: 0, total: 0 };
  for (const status of statuses) {
    counts[status ?? 'queued']++;
    counts.total++;
  }
  return counts;
}
