import { JetStreamApiError } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { CellStateSchema, decodeJson, encodeJson, type CellState } from './messages.js';
import { cellKey } from './names.js';

/** JetStream's "wrong last sequence": a create-if-absent or compare-and-set lost the race. */
export function isRevisionConflict(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === 10071;
}

export interface CellEntry {
  readonly state: CellState;
  readonly revision: number;
  /** Why the stored value could not be read; `state` is then a queued one, to be written over. */
  readonly unreadable?: string;
}

/**
 * A stored cell state, or what to do with one that cannot be read: a value that is not a cell
 * state, or names another cell than its key (a bug, or a client with write access to the bucket),
 * counts as queued with the reason kept, so the cell still runs and ends, and the next move
 * (a worker's claim, a cancel) overwrites it by compare-and-set instead of failing on it forever.
 */
export function decodeCellState(key: string, bytes: Uint8Array): { state: CellState; unreadable?: string } {
  try {
    const state = decodeJson(CellStateSchema, bytes, `cell ${key}`);
    if (cellKey(state.sweep, state.cell) !== key) throw new Error(`cell ${key}: the value names cell ${cellKey(state.sweep, state.cell)}`);
    return { state };
  } catch (err) {
    const unreadable = `unreadable cell state (${(err as Error).message})`;
    return { state: { ...queuedState(key), error: unreadable }, unreadable };
  }
}

/** The cell's state and revision, or null when the key is absent or deleted. */
export async function readCell(cells: KV, key: string): Promise<CellEntry | null> {
  const entry = await cells.get(key);
  if (!entry || entry.operation !== 'PUT' || entry.length === 0) return null;
  return { ...decodeCellState(key, entry.value), revision: entry.revision };
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
