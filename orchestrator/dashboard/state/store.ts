import { FINAL_STATUSES, tallyCells, type CellCounts } from '../../../shared/protocol/cell-store.js';
import type { CellState, GpuMetrics, NodeMetrics, NodeRecord, SweepRecord, TelemetryMessage } from '../../../shared/protocol/messages.js';
import { NODE_TTL_S } from '../../../shared/protocol/names.js';
import { metricTitle } from '../../../shared/metrics.js';
import { aggregateTable, type AggregateRow } from './aggregate.js';
import { groupKey, gridShape, summarizeGroup, type GridModel, type CellView, type GridShape, type GroupSummary, type PlanCell } from './grid-model.js';
import { TrialTelemetry } from './trial-telemetry.js';

export type { PlanCell } from './grid-model.js';

/** What the events panel lists; `kind` picks its colour and glyph. */
export interface DashEvent {
  readonly at: number;
  readonly kind: 'done' | 'failed' | 'retry' | 'redelivered' | 'joined' | 'left' | 'sweep' | 'warning' | 'info';
  readonly text: string;
}

/** A worker node as the nodes panel shows it. */
export interface NodeView {
  readonly record: NodeRecord;
  /** Client clock (ms) when its registry entry was last written (a heartbeat). */
  readonly seenAt: number;
  /** Its registry entry was deleted (the worker drained and left). */
  readonly deleted: boolean;
  readonly metrics: NodeMetrics | null;
  /** Its GPUs' last metrics, by GPU index. */
  readonly gpus: ReadonlyMap<number, GpuMetrics>;
}

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting' | 'closed';

/** Events kept for the events panel (it shows the newest that fit). */
export const EVENT_LIMIT = 500;
/** How long a notice (the answer to a key press) stays in the header. */
export const NOTICE_MS = 8000;

/**
 * Everything the dashboard shows, fed by NATS watches and subscriptions (feed.ts) or directly
 * (tests, the benchmark), with no React in it. Every change bumps `version` and notifies the
 * listeners, which only mark a frame as due: rendering is throttled by the app, never driven
 * per message. Derived views (grid, totals, final table) are cached per version of what they
 * depend on, so telemetry arriving 64 times a second does not regroup 10,000 cells.
 */
export class DashboardStore {
  sweepId: string | null;
  sweep: SweepRecord | null = null;
  /** Where the sweep's results folder is on this machine, when known (launched or found locally). */
  resultsDir: string | null = null;
  /** results/<id>/report.md once it exists. */
  reportPath: string | null = null;
  connection: ConnectionState = 'connecting';
  serverUrl: string | null = null;
  /** Set once a control action was refused for lack of permission. */
  readOnly: string | null = null;
  notice: { text: string; level: 'info' | 'error'; until: number } | null = null;
  version = 0;

  private plan: PlanCell[] = [];
  private readonly planIndex = new Map<string, PlanCell>();
  private readonly states = new Map<string, CellState>();
  private readonly scores = new Map<string, number | null>();
  /** Data set → its primary metric, as results and telemetry name it. */
  private readonly metrics = new Map<string, string>();
  /** `<node>/<slot>` → the cell of this sweep running there (fresher than the registry's heartbeat). */
  private readonly runningOn = new Map<string, string>();
  private tally: CellCounts = tallyCells([]);
  private cellsVersion = 0;
  private planVersion = 0;
  private shapeCache: { planVersion: number; filter: string; shape: GridShape } | null = null;
  /** Every group's summary (unfiltered), and the groups a cell move made stale. */
  private readonly summaries = new Map<string, GroupSummary>();
  private readonly staleGroups = new Set<string>();
  private gridCache: { version: number; filter: string; grid: GridModel } | null = null;
  private readonly nodeMap = new Map<string, { record: NodeRecord; seenAt: number; deleted: boolean; staleReported: boolean }>();
  private readonly nodeMetrics = new Map<string, NodeMetrics>();
  private readonly gpuMetrics = new Map<string, Map<number, GpuMetrics>>();
  readonly telemetry = new TrialTelemetry();
  private readonly eventRing: DashEvent[] = [];
  private selectedTrial: string | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(
    sweepId: string | null = null,
    readonly now: () => number = Date.now,
  ) {
    this.sweepId = sweepId;
  }

  /** `listener` runs after every change (cheaply: the app only marks a frame as due). */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.version++;
    for (const listener of this.listeners) listener();
  }

  // ---- the plan and the cells ----

  /** The sweep's cells (from its spec as run); states that arrived earlier are counted now. */
  setPlan(cells: readonly PlanCell[]): void {
    this.plan = [...cells];
    this.planIndex.clear();
    for (const c of cells) this.planIndex.set(c.id, c);
    this.tally = tallyCells(this.plan.map((c) => this.states.get(c.id)?.status));
    this.summaries.clear();
    this.staleGroups.clear();
    this.planVersion++;
    this.cellsVersion++;
    this.changed();
  }

  /** A cell moved or got its accuracy: its group's summary is recomputed at the next frame. */
  private touch(cellId: string): void {
    const c = this.planIndex.get(cellId);
    if (c) this.staleGroups.add(groupKey(c.label, c.dataset));
    this.cellsVersion++;
  }

  get cells(): readonly PlanCell[] {
    return this.plan;
  }

  cell(id: string): PlanCell | undefined {
    return this.planIndex.get(id);
  }

  cellState(id: string): CellState | undefined {
    return this.states.get(id);
  }

  /** What the cell shows: its status, `diverged` for a done cell whose training diverged. */
  cellView(id: string): CellView {
    const s = this.states.get(id);
    if (!s) return 'queued';
    return s.status === 'done' && s.diverged_at_step !== undefined ? 'diverged' : s.status;
  }

  applySweep(record: SweepRecord): void {
    const previous = this.sweep?.status;
    this.sweep = record;
    this.sweepId ??= record.id;
    if (previous !== undefined && previous !== record.status) this.addEvent('sweep', `sweep ${record.status}`);
    this.changed();
  }

  /** A cell's state moved (a watch entry of grn-cells). Unknown cells are kept for a later plan. */
  applyCell(state: CellState): void {
    const previous = this.states.get(state.cell);
    this.states.set(state.cell, state);
    if (this.planIndex.has(state.cell)) {
      this.tally[previous?.status ?? 'queued']--;
      this.tally[state.status]++;
    }
    if (state.status === 'done' && state.final_score !== undefined) this.scores.set(state.cell, state.final_score);
    if (state.metric) this.learnMetric(state.cell, state.metric);
    if (previous?.status === 'running') {
      const where = `${previous.node}/${previous.slot}`;
      if (this.runningOn.get(where) === state.cell) this.runningOn.delete(where);
    }
    if (state.status === 'running') this.runningOn.set(`${state.node}/${state.slot}`, state.cell);
    this.cellEvent(state, previous);
    this.touch(state.cell);
    this.changed();
  }

  /** A final score learnt from the results bucket (for a done cell whose state lacks it). */
  applyScore(cell: string, score: number | null, metric?: string): void {
    this.scores.set(cell, score);
    if (metric) this.learnMetric(cell, metric);
    this.touch(cell);
    this.changed();
  }

  /**
   * The primary metric of a data set's cells (accuracy; mIoU for segmentation), as its results and
   * epoch telemetry name it; accuracy until one has said.
   */
  metricOf(dataset: string): string {
    return this.metrics.get(dataset) ?? 'accuracy';
  }

  private learnMetric(cell: string, metric: string): void {
    const dataset = this.planIndex.get(cell)?.dataset;
    if (dataset !== undefined) this.metrics.set(dataset, metric);
  }

  /** Final primary-metric value of a done cell; undefined while unknown. */
  scoreOf(id: string): number | null | undefined {
    return this.states.get(id)?.status === 'done' ? this.scores.get(id) : undefined;
  }

  private cellEvent(s: CellState, previous: CellState | undefined): void {
    if (previous && previous.status === s.status && previous.attempt === s.attempt) return;
    const where = s.node ? ` on ${s.node}${s.slot ? `/${s.slot}` : ''}` : '';
    if (s.status === 'done' && s.diverged_at_step !== undefined) {
      this.addEvent('failed', `${s.cell} DIVERGED at step ${s.diverged_at_step} (non-finite loss or gradient)`);
    } else if (s.status === 'done') {
      const score = s.final_score;
      this.addEvent('done', `${s.cell} finished${typeof score === 'number' ? `: ${metricTitle(s.metric)} ${(score * 100).toFixed(2)}%` : ''}`);
    } else if (s.status === 'failed') {
      this.addEvent('failed', `${s.cell} FAILED after ${s.attempt} attempt(s): ${s.error ?? 'unknown error'}`);
    } else if (s.status === 'queued' && s.error && previous?.status === 'running') {
      this.addEvent('retry', `${s.cell} attempt ${s.attempt} failed, queued again: ${s.error}`);
    } else if (s.status === 'running' && s.attempt > 1) {
      this.addEvent('redelivered', `${s.cell} redelivered: attempt ${s.attempt}${where}`);
    }
  }

  /** The cell of this sweep running on a node's slot, as the cells bucket last said. */
  runningCellOn(node: string, slot: string): string | undefined {
    return this.runningOn.get(`${node}/${slot}`);
  }

  /** Totals over the whole plan (a cell without a state is queued). */
  counts(): CellCounts {
    return { ...this.tally };
  }

  /** Ids of the failed cells (for `r`). */
  failedCells(): string[] {
    return this.plan.filter((c) => this.states.get(c.id)?.status === 'failed').map((c) => c.id);
  }

  /**
   * The grid for a filter, cached per cell move: the shape (rows, columns, members) is rebuilt
   * only when the plan or the filter changes, and only the groups whose cells moved are summed
   * again, so a frame after a few moves costs a few groups, not 10,000 cells.
   */
  grid(filter = ''): GridModel {
    const cache = this.gridCache;
    if (cache && cache.version === this.cellsVersion && cache.filter === filter) return cache.grid;
    if (!this.shapeCache || this.shapeCache.planVersion !== this.planVersion || this.shapeCache.filter !== filter) {
      this.shapeCache = { planVersion: this.planVersion, filter, shape: gridShape(this.plan, filter) };
    }
    const shape = this.shapeCache.shape;
    const statusOf = (id: string) => this.states.get(id)?.status;
    const scoreOf = (id: string) => this.scoreOf(id);
    const groups = new Map<string, GroupSummary>();
    for (const [key, list] of shape.members) {
      let summary = this.summaries.get(key);
      if (!summary || this.staleGroups.has(key)) {
        // The summary's cells are the unfiltered group's: a filter only hides whole groups.
        summary = summarizeGroup(list, statusOf, scoreOf);
        this.summaries.set(key, summary);
        this.staleGroups.delete(key);
      }
      groups.set(key, summary);
    }
    const grid = { labels: shape.labels, datasets: shape.datasets, groups };
    this.gridCache = { version: this.cellsVersion, filter, grid };
    return grid;
  }

  finalTable(): AggregateRow[] {
    return aggregateTable(this.grid(), (id) => this.scoreOf(id), (id) => this.cellView(id));
  }

  /** The sweep has ended: done, failed or cancelled. */
  isFinal(): boolean {
    const status = this.sweep?.status;
    return status === 'done' || status === 'failed' || status === 'cancelled';
  }

  // ---- nodes and their metrics ----

  /** A grn-nodes watch entry: a heartbeat (record) or a deletion (null). */
  applyNode(key: string, record: NodeRecord | null): void {
    const known = this.nodeMap.get(key);
    if (!record) {
      if (known && !known.deleted) {
        known.deleted = true;
        this.addEvent('left', `node ${key} left`);
        this.changed();
      }
      return;
    }
    if (!known || known.deleted || known.staleReported) {
      this.addEvent('joined', `node ${key} ${known ? 'is back' : 'joined'}: ${record.slots.map((s) => s.slot).join(', ') || 'no slots'} (${record.host})`);
    }
    this.nodeMap.set(key, { record, seenAt: this.now(), deleted: false, staleReported: false });
    this.changed();
  }

  applyNodeMetrics(metrics: NodeMetrics): void {
    this.nodeMetrics.set(metrics.node, metrics);
    this.changed();
  }

  applyGpuMetrics(metrics: GpuMetrics): void {
    let gpus = this.gpuMetrics.get(metrics.node);
    if (!gpus) this.gpuMetrics.set(metrics.node, (gpus = new Map()));
    gpus.set(metrics.gpu, metrics);
    this.changed();
  }

  /** No heartbeat for longer than the registry's TTL (or deleted): shown greyed out. */
  isStale(node: NodeView): boolean {
    return node.deleted || this.now() - node.seenAt > NODE_TTL_S * 1000;
  }

  /**
   * Called about once a second: a node whose heartbeat stopped is reported once. (An entry that
   * expires with the bucket's TTL produces no delete on a watch, so only time can tell.)
   */
  tick(): void {
    let any = false;
    for (const [key, n] of this.nodeMap) {
      if (!n.deleted && !n.staleReported && this.now() - n.seenAt > NODE_TTL_S * 1000) {
        n.staleReported = true;
        this.addEvent('left', `node ${key} stopped sending heartbeats`);
        any = true;
      }
    }
    if (this.notice && this.notice.until <= this.now()) {
      this.notice = null;
      any = true;
    }
    if (any) this.changed();
  }

  /** Live nodes first, then those that left; by name within each. */
  nodes(): NodeView[] {
    const views = [...this.nodeMap.entries()].map(([key, n]) => ({
      record: n.record,
      seenAt: n.seenAt,
      deleted: n.deleted,
      metrics: this.nodeMetrics.get(key) ?? null,
      gpus: this.gpuMetrics.get(key) ?? new Map<number, GpuMetrics>(),
    }));
    return views.sort((a, b) => Number(this.isStale(a)) - Number(this.isStale(b)) || a.record.node.localeCompare(b.record.node));
  }

  // ---- telemetry ----

  applyTelemetry(message: TelemetryMessage): void {
    this.telemetry.apply(message, this.now());
    const metric = message.kind === 'epoch' ? message.record.primaryMetric : undefined;
    if (typeof metric === 'string') this.learnMetric(message.cell, metric);
    this.changed();
  }

  /** The trial whose sparklines the detail panel shows; its history is kept while selected. */
  selectTrial(cell: string | null): void {
    if (cell === this.selectedTrial) return;
    this.selectedTrial = cell;
    this.telemetry.select(cell);
    this.changed();
  }

  get selected(): string | null {
    return this.selectedTrial;
  }

  // ---- events, notices ----

  addEvent(kind: DashEvent['kind'], text: string): void {
    this.eventRing.push({ at: this.now(), kind, text });
    if (this.eventRing.length > EVENT_LIMIT) this.eventRing.splice(0, this.eventRing.length - EVENT_LIMIT);
  }

  /** Adds an event from outside (feed warnings) and redraws. */
  event(kind: DashEvent['kind'], text: string): void {
    this.addEvent(kind, text);
    this.changed();
  }

  /** Newest last. */
  events(limit = EVENT_LIMIT): readonly DashEvent[] {
    return this.eventRing.slice(-limit);
  }

  notify(text: string, level: 'info' | 'error' = 'info'): void {
    this.notice = { text, level, until: this.now() + NOTICE_MS };
    this.changed();
  }

  setReadOnly(reason: string): void {
    this.readOnly = reason;
    this.changed();
  }

  setConnection(state: ConnectionState, url?: string): void {
    this.connection = state;
    if (url) this.serverUrl = url;
    this.changed();
  }

  setReportPath(path: string | null): void {
    if (path === this.reportPath) return;
    this.reportPath = path;
    this.changed();
  }

  /** Is this status one a cell keeps (done, failed, cancelled)? */
  static isFinalStatus(status: CellState['status'] | undefined): boolean {
    return status !== undefined && FINAL_STATUSES.has(status);
  }
}
