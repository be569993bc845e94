import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { FINAL_STATUSES, settleCell, tallyCells, type CellCounts } from '../../shared/protocol/cell-store.js';
import {
  CellStateSchema,
  decodeJson,
  NodeRecordSchema,
  ResultRecordSchema,
  SweepRecordSchema,
  type CellState,
  type CellStatus,
  type NodeRecord,
  type ResultRecord,
  type SweepRecord,
} from '../../shared/protocol/messages.js';
import { consumerName, parseTrialSubject, subjects, TRIALS_STREAM } from '../../shared/protocol/names.js';
import { TrialResultSchema, type TrialResult } from '../../shared/result.js';
import type { Stores } from './infrastructure.js';

export type SweepEvent =
  | { type: 'cell'; state: CellState; previous: CellStatus | undefined }
  | { type: 'result'; cell: string; record: ResultRecord; result: TrialResult }
  | { type: 'node-joined'; node: NodeRecord }
  | { type: 'node-left'; node: string }
  | { type: 'sweep'; record: SweepRecord }
  | { type: 'gave-up'; cell: string; deliveries: number }
  | { type: 'warning'; message: string };

export type { CellCounts };

const decoder = new TextDecoder();

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
  ) {
    this.cellSet = new Set(cellIds);
    this.tally = tallyCells(cellIds.map(() => undefined));
  }

  async start(): Promise<void> {
    const prefix = `${this.sweepId}.`;
    await this.follow(this.stores.cells, `${prefix}>`, async (key, value) => {
      if (!value) return;
      const state = decodeJson(CellStateSchema, value, `cell ${key}`);
      if (!this.cellSet.has(state.cell)) return;
      const previous = this.states.get(state.cell)?.status;
      this.states.set(state.cell, state);
      this.tally[previous ?? 'queued']--;
      this.tally[state.status]++;
      if (previous !== state.status) await this.onEvent({ type: 'cell', state, previous });
    });
    await this.follow(this.stores.results, `${prefix}>`, async (key, value) => {
      if (!value) return;
      const record = decodeJson(ResultRecordSchema, value, `result ${key}`);
      if (this.results.has(record.cell) || !this.cellSet.has(record.cell)) return;
      const raw = record.object ? JSON.parse(decoder.decode((await this.stores.artifacts.getBlob(record.object)) ?? new Uint8Array())) : record.result;
      const parsed = TrialResultSchema.safeParse(raw);
      if (!parsed.success) {
        await this.onEvent({ type: 'warning', message: `result of ${record.cell} does not match the result format: ${parsed.error.issues[0]?.message}` });
        return;
      }
      this.results.set(record.cell, parsed.data);
      await this.onEvent({ type: 'result', cell: record.cell, record, result: parsed.data });
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
  }

  /** Runs `handle` for every current and future entry under `key` (value null: deleted/expired). */
  private async follow(bucket: Stores['cells'], key: string, handle: (key: string, value: Uint8Array | null) => Promise<void>): Promise<void> {
    const watch = await bucket.watch({ key });
    this.stops.push(() => watch.stop());
    void (async () => {
      for await (const entry of watch) {
        try {
          await handle(entry.key, entry.operation === 'PUT' ? entry.value : null);
        } catch (err) {
          await this.onEvent({ type: 'warning', message: (err as Error).message });
        }
        this.check();
      }
    })();
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

  /** Every cell final, and every done cell's result collected. */
  isFinished(): boolean {
    const t = this.tally;
    return t.done + t.failed + t.cancelled === t.total && this.results.size === t.done;
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
