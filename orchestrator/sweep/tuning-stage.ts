import type { NatsConnection } from '@nats-io/transport-node';
import { FINAL_STATUSES, readCell, settleCell } from '../../shared/protocol/cell-store.js';
import type { CellState } from '../../shared/protocol/messages.js';
import { cellKey } from '../../shared/protocol/names.js';
import { readStoredResult } from '../../shared/protocol/result-store.js';
import { formatMetric, metricTitle } from '../../shared/metrics.js';
import type { TrialResult } from '../../shared/result.js';
import { chooseLearningRates, tunedCells, type TuningOutcome, type TuningPlan, type TuningRecord } from '../../shared/sweep/tuning/index.js';
import type { TrialConfig } from '../../shared/trial.js';
import type { Stores } from './infrastructure.js';
import { requeueMissing } from './publish.js';
import type { CellInfo } from './results-folder.js';

type Cell = CellInfo & { readonly trial: TrialConfig };

/** The cells a tuned sweep publishes at its start: the tuning stage's (all of them, untuned). */
export function firstStage<C extends Pick<CellInfo, 'stage'>>(cells: readonly C[], tuning: TuningPlan | undefined): C[] {
  return tuning ? cells.filter((c) => c.stage === 'tuning') : [...cells];
}

/** The grid's cells of a tuned sweep: the second stage, whose lr the tuning chooses. */
export function secondStage<C extends Pick<CellInfo, 'stage'>>(cells: readonly C[]): C[] {
  return cells.filter((c) => c.stage !== 'tuning');
}

export interface TuningStageOptions {
  readonly sweep: string;
  readonly tuning: TuningPlan;
  readonly cells: readonly Cell[];
  readonly nc: NatsConnection;
  readonly stores: Stores;
  readonly states: ReadonlyMap<string, CellState>;
  readonly results: ReadonlyMap<string, TrialResult>;
  /** Writes tuning.json. */
  readonly write: (record: TuningRecord) => Promise<void>;
  /** Told each second-stage cell's trial as the tuning made it (for re-running a lost one). */
  readonly derived: (cell: Cell) => void;
  readonly cancelled: () => boolean;
  readonly line: (text: string) => void;
}

/**
 * Moves a tuned sweep from its first stage to its second: each time every tuning cell has ended
 * (with its result collected), the winners are chosen from the results (shared/sweep/tuning
 * choose.ts), tuning.json is written, the grid's cells of a decided row are published with their
 * lr — only those neither final nor already queued, so a resumed sweep publishes what is missing
 * and nothing twice — and those of an undecided row (a tuning cell failed) are failed, naming
 * it. A tuning cell run again (retried) reopens the first stage, and its end runs this again.
 */
export class TuningStage {
  private over = false;
  private busy = false;
  private armed = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly tuningCells: readonly string[];

  constructor(private readonly o: TuningStageOptions) {
    this.tuningCells = o.tuning.cells.map((c) => c.id);
  }

  /** Whether every tuning cell is final and every done one's result is in. */
  firstStageOver(): boolean {
    return this.tuningCells.every((cell) => {
      const status = this.o.states.get(cell)?.status;
      return status !== undefined && FINAL_STATUSES.has(status) && (status !== 'done' || this.o.results.has(cell));
    });
  }

  /**
   * Called once the sweep is published or resumed (failed cells reopened, lost ones re-queued):
   * before that, the states the watches replay are not the sweep's as it now runs.
   */
  arm(): void {
    this.armed = true;
    this.check();
  }

  /** Call after every event of the sweep (cheap while the first stage runs). */
  check(): void {
    if (!this.armed || this.busy || this.o.cancelled()) return;
    if (!this.firstStageOver()) {
      this.over = false;
      return;
    }
    if (this.over) return;
    this.over = true;
    this.busy = true;
    void this.advance()
      .catch((err: Error) => {
        // A server restarting: try again shortly (nothing else would call again once the stage is over).
        this.over = false;
        this.o.line(`tuning: starting the second stage failed (${err.message}); trying again`);
        this.timer = setTimeout(() => this.check(), 2000);
      })
      .finally(() => (this.busy = false));
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private async advance(): Promise<void> {
    const record = chooseLearningRates(this.o.tuning, (cell) => outcomeOf(this.o.states.get(cell), this.o.results.get(cell)));
    // Like a result file, tuning.json is the folder's copy: a failure to write it is said, not fatal.
    await this.o.write(record).catch((err: Error) => this.o.line(`error: cannot write tuning.json (${err.message}); once the folder is fixed: grn sweep export ${this.o.sweep}`));
    for (const row of record.rows) this.o.line(rowLine(row));
    const { ready, blocked } = tunedCells(secondStage(this.o.cells), record);
    for (const cell of ready) this.o.derived(cell);
    const now = new Date().toISOString();
    for (const b of blocked) {
      await settleCell(this.o.stores.cells, cellKey(this.o.sweep, b.cell), (s) => (FINAL_STATUSES.has(s.status) ? null : { ...s, status: 'failed', error: b.error, updated_at: now }));
    }
    const published = await requeueMissing(this.o.nc, this.o.stores, { id: this.o.sweep, name: '', specYaml: '', maxDeliver: 1, cells: ready }, Date.now());
    this.o.line(`tuning done: second stage ${ready.length} cell(s) with the chosen lr (${published} queued now)${blocked.length ? `, ${blocked.length} cannot run (no lr chosen)` : ''}`);
  }
}

/** A tuning cell's outcome from its state and result. */
export function outcomeOf(state: CellState | undefined, result: TrialResult | undefined): TuningOutcome {
  return { status: state?.status ?? 'queued', ...(result ? { result } : {}), ...(state?.error && state.status !== 'done' ? { error: state.error } : {}) };
}

/** `tuning: sgd on mnist: lr 0.03 (validation accuracy 93.10%)`. */
function rowLine(row: TuningRecord['rows'][number]): string {
  const where = `tuning: ${row.label} on ${row.dataset}`;
  if (!row.winner) return `${where}: ${row.error ?? 'no lr chosen'}`;
  return `${where}: lr ${row.winner.lr} (validation ${metricTitle(row.metric ?? undefined)} ${formatMetric(row.winner.score)})${row.note ? `; ${row.note}` : ''}`;
}

/**
 * The tuning's choice as it stands on the server: each tuning cell's state and stored result, read
 * from the buckets (for clients other than the running orchestrator: retry, export).
 */
export async function tuningOnServer(stores: Stores, sweep: string, tuning: TuningPlan): Promise<TuningRecord> {
  const outcomes = new Map<string, TuningOutcome>();
  await Promise.all(
    tuning.cells.map(async (c) => {
      const key = cellKey(sweep, c.id);
      const [entry, stored] = await Promise.all([readCell(stores.cells, key), stores.results.get(key)]);
      let result: TrialResult | undefined;
      if (stored?.operation === 'PUT') {
        const read = await readStoredResult(key, stored.value, stores.artifacts);
        if (!('unreadable' in read)) result = read.result;
      }
      outcomes.set(c.id, outcomeOf(entry?.state, result));
    }),
  );
  return chooseLearningRates(tuning, (cell) => outcomes.get(cell));
}
