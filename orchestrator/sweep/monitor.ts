import type { KvWatchEntry } from '@nats-io/kv';
import type { NatsConnection, QueuedIterator, Subscription } from '@nats-io/transport-node';
import { decodeCellState, FINAL_STATUSES, settleCell, tallyCells, type CellCounts } from '../../shared/protocol/cell-store.js';
import { readStoredResult } from '../../shared/protocol/result-store.js';
import {
  decodeJson,
  NodeRecordSchema,
  SweepRecordSchema,
  type CellState,
  type CellStatus,
  type NodeRecord,
  type ResultRecord,
  type SweepRecord,
} from '../../shared/protocol/messages.js';
import { consumerName, parseTrialSubject, subjects, TRIALS_STREAM } from '../../shared/protocol/names.js';
import type { TrialResult } from '../../shared/result.js';
import { ResultAcceptor, type Judgement } from './acceptor.js';
import type { ClaimTokens } from './claim-token.js';
import type { Stores } from './infrastructure.js';

export interface MonitorOptions {
  /** Judge the sweep's submissions (the orchestrator running the sweep; a viewer only watches). */
  readonly accept?: {
    readonly tokens: ClaimTokens;
    /**
     * Runs again the named done cells that have no result and none waiting to be judged (marked
     * done by a client that handed nothing in); the caller re-publishes their messages.
     */
    readonly requeue: (cells: string[]) => Promise<number>;
  };
  /** How long a done cell may go without a result before it counts as lost (default 10 s). */
  readonly lostAfterMs?: number;
}

/**
 * What happens to a sweep. `replayed` marks what the watches report of the state they found when
 * they started (a resumed sweep's done cells, cells that were running when it stopped): the
 * current state, not news.
 */
export type SweepEvent =
  | { type: 'cell'; state: CellState; previous: CellStatus | undefined; replayed: boolean }
  | { type: 'result'; cell: string; record: ResultRecord; result: TrialResult; replayed: boolean }
  | { type: 'unreadable-result'; cell: string; reason: string }
  | { type: 'node-joined'; node: NodeRecord }
  | { type: 'node-left'; node: string }
  | { type: 'sweep'; record: SweepRecord }
  | { type: 'gave-up'; cell: string; deliveries: number }
  | { type: 'warning'; message: string }
  /** A submission the acceptor did not store (accepted ones arrive as `result`). */
  | { type: 'judged'; judgement: Judgement };

export type { CellCounts };

const decoder = new TextDecoder();

/** How long a watch may stay silent before its consumer is checked (see follow). */
export const WATCH_CHECK_MS = 5_000;

/**
 * Whether a watch's consumer still exists and has nothing undelivered. (The kv client keeps the
 * consumer in an internal field; without it the watch is taken for stalled, and replaced.)
 */
async function watchIsLive(watch: QueuedIterator<KvWatchEntry> | undefined): Promise<boolean> {
  const consumer = (watch as unknown as { _data?: { info(cached?: boolean): Promise<{ num_pending: number; delivered: { stream_seq: number } }> } } | undefined)?._data;
  if (!consumer) return false;
  const info = await consumer.info(false).catch(() => null);
  return info !== null && info.num_pending === 0;
}

/**
 * Follows one sweep on the server: the cells bucket (every state move), the results bucket (each
 * stored result, fetched from the Object Store when not inline), the nodes registry, the sweep's
 * own record (cancel/pause from elsewhere) and JetStream's max-deliveries advisory (a message that
 * ran out of deliveries without a worker marking the cell failed: it is failed here and deleted,
 * as a work-queue stream would keep it forever). `finished` resolves once every cell is final and
 * every done cell's result has been collected.
 */
export class SweepMonitor {
  readonly states = new Map<string, CellState>();
  readonly results = new Map<string, TrialResult>();
  /** Done cells whose stored result cannot be read, and why (they end the sweep as failed). */
  readonly unreadableResults = new Map<string, string>();
  readonly nodes = new Map<string, NodeRecord>();
  readonly seenNodes = new Map<string, NodeRecord>();
  sweep: SweepRecord | undefined;
  private readonly stops: Array<() => void> = [];
  private resolveFinished!: () => void;
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve));

  private readonly cellSet: ReadonlySet<string>;
  private readonly tally: CellCounts;

  constructor(
    private readonly nc: NatsConnection,
    private readonly stores: Stores,
    private readonly sweepId: string,
    cellIds: readonly string[],
    private readonly onEvent: (event: SweepEvent) => void | Promise<void>,
    private readonly options: MonitorOptions = {},
  ) {
    this.cellSet = new Set(cellIds);
    this.tally = tallyCells(cellIds.map(() => undefined));
  }

  private acceptor: ResultAcceptor | undefined;
  /** Keys outside the sweep's cells already reported (each once). */
  private readonly strangers = new Set<string>();
  /** When each done cell without a result was first seen done. */
  private readonly doneSince = new Map<string, number>();

  /** Submissions judged so far, by verdict (zeros when this monitor does not accept). */
  judgements(): ResultAcceptor['counts'] {
    return { ...(this.acceptor?.counts ?? { accepted: 0, duplicate: 0, stale: 0, rejected: 0 }) };
  }

  async start(): Promise<void> {
    const prefix = `${this.sweepId}.`;
    const cellOf = (key: string) => key.slice(prefix.length);
    await this.follow(this.stores.cells, `${prefix}>`, async (key, value, replayed) => {
      if (!value) return;
      if (!this.cellSet.has(cellOf(key))) {
        // Written by a client that may write cell states but invents a cell: said once, ignored.
        if (!this.strangers.has(key)) {
          this.strangers.add(key);
          await this.onEvent({ type: 'warning', message: `ignoring a cell state for '${cellOf(key)}', which is not a cell of sweep ${this.sweepId}` });
        }
        return;
      }
      // An unreadable value counts as queued (with its reason): the next claim overwrites it.
      const { state, unreadable } = decodeCellState(key, value);
      if (unreadable) await this.onEvent({ type: 'warning', message: `${unreadable}; counted as queued until a worker claims it` });
      const previous = this.states.get(state.cell)?.status;
      this.states.set(state.cell, state);
      this.tally[previous ?? 'queued']--;
      this.tally[state.status]++;
      if (state.status === 'done' && !this.results.has(state.cell)) {
        if (!this.doneSince.has(state.cell)) this.doneSince.set(state.cell, Date.now());
      } else this.doneSince.delete(state.cell);
      if (previous !== state.status) await this.onEvent({ type: 'cell', state, previous, replayed });
    });
    await this.follow(this.stores.results, `${prefix}>`, async (key, value, replayed) => {
      const cell = cellOf(key);
      if (!value || this.results.has(cell) || !this.cellSet.has(cell)) return;
      const stored = await readStoredResult(key, value, this.stores.artifacts);
      if ('unreadable' in stored) {
        // Not the cell's result: a worker that finishes the cell writes over it; until then, a
        // done cell with only this record ends the sweep as failed (resume runs it again).
        this.unreadableResults.set(cell, stored.unreadable);
        await this.onEvent({ type: 'unreadable-result', cell, reason: stored.unreadable });
        return;
      }
      this.unreadableResults.delete(cell);
      this.doneSince.delete(cell);
      this.results.set(cell, stored.result);
      await this.onEvent({ type: 'result', cell, record: stored.record, result: stored.result, replayed });
    });
    await this.follow(this.stores.nodes, '>', async (key, value) => {
      if (!value) {
        if (this.nodes.delete(key)) await this.onEvent({ type: 'node-left', node: key });
        return;
      }
      const node = decodeJson(NodeRecordSchema, value, `node ${key}`);
      const known = this.nodes.has(key);
      this.nodes.set(key, node);
      this.seenNodes.set(key, node);
      if (!known) await this.onEvent({ type: 'node-joined', node });
    });
    await this.follow(this.stores.sweeps, this.sweepId, async (key, value) => {
      if (!value) return;
      this.sweep = decodeJson(SweepRecordSchema, value, `sweep ${key}`);
      await this.onEvent({ type: 'sweep', record: this.sweep });
    });
    const advisories = this.nc.subscribe(subjects.maxDeliveriesAdvisory(consumerName(this.sweepId)));
    this.stops.push(() => advisories.unsubscribe());
    void this.onAdvisories(advisories);
    const accept = this.options.accept;
    if (accept) {
      this.acceptor = new ResultAcceptor({
        nc: this.nc,
        stores: this.stores,
        sweep: this.sweepId,
        cells: this.cellSet,
        tokens: accept.tokens,
        onJudgement: async (judgement) => {
          if (judgement.verdict !== 'accepted') await this.onEvent({ type: 'judged', judgement });
        },
        onTrouble: (message) => this.onEvent({ type: 'warning', message }),
      });
      await this.acceptor.start();
      const acceptor = this.acceptor;
      this.stops.push(() => void acceptor.stop());
      const lostAfter = this.options.lostAfterMs ?? 10_000;
      const timer = setInterval(() => void this.requeueLost(lostAfter, accept.requeue), Math.max(250, lostAfter / 2));
      this.stops.push(() => clearInterval(timer));
    }
  }

  private requeueing = false;

  /**
   * Done cells with no result for `lostAfter` ms: the requeue re-checks each against the server
   * (a submission waiting, a result just stored) and runs only the truly lost again, so a cell
   * marked done by a client that handed nothing in cannot hold the sweep open forever.
   */
  private async requeueLost(lostAfter: number, requeue: (cells: string[]) => Promise<number>): Promise<void> {
    if (this.requeueing) return;
    const due = [...this.doneSince].filter(([cell, since]) => Date.now() - since >= lostAfter && !this.results.has(cell)).map(([cell]) => cell);
    if (!due.length) return;
    this.requeueing = true;
    try {
      // Looked at again after another interval unless a result arrives: one with a submission
      // still waiting (not requeued now) may be rejected, and then it is lost after all.
      for (const cell of due) this.doneSince.set(cell, Date.now());
      const n = await requeue(due);
      if (n) await this.onEvent({ type: 'warning', message: `${n} cell(s) marked done without a result handed in (${due.slice(0, 3).join(', ')}${due.length > 3 ? ', …' : ''}): running them again` });
    } catch (err) {
      await this.onEvent({ type: 'warning', message: `re-queueing cells done without a result: ${(err as Error).message}` });
    } finally {
      this.requeueing = false;
    }
  }

  /**
   * Runs `handle` for every current and future entry under `key` (value null: deleted/expired;
   * `replayed`: an entry that was there when the watch started).
   *
   * A watch is an ordered consumer on one server. When that server is lost (a cluster member
   * killed) the client's own recovery can stall for a long time, so the watch is checked every
   * WATCH_CHECK_MS while idle and after each reconnect: if its consumer is gone or has entries it
   * does not deliver, a new watch starts just after the last revision handled. Entries are
   * handled once per revision, so the overlap of two watches changes nothing.
   */
  private async follow(bucket: Stores['cells'], key: string, handle: (key: string, value: Uint8Array | null, replayed: boolean) => Promise<void>): Promise<void> {
    const seen = new Map<string, number>();
    let highest = 0;
    let lastEntryAt = Date.now();
    let watch: QueuedIterator<KvWatchEntry> | undefined;
    let stopped = false;
    const open = async (first: boolean) => {
      // A watch's consumer is created by a request: one that times out while the embedded server
      // is being restarted is tried again (the chaos suite found `resume` dying of it, uncaught).
      let next: QueuedIterator<KvWatchEntry>;
      for (let attempt = 1; ; attempt++) {
        try {
          next = await bucket.watch({ key, ...(first ? {} : { resumeFromRevision: highest + 1 }) });
          break;
        } catch (err) {
          if (attempt >= 5 || (err as Error).name !== 'TimeoutError') throw err;
        }
      }
      if (stopped) return next.stop();
      watch?.stop();
      watch = next;
      lastEntryAt = Date.now();
      void (async () => {
        for await (const entry of next) {
          if ((seen.get(entry.key) ?? 0) >= entry.revision) continue;
          seen.set(entry.key, entry.revision);
          highest = Math.max(highest, entry.revision);
          lastEntryAt = Date.now();
          try {
            await handle(entry.key, entry.operation === 'PUT' ? entry.value : null, first && !entry.isUpdate);
          } catch (err) {
            await this.onEvent({ type: 'warning', message: (err as Error).message });
          }
          this.check();
        }
      })();
    };
    await open(true);
    let checking = false;
    const recheck = async (force: boolean) => {
      if (checking || stopped) return;
      checking = true;
      try {
        if (force || !(await watchIsLive(watch))) await open(false);
      } catch {
        // The server is still electing leaders: the next check tries again.
      } finally {
        checking = false;
      }
    };
    const timer = setInterval(() => {
      if (Date.now() - lastEntryAt >= WATCH_CHECK_MS) void recheck(false);
    }, WATCH_CHECK_MS);
    timer.unref();
    const status = this.nc.status();
    void (async () => {
      for await (const s of status) if (s.type === 'reconnect') void recheck(true);
    })();
    this.stops.push(() => {
      stopped = true;
      clearInterval(timer);
      (status as { stop?: () => void }).stop?.();
      watch?.stop();
    });
  }

  private async onAdvisories(sub: Subscription): Promise<void> {
    for await (const m of sub) {
      try {
        const advisory = JSON.parse(decoder.decode(m.data)) as { stream_seq: number; deliveries: number };
        const stored = await this.stores.jsm.streams.getMessage(TRIALS_STREAM, { seq: advisory.stream_seq });
        const cell = stored && parseTrialSubject(stored.subject)?.cell;
        if (!cell) continue;
        const error = `gave up after ${advisory.deliveries} deliveries with no result (last: ${this.states.get(cell)?.error ?? 'the worker vanished'})`;
        await settleCell(this.stores.cells, `${this.sweepId}.${cell}`, (s) => (FINAL_STATUSES.has(s.status) ? null : { ...s, status: 'failed', error, updated_at: new Date().toISOString() }));
        await this.stores.jsm.streams.deleteMessage(TRIALS_STREAM, advisory.stream_seq, false).catch(() => undefined);
        await this.onEvent({ type: 'gave-up', cell, deliveries: advisory.deliveries });
      } catch (err) {
        await this.onEvent({ type: 'warning', message: `max-deliveries advisory: ${(err as Error).message}` });
      }
    }
  }

  /** Kept up to date move by move: a 10,000-cell sweep must not recount on every event. */
  counts(): CellCounts {
    return { ...this.tally };
  }

  /** Every cell final, and every done cell's result collected (or found unreadable). */
  isFinished(): boolean {
    const t = this.tally;
    return t.done + t.failed + t.cancelled === t.total && this.results.size + this.unreadableCount() >= t.done;
  }

  /**
   * Done cells whose only stored result is unreadable. While this monitor accepts results a
   * worker's "done" only says a result was handed in: the acceptor's verdict, or the lost-cell
   * re-run, ends the cell, so none of these counts as finished yet.
   */
  private unreadableCount(): number {
    if (this.options.accept) return 0;
    let n = 0;
    for (const cell of this.unreadableResults.keys()) if (this.states.get(cell)?.status === 'done' && !this.results.has(cell)) n++;
    return n;
  }

  /** Cells that ended failed, and done cells without a readable result, each with its error. */
  failures(cellIds: readonly string[]): Array<{ cell: string; error: string }> {
    const failed: Array<{ cell: string; error: string }> = [];
    for (const cell of cellIds) {
      const state = this.states.get(cell);
      if (state?.status === 'failed') failed.push({ cell, error: state.error ?? 'unknown error' });
      else if (state?.status === 'done' && !this.results.has(cell) && this.unreadableResults.has(cell)) {
        failed.push({ cell, error: `its stored result is unreadable (${this.unreadableResults.get(cell)}); grn sweep resume runs it again` });
      }
    }
    return failed;
  }

  private armed = false;

  /**
   * Called once the sweep is published (or resumed): only from then on can "every cell final"
   * mean finished — a resume's watch replays cells as they were before being re-queued.
   */
  arm(): void {
    this.armed = true;
    this.check();
  }

  private check(): void {
    if (this.armed && this.isFinished()) this.resolveFinished();
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
  }
}
